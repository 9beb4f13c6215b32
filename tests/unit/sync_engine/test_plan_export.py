"""The preview CSV: the plan the admin reviewed, row for row, safe to open in Excel."""

from __future__ import annotations

import csv
from pathlib import Path

from canvas_wizard.core.roster.model import Link, Person, Role, Roster
from canvas_wizard.core.sync import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    FieldChange,
    Snapshot,
    SyncOptions,
    plan_sync,
)
from canvas_wizard.core.sync.plan_export import (
    PLAN_CSV_COLUMNS,
    describe_change,
    describe_totals,
    plan_rows,
    write_plan_csv,
)

ROOT = 1


def _canvas(user_id: int, name: str, login: str, sis: str, email: str | None) -> CanvasPerson:
    return CanvasPerson(
        user_id,
        name,
        email,
        (CanvasLogin(user_id + 1000, login, sis, "active", ROOT),),
        "registered",
    )


def _plan(**options: bool):
    roster = Roster("cloudwork")
    for person in (
        Person("S1", "=cmd|' /C calc'!A0", "s1", Role.STUDENT, "s1@school.example"),
        Person("S2", "Zoë Brown", "s2", Role.STUDENT, "s2@school.example"),
        Person("P1", "Pat Parent", "p1", Role.PARENT, "p1@home.example"),
    ):
        roster.people[person.sis_id] = person
    roster.links.add(Link("P1", "S1"))
    old_s2 = _canvas(20, "Zoe Brown", "s2", "S2", "s2@school.example")
    p1 = _canvas(30, "Pat Parent", "p1", "P1", "p1@home.example")
    gone = _canvas(40, "Left Last Year", "x9", "X9", None)
    snapshot = Snapshot(ROOT, ROOT, {20: old_s2, 30: p1, 40: gone}, {(30, 20)})
    return plan_sync(roster, snapshot, SyncOptions(**options))


def test_describe_change_shows_old_and_new_or_only_new() -> None:
    assert describe_change(FieldChange("name", "Zoe", "Zoë")) == "name: Zoe → Zoë"
    assert describe_change(FieldChange("email", None, "a@b.example")) == "email: a@b.example"
    assert describe_change(FieldChange("status", "suspended", "active")) == (
        "status: suspended → active"
    )


def test_rows_list_people_then_links_in_words() -> None:
    rows = list(plan_rows(_plan(suspend_missing=True)))

    by_key = {(r.record, r.sis_id): r for r in rows}
    assert [r.record for r in rows] == ["person"] * 4 + ["link"] * 2
    create = by_key["person", "S1"]
    assert create.kind is ActionKind.CREATE and create.role == "student"
    assert "name: =cmd|' /C calc'!A0" in create.changes and "login: s1" in create.changes
    update = by_key["person", "S2"]
    assert update.kind is ActionKind.UPDATE
    assert update.changes == "name: Zoe Brown → Zoë Brown"
    assert update.name == "Zoë Brown"
    suspend = by_key["person", "X9"]
    assert suspend.kind is ActionKind.SUSPEND and suspend.name == "" and suspend.role == ""
    assert suspend.reason
    link = by_key["link", "P1→S1"]
    assert link.kind is ActionKind.LINK
    assert link.name == "Pat Parent → =cmd|' /C calc'!A0"
    unlink = by_key["link", "P1→S2"]
    assert unlink.kind is ActionKind.UNLINK
    assert unlink.name == "Pat Parent → Zoë Brown"


def test_totals_sentence_counts_each_kind_and_the_writes() -> None:
    plan = _plan(suspend_missing=True)

    assert describe_totals(plan) == (
        "1 to create, 1 to update, 1 to suspend, 1 link to add, 1 link to remove, "
        "1 unchanged — 5 changes"
    )


def test_totals_sentence_for_a_plan_with_nothing_to_write() -> None:
    plan = _plan()
    plan.people = [a for a in plan.people if a.kind is ActionKind.UNCHANGED]
    plan.links = []

    assert describe_totals(plan) == "1 unchanged — nothing to change"


def test_csv_has_bom_columns_and_neutralised_cells(tmp_path: Path) -> None:
    path = tmp_path / "preview.csv"

    write_plan_csv(_plan(suspend_missing=True), path)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == PLAN_CSV_COLUMNS
    assert PLAN_CSV_COLUMNS == ["record", "action", "sis_id", "name", "role", "changes", "reason"]
    assert len(rows) == 1 + 6
    s1 = next(r for r in rows if r[2] == "S1")
    assert s1[:5] == ["person", "create", "S1", "'=cmd|' /C calc'!A0", "student"]
    s2 = next(r for r in rows if r[2] == "S2")
    assert s2 == [
        "person",
        "update",
        "S2",
        "Zoë Brown",
        "student",
        "name: Zoe Brown → Zoë Brown",
        "",
    ]
    link = next(r for r in rows if r[2] == "P1→S1")
    # Only a leading formula character is dangerous; the name inside the link is left as is.
    assert link[:4] == ["link", "link", "P1→S1", "Pat Parent → =cmd|' /C calc'!A0"]
