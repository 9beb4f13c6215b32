"""The results table speaks the preview table's words, never the engine's internal ones."""

from __future__ import annotations

from PySide6.QtCore import Qt

from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.ui.sync.plan_table import ACTION_LABELS
from canvas_wizard.ui.sync.plan_table import COLUMNS as PREVIEW_COLUMNS
from canvas_wizard.ui.sync.results_table import COLUMNS, ResultsTable

OUTCOMES = [
    RecordOutcome("person", ActionKind.UNCHANGED, "S1001", OutcomeStatus.UNCHANGED, "", 5, "Ava"),
    RecordOutcome("person", ActionKind.CREATE, "S3001", OutcomeStatus.DONE, "", 9, "Ines Novak"),
    RecordOutcome("link", ActionKind.LINK, "P4001→S3001", OutcomeStatus.NOT_RUN, "Cancelled"),
    RecordOutcome("person", ActionKind.CONFLICT, "S1031", OutcomeStatus.CONFLICT, "login taken"),
]


def _rows(table: ResultsTable) -> list[tuple[str, ...]]:
    model = table.view.model()
    return [
        tuple(model.index(r, c).data(Qt.ItemDataRole.DisplayRole) for c in range(len(COLUMNS)))
        for r in range(model.rowCount())
    ]


def test_results_show_the_words_of_the_preview_table(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    table.set_outcomes(OUTCOMES)
    assert [row[:4] for row in _rows(table)] == [
        ("Unchanged", "Unchanged", "Person", "S1001"),
        ("Done", "Create", "Person", "S3001"),
        ("Not run", "Link", "Link", "P4001→S3001"),
        ("Conflict", "Conflict", "Person", "S1031"),
    ]
    assert {row[1] for row in _rows(table)} <= set(ACTION_LABELS.values())
    assert "SIS ID" in COLUMNS and "SIS ID" in PREVIEW_COLUMNS and "Key" not in COLUMNS
    items = [table.status_combo.itemText(i) for i in range(table.status_combo.count())]
    assert items == ["All (4)", "Not run (1)", "Conflict (1)", "Done (1)", "Unchanged (1)"]


def test_filtering_finds_the_words_shown(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    table.set_outcomes(OUTCOMES)
    table.filter_edit.setText("not run")
    assert [o.key for o in table.visible_outcomes()] == ["P4001→S3001"]
