"""The support bundle holds what a helper needs and no secret, also after a real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from canvas_wizard import __version__
from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.settings import AppSettings, save_settings
from canvas_wizard.core.store import Profile, ProfileStore, SecretKind, SecretStore
from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.logs import log_file
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.support import build_support_bundle

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-cloudwork-export.csv"


def read_bundle(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as bundle:
        return {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}


def assert_no_secret(contents: dict[str, str], secrets: list[str]) -> None:
    for name, text in contents.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {name}"


@pytest.fixture
def saved_profile(app_home: Path) -> Iterator[tuple[Profile, SecretStore, list[str]]]:
    paths = app_paths().ensure()
    store = ProfileStore(paths)
    profile = Profile(name="school", canvas_url="https://canvas.example.org", client_id="10000")
    store.save(profile)
    secrets = SecretStore()
    values = {
        SecretKind.CLIENT_SECRET: "cs-" + "q" * 40,
        SecretKind.REFRESH_TOKEN: "1~" + "R" * 64,
        SecretKind.ACCESS_TOKEN: "1~" + "A" * 64,
    }
    for kind, value in values.items():
        secrets.set(profile, kind, value)
    yield profile, secrets, list(values.values())
    secrets.forget_all(profile)


def test_bundle_holds_versions_profile_runs_and_logs_but_no_secret(saved_profile, tmp_path):
    _profile, secrets, raw = saved_profile
    paths = app_paths().ensure()
    with HistoryStore(paths.history_db) as history:
        run = history.start_run(
            profile="school", method="api", dry_run=False, who="Alex", source="x.csv", options={}
        )
        history.finish_run(run, status="failed_records", counts={"done": 5, "failed": 1})
    # A log as an older version (or a library's own handler) might have left it: raw secrets.
    log_file(paths).write_text(
        f"2026-01-01 INFO token answer {{'access_token': '{raw[2]}'}}\n"
        f"2026-01-01 DEBUG body client_secret={raw[0]}&refresh_token={raw[1]}\n"
        f"2026-01-01 INFO odd place for it: <{raw[0]}>\n"
        "2026-01-01 INFO Sync finished: 5 done, 1 failed\n",
        encoding="utf-8",
    )
    result = build_support_bundle(paths, tmp_path / "out" / "bundle.zip", secrets=secrets)
    contents = read_bundle(result.path)
    assert set(contents) == {
        "about.json",
        "settings.json",
        "profiles/school.json",
        "history/school.json",
        "logs/recent.log",
        "README.txt",
    }
    assert_no_secret(contents, raw)
    about = json.loads(contents["about.json"])
    assert about["app"] == f"Canvas Sync Wizard {__version__}"
    assert about["python"].startswith("CPython 3.")
    assert about["qt"].startswith("Qt 6.")
    assert "works" in about["keyring"]
    assert about["folders"]["logs"] == str(paths.log_dir)
    saved = json.loads(contents["profiles/school.json"])
    assert saved["canvas_url"] == "https://canvas.example.org"
    assert saved["secrets_saved"] == {
        "client_secret": True,
        "refresh_token": True,
        "access_token": True,
        "smtp_password": False,  # no email summary set up
    }
    assert "secret_key_id" not in saved
    runs = json.loads(contents["history/school.json"])
    assert [(r["status"], r["counts"]) for r in runs] == [
        ("failed_records", {"done": 5, "failed": 1})
    ]
    log = contents["logs/recent.log"]
    assert "Sync finished: 5 done, 1 failed" in log
    assert "odd place for it: <[redacted]>" in log, (
        "known secret values are scrubbed wherever they are"
    )


def test_bundle_for_one_named_profile_and_for_an_unknown_name(saved_profile, tmp_path):
    _profile, secrets, _raw = saved_profile
    paths = app_paths().ensure()
    ProfileStore(paths).save(
        Profile(name="other", canvas_url="https://b.example.org", client_id="2")
    )
    result = build_support_bundle(
        paths, tmp_path / "b.zip", secrets=secrets, profile_names=["school"]
    )
    assert result.profiles == ("school",)
    assert "profiles/other.json" not in read_bundle(result.path)
    with pytest.raises(UsageError, match="nope"):
        build_support_bundle(paths, tmp_path / "c.zip", secrets=secrets, profile_names=["nope"])


def test_bundle_without_keyring_says_so_instead_of_failing(app_home, tmp_path):
    paths = app_paths().ensure()
    ProfileStore(paths).save(
        Profile(name="school", canvas_url="https://a.example.org", client_id="1")
    )
    result = build_support_bundle(paths, tmp_path / "b.zip", secrets=SecretStore(session_only=True))
    about = json.loads(read_bundle(result.path)["about.json"])
    assert about["keyring"].startswith("session only")


# -- after a full run through the command line, as a technician would do it -----------------


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    full_env = dict(os.environ)
    full_env["BROWSER"] = "false"  # sign-in goes through the pasted address below
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "canvas_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def authorize_by_pasting(canvas: SandboxCanvas) -> str:
    """Sign in with --no-browser, paste the address back; returns the authorization code used."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "canvas_wizard", "authorize", "school", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, BROWSER="false"),
    )
    assert proc.stdout is not None
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()
            assert line, "authorize printed no sign-in link"
            if line.strip().startswith(canvas.url):
                url = line.strip()
        location = canvas.approve_consent(url)
        _out, err = proc.communicate(location + "\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    return parse_qs(urlsplit(location).query)["code"][0]


@pytest.mark.slow
def test_bundle_after_a_full_demo_run_contains_no_secret(app_home: Path, tmp_path: Path):
    paths = app_paths().ensure()
    # Detailed logging, so requests' and our own debug lines are all in the log.
    save_settings(paths, AppSettings(log_level="DEBUG"))
    with SandboxCanvas(seed=True) as canvas:
        port = free_loopback_port()
        key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        added = cli(
            "profile", "add", "school", "--canvas-url", canvas.url, "--client-id", key.client_id,
            "--redirect-port", str(port), "--client-secret-stdin",
            stdin=key.client_secret + "\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        code = authorize_by_pasting(canvas)
        assert cli("connect", "school", "--account", "1").returncode == 0
        synced = cli("sync", "school", "--source", str(SAMPLE), "--json", "--approve-limits")
        assert synced.returncode in (0, 1), synced.stderr
        assert canvas.state.user_by_sis_id("S1040") is not None, "the sync really wrote"

        profile = ProfileStore(paths).get("school")
        secrets = SecretStore()
        stored = [
            secrets.get(profile, kind)
            for kind in SecretKind
            if kind is not SecretKind.SMTP_PASSWORD
        ]
        assert all(stored), "the run left its secrets in the keyring"
        raw = [key.client_secret, code, *[s for s in stored if s]]

        out = tmp_path / "support.zip"
        made = cli("support-bundle", "school", "--output", str(out))
        assert made.returncode == 0, made.stderr
        assert str(out) in made.stdout
        contents = read_bundle(out)
        secrets.forget_all(profile)

    assert_no_secret(contents, raw)
    runs = json.loads(contents["history/school.json"])
    assert runs and runs[0]["dry_run"] is False and runs[0]["counts"]["done"] > 0
    log = contents["logs/recent.log"]
    assert "command sync" in log and "command support-bundle" in log
    assert "DEBUG" in log, "the detailed log made it into the bundle"
    about = json.loads(contents["about.json"])
    assert about["profiles"] == ["school"]
    # The files the run left behind are clean too, not only the bundle.
    for path in app_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in raw:
                assert secret.encode() not in data, f"a secret was written to {path}"
