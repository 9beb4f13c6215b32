"""The command line with the school's sign-in provider and a School Data Sync export.

A real process against the sandbox Canvas, whose root account has Canvas passwords
(provider 1) and SAML (provider 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_connect import add_profile, canvas, cli

from canvas_wizard.sandbox import SandboxCanvas

__all__ = ["canvas"]  # the fixture, imported for this module's tests

SDS = {
    "orgs.csv": "sourcedId,name,type\nnf,Northfield,school\n",
    "users.csv": "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,"
    "email,phone,sms\n"
    "S1301,lily.green,Lily,Green,Not-a-real-pw-9,,lily.green@students.northfield.example,,\n"
    "T9001,rachel.green@northfield.example,Rachel,Green,,,,,\n",
    "roles.csv": "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,"
    "roleStartDate,roleEndDate\n"
    "S1301,nf,student,,7,true,,\n"
    "T9001,nf,teacher,,,true,,\n",
    "relationships.csv": "userSourcedId,relationshipUserSourcedId,relationshipRole\n"
    "S1301,T9001,parent\n",
}


def test_connect_chooses_the_only_sso_provider_and_sync_creates_logins_under_it(
    canvas: SandboxCanvas, tmp_path: Path
) -> None:
    add_profile(canvas)
    assert cli("authorize", "school").returncode == 0

    bad = cli("connect", "school", "--account", "1", "--auth-provider", "99")
    assert bad.returncode == 2
    assert "'99' is not one of this account's sign-in providers" in bad.stderr
    assert "2 = SAML (id 2" in bad.stderr

    done = cli("connect", "school", "--account", "1")
    assert done.returncode == 0, done.stderr
    assert "New logins sign in with: SAML (id 2, https://sso.northfield.example/idp)." in (
        done.stdout
    )
    shown = json.loads(cli("profile", "show", "school", "--json").stdout)
    assert shown["sign_in_provider"]["choice"] == "2"
    assert shown["sign_in_provider"]["send"] == "2"

    folder = tmp_path / "sds"
    folder.mkdir()
    for name, text in SDS.items():
        (folder / name).write_text(text, encoding="utf-8")
    preview = cli("sync", "school", "--source", str(folder), "--dry-run", "--json")
    # A two-person export into the seeded Canvas matches almost nobody there, so the
    # create limit holds it (exit 3) until approved; the plan is the same either way.
    assert preview.returncode in (0, 3), preview.stderr
    summary = json.loads(preview.stdout)
    assert summary["staff_parent_links"] == {"total": 1, "staff_not_in_canvas": 0}
    assert summary["actions"]["create"] == 1
    text = cli("sync", "school", "--source", str(folder), "--dry-run")
    assert "Note: 1 link to staff members who are parents" in text.stdout
    assert "Note: New logins sign in with: SAML (id 2" in text.stdout
    assert "Not-a-real-pw-9" not in text.stdout + text.stderr + preview.stdout

    synced = cli("sync", "school", "--source", str(folder), "--json", "--approve-limits")
    assert synced.returncode == 0, synced.stderr + synced.stdout
    state = canvas.state
    lily = state.login_by_sis_id("S1301")
    assert lily is not None and lily.authentication_provider_id == 2
    rachel = state.user_by_sis_id("T9001")
    assert rachel is not None and rachel.name == "Rachel Green"
    assert state.observee_ids(rachel.id) == [lily.user_id]

    canvas_only = cli("connect", "school", "--account", "1", "--auth-provider", "canvas")
    assert canvas_only.returncode == 0, canvas_only.stderr
    shown = json.loads(cli("profile", "show", "school", "--json").stdout)
    assert shown["sign_in_provider"] == {
        "choice": "canvas",
        "send": "1",
        "label": "Canvas passwords",
    }
