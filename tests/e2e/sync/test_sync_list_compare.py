"""Page-by-page reads compare at list level: logins are read only where the list differs.

A no-change resync reads the user list and the parents' observees, not every person's
logins; a difference only the logins show (the wanted username is the user's own
second login) is still found, because a row that differs is read in full.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sync_support import SignIn, seeded_roster, with_new_family

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.sync import ActionKind
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.model import SyncOptions
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.models import Login


def _record_paths(client: CanvasClient) -> list[str]:
    seen: list[str] = []
    get_all = client.get_all

    def recording(path: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        seen.append(path)
        return get_all(path, *args, **kwargs)

    client.get_all = recording  # type: ignore[method-assign]
    return seen


def test_a_no_change_resync_reads_no_ones_logins(canvas: SandboxCanvas, sign_in: SignIn) -> None:
    client = sign_in()
    roster = with_new_family(seeded_roster())
    assert run_sync(roster, client, 1, 1).status == "ok"
    before = canvas.request_counts()["GET"]
    paths = _record_paths(client)

    again = run_sync(roster, client, 1, 1, dry_run=True)

    assert again.status == "ok", again.message
    assert again.plan is not None and again.plan.writes() == 0
    assert not [p for p in paths if p.endswith("/logins")]
    parents = {link.parent_sis_id for link in roster.links}
    observees = [p for p in paths if p.endswith("/observees")]
    assert len(observees) == len(parents)  # links are never guessed
    # The list (one page), the parents' links, and the permission check's few.
    assert canvas.request_counts()["GET"] - before <= 1 + len(parents) + 8


def test_suspending_leavers_still_reads_every_login(canvas: SandboxCanvas, sign_in: SignIn) -> None:
    client = sign_in()
    roster = seeded_roster()
    ava = canvas.state.user_by_sis_id("S1001")
    assert ava is not None
    with canvas.state.lock:
        (login,) = canvas.state.logins_of(ava.id)
        login.workflow_state = "suspended"
    paths = _record_paths(client)
    options = dataclasses.replace(SyncOptions(), suspend_missing=True)

    result = run_sync(roster, client, 1, 1, dry_run=True, options=options)

    assert result.plan is not None
    action = next(a for a in result.plan.people if a.sis_id == "S1001")
    assert action.kind is ActionKind.UPDATE  # reactivated: its state was read
    assert [p for p in paths if p.endswith("/logins")]


def test_a_username_held_by_the_users_own_second_login_is_still_found(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    client = sign_in()
    ava = canvas.state.user_by_sis_id("S1001")
    assert ava is not None
    with canvas.state.lock:
        second = Login(
            id=canvas.state.next_id("login"), user_id=ava.id, account_id=1, unique_id="ava.t"
        )
        canvas.state.logins[second.id] = second
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1001"] = dataclasses.replace(people["S1001"], username="ava.t")
    roster = dataclasses.replace(roster, people=people)

    result = run_sync(roster, client, 1, 1, dry_run=True)

    assert result.plan is not None
    action = next(a for a in result.plan.people if a.sis_id == "S1001")
    # Seen only in the logins: no rename that Canvas would refuse, and the admin is told.
    assert action.kind is ActionKind.UNCHANGED
    assert "already another login of this user" in action.reason
