"""A sync against the sandbox Canvas over real HTTP: creates, no-op resync, updates, unlinks."""

from __future__ import annotations

import dataclasses

from sync_support import ROOT, SignIn, seeded_roster, student, with_new_family, writes

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Link, Roster
from canvas_wizard.core.sync import ActionKind
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.sandbox import SandboxCanvas


def _user_by_sis(canvas: SandboxCanvas, sis: str) -> int:
    user = canvas.state.user_by_sis_id(sis)
    assert user is not None, f"{sis} is not in Canvas"
    return user.id


def test_first_sync_creates_exactly_the_new_people_and_links(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    users_before = len(canvas.state.users)
    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT)

    assert result.status == "ok", result.message
    assert len(canvas.state.users) == users_before + 2
    zara, omar = _user_by_sis(canvas, "S1101"), _user_by_sis(canvas, "P2101")
    state = canvas.state
    zara_login = state.primary_login(zara)
    assert zara_login is not None and zara_login.unique_id == "zara.ahmed"
    assert zara_login.account_id == ROOT
    assert state.users[zara].name == "Zara Ahmed"
    assert state.users[zara].sortable_name == "Ahmed, Zara"
    assert state.email_of(zara) == "zara.ahmed@students.northfield.example"
    assert state.email_of(omar) == "omar.ahmed@home.example"
    assert sorted(state.observee_ids(omar)) == sorted([zara, _user_by_sis(canvas, "S1004")])
    created = {o.key: o for o in result.report.outcomes if o.action is ActionKind.CREATE}
    assert {k: o.status for k, o in created.items()} == {
        "S1101": OutcomeStatus.DONE,
        "P2101": OutcomeStatus.DONE,
    }
    assert created["S1101"].canvas_id == zara
    assert result.report.counts_by_status()["failed"] == 0


def test_second_sync_writes_nothing(canvas: SandboxCanvas, client: CanvasClient) -> None:
    roster = with_new_family(seeded_roster())
    assert run_sync(roster, client, ROOT, ROOT).status == "ok"
    before = canvas.request_counts()

    again = run_sync(roster, client, ROOT, ROOT)

    assert again.status == "ok"
    assert again.plan is not None and again.plan.writes() == 0
    assert writes(canvas.request_counts()) == writes(before)


def test_changed_roster_updates_only_what_changed(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1001"] = dataclasses.replace(people["S1001"], full_name="Ava Thompson-Reid")
    people["S1002"] = dataclasses.replace(people["S1002"], email="noah.w@students.example")
    people["S1003"] = dataclasses.replace(people["S1003"], username="mia.j")
    changed = Roster(format="cloudwork", people=people, links=set(roster.links))
    before = canvas.request_counts()

    # 3 of 6 people is over the default change limit (see test_sync_limits).
    result = run_sync(changed, client, ROOT, ROOT, approve_limits=True)

    assert result.status == "ok", result.message
    state = canvas.state
    ava, noah, mia = (_user_by_sis(canvas, s) for s in ("S1001", "S1002", "S1003"))
    assert state.users[ava].name == "Ava Thompson-Reid"
    assert state.email_of(noah) == "noah.w@students.example"
    login = state.primary_login(mia)
    assert login is not None and login.unique_id == "mia.j"
    done = {o.key for o in result.report.outcomes if o.status is OutcomeStatus.DONE}
    assert done == {"S1001", "S1002", "S1003"}
    after = canvas.request_counts()
    # One user edit each for name and email, one login edit for the username.
    assert after["PUT"] - before["PUT"] == 3
    assert after["POST"] == before["POST"] and after["DELETE"] == before["DELETE"]


def test_custody_change_unlinks_and_links(canvas: SandboxCanvas, client: CanvasClient) -> None:
    roster = seeded_roster()
    # S1002 moves from P2001 to P2002.
    links = (set(roster.links) - {Link("P2001", "S1002")}) | {Link("P2002", "S1002")}
    moved = Roster(format="cloudwork", people=dict(roster.people), links=links)

    result = run_sync(moved, client, ROOT, ROOT)

    assert result.status == "ok", result.message
    p2001, p2002, s1002 = (_user_by_sis(canvas, s) for s in ("P2001", "P2002", "S1002"))
    assert s1002 not in canvas.state.observee_ids(p2001)
    assert s1002 in canvas.state.observee_ids(p2002)
    kinds = {(o.key, o.action, o.status) for o in result.report.outcomes if o.record == "link"}
    assert ("P2001→S1002", ActionKind.UNLINK, OutcomeStatus.DONE) in kinds
    assert ("P2002→S1002", ActionKind.LINK, OutcomeStatus.DONE) in kinds


def test_conflicts_are_reported_and_left_untouched(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1102"] = student("S1102", "Jordan Lee", "jordan.lee", "jl@students.example")
    people["S1099"] = student("S1099", "Ethan Clarke", "ethan.clarke2", "ec@students.example")
    users_before = len(canvas.state.users)
    ethan_login = canvas.state.login_by_sis_id("S1099")
    assert ethan_login is not None

    kept = Roster(format="cloudwork", people=people, links=set(roster.links))
    result = run_sync(kept, client, ROOT, ROOT)

    by_key = {o.key: o for o in result.report.outcomes}
    assert by_key["S1102"].status is OutcomeStatus.CONFLICT
    # Same name and username, no SIS ID: a user the sync could take over (--adopt), not now.
    assert 'Canvas user "Jordan Lee"' in by_key["S1102"].message
    assert 'login "jordan.lee"' in by_key["S1102"].message and "--adopt" in by_key["S1102"].message
    assert by_key["S1099"].status is OutcomeStatus.CONFLICT
    assert "S1099" in by_key["S1099"].message and "deleted login" in by_key["S1099"].message
    assert len(canvas.state.users) == users_before
    assert ethan_login.workflow_state == "deleted" and ethan_login.unique_id == "ethan.clarke"
    jordan = canvas.state.login_by_unique_id("jordan.lee")
    assert jordan is not None and jordan.sis_user_id is None
    # Conflicts are left alone on purpose but need the admin: the run is not "ok".
    assert result.status == "failed_records" and "2 conflict(s)" in result.message


def test_sis_id_dropped_without_manage_sis_is_failed(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    from canvas_wizard.sandbox.state import ALL_PERMISSIONS

    # An admin who may create logins on the root but not manage SIS data.
    sam = 2
    canvas.state.grant_admin(sam, ROOT, ALL_PERMISSIONS - {"manage_sis"}, role="No SIS")
    client = sign_in(sam)
    roster = Roster(
        format="cloudwork",
        people={"S1201": student("S1201", "Ivy Chen", "ivy.chen", "ivy@students.example")},
    )

    result = run_sync(roster, client, ROOT, ROOT, approve_limits=True)  # one new person

    assert result.status == "failed_records"
    (outcome,) = [o for o in result.report.outcomes if o.key == "S1201"]
    assert outcome.status is OutcomeStatus.FAILED
    assert "Manage SIS data" in outcome.message and "S1201" in outcome.message
    login = canvas.state.login_by_unique_id("ivy.chen")
    assert login is not None and login.sis_user_id is None
    assert outcome.canvas_id == login.user_id
