"""SIS Import applier against a real sandbox Canvas: what ends up in Canvas."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster.model import Link, Person, Role, Roster
from canvas_wizard.core.sync.model import (
    ActionKind,
    FieldChange,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
)
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus, Phase, Progress
from canvas_wizard.core.sync.plan import plan_sync
from canvas_wizard.core.sync.sis_apply import SisImportApplier, build_rows, build_zip
from canvas_wizard.sandbox import SandboxCanvas


def _apply(
    client: CanvasClient, plan: Plan, snapshot: Snapshot
) -> tuple[dict[str, object], list[Progress]]:
    seen: list[Progress] = []
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = applier.apply(plan, snapshot, progress=seen.append, cancel=CancelToken())
    return {o.key: o for o in outcomes}, seen


def _student(sis: str, name: str, login: str) -> Person:
    return Person(sis, name, login, Role.STUDENT, f"{login}@students.example")


def _seeded(sis: str, name: str, login: str) -> Person:
    return Person(sis, name, login, Role.STUDENT, f"{login}@students.northfield.example")


def test_a_roster_plan_is_imported_and_canvas_ends_as_planned(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot, reread: Callable[[], Snapshot]
) -> None:
    people = [
        _seeded("S1001", "Ava Thompson-Reid", "ava.thompson"),  # name changes
        _seeded("S1002", "Noah Williams", "noah.williams"),
        _student("S2001", "Li Wei", "li.wei"),  # new
        # Wants the username of Jordan Lee, who has no SIS ID: a SIS Import would
        # quietly adopt Jordan's login; the planner must hold it back as a conflict.
        _student("S2002", "Jordan Leigh", "jordan.lee"),
        Person(
            "P2001",
            "Emma Thompson",
            "emma.thompson@home.example",
            Role.PARENT,
            "emma.thompson@home.example",
        ),
        Person(
            "P3001", "Hannah Wei", "hannah.wei@home.example", Role.PARENT, "hannah.wei@home.example"
        ),
    ]
    roster = Roster(
        format="cloudwork",
        people={p.sis_id: p for p in people},
        links={Link("P3001", "S2001"), Link("P3001", "S1002"), Link("P2001", "S1001")},
    )
    plan = plan_sync(roster, snapshot, SyncOptions())
    kinds = {a.sis_id: a.kind for a in plan.people}
    assert kinds["S2002"] is ActionKind.CONFLICT
    assert kinds["S2001"] is ActionKind.CREATE and kinds["S1001"] is ActionKind.UPDATE

    people_rows, link_rows, _ = build_rows(plan, snapshot)
    assert "S2002" not in {r.key for r in people_rows}
    assert all(r.values[2] for r in people_rows)  # never a row without a name
    # P2001 is in the roster without its Canvas link to S1002: that link goes.
    assert {(r.key, r.values[2]) for r in link_rows} == {
        ("P3001→S2001", "active"),
        ("P3001→S1002", "active"),
        ("P2001→S1002", "deleted"),
    }

    outcomes, seen = _apply(client, plan, snapshot)

    assert outcomes["S2001"].status is OutcomeStatus.DONE
    assert outcomes["S1001"].status is OutcomeStatus.DONE
    assert outcomes["P3001"].status is OutcomeStatus.DONE
    assert outcomes["P3001→S2001"].status is OutcomeStatus.DONE
    assert outcomes["S2002"].status is OutcomeStatus.CONFLICT
    assert "jordan.lee" in outcomes["S2002"].message
    # One outcome per plan record.
    assert len(outcomes) == len(plan.people) + len(plan.links)

    # Progress: the apply phase, out of 100, never going back, ending at 100.
    assert seen and all(p.phase is Phase.APPLY and p.total == 100 for p in seen)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert seen[-1].done == 100

    state = canvas.state
    li = state.user_by_sis_id("S2001")
    assert li is not None and li.name == "Li Wei"
    assert state.email_of(li.id) == "li.wei@students.example"
    assert state.user_by_sis_id("S1001").name == "Ava Thompson-Reid"
    hannah = state.user_by_sis_id("P3001")
    assert hannah is not None and state.email_of(hannah.id) == "hannah.wei@home.example"
    assert set(state.observee_ids(hannah.id)) == {li.id, state.user_by_sis_id("S1002").id}
    emma = state.user_by_sis_id("P2001")
    assert state.observee_ids(emma.id) == [state.user_by_sis_id("S1001").id]
    assert outcomes["P2001→S1002"].status is OutcomeStatus.DONE
    jordan = state.user_by_login("jordan.lee")
    assert jordan.name == "Jordan Lee" and state.sis_id_of(jordan.id) is None

    # Canvas now matches the roster: planning again finds nothing to write.
    assert plan_sync(roster, reread(), SyncOptions()).writes() == 0


def test_update_rows_keep_what_the_plan_leaves_alone(
    canvas: SandboxCanvas, client: CanvasClient, reread: Callable[[], Snapshot]
) -> None:
    state = canvas.state
    with state.lock:
        noah = state.user_by_sis_id("S1002")
        state.login_by_sis_id("S1002").workflow_state = "suspended"
    snapshot = reread()
    ava = snapshot.by_sis_id["S1001"].person
    plan = Plan(
        people=[
            # Only the email changes: the name Canvas has must survive the row.
            PersonAction(
                ActionKind.UPDATE,
                "S1001",
                _student("S1001", "Roster Spelling", "ava.thompson"),
                ava.id,
                (FieldChange("email", ava.email, "ava@new.example"),),
            ),
            # A suspended login whose name changes stays suspended.
            PersonAction(
                ActionKind.UPDATE,
                "S1002",
                _student("S1002", "Noah Williams-Ng", "noah.williams"),
                noah.id,
                (FieldChange("name", "Noah Williams", "Noah Williams-Ng"),),
            ),
            PersonAction(ActionKind.SUSPEND, "S1003", None, state.user_by_sis_id("S1003").id),
        ],
        links=[
            LinkAction(ActionKind.UNLINK, "P2002", "S1003", None, None),
        ],
        options=SyncOptions(update_names=False),
    )
    outcomes, _ = _apply(client, plan, snapshot)
    assert {o.status for o in outcomes.values()} == {OutcomeStatus.DONE}

    ava_now = state.user_by_sis_id("S1001")
    assert ava_now.name == "Ava Thompson"
    # A SIS Import would add the address at the bottom, not as the default
    # (user_importer.rb): the applier sends email changes through the API instead.
    assert state.email_of(ava_now.id) == "ava@new.example"
    assert state.user_by_sis_id("S1002").name == "Noah Williams-Ng"
    assert state.login_by_sis_id("S1002").workflow_state == "suspended"
    assert state.login_by_sis_id("S1003").workflow_state == "suspended"
    assert state.observee_ids(state.user_by_sis_id("P2002").id) == []


def test_the_zip_holds_users_first_with_canvas_headers() -> None:
    plan = Plan(
        people=[PersonAction(ActionKind.CREATE, "S9", _student("S9", "Kim, Lee", "kim"), None)],
        links=[LinkAction(ActionKind.LINK, "P9", "S9", None, None)],
        options=SyncOptions(),
    )
    rows = build_rows(plan, Snapshot(account_id=1, root_account_id=1))
    with zipfile.ZipFile(io.BytesIO(build_zip(rows[0], rows[1]))) as archive:
        assert archive.namelist() == ["users.csv", "user_observers.csv"]
        users = list(csv.reader(io.StringIO(archive.read("users.csv").decode())))
        links = archive.read("user_observers.csv").decode().splitlines()
    assert users == [
        ["user_id", "login_id", "full_name", "short_name", "email", "status"],
        ["S9", "kim", "Kim, Lee", "Kim, Lee", "kim@students.example", "active"],
    ]
    assert links == ["observer_id,student_id,status", "P9,S9,active"]


def test_a_person_without_a_name_is_never_sent(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    plan = Plan(
        people=[
            PersonAction(ActionKind.CREATE, "S2001", _student("S2001", "  ", "nameless"), None),
            PersonAction(ActionKind.CREATE, "S2002", _student("S2002", "Ruby Hale", "ruby"), None),
        ],
        links=[],
        options=SyncOptions(),
    )
    outcomes, _ = _apply(client, plan, snapshot)
    assert outcomes["S2001"].status is OutcomeStatus.FAILED
    assert "no name" in outcomes["S2001"].message
    assert outcomes["S2002"].status is OutcomeStatus.DONE
    assert canvas.state.user_by_sis_id("S2001") is None
    assert canvas.state.user_by_login("nameless") is None
    assert canvas.state.user_by_sis_id("S2002").name == "Ruby Hale"


def test_a_plan_with_nothing_to_write_sends_no_import(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    plan = Plan(
        people=[PersonAction(ActionKind.UNCHANGED, "S1001", None, 3)],
        links=[LinkAction(ActionKind.SKIP, "P1", "S1", None, None, reason="parent inactive")],
        options=SyncOptions(),
    )
    outcomes, seen = _apply(client, plan, snapshot)
    assert outcomes["S1001"].status is OutcomeStatus.UNCHANGED
    assert outcomes["P1→S1"].status is OutcomeStatus.SKIPPED
    assert outcomes["P1→S1"].message == "parent inactive"
    assert canvas.state.sis_imports == {}
    assert seen == []
