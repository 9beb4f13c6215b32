"""Every run of this setup, newest first; choosing one shows what it did to each record.

Both the list and a run's records are read off the GUI thread: the history of
a large school holds hundreds of thousands of records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.store.history import RunMethod, RunStatus, RunSummary, RunTrigger
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.ui.sync import results_table
from canvas_wizard.ui.sync.results_table import (
    ResultsTable,
    compact_rows,
    describe_counts,
    describe_export_error,
    report_for,
)
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import (
    StatusLine,
    describe_error,
    documents_dir,
    plain_label,
    plain_tooltip,
)

RUN_COLUMNS = ("Time", "Kind", "Method", "Result", "Who", "Records", "Approved")
STATUS_TEXT: dict[RunStatus, str] = {
    RunStatus.RUNNING: "Running",
    RunStatus.OK: "Finished",
    RunStatus.FAILED_RECORDS: "Finished with problems",  # failed records or conflicts
    RunStatus.HELD: "Held by safety limits",
    RunStatus.CANCELLED: "Cancelled",
    RunStatus.INPUT_ERROR: "Roster problems",
    RunStatus.INTERRUPTED: "Interrupted",
    RunStatus.ERROR: "Stopped by an error",
    RunStatus.PAUSED: "Paused: nothing written",
}
METHOD_TEXT = {RunMethod.API: "Canvas API", RunMethod.SIS_IMPORT: "SIS Import"}
_COUNT_ORDER = (
    OutcomeStatus.DONE,
    OutcomeStatus.FAILED,
    OutcomeStatus.NOT_RUN,
    OutcomeStatus.CONFLICT,
    OutcomeStatus.SKIPPED,
    OutcomeStatus.UNCHANGED,
)
_RUN_ROLE = Qt.ItemDataRole.UserRole


def local_time(moment: datetime) -> str:
    """A stored UTC time as the admin's wall clock shows it."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def counts_summary(run: RunSummary) -> str:
    """ "5 done, 1 failed, 40 unchanged" (a preview's writes are "to write")."""
    counts = {}
    for status in _COUNT_ORDER:
        word = status.value
        if status is OutcomeStatus.NOT_RUN and run.dry_run:
            word = "to write"
        elif status is OutcomeStatus.CONFLICT:
            word = "conflicts"
        counts[word] = run.counts.get(status.value, 0)
    return describe_counts(counts) or "–"


def approval_text(run: RunSummary) -> str:
    if not run.approved:
        return "–"
    who = run.approved_by or "someone"
    when = f" at {local_time(run.approved_at)}" if run.approved_at else ""
    return f"Yes, by {who}{when}"


def run_details(run: RunSummary) -> str:
    """The selected run in sentences: source, outcome, limits, error."""
    lines = [f"Run {run.id}: {STATUS_TEXT[run.status].lower()}; roster {run.source}."]
    if run.finished_at is not None:
        seconds = max((run.finished_at - run.started_at).total_seconds(), 0)
        lines.append(f"Took {seconds:.0f} s.")
    if run.breaches:
        lines.append("Safety limits passed: " + " ".join(run.breaches))
    if run.error:
        lines.append(run.error)
    return " ".join(lines)


def undoable(run: RunSummary | None) -> bool:
    """A run that may have written to Canvas and has ended."""
    return (
        run is not None
        and not run.dry_run
        and run.status not in (RunStatus.RUNNING, RunStatus.HELD, RunStatus.INPUT_ERROR)
    )


class HistoryView(QWidget):
    """The run history: a table of runs, and the chosen run's results below it.

    Signals:
        undoRequested(object): "Undo this run…" was clicked for this :class:`RunSummary`.
    """

    undoRequested = Signal(object)

    def __init__(
        self,
        load_runs: Callable[[], list[RunSummary]],
        load_outcomes: Callable[[int], list[RecordOutcome]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_runs = load_runs
        self._load_outcomes = load_outcomes
        self.runs: list[RunSummary] = []
        self.shown_run: RunSummary | None = None
        # Answers may come back out of order; only the newest request's answer counts.
        self._runs_request = 0
        self._outcomes_request = 0
        layout = QVBoxLayout(self)

        bar = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Read the run history again")
        self.export_button = QPushButton("Export report…")
        self.export_button.setAccessibleName("Export the chosen run's report as CSV")
        self.export_button.setEnabled(False)
        self.undo_button = QPushButton("Undo this run…")
        self.undo_button.setAccessibleName("Preview undoing the chosen run, then undo it")
        self.undo_button.setEnabled(False)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        bar.addWidget(self.undo_button)
        bar.addWidget(self.export_button)
        layout.addLayout(bar)

        self.table = QTableWidget(0, len(RUN_COLUMNS))
        self.table.setTabKeyNavigation(False)
        self.table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.table.setAccessibleName("Runs, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        compact_rows(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        self.details = plain_label("Choose a run to see what it did to each record.")
        self.details.setAccessibleName("The chosen run")
        self.results = ResultsTable()
        lower_layout.addWidget(self.details)
        lower_layout.addWidget(self.results, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(splitter, 1)
        self.status = StatusLine()
        layout.addWidget(self.status)

        self.refresh_button.clicked.connect(self.refresh)
        self.export_button.clicked.connect(self._on_export)
        self.undo_button.clicked.connect(self._on_undo)
        self.table.itemSelectionChanged.connect(self._on_selected)

    # -- runs ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the runs again, off the GUI thread; the chosen run stays chosen if still there."""
        self._runs_request += 1
        serial = self._runs_request
        self.refresh_button.setEnabled(False)
        self.status.show_status("busy", "Reading the run history…")
        run_in_background(
            self,
            self._load_runs,
            lambda runs: self._on_runs(serial, runs),
            lambda error: self._on_load_failed(serial, error),
        )

    def _on_runs(self, serial: int, runs: list[RunSummary]) -> None:
        if serial != self._runs_request:
            return
        self.refresh_button.setEnabled(True)
        self.status.clear()
        keep = self.shown_run.id if self.shown_run else None
        self.runs = sorted(runs, key=lambda r: (r.started_at, r.id), reverse=True)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            cells = (
                local_time(run.started_at),
                ("Preview" if run.dry_run else "Sync")
                + (" (scheduled)" if run.trigger is RunTrigger.SCHEDULED else "")
                + (f" (undo of run {run.undo_of})" if run.undo_of else ""),
                METHOD_TEXT.get(run.method, str(run.method)),
                STATUS_TEXT.get(run.status, str(run.status)),
                run.who or "–",
                counts_summary(run),
                approval_text(run),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(_RUN_ROLE, run.id)
                item.setToolTip(plain_tooltip(text))
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        if not self.runs:
            self.details.setText("No runs yet: a preview or a sync appears here when it ends.")
        elif keep is None or all(r.id != keep for r in self.runs):
            self.details.setText("Choose a run above to see what happened to each record.")
        rows = [i for i, r in enumerate(self.runs) if r.id == keep]
        if rows:
            self.table.blockSignals(True)
            self.table.selectRow(rows[0])
            self.table.blockSignals(False)
        else:
            self.table.clearSelection()
            self._show_run(None)

    def _on_load_failed(self, serial: int, error: Exception) -> None:
        error.__traceback__ = None  # no cycle through the pool's frames (see SyncWorker)
        if serial != self._runs_request:
            return
        self.refresh_button.setEnabled(True)
        self.status.show_error(error)

    def selected_run(self) -> RunSummary | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self.runs[min(rows)] if rows else None

    def select_run(self, run_id: int) -> None:
        for row, run in enumerate(self.runs):
            if run.id == run_id:
                self.table.selectRow(row)
                return

    # -- one run's records -----------------------------------------------------------

    def _on_selected(self) -> None:
        self._show_run(self.selected_run())

    def _show_run(self, run: RunSummary | None) -> None:
        self._outcomes_request += 1
        serial = self._outcomes_request
        self.shown_run = run
        self.results.set_outcomes([])
        self.export_button.setEnabled(False)
        self.undo_button.setEnabled(undoable(run))
        if run is None:
            return
        self.details.setText(run_details(run) + " Reading its records…")
        run_in_background(
            self,
            lambda: self._load_outcomes(run.id),
            lambda outcomes: self._on_outcomes(serial, run, outcomes),
            lambda error: self._on_outcomes_failed(serial, error),
        )

    def _on_outcomes(self, serial: int, run: RunSummary, outcomes: list[RecordOutcome]) -> None:
        if serial != self._outcomes_request:
            return  # the admin chose another run meanwhile
        self.details.setText(run_details(run))
        self.results.set_outcomes(outcomes)
        self.export_button.setEnabled(bool(outcomes))

    def _on_outcomes_failed(self, serial: int, error: Exception) -> None:
        error.__traceback__ = None
        if serial == self._outcomes_request:
            self.details.setText(describe_error(error))

    def _on_undo(self) -> None:
        if undoable(self.shown_run):
            self.undoRequested.emit(self.shown_run)

    def _on_export(self) -> None:
        run = self.shown_run
        if run is None:
            return
        report = report_for(self.results.outcomes(), run_id=str(run.id), dry_run=run.dry_run)
        stamp = run.started_at.astimezone().strftime("%Y%m%d-%H%M")
        results_table.export_report(
            self,
            report,
            str(documents_dir() / f"canvas-sync-run-{run.id}-{stamp}.csv"),
            lambda path: self.status.show_status("ok", f"Report saved to {path}"),
            lambda error: self.status.show_status("error", describe_export_error(error)),
        )
