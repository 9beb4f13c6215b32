"""Canvas's sortable name rule, end to end: what a sync writes is what Canvas would derive."""

from __future__ import annotations

import dataclasses

from sync_support import SignIn, seeded_roster, student

from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.sandbox import SandboxCanvas


def test_a_new_person_with_a_suffix_sorts_by_surname(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    roster = seeded_roster()
    kid = student("S1301", "John Smith Jr.", "john.smith")
    roster = dataclasses.replace(roster, people={**roster.people, "S1301": kid})

    result = run_sync(roster, sign_in(), 1, 1)

    assert result.status == "ok", result.message
    user = canvas.state.user_by_sis_id("S1301")
    assert user is not None and user.sortable_name == "Smith, John Jr."
