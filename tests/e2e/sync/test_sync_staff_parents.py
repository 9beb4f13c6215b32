"""A teacher whose child is at the school: the link is made, the teacher's account is not touched.

Rachel Green (T9001) is a teacher in the sandbox Canvas. The roster names her as
the parent of a new student, and lists her as a Teacher under another name and
username: the sync links her to the child and leaves her account exactly as it
was, through both write methods. A second teacher-parent, T9999, has no Canvas
account: that link waits, with a warning naming both people.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.core.roster import read_roster
from canvas_wizard.core.sync import ActionKind, SyncOptions
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in

REDIRECT = "http://127.0.0.1:8765/canvas/authorize"
ROSTER = (
    "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
    "S1201,Lily Green,lily.green@students.northfield.example,lily.green,Student,T9001,T9999\n"
    "T9001,Rachel Green-Hughes,rgh@elsewhere.example,rachel.gh,Teacher,,\n"
    "T9999,Peter Novak,peter.novak@northfield.example,peter.novak,Teacher,,\n"
)


@pytest.mark.parametrize("method", ["api", "sis-import"])
def test_a_teacher_parent_is_linked_and_otherwise_untouched(tmp_path: Path, method: str) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = read_roster(tmp_path / "roster.csv")
    assert roster.problems == []
    with SandboxCanvas(seed=True, latency=0.0) as canvas:
        key = canvas.add_developer_key(redirect_uris=[REDIRECT])
        tokens = sign_in(canvas, key, REDIRECT)
        client = CanvasClient(canvas.url, StaticToken(tokens.access_token), sleep=lambda _: None)
        state = canvas.state
        rachel = state.user_by_sis_id("T9001")
        assert rachel is not None
        before = (rachel.name, state.primary_login(rachel.id), state.email_of(rachel.id))
        applier = SisImportApplier(client, 1, poll_interval=0.01) if method != "api" else None
        result = SyncRun(
            roster,
            client,
            1,
            1,
            options=SyncOptions(suspend_missing=True),
            applier=applier,
            method=method,
            approve_limits=True,
        ).run()
        client.close()

        lily = state.user_by_sis_id("S1201")
        assert lily is not None
        assert state.observee_ids(rachel.id) == [lily.id]
        rachel = state.users[rachel.id]
        after = (rachel.name, state.primary_login(rachel.id), state.email_of(rachel.id))
        assert after == before  # not renamed, not re-logged-in, not suspended
        assert before[1] is not None and before[1].workflow_state == "active"
        assert state.user_by_sis_id("T9999") is None  # staff are never created

    assert result.plan is not None
    staff = {(a.parent_sis_id, a.kind) for a in result.plan.links if a.staff_parent}
    assert staff == {("T9001", ActionKind.LINK), ("T9999", ActionKind.SKIP)}
    assert (
        "2 links to staff members who are parents (their own Canvas accounts are left as they "
        "are). 1 of them waits for the staff member to have a Canvas login with their SIS ID."
    ) in result.plan.notes
    people = {a.sis_id: a.kind for a in result.plan.people}
    assert "T9999" not in people
    assert people.get("T9001", ActionKind.SKIP) is ActionKind.SKIP  # never suspended
    by_key = {o.key: o for o in result.report.outcomes if o.record == "link"}
    linked = next(o for k, o in by_key.items() if "T9001" in k)
    waiting = next(o for k, o in by_key.items() if "T9999" in k)
    assert linked.status is OutcomeStatus.DONE
    assert waiting.status is OutcomeStatus.SKIPPED
    assert "staff member T9999" in waiting.message and "Lily Green (S1201)" in waiting.message
    assert "SIS ID T9999" in waiting.message
    assert result.status == "ok", result.message
