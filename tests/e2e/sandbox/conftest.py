"""Fixtures: a started sandbox Canvas, a developer key, and signed-in API clients.

Everything goes over real HTTP on 127.0.0.1 with ``requests``; signing in runs the
real OAuth flow (consent page, code, token exchange).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from canvas_sandbox_helpers import ALEX, REDIRECT, SAM, Api, sign_in

from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas


@pytest.fixture
def canvas() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True) as sandbox:
        yield sandbox


@pytest.fixture
def key(canvas: SandboxCanvas) -> DeveloperKey:
    return canvas.add_developer_key(redirect_uris=[REDIRECT])


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def alex(canvas: SandboxCanvas, key: DeveloperKey, http: requests.Session) -> Api:
    """Alex Morgan: root account admin with every permission."""
    return Api(http, canvas.url, sign_in(canvas, key, ALEX)["access_token"])


@pytest.fixture
def sam(canvas: SandboxCanvas, key: DeveloperKey, http: requests.Session) -> Api:
    """Sam Patel: read-only admin of Northfield Secondary, nothing on the root."""
    return Api(http, canvas.url, sign_in(canvas, key, SAM)["access_token"])
