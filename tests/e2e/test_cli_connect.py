"""The command line end to end: a real process, a real browser stand-in, a sandbox Canvas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from canvas_wizard.core.auth import TokenManager, redirect_uri_for
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store import ProfileStore, SecretKind, SecretStore
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas


@pytest.fixture
def canvas() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True) as sandbox:
        yield sandbox


def cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
):
    full_env = dict(os.environ)
    full_env["BROWSER"] = f"{sys.executable} -m canvas_wizard.sandbox.browser %s"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "canvas_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def add_profile(canvas: SandboxCanvas, name: str = "school") -> tuple[DeveloperKey, int]:
    port = free_loopback_port()
    key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
    result = cli(
        "profile",
        "add",
        name,
        "--canvas-url",
        canvas.url,
        "--client-id",
        key.client_id,
        "--redirect-port",
        str(port),
        "--client-secret-stdin",
        stdin=key.client_secret + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert redirect_uri_for(port) in result.stdout
    return key, port


def test_connect_from_the_command_line_then_disconnect(canvas: SandboxCanvas, app_home: Path):
    key, _port = add_profile(canvas)
    result = cli("authorize", "school")
    assert result.returncode == 0, result.stderr
    assert "Signed in as Alex Morgan." in result.stdout

    result = cli("accounts", "school", "--json")
    assert result.returncode == 0, result.stderr
    tree = json.loads(result.stdout)
    assert [(a["id"], a["name"], a["is_root"]) for a in tree] == [
        (1, "Northfield Academy Trust", True)
    ]
    assert [c["name"] for c in tree[0]["children"]] == [
        "Northfield Primary",
        "Northfield Secondary",
    ]

    result = cli("connect", "school", "--account", "3")
    assert result.returncode == 0, result.stderr
    assert "Northfield Secondary (sub-account, id 3)" in result.stdout

    status = json.loads(cli("status", "school", "--json").stdout)
    assert status["ready_to_sync"] is True
    assert status["account"] == {"id": 3, "name": "Northfield Secondary", "is_root": False}

    profile = ProfileStore(app_paths().ensure()).get("school")
    secrets = SecretStore()
    saved = {
        kind: secrets.get(profile, kind)
        for kind in SecretKind
        if kind is not SecretKind.SMTP_PASSWORD
    }
    assert all(saved.values()), (
        f"all secrets are in the keyring: {[k for k, v in saved.items() if not v]}"
    )
    access = TokenManager(profile, secrets, requests.Session()).access_token()
    raw = [key.client_secret, access, str(saved[SecretKind.REFRESH_TOKEN])]
    for path in app_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in raw:
                assert secret.encode() not in data, f"a secret was written to {path}"

    me = requests.get(
        f"{canvas.url}/api/v1/users/self", headers={"Authorization": f"Bearer {access}"}
    )
    assert me.status_code == 200

    result = cli("disconnect", "school")
    assert result.returncode == 0, result.stderr
    me = requests.get(
        f"{canvas.url}/api/v1/users/self", headers={"Authorization": f"Bearer {access}"}
    )
    assert me.status_code == 401, "disconnect revoked the token at Canvas"
    assert all(secrets.get(profile, kind) is None for kind in SecretKind)
    result = cli("status", "school", "--json")
    assert result.returncode == 4
    assert json.loads(result.stdout)["client_secret_saved"] is False


def test_no_browser_accepts_the_pasted_address(canvas: SandboxCanvas):
    add_profile(canvas)
    env = dict(os.environ)
    env["BROWSER"] = "false"
    proc = subprocess.Popen(
        [sys.executable, "-m", "canvas_wizard", "authorize", "school", "--no-browser"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            if line.strip().startswith(canvas.url):
                url = line.strip()
        location = canvas.approve_consent(url)
        out, err = proc.communicate(location + "\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Signed in as Alex Morgan." in out


def test_cancel_in_the_browser_exits_with_the_reason(canvas: SandboxCanvas):
    add_profile(canvas)
    result = cli("authorize", "school", env={"CANVAS_SANDBOX_BROWSER_ACTION": "cancel"})
    assert result.returncode != 0
    assert "denied" in result.stderr.lower() or "cancel" in result.stderr.lower()


def test_usage_errors_exit_2_and_name_the_problem(canvas: SandboxCanvas):
    result = cli("profile", "show", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr

    result = cli(
        "profile",
        "add",
        "x",
        "--canvas-url",
        "http://canvas.example.org",
        "--client-id",
        "1",
        "--client-secret-stdin",
        stdin="s\n",
    )
    assert result.returncode == 2
    assert "https" in result.stderr

    result = cli(
        "profile",
        "add",
        "x",
        "--canvas-url",
        canvas.url,
        "--client-id",
        "1",
        "--client-secret",
        "s",
    )
    assert result.returncode == 2, "secrets are never accepted as arguments"


def test_authorize_before_profile_add_says_what_to_do():
    result = cli("authorize", "school")
    assert result.returncode == 2
    assert "school" in result.stderr


SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"


def test_sync_from_the_command_line_preview_write_resync_history(canvas: SandboxCanvas, tmp_path):
    add_profile(canvas)
    assert cli("authorize", "school").returncode == 0
    assert cli("connect", "school", "--account", "1").returncode == 0
    before = canvas.request_counts()

    preview = cli("sync", "school", "--source", str(SAMPLE), "--dry-run", "--json")
    assert preview.returncode in (1, 3), preview.stderr  # conflicts in the sample, or held
    summary = json.loads(preview.stdout)
    assert summary["dry_run"] is True
    after_preview = canvas.request_counts()
    # The provisioning report is a POST; nothing else may be written by a preview.
    assert sum(after_preview.get(m, 0) - before.get(m, 0) for m in ("PUT", "DELETE")) == 0
    assert canvas.state.user_by_sis_id("S1040") is None

    report = tmp_path / "report.csv"
    result = cli(
        "sync",
        "school",
        "--source",
        str(SAMPLE),
        "--json",
        "--approve-limits",
        "--report",
        str(report),
    )
    assert result.returncode == 1, result.stderr  # the sample's two conflicts
    summary = json.loads(result.stdout)
    assert summary["counts"]["conflict"] >= 2
    assert summary["counts"]["failed"] == 0
    # One truth: a run with conflicts is not "ok" in the JSON, the message or the history.
    assert summary["status"] == "failed_records"
    assert "conflict(s) need your attention" in summary["message"]
    conflicts = [p for p in summary["problems"] if p["status"] == "conflict"]
    assert len(conflicts) == summary["counts"]["conflict"]
    assert summary["problems_total"] == len(summary["problems"])
    # Requests per phase: the check afterwards reads back at most what was written.
    phases = summary["phase_requests"]
    assert phases["apply"] >= summary["counts"]["done"] > 0
    assert phases["verify"] <= 1.05 * summary["counts"]["done"]
    assert all(p["sis_id"] and p["message"] for p in conflicts if p["record"] == "person")
    created = canvas.state.user_by_sis_id("S1040")
    assert created is not None
    assert report.read_text(encoding="utf-8-sig").startswith("record,")

    mid = canvas.request_counts()
    again = cli("sync", "school", "--source", str(SAMPLE), "--json")
    assert again.returncode == 1, again.stderr  # the same conflicts, nothing else to do
    end = canvas.request_counts()
    assert sum(end.get(m, 0) - mid.get(m, 0) for m in ("PUT", "DELETE")) == 0, (
        "a resync writes nothing"
    )
    assert json.loads(again.stdout)["counts"]["done"] == 0

    history = json.loads(cli("history", "school", "--json").stdout)
    assert [h["dry_run"] for h in history] == [False, False, True]
    assert [h["status"] for h in history[:2]] == ["failed_records", "failed_records"]
    log = (app_paths().log_dir / "canvas-wizard.log").read_text(encoding="utf-8")
    assert "finished with problems (failed_records)" in log


def test_a_held_run_is_approved_only_for_the_plan_that_was_reviewed(canvas: SandboxCanvas):
    from canvas_wizard.core.settings import AppSettings, save_settings
    from canvas_wizard.core.sync import SafetyLimits

    add_profile(canvas)
    assert cli("authorize", "school").returncode == 0
    assert cli("connect", "school", "--account", "1").returncode == 0
    # No updates allowed without approval: the sample renames S1005.
    save_settings(app_paths(), AppSettings(limits=SafetyLimits(max_change_count=0)))

    held = cli("sync", "school", "--source", str(SAMPLE), "--json")
    assert held.returncode == 3, held.stderr
    fingerprint = json.loads(held.stdout)["plan_fingerprint"]
    assert fingerprint and canvas.state.user_by_sis_id("S1040") is None

    wrong = cli("sync", "school", "--source", str(SAMPLE), "--json", "--approve", "0" * 16)
    assert wrong.returncode == 3, "another plan's approval does not count"
    assert canvas.state.user_by_sis_id("S1040") is None

    approved = cli("sync", "school", "--source", str(SAMPLE), "--json", "--approve", fingerprint)
    assert approved.returncode == 1, approved.stderr  # the sample's conflicts remain
    assert canvas.state.user_by_sis_id("S1005").name == "Isla Davies-Okafor"
    history = json.loads(cli("history", "school", "--json").stdout)
    assert history[0]["approved"] is True


def test_a_sync_says_in_its_notes_what_a_missing_permission_costs(canvas: SandboxCanvas):
    add_profile(canvas)
    assert cli("authorize", "school").returncode == 0
    state = canvas.state
    with state.lock:  # Alex lacks "Reports – view": a sync works around it
        for role in state.admins:
            if role.user_id == 1:
                role.permissions = role.permissions - {"read_reports"}
    connected = cli("connect", "school", "--account", "1")
    assert connected.returncode == 0, connected.stderr
    assert "Note: Without the Canvas permission read_reports" in connected.stderr

    preview = cli("sync", "school", "--source", str(SAMPLE), "--dry-run", "--json")
    summary = json.loads(preview.stdout)
    assert any("read_reports" in n for n in summary["notes"]), summary
    text = cli("sync", "school", "--source", str(SAMPLE), "--dry-run")
    assert "Note: Without the Canvas permission read_reports" in text.stdout


def test_sync_adopt_takes_over_the_hand_made_user_and_sis_import_refuses_it(
    canvas: SandboxCanvas,
):
    add_profile(canvas)
    assert cli("authorize", "school").returncode == 0
    assert cli("connect", "school", "--account", "1").returncode == 0
    jordan = canvas.state.user_by_login("jordan.lee")  # made by hand in Canvas, no SIS ID
    assert jordan is not None

    plain = cli("sync", "school", "--source", str(SAMPLE), "--dry-run", "--json")
    notes = json.loads(plain.stdout)["notes"]
    assert any("could be taken over" in n and "--adopt" in n for n in notes), notes

    refused = cli("sync", "school", "--source", str(SAMPLE), "--adopt", "--method", "sis-import")
    assert refused.returncode == 2
    assert "Canvas API method" in refused.stderr

    result = cli("sync", "school", "--source", str(SAMPLE), "--adopt", "--approve-limits", "--json")
    summary = json.loads(result.stdout)
    assert summary["actions"]["adopt"] == 1, summary
    assert canvas.state.user_by_sis_id("S1031").id == jordan.id  # taken over, not duplicated
    assert not any(p["sis_id"] == "S1031" for p in summary["problems"])
