"""The history view over a real run history file: runs newest first, a run's records on selection."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest

from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.ui.history_view import HistoryView
from canvas_wizard.ui.sync import results_table
from canvas_wizard.ui.tasks import task_pool

WAIT = 10_000


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread():
    # Qt objects freed by a collection must be freed on the GUI thread, not a pool thread.
    gc.collect()
    yield
    gc.collect()


def _outcomes(n_failed: int) -> list[RecordOutcome]:
    rows = [
        RecordOutcome(
            "person", ActionKind.CREATE, "S1001", OutcomeStatus.DONE, "Created", 41, "Ava Thompson"
        ),
        RecordOutcome(
            "person",
            ActionKind.UNCHANGED,
            "S1002",
            OutcomeStatus.UNCHANGED,
            "",
            42,
            "Noah Williams",
        ),
        RecordOutcome("link", ActionKind.LINK, "P2001→S1001", OutcomeStatus.DONE, "Linked"),
    ]
    rows += [
        RecordOutcome(
            "person",
            ActionKind.UPDATE,
            f"S20{i}",
            OutcomeStatus.FAILED,
            "Canvas refused",
            None,
            "=2+3",
        )
        for i in range(n_failed)
    ]
    return rows


def _add_run(
    store: HistoryStore, *, dry_run: bool, status: str, outcomes, approve: bool = False
) -> int:
    run_id = store.start_run(
        profile="school",
        method="api",
        dry_run=dry_run,
        who="Alex Morgan",
        source="/data/export.csv",
        options={},
    )
    store.add_outcomes(run_id, outcomes)
    if approve:
        store.record_approval(run_id, who="Alex Morgan", breaches=["Unlinks 40% of observer links"])
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    store.finish_run(run_id, status=status, counts=counts)
    return run_id


@pytest.fixture
def store(tmp_path: Path):
    with HistoryStore(tmp_path / "history.sqlite3") as history:
        yield history


@pytest.fixture
def view(qtbot, store):
    widget = HistoryView(lambda: store.list_runs("school"), store.outcomes)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    assert task_pool().waitForDone(WAIT)


def test_lists_runs_newest_first_and_loads_a_runs_records_on_selection(qtbot, view, store):
    preview = _add_run(store, dry_run=True, status="ok", outcomes=_outcomes(0))
    failed = _add_run(
        store, dry_run=False, status="failed_records", outcomes=_outcomes(2), approve=True
    )
    latest = _add_run(store, dry_run=False, status="ok", outcomes=_outcomes(0)[:2])
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 3, timeout=WAIT)
    assert [run.id for run in view.runs] == [latest, failed, preview]
    row = [view.table.item(1, c).text() for c in range(view.table.columnCount())]
    assert row[1:5] == ["Sync", "Canvas API", "Finished with problems", "Alex Morgan"]
    assert row[5] == "2 done, 2 failed, 1 unchanged"
    assert row[6].startswith("Yes, by Alex Morgan at ")
    assert view.table.item(2, 1).text() == "Preview"
    assert view.table.item(0, 6).text() == "–"
    assert not view.export_button.isEnabled()

    view.table.selectRow(1)
    qtbot.waitUntil(lambda: len(view.results.outcomes()) == 5, timeout=WAIT)
    assert view.selected_run().id == failed
    assert "Safety limits passed: Unlinks 40% of observer links" in view.details.text()
    assert view.export_button.isEnabled()
    view.results.filter_edit.setText("ava")
    assert [o.key for o in view.results.visible_outcomes()] == ["S1001"]

    view.table.selectRow(2)
    qtbot.waitUntil(lambda: len(view.results.outcomes()) == 3, timeout=WAIT)
    assert {o.key for o in view.results.outcomes()} == {"S1001", "S1002", "P2001→S1001"}


def test_refresh_keeps_the_chosen_run_and_shows_new_ones(qtbot, view, store):
    first = _add_run(store, dry_run=False, status="ok", outcomes=_outcomes(1))
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=WAIT)
    view.select_run(first)
    qtbot.waitUntil(lambda: len(view.results.outcomes()) == 4, timeout=WAIT)
    _add_run(store, dry_run=True, status="held", outcomes=_outcomes(0))
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=WAIT)
    assert view.selected_run().id == first
    assert view.table.item(0, 3).text() == "Held by safety limits"
    assert len(view.results.outcomes()) == 4


def test_empty_history_says_so(qtbot, view):
    view.refresh()
    qtbot.waitUntil(lambda: view.refresh_button.isEnabled(), timeout=WAIT)
    assert view.table.rowCount() == 0
    assert view.details.text().startswith("No runs yet")


def test_export_of_a_past_run_neutralises_formulas(qtbot, view, store, tmp_path, monkeypatch):
    run_id = _add_run(store, dry_run=False, status="failed_records", outcomes=_outcomes(1))
    target = tmp_path / "old-run.csv"
    monkeypatch.setattr(results_table, "ask_report_path", lambda parent, suggested: target)
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=WAIT)
    view.select_run(run_id)
    qtbot.waitUntil(view.export_button.isEnabled, timeout=WAIT)
    view.export_button.click()
    qtbot.waitUntil(lambda: view.status.text().startswith("Report saved"), timeout=WAIT)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["key"] for r in rows] == ["S1001", "S1002", "P2001→S1001", "S200"]
    assert rows[3]["name"] == "'=2+3"


def test_a_history_that_cannot_be_read_says_why(qtbot):
    from canvas_wizard.core.errors import WizardError

    def broken():
        raise WizardError("The run history file is damaged.", hint="Move it aside.")

    widget = HistoryView(broken, lambda run_id: [])
    qtbot.addWidget(widget)
    widget.refresh()
    qtbot.waitUntil(lambda: widget.status.kind == "error", timeout=WAIT)
    assert widget.status.text() == "The run history file is damaged.\nMove it aside."
    assert widget.refresh_button.isEnabled()


def test_scheduled_and_paused_runs_are_named_and_selectable(qtbot, view, store):
    scheduled = store.start_run(
        profile="school",
        method="api",
        dry_run=False,
        who="Alex Morgan",
        source="/data/export.csv",
        options={},
        trigger="scheduled",
    )
    store.finish_run(scheduled, status="paused", counts={}, error="Syncing is paused.")
    _add_run(store, dry_run=False, status="ok", outcomes=_outcomes(0)[:1])
    view.refresh()
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=WAIT)
    assert view.table.item(1, 1).text() == "Sync (scheduled)"
    assert view.table.item(1, 3).text() == "Paused: nothing written"
    assert view.table.item(0, 1).text() == "Sync"
    view.table.selectRow(1)
    qtbot.waitUntil(lambda: view.shown_run is not None and view.shown_run.id == scheduled)
    assert task_pool().waitForDone(WAIT)
