"""No secret is ever written down: after setup, a sync, a failed sync, a support bundle
and disconnect, every file the app wrote and every command line it ran are clean.

Secrets looked for: the client secret, every access and refresh token the keyring
ever held, and every authorization code Canvas issued (caught at Canvas's token
endpoint, the only place a code is seen besides the redirect).
"""

from __future__ import annotations

import json
import shlex
import sys
import zipfile
from pathlib import Path

import requests
from chaos_support import catch_codes, cli_env, school_csv

from canvas_wizard.core.auth.oauth import redirect_uri_for
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store import ProfileStore, SecretKind, SecretStore
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.faults import Faults

RECORD_ARGV = """
import json, os, sys
with open(os.environ["CHAOS_ARGV_LOG"], "a") as log:
    log.write(json.dumps(sys.argv) + "\\n")
os.execv(sys.executable, [sys.executable, "-m", "canvas_wizard.sandbox.browser", *sys.argv[1:]])
"""


def test_no_secret_in_any_file_or_command_line(app_home: Path, tmp_path: Path) -> None:
    argv_log = tmp_path / "argv.log"
    recorder = tmp_path / "record_argv.py"
    recorder.write_text(RECORD_ARGV)
    env = cli_env(CHAOS_ARGV_LOG=str(argv_log))
    env["BROWSER"] = f"{sys.executable} {recorder} %s"
    launched: list[list[str]] = []
    secrets_seen: set[str] = set()
    secrets = SecretStore()

    def run(*args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        import subprocess

        argv = [sys.executable, "-m", "canvas_wizard", *args]
        launched.append(argv)
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert done.returncode in ok, done.stderr[-2000:]
        for text in (done.stdout, done.stderr):
            for secret in secrets_seen:
                assert secret not in text, f"a secret was printed by {args[:1]}"
        return done.stdout + done.stderr

    def remember_keyring() -> None:
        profile = ProfileStore(app_paths().ensure()).get("school")
        for kind in SecretKind:
            value = secrets.get(profile, kind)
            if value:
                secrets_seen.add(value)
                if kind is SecretKind.ACCESS_TOKEN and value.startswith("{"):
                    secrets_seen.add(json.loads(value)["access_token"])

    roster = tmp_path / "export.csv"
    roster.write_text(school_csv(60))
    with SandboxCanvas(seed=True) as canvas:
        codes = catch_codes(canvas)
        port = free_loopback_port()
        key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        secrets_seen.add(key.client_secret)
        # setup
        run("profile", "add", "school", "--canvas-url", canvas.url, "--client-id",
            key.client_id, "--redirect-port", str(port), "--client-secret-stdin",
            stdin=key.client_secret + "\n")  # fmt: skip
        run("authorize", "school")
        run("connect", "school", "--account", "1")
        remember_keyring()
        # a sync, with its report under the app's folders
        report = app_home / "reports" / "run.csv"
        report.parent.mkdir(parents=True, exist_ok=True)
        run("sync", "school", "--source", str(roster), "--approve-limits", "--report", str(report))
        canvas.expire_access_tokens()  # the next run refreshes: a second access token
        run("sync", "school", "--source", str(roster), "--dry-run", ok=(0, 1, 3))
        remember_keyring()
        # a failure, with the token in flight
        bigger = tmp_path / "bigger.csv"
        bigger.write_text(school_csv(80))
        canvas.faults = Faults(
            error_rate=1.0,
            error_statuses=(500,),
            path_pattern=r"/users$",
            methods=frozenset({"POST"}),
        )
        failure = run("sync", "school", "--source", str(bigger), "--approve-limits", ok=(1,))
        assert "internal error" in failure.lower()
        canvas.faults = None
        remember_keyring()
        access = {s for s in secrets_seen if len(s) > 20}
        # a support bundle
        bundle = app_home / "bundle.zip"
        run("support-bundle", "school", "--output", str(bundle))
        # disconnect
        live = json.loads(secrets.get(ProfileStore(app_paths().ensure()).get("school"),
                                      SecretKind.ACCESS_TOKEN) or "{}")["access_token"]  # fmt: skip
        run("disconnect", "school")
        with requests.get(
            f"{canvas.url}/api/v1/users/self", headers={"Authorization": f"Bearer {live}"}
        ) as after:
            assert after.status_code == 401, "disconnect revoked the token at Canvas"

    profile = ProfileStore(app_paths().ensure()).get("school")
    assert all(secrets.get(profile, kind) is None for kind in SecretKind), "keyring emptied"
    assert len(codes) == 1, "one sign-in, one code"
    secrets_seen.update(codes)
    assert len(secrets_seen) >= 5 and access

    written = [p for p in app_home.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in written), "the history is among them"
    assert any(p.suffix == ".json" for p in written), "the profile is among them"
    assert bundle in written and report in written
    leaks: list[str] = []
    for path in written:
        blobs = [path.read_bytes()]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                blobs += [zf.read(name) for name in zf.namelist()]
        for blob in blobs:
            leaks += [f"{path.name}" for s in secrets_seen if s.encode() in blob]
    assert not leaks, f"secrets found in {sorted(set(leaks))}"

    browser_runs = [json.loads(line) for line in argv_log.read_text().splitlines()]
    assert len(browser_runs) == 1, "the browser was opened once, for the sign-in"
    for argv in launched + browser_runs:
        line = shlex.join(argv)
        assert not [s for s in secrets_seen if s in line], f"a secret on a command line: {argv[:4]}"
