"""A connected profile on a sandbox Canvas and the CLI as a subprocess, for the schedule tests.

The profile is connected as the wizard connects one (tokens in the real keyring,
through the app's own OAuth exchange); CLI subprocesses inherit CANVAS_WIZARD_HOME
and the test session's Secret Service.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.auth.oauth import redirect_uri_for
from canvas_wizard.core.paths import AppPaths, app_paths
from canvas_wizard.core.store import (
    ConnectedAccount,
    Profile,
    ProfileStore,
    SecretKind,
    SecretStore,
)
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in

EXPORT = (
    "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
    "Q1001,Zoe Park,zoe.park@students.example,zoe.park,Student,Q2001,\n"
    "Q2001,Jin Park,jin.park@home.example,jin.park@home.example,Parent,,\n"
)


@dataclass
class Setup:
    canvas: SandboxCanvas
    paths: AppPaths
    profile: Profile
    secrets: SecretStore
    export: Path

    def secret_values(self) -> list[str]:
        values = [self.secrets.get(self.profile, kind) for kind in SecretKind]
        return [v for v in values if v]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with SandboxCanvas(seed=True, latency=0.0) as canvas:
        paths = app_paths().ensure()
        port = free_loopback_port()
        key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        profile = Profile(
            name="school",
            canvas_url=canvas.url,
            client_id=key.client_id,
            redirect_port=port,
            account=ConnectedAccount(1, "Northfield Academy Trust", True),
            signed_in_as="Alex Morgan",
        )
        ProfileStore(paths).save(profile)
        secrets = SecretStore()
        secrets.set(profile, SecretKind.CLIENT_SECRET, key.client_secret)
        with requests.Session() as http:
            tokens = sign_in(canvas, key, redirect_uri_for(port), session=http)
            TokenManager(profile, secrets, http).store(tokens)
        export = tmp_path / "exports" / "cloudwork.csv"
        export.parent.mkdir()
        export.write_text(EXPORT, encoding="utf-8")
        yield Setup(canvas, paths, profile, secrets, export)
        secrets.forget_all(profile)


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canvas_wizard", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
