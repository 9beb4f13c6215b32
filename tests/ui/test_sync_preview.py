"""The preview table (filter, search, sort, totals, export) and the approval dialog."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from canvas_wizard.core.roster.model import Link, Person, Role, Roster
from canvas_wizard.core.sync import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    Plan,
    SafetyLimits,
    Snapshot,
    SyncOptions,
    check_limits,
    plan_sync,
)
from canvas_wizard.ui.sync import approval, plan_table
from canvas_wizard.ui.sync.approval import MAX_LISTED, ApprovalDialog
from canvas_wizard.ui.sync.plan_table import COLUMNS, PlanView
from canvas_wizard.ui.tasks import task_pool
from canvas_wizard.ui.widgets import documents_dir

ROOT = 1
EVIL = "=cmd|' /C calc'!A0"


def _canvas(user_id: int, name: str, login: str, sis: str, email: str | None) -> CanvasPerson:
    login_row = CanvasLogin(user_id + 1000, login, sis, "active", ROOT)
    return CanvasPerson(user_id, name, email, (login_row,), "registered")


def _plan() -> Plan:
    """Two creates, an update, a conflict, a skipped inactive student, links of every kind."""
    roster = Roster("cloudwork")
    for person in (
        Person("S1", EVIL, "s1", Role.STUDENT, "s1@school.example"),
        Person("S2", "Zoë Brown", "s2", Role.STUDENT, "s2@school.example"),
        Person("S3", "Sam Same", "s3", Role.STUDENT, "s3@school.example"),
        Person("S4", "Cal Conflict", "taken", Role.STUDENT, "s4@school.example"),
        Person("S6", "Ina Active", "s6", Role.STUDENT, "s6@school.example", active=False),
        Person("P1", "Pat Parent", "p1", Role.PARENT, "p1@home.example"),
        Person("P2", "Alex Adult", "p2", Role.PARENT, "p2@home.example"),
    ):
        roster.people[person.sis_id] = person
    roster.links |= {Link("P1", "S1"), Link("P1", "S2"), Link("P1", "S9")}
    canvas = {
        20: _canvas(20, "Zoe Brown", "s2", "S2", "s2@school.example"),
        30: _canvas(30, "Sam Same", "s3", "S3", "s3@school.example"),
        40: _canvas(40, "Someone Else", "taken", "X5", None),
        50: _canvas(50, "Alex Adult", "p2", "P2", "p2@home.example"),
    }
    return plan_sync(roster, Snapshot(ROOT, ROOT, canvas, {(50, 30)}), SyncOptions())


@pytest.fixture
def view(qtbot):
    widget = PlanView()
    qtbot.addWidget(widget)
    widget.resize(1000, 420)
    widget.show()
    widget.set_plan(_plan())
    yield widget
    assert task_pool().waitForDone(10_000)


def _column(view: PlanView, name: str) -> list[str]:
    column = COLUMNS.index(name)
    model = view.model
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]


def _choose(view: PlanView, data: object) -> None:
    view.action_filter.setCurrentIndex(view.action_filter.findData(data))


def test_rows_are_people_then_links_in_words(view):
    model = view.model
    assert [model.headerData(c, Qt.Orientation.Horizontal, 0) for c in range(7)] == [
        "Action",
        "Record",
        "SIS ID",
        "Name",
        "Role",
        "Changes",
        "Reason",
    ]
    assert _column(view, "SIS ID") == [
        "P1",
        "P2",
        "S1",
        "S2",
        "S3",
        "S4",
        "S6",
        "P1→S1",
        "P1→S2",
        "P1→S9",
        "P2→S3",
    ]
    s2 = [view.model.data(view.model.index(3, c)) for c in range(7)]
    assert s2 == [
        "Update",
        "Person",
        "S2",
        "Zoë Brown",
        "Student",
        "name: Zoe Brown → Zoë Brown",
        "",
    ]
    assert _column(view, "Action")[7:] == ["Link", "Link", "Skip", "Unlink"]
    assert _column(view, "Name")[10] == "Alex Adult → Sam Same"
    conflict = view.model.index(5, 0)
    assert view.model.data(conflict, Qt.ItemDataRole.ForegroundRole) is not None


def test_totals_line_and_filter_counts(view):
    assert view.totals_label.text() == (
        "2 to create, 1 to update, 2 links to add, 1 link to remove, 1 conflict, "
        "2 skipped, 2 unchanged — 6 changes"
    )
    items = [view.action_filter.itemText(i) for i in range(view.action_filter.count())]
    assert items == [
        "All (11)",
        "Changes only (6)",
        "Create (2)",
        "Update (1)",
        "Unchanged (2)",
        "Link (2)",
        "Unlink (1)",
        "Suspend (0)",
        "Conflict (1)",
        "Skip (2)",
    ]
    assert view.shown_label.text() == "11 rows"


def test_filter_by_action(view):
    _choose(view, ActionKind.CREATE)
    assert _column(view, "SIS ID") == ["P1", "S1"]
    assert view.shown_label.text() == "2 of 11"

    _choose(view, ActionKind.SKIP)
    assert _column(view, "SIS ID") == ["S6", "P1→S9"]
    assert _column(view, "Reason") == [
        "Inactive in the roster: not created in Canvas.",
        "Not linked: student S9 is not in the roster.",
    ]

    _choose(view, plan_table.CHANGES_ONLY)
    assert _column(view, "SIS ID") == ["P1", "S1", "S2", "P1→S1", "P1→S2", "P2→S3"]

    _choose(view, None)
    assert view.shown_rows() == 11


def test_search_matches_sis_id_and_name_ignoring_case(view):
    view.search_edit.setText("ZOË")
    assert _column(view, "SIS ID") == ["S2", "P1→S2"]

    view.search_edit.setText("p2")
    assert _column(view, "SIS ID") == ["P2", "P2→S3"]

    _choose(view, ActionKind.UNLINK)  # search and filter combine
    assert _column(view, "SIS ID") == ["P2→S3"]

    view.search_edit.clear()
    assert _column(view, "SIS ID") == ["P2→S3"]
    _choose(view, None)
    assert view.shown_rows() == 11


def test_clicking_a_header_sorts_and_a_new_plan_keeps_the_sort(view):
    header = view.table.horizontalHeader()
    name = COLUMNS.index("Name")

    view.table.sortByColumn(name, Qt.SortOrder.AscendingOrder)
    names = _column(view, "Name")
    assert names == sorted(names, key=str.casefold)
    assert names[0] == EVIL  # "=" sorts before letters
    assert names[-1] == "Zoë Brown"

    view.table.sortByColumn(COLUMNS.index("Action"), Qt.SortOrder.DescendingOrder)
    actions = _column(view, "Action")
    assert actions[:2] == ["Update", "Unlink"] and actions[-1] == "Conflict"
    # Equal rows keep the plan's order.
    assert [s for s, a in zip(_column(view, "SIS ID"), actions, strict=True) if a == "Create"] == [
        "P1",
        "S1",
    ]

    _choose(view, ActionKind.LINK)
    assert _column(view, "SIS ID") == ["P1→S1", "P1→S2"]
    view.set_plan(_plan())
    assert header.sortIndicatorSection() == COLUMNS.index("Action")
    assert _column(view, "Action") == ["Link", "Link"]  # the filter stays too
    _choose(view, None)
    assert _column(view, "Action")[0] == "Update"


def test_sorting_keeps_the_selected_action_selected(view):
    view.table.selectRow(5)  # S4, the conflict
    view.table.sortByColumn(COLUMNS.index("Name"), Qt.SortOrder.AscendingOrder)

    [selected] = view.table.selectionModel().selectedRows()
    assert view.model.row(selected.row()).sis_id == "S4"
    assert view.detail_label.text().startswith("Conflict person S4")


def test_selecting_a_row_shows_it_in_full(view):
    _choose(view, ActionKind.CONFLICT)
    view.table.selectRow(0)
    text = view.detail_label.text()
    assert text.startswith('Conflict person S4 (Cal Conflict) — Username "taken" already belongs')


def test_export_writes_the_preview_csv_neutralised(qtbot, view, monkeypatch, tmp_path: Path):
    target = tmp_path / "preview.csv"
    asked: list[str] = []
    monkeypatch.setattr(
        plan_table,
        "choose_export_path",
        lambda parent, suggested: asked.append(suggested) or target,
    )

    view.export_button.click()
    qtbot.waitUntil(lambda: view.status.kind == "ok", timeout=10_000)

    assert asked == [str(documents_dir() / "canvas-sync-preview.csv")]  # never the install folder
    assert view.status.text() == f"Preview saved to {target}."
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["record", "action", "sis_id", "name", "role", "changes", "reason"]
    assert len(rows) == 12
    s1 = next(r for r in rows if r[2] == "S1")
    assert s1[:5] == ["person", "create", "S1", "'" + EVIL, "student"]


def test_export_failure_says_what_to_do(qtbot, view, monkeypatch, tmp_path: Path):
    target = tmp_path / "missing-folder" / "preview.csv"
    monkeypatch.setattr(plan_table, "choose_export_path", lambda parent, suggested: target)

    view.export_button.click()
    qtbot.waitUntil(lambda: view.status.kind == "error", timeout=10_000)

    assert view.status.text().startswith(f"Could not save the preview to {target}: ")
    assert "Choose another folder" in view.status.text()
    assert view.export_button.isEnabled()


def test_no_plan_means_nothing_to_export(view):
    view.set_plan(None)
    assert view.totals_label.text() == "No preview yet."
    assert view.shown_rows() == 0 and not view.export_button.isEnabled()


# -- approval -------------------------------------------------------------------------


def _held_plan(updates: int) -> tuple[Plan, list]:
    """``updates`` Canvas users whose names the roster changes: over the change limit."""
    roster = Roster("cloudwork")
    canvas = {}
    for n in range(updates):
        sis = f"S{n:04d}"
        roster.people[sis] = Person(sis, f"New Name {n}", sis.lower(), Role.STUDENT, None)
        canvas[n + 1] = _canvas(n + 1, f"Old Name {n}", sis.lower(), sis, None)
    snapshot = Snapshot(ROOT, ROOT, canvas, set())
    plan = plan_sync(roster, snapshot, SyncOptions())
    breaches = check_limits(plan, snapshot, SafetyLimits())
    return plan, breaches


def test_dialog_lists_each_kind_of_held_action(qtbot):
    """Thirteen leavers to suspend and a parent's three links to remove: two limits crossed."""
    roster = Roster("cloudwork")
    roster.people["P1"] = Person("P1", "Pat Parent", "p1", Role.PARENT, None)
    canvas = {1: _canvas(1, "Pat Parent", "p1", "P1", None)}
    links = set()
    for n in range(2, 5):  # still at school, but no longer this parent's children
        roster.people[f"S{n}"] = Person(f"S{n}", f"Kid {n}", f"s{n}", Role.STUDENT, None)
        canvas[n] = _canvas(n, f"Kid {n}", f"s{n}", f"S{n}", None)
        links.add((1, n))
    for n in range(5, 18):
        canvas[n] = _canvas(n, f"Leaver {n}", f"l{n}", f"L{n}", None)
    snapshot = Snapshot(ROOT, ROOT, canvas, links)
    plan = plan_sync(roster, snapshot, SyncOptions(suspend_missing=True))
    breaches = check_limits(plan, snapshot, SafetyLimits())
    assert {b.what for b in breaches} == {"suspend", "unlink"}

    made = ApprovalDialog(breaches, plan)
    qtbot.addWidget(made)

    assert [label.text() for label in made.breach_labels] == [b.limit for b in breaches]
    table = made.actions_table
    listed = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert listed.count(("Suspend", "L5")) == 1
    assert sum(1 for action, _ in listed if action == "Suspend") == 13
    assert [key for action, key in listed if action == "Unlink"] == ["P1→S2", "P1→S3", "P1→S4"]
    unlink = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "Unlink")
    assert table.item(unlink, 2).text() == "Pat Parent → Kid 2"
    assert made.list_label.text() == "What this run would do (16):"


@pytest.fixture
def dialog(qtbot):
    plan, breaches = _held_plan(260)
    made = ApprovalDialog(breaches, plan)
    qtbot.addWidget(made)
    made.show()
    return made


def test_dialog_shows_the_limit_the_numbers_and_the_first_actions(dialog):
    [label] = dialog.breach_labels
    assert label.text().startswith(
        "This run would change 260 of 260 existing Canvas users (100%), more than the safety "
        "limit of 250 users or 25%."
    )
    numbers = [dialog.numbers.item(0, c).text() for c in range(4)]
    assert numbers == ["Existing users changed", "260", "260", "100%"]
    assert dialog.actions_table.rowCount() == MAX_LISTED
    first = [dialog.actions_table.item(0, c).text() for c in range(4)]
    assert first == ["Change", "S0000", "New Name 0", "name: Old Name 0 → New Name 0"]
    assert dialog.list_label.text() == (
        "What this run would do: the first 200 of 260. Export the preview to see them all."
    )
    assert dialog.cancel_button.isDefault() and not dialog.approve_button.isDefault()


def test_approve_button_accepts_and_dont_sync_rejects(qtbot, dialog):
    dialog.approve_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted

    plan, breaches = _held_plan(260)
    other = ApprovalDialog(breaches, plan)
    qtbot.addWidget(other)
    other.show()
    other.cancel_button.click()
    assert other.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize(
    ("button", "expected"), [("approve_button", True), ("cancel_button", False)]
)
def test_ask_approval_returns_the_admins_answer(qtbot, button: str, expected: bool):
    plan, breaches = _held_plan(260)
    seen: list[str] = []

    def answer() -> None:
        shown = QApplication.activeModalWidget()
        assert isinstance(shown, ApprovalDialog)
        seen.append(shown.breach_labels[0].text())
        getattr(shown, button).click()

    QTimer.singleShot(0, answer)
    assert approval.ask_approval(None, breaches, plan) is expected
    assert seen and seen[0] == breaches[0].limit
