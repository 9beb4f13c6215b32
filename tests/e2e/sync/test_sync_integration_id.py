"""OneRoster with the SIS ID in `identifier`: the sourcedId can go to Canvas as integration_id."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import ROOT

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import read_roster
from canvas_wizard.core.sync import SyncOptions
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas

USERS = (
    "sourcedId,status,enabledUser,role,username,givenName,familyName,identifier,email,"
    "agentSourcedIds\n"
    "7f3a-student,active,true,student,kai.osei,Kai,Osei,S1401,,7f3a-parent\n"
    "7f3a-parent,active,true,parent,ama.osei@home.example,Ama,Osei,P2401,"
    "ama.osei@home.example,\n"
)


@pytest.mark.parametrize("method", ["api", "sis-import"])
@pytest.mark.parametrize("pass_through", [True, False])
def test_sourced_ids_become_integration_ids_when_asked(
    canvas: SandboxCanvas, client: CanvasClient, tmp_path: Path, method: str, pass_through: bool
) -> None:
    (tmp_path / "users.csv").write_text(USERS, encoding="utf-8")
    roster = read_roster(tmp_path / "users.csv", sis_id_field="identifier")
    assert roster.people["S1401"].integration_id == "7f3a-student"
    applier = SisImportApplier(client, ROOT, poll_interval=0.01) if method != "api" else None
    result = SyncRun(
        roster,
        client,
        ROOT,
        ROOT,
        options=SyncOptions(pass_integration_id=pass_through),
        applier=applier,
        method=method,
        approve_limits=True,
        prefer_report=True,
    ).run()
    assert result.status == "ok", result.message
    kai = canvas.state.login_by_sis_id("S1401")
    ama = canvas.state.login_by_sis_id("P2401")
    assert kai is not None and ama is not None
    if pass_through:
        assert (kai.integration_id, ama.integration_id) == ("7f3a-student", "7f3a-parent")
    else:
        assert (kai.integration_id, ama.integration_id) == (None, None)
    assert canvas.state.observee_ids(ama.user_id) == [kai.user_id]
