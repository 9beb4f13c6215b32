"""A running sync as the admin watches it, and its results when it ends.

The view follows one :class:`SyncWorker`: a bar per phase and overall, live
counts, the rate and time left, the current activity, a filterable live log and
Cancel. At the end: a summary, every record's result, "Export report…" and
"Retry failed". Everything from outside (names, messages, activities) is shown as
plain text.
"""

from __future__ import annotations

from collections import Counter, deque

from PySide6.QtCore import QMetaObject, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.sync.model import WRITE_KINDS
from canvas_wizard.core.sync.outcome import OutcomeStatus, Phase, Progress, RecordOutcome
from canvas_wizard.core.sync.service import METHOD_SIS_IMPORT, SyncOutcome
from canvas_wizard.core.sync.visibility import EXPLANATION
from canvas_wizard.ui.sync import results_table
from canvas_wizard.ui.sync.results_table import (
    COUNT_LABELS,
    PREVIEW_WORDS,
    ResultsTable,
    count_outcomes,
    describe_counts,
    describe_export_error,
    normalise_counts,
    summary_text,
)
from canvas_wizard.ui.sync.worker import PHASE_TITLES, PHASES, RateMeter, SyncWorker
from canvas_wizard.ui.widgets import StatusLine, describe_error, documents_dir, plain_label

#: Share of the overall bar per phase: writing and reading Canvas take the time.
_WEIGHTS = {
    Phase.READ_ROSTER: 5,
    Phase.READ_CANVAS: 30,
    Phase.PLAN: 5,
    Phase.APPLY: 50,
    Phase.VERIFY: 10,
}
_STATUS_KINDS = {"ok": "ok", "failed_records": "error", "input_error": "error"}
LOG_MAX_LINES = 5000
CANCELLING = "Cancelling… letting requests in flight finish"


class LiveLog(QWidget):
    """The run's log, newest last, with a filter; keeps the last LOG_MAX_LINES lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter the log")
        self.filter_edit.setAccessibleName("Filter the log")
        self.filter_edit.setClearButtonEnabled(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Log of this run")
        self.text.setMaximumBlockCount(LOG_MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.text, 1)
        self._lines: deque[str] = deque(maxlen=LOG_MAX_LINES)
        self._needle = ""
        self.filter_edit.textChanged.connect(self._on_filter)

    def clear(self) -> None:
        self._lines.clear()
        self.text.clear()

    def append(self, text: str) -> None:
        lines = text.split("\n")
        self._lines.extend(lines)
        shown = [line for line in lines if self._matches(line)]
        if shown:
            bar = self.text.verticalScrollBar()
            following = bar.value() >= bar.maximum() - 2  # not while the admin reads back
            self.text.appendPlainText("\n".join(shown))
            if following:
                bar.setValue(bar.maximum())

    def lines(self) -> list[str]:
        return list(self._lines)

    def _matches(self, line: str) -> bool:
        return not self._needle or self._needle in line.casefold()

    def _on_filter(self, needle: str) -> None:
        self._needle = needle.strip().casefold()
        self.text.setPlainText("\n".join(line for line in self._lines if self._matches(line)))
        self.text.verticalScrollBar().setValue(self.text.verticalScrollBar().maximum())


class ProgressView(QWidget):
    """Follows a :class:`SyncWorker`; Cancel cancels it (and says so), the end shows results.

    Signals:
        retryRequested(): "Retry failed" was clicked (a rerun converges: the sync is idempotent).
        cancelRequested(): Cancel was clicked; the attached worker is already told.
    """

    retryRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker: SyncWorker | None = None
        self.outcome: SyncOutcome | None = None
        self.rate = RateMeter()
        self._reached = -1
        self._per_record = True
        self._connections: list[QMetaObject.Connection] = []
        layout = QVBoxLayout(self)

        # The phases side by side, each title over its bar: two lines instead of six,
        # so a school laptop's 768 pixels keep room for the results (issue 12).
        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        self.phase_bars: dict[Phase, QProgressBar] = {}
        for column, phase in enumerate(PHASES):
            bar = QProgressBar()
            bar.setAccessibleName(f"Progress: {PHASE_TITLES[phase]}")
            grid.addWidget(QLabel(PHASE_TITLES[phase]), 0, column)
            grid.addWidget(bar, 1, column)
            grid.setColumnStretch(column, 1)
            self.phase_bars[phase] = bar
        self.overall_bar = QProgressBar()
        self.overall_bar.setRange(0, 1000)
        self.overall_bar.setAccessibleName("Overall progress")
        overall_label = QLabel("Overall")
        overall_label.setStyleSheet("font-weight: bold")
        grid.addWidget(overall_label, 0, len(PHASES))
        grid.addWidget(self.overall_bar, 1, len(PHASES))
        grid.setColumnStretch(len(PHASES), 2)
        layout.addLayout(grid)

        counts = QGridLayout()
        counts.setVerticalSpacing(0)
        self.count_labels: dict[str, QLabel] = {}
        self.count_captions: dict[str, QLabel] = {}
        for column, (key, title) in enumerate(COUNT_LABELS.items()):
            value = QLabel("–")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value.setStyleSheet("font-size: 13pt; font-weight: bold")
            value.setAccessibleName(f"{title} so far")
            caption = QLabel(title)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            counts.addWidget(value, 0, column)
            counts.addWidget(caption, 1, column)
            self.count_labels[key] = value
            self.count_captions[key] = caption
        layout.addLayout(counts)
        self.extra_counts = plain_label("", wrap=False)

        line = QHBoxLayout()
        line.addWidget(self.extra_counts)
        self.activity = plain_label("", wrap=False)
        self.activity.setAccessibleName("Current activity")
        self.rate_label = plain_label("", wrap=False)
        self.rate_label.setAccessibleName("Speed and time left")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the sync")
        line.addWidget(self.activity, 1)
        line.addWidget(self.rate_label)
        line.addWidget(self.cancel_button)
        layout.addLayout(line)
        self.status = StatusLine()
        layout.addWidget(self.status)

        self.tabs = QTabWidget()
        self.log = LiveLog()
        self.results = ResultsTable()
        self.tabs.addTab(self.log, "Log")
        self.tabs.addTab(self.results, "Results")
        layout.addWidget(self.tabs, 1)

        buttons = QHBoxLayout()
        self.export_status = plain_label("")
        self.export_status.setAccessibleName("Report export")
        buttons.addWidget(self.export_status, 1)
        self.export_button = QPushButton("Export report…")
        self.export_button.setAccessibleName("Export the report of this run as CSV")
        self.retry_button = QPushButton("Retry failed")
        self.retry_button.setAccessibleName("Run the sync again for the records that failed")
        self.retry_button.setToolTip(
            "Runs the sync again. Records already done are left as they are, so only "
            "what failed or was not reached is written."
        )
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.retry_button)
        layout.addLayout(buttons)

        self.cancel_button.clicked.connect(self._on_cancel)
        self.export_button.clicked.connect(self._on_export)
        self.retry_button.clicked.connect(self.retryRequested)
        self.reset()

    # -- public ----------------------------------------------------------------------

    def reset(self) -> None:
        self.outcome = None
        self.rate.reset()
        self._reached = -1
        for bar in self.phase_bars.values():
            self._set_bar(bar, 0, 1, "")
        self.overall_bar.setValue(0)
        self.overall_bar.setFormat("%p%")
        for key, label in self.count_labels.items():
            label.setText("–")
            self.count_captions[key].setText(COUNT_LABELS[key])
        self.extra_counts.clear()
        self.activity.clear()
        self.rate_label.clear()
        self.rate_label.setVisible(False)
        self.status.clear()
        self.export_status.clear()
        self.log.clear()
        self.results.set_outcomes([])
        self.tabs.setCurrentWidget(self.log)
        self.tabs.setTabEnabled(1, False)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self.retry_button.setEnabled(False)

    def attach(self, worker: SyncWorker) -> None:
        """Reset, and follow ``worker`` from now on (the previous one is let go)."""
        for connection in self._connections:
            QObject.disconnect(connection)
        self.reset()
        self.worker = worker
        self._per_record = worker.request.method != METHOD_SIS_IMPORT
        self._connections = [
            worker.progressed.connect(self._on_progressed),
            worker.logged.connect(self.log.append),
            worker.finished.connect(self.show_outcome),
            worker.failed.connect(self._on_failed),
        ]
        self.cancel_button.setEnabled(True)
        kind = "preview" if worker.request.dry_run else "sync"
        self.status.show_status("busy", f"The {kind} is running…")

    def show_outcome(self, outcome: SyncOutcome) -> None:
        """The end of a run: summary, bars settled, results table, export and retry."""
        self.outcome = outcome
        result = outcome.result
        preview = result.report.dry_run
        self._settle_bars(result.status, preview)
        if result.status == "cancelled" and not preview:
            self._show_written(result.report.outcomes)
        outcomes = result.report.outcomes
        self._show_counts(count_outcomes(outcomes, preview=preview), final=True, preview=preview)
        self.activity.clear()
        self.rate_label.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.status.show_status(_STATUS_KINDS.get(result.status, "info"), summary_text(outcome))
        self.status.setToolTip(EXPLANATION if result.report.links_not_visible else "")
        self.results.set_outcomes(outcomes, result.report.not_visible)
        self.tabs.setTabEnabled(1, True)
        self.tabs.setCurrentWidget(self.results)
        needs_retry = {OutcomeStatus.FAILED, OutcomeStatus.NOT_RUN}
        retry = not preview and any(o.status in needs_retry for o in outcomes)
        self.retry_button.setEnabled(retry)
        if retry:
            self.results.show_status(
                OutcomeStatus.FAILED
                if any(o.status is OutcomeStatus.FAILED for o in outcomes)
                else OutcomeStatus.NOT_RUN
            )
        self.export_button.setEnabled(True)

    # -- while running ---------------------------------------------------------------

    def _on_progressed(self, progress: object) -> None:
        assert isinstance(progress, Progress)
        index = PHASES.index(progress.phase)
        for earlier in PHASES[max(self._reached, 0) : index]:
            self._set_bar(self.phase_bars[earlier], 1, 1, "done")
        self._reached = max(self._reached, index)
        bar = self.phase_bars[progress.phase]
        if progress.phase is Phase.APPLY and progress.total:
            # "Fastest for this run" decides the method after planning: follow what writes.
            self._per_record = not progress.percent
        shown = "%v of %m" if self._per_record or progress.phase is not Phase.APPLY else "%p%"
        self._set_bar(bar, progress.done, progress.total, shown)
        fraction = min(progress.done / progress.total, 1.0) if progress.total else 0.0
        before = sum(_WEIGHTS[p] for p in PHASES[:index])
        overall = (before + _WEIGHTS[progress.phase] * fraction) / sum(_WEIGHTS.values())
        self.overall_bar.setValue(round(overall * 1000))
        self.activity.setText(progress.activity)
        if progress.phase is Phase.APPLY and progress.total:
            self.rate.add(progress.done, progress.total)
            text = self.rate.describe(per_record=self._per_record)
            self.rate_label.setText(text)
            self.rate_label.setVisible(bool(text))
        else:
            self.rate_label.setVisible(False)
        if progress.counts:
            self._show_counts(normalise_counts(progress.counts), final=False)

    def _show_counts(self, counts: Counter[str], *, final: bool, preview: bool = False) -> None:
        for key, label in self.count_labels.items():
            if final or key in counts:
                label.setText(str(counts[key]))
            else:
                # While writing, what the applier counts is known (so 0 is 0); unchanged
                # and planned conflicts are told per record only at the end.
                label.setText("–" if key in ("unchanged", "conflicts") else "0")
            title = COUNT_LABELS[key]
            caption = PREVIEW_WORDS.get(key, key).capitalize() if preview else title
            self.count_captions[key].setText(caption)
        extra = {w: n for w, n in counts.items() if w not in COUNT_LABELS}
        text = describe_counts(extra, preview=preview)
        self.extra_counts.setText(f"Also: {text}" if text else "")

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.status.show_status("busy", CANCELLING)
        if self.worker is not None:
            self.worker.cancel()
        self.cancelRequested.emit()

    def _on_failed(self, error: object) -> None:
        assert isinstance(error, BaseException)
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.rate_label.setVisible(False)
        if isinstance(error, AuthorizationNeeded):
            text = (
                f"{error.message}\nCanvas no longer accepts this app's sign-in: sign in again "
                "in the setup, then run the sync again. Nothing more was written."
            )
        else:
            text = describe_error(error)
        self.status.show_status("error", text)

    # -- helpers ---------------------------------------------------------------------

    @staticmethod
    def _set_bar(bar: QProgressBar, done: int, total: int, text: str) -> None:
        if total <= 0:
            bar.setRange(0, 0)  # busy: the total is not known yet
            return
        bar.setRange(0, total)
        bar.setValue(min(done, total))
        bar.setFormat(text)
        bar.setTextVisible(bool(text))

    def _settle_bars(self, status: str, preview: bool) -> None:
        # A preview or a held run stops after planning; an ok run did every phase it had.
        last = PHASES.index(Phase.PLAN) if preview or status == "held" else len(PHASES) - 1
        if status not in ("ok", "held"):
            last = max(self._reached, 0)
        why = "not run (preview)" if preview else "not run"
        for i, phase in enumerate(PHASES):
            bar = self.phase_bars[phase]
            if i < last or (i == last and status in ("ok", "held")):
                self._set_bar(bar, 1, 1, "done")
            elif i > last:
                self._set_bar(bar, 0, 1, why)
            elif bar.maximum() == 0:  # stopped while the total was still unknown
                self._set_bar(bar, 0, 1, "stopped")
        if status in ("ok", "held"):
            self.overall_bar.setValue(1000)

    def _show_written(self, outcomes: list[RecordOutcome]) -> None:
        """After Cancel: the writes really made, not the records the applier got through
        (those not reached count as processed, which read "5871 of 5871")."""
        writes = [o for o in outcomes if o.action in WRITE_KINDS]
        written = sum(1 for o in writes if o.status is OutcomeStatus.DONE)
        text = f"{written} of {len(writes)} written — cancelled"
        self._set_bar(self.phase_bars[Phase.APPLY], written, max(len(writes), 1), text)
        self.overall_bar.setFormat("Cancelled")
        self.overall_bar.setTextVisible(True)

    def _on_export(self) -> None:
        if self.outcome is None:
            return
        name = f"canvas-sync-run-{self.outcome.run_id}.csv"
        results_table.export_report(
            self,
            self.outcome.result.report,
            str(documents_dir() / name),
            lambda path: self.export_status.setText(f"Report saved to {path}"),
            lambda error: self.export_status.setText(describe_export_error(error)),
        )
