"""Email and name changes in SIS Import mode stick, as they would in Canvas.

A changed ``email`` in users.csv edits the login's SIS channel or adds a new channel
at the bottom; it does not become the default email (lib/sis/user_importer.rb), so
the app sends email changes with ``user[email]`` (users_controller.rb ``update``).
``short_name`` is set only when users.csv has the column.
"""

from __future__ import annotations

import dataclasses
import time

from sync_support import SignIn, seeded_roster

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas


def _changed(roster: Roster) -> Roster:
    people = dict(roster.people)
    ava, noah = people["S1001"], people["S1002"]
    people["S1001"] = dataclasses.replace(ava, email="ava.t@students.northfield.example")
    people["S1002"] = dataclasses.replace(noah, full_name="Noah Williams-Okafor")
    return dataclasses.replace(roster, people=people)


def test_email_and_name_changes_by_sis_import_stick_and_are_not_planned_again(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    client = sign_in()
    roster = _changed(seeded_roster())

    def sis() -> SisImportApplier:
        return SisImportApplier(client, 1, poll_interval=0.01)

    result = run_sync(roster, client, 1, 1, applier=sis(), method="sis_import")

    assert result.status == "ok", result.message
    done = {o.key: o.status for o in result.report.outcomes if o.record == "person"}
    assert done["S1001"] is OutcomeStatus.DONE and done["S1002"] is OutcomeStatus.DONE
    state = canvas.state
    ava, noah = state.user_by_sis_id("S1001"), state.user_by_sis_id("S1002")
    assert ava is not None and noah is not None
    assert state.email_of(ava.id) == "ava.t@students.northfield.example"
    assert noah.name == noah.short_name == "Noah Williams-Okafor"
    before, imports = canvas.request_counts(), len(state.sis_imports)

    again = run_sync(roster, client, 1, 1, applier=sis(), method="sis_import")

    assert again.plan is not None and again.plan.writes() == 0, again.plan.people
    # Only the provisioning report was started: no import, no edit.
    assert canvas.request_counts()["PUT"] == before["PUT"]
    assert len(state.sis_imports) == imports


def _wait(client: CanvasClient, import_id: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/accounts/1/sis_imports/{import_id}")["workflow_state"]
        if state == "imported":
            return
        assert state in ("initializing", "created", "importing", "cleanup_batch"), state
        time.sleep(0.02)
    raise AssertionError("the SIS Import did not finish")


def test_a_sis_import_edits_the_logins_own_email_channel_in_place(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    """The other half of Canvas's rule, which the sandbox models: a channel the SIS
    Import made is the login's SIS channel, and a new address edits it in place."""
    client = sign_in()
    for address in ("li.wei@students.example", "li.w@students.example"):
        body = (
            f"user_id,login_id,full_name,email,status\nS3001,li.wei,Li Wei,{address},active\n"
        ).encode()
        started = client.post(
            "/api/v1/accounts/1/sis_imports",
            data={"import_type": "instructure_csv", "extension": "csv"},
            files={"attachment": ("users.csv", body, "text/csv")},
        )
        _wait(client, int(started["id"]))
    state = canvas.state
    li = state.user_by_sis_id("S3001")
    assert li is not None
    assert [c.address for c in state.channels_of(li.id)] == ["li.w@students.example"]
