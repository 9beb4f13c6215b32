"""Undo a run from the History tab: preview what undo would write, then run it.

The dialog previews first (a dry-run undo, which writes nothing), showing every
record: what will be removed, restored, reactivated, relinked, and what cannot
be undone and why. **Undo now** asks for approval when the safety limits hold
the undo, then runs it with the same progress view and results as a sync. Both
run on the task pool through :class:`SyncWorker`: the GUI never waits on Canvas.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.store.history import RunSummary
from canvas_wizard.core.sync.outcome import CancelToken, ProgressCallback
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome, SyncRequest
from canvas_wizard.core.undo.service import undo
from canvas_wizard.ui.sync import approval
from canvas_wizard.ui.sync.plan_table import PlanView
from canvas_wizard.ui.sync.progress_view import ProgressView
from canvas_wizard.ui.sync.worker import SyncWorker
from canvas_wizard.ui.widgets import StatusLine, describe_error, plain_label

APP_TITLE = "Canvas Sync Wizard"


class UndoRunner:
    """What :class:`SyncWorker` runs for an undo: ``run(request)`` undoes one run."""

    def __init__(self, sync: ProfileSync, run_id: int) -> None:
        self.sync = sync
        self.run_id = run_id

    def request(self, *, dry_run: bool, approve: bool | str = False) -> SyncRequest:
        # The worker logs "Starting the sync of <source name>": name the undo there.
        return SyncRequest(
            source=Path(f"undo of run {self.run_id}"), dry_run=dry_run, approve=approve
        )

    def run(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> SyncOutcome:
        return undo(
            self.sync,
            self.run_id,
            dry_run=request.dry_run,
            approve=request.approve,
            progress=progress,
            cancel=cancel,
        )


class UndoDialog(QDialog):
    """Preview, then undo, one run.

    Signals:
        runFinished(object): a :class:`SyncOutcome` of the preview or the undo (the
            history has a new run).
    """

    runFinished = Signal(object)

    def __init__(self, sync: ProfileSync, run: RunSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_TITLE} — undo run {run.id}")
        self.resize(980, 620)
        self.run_summary = run
        self.runner = UndoRunner(sync, run.id)
        self.worker: SyncWorker | None = None
        self.preview: SyncOutcome | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                f"Undo run {run.id} ({run.started_at.astimezone():%Y-%m-%d %H:%M}, {run.source}): "
                "put back in Canvas what that run changed. Records changed in Canvas since are "
                "left alone and listed as conflicts. The preview below writes nothing."
            )
        )
        self.stack = QStackedWidget()
        self.plan_view = PlanView()
        self.progress = ProgressView()
        self.stack.addWidget(self.plan_view)
        self.stack.addWidget(self.progress)
        layout.addWidget(self.stack, 1)
        self.status = StatusLine()
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.undo_button = QPushButton("Undo now")
        self.undo_button.setAccessibleName(f"Undo run {run.id} now: write the changes to Canvas")
        self.undo_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.undo_button.clicked.connect(lambda: self.start_undo())
        self.close_button.clicked.connect(self.close)
        self.progress.retryRequested.connect(lambda: self.start_undo())

    # -- actions --------------------------------------------------------------------

    def start_preview(self) -> None:
        self._start(self.runner.request(dry_run=True))

    def start_undo(self, approve: bool | str = False) -> None:
        preview = self.preview
        if not approve and preview is not None and preview.result.breaches:
            plan = preview.result.plan
            if plan is None or not approval.ask_approval(self, preview.result.breaches, plan):
                self.status.show_status("info", "Not undone: the safety limits were not approved.")
                return
            approve = plan.fingerprint()
        request = self.runner.request(dry_run=False, approve=approve)
        self._start(request)

    def _start(self, request: SyncRequest) -> None:
        if self.worker is not None and self.worker.running:
            return
        worker = SyncWorker(self.runner, request, self)
        worker.finished.connect(lambda outcome: self._on_finished(request, outcome))
        worker.failed.connect(self._on_failed)
        self.worker = worker
        self.undo_button.setEnabled(False)
        if request.dry_run:
            self.status.show_status("busy", "Reading Canvas to plan the undo…")
        else:
            self.progress.attach(worker)
            self.stack.setCurrentWidget(self.progress)
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    # -- results --------------------------------------------------------------------

    def _on_finished(self, request: SyncRequest, outcome: SyncOutcome) -> None:
        result = outcome.result
        if request.dry_run:
            self.preview = outcome
            self.plan_view.set_plan(result.plan)
            writes = result.plan.writes() if result.plan is not None else 0
            text = result.message
            if result.breaches:
                text += " Undo now will ask you to approve this undo first."
            if not writes:
                text = "Nothing to undo: Canvas already holds what it held before this run."
            self.status.show_status("info" if result.breaches else "ok", text)
            self.undo_button.setEnabled(writes > 0)
        else:
            self.preview = None
            held = result.status == "held" and result.plan is not None
            if held and result.plan and approval.ask_approval(self, result.breaches, result.plan):
                self.start_undo(approve=result.plan.fingerprint())
                return
            self.status.show_status("ok" if result.status == "ok" else "info", result.message)
        self.runFinished.emit(outcome)

    def _on_failed(self, error: Exception) -> None:
        self.undo_button.setEnabled(self.preview is not None)
        if isinstance(error, AuthorizationNeeded):
            self.status.show_status(
                "error",
                f"{error.message} Use the Connection tab to sign in again, then undo again.",
            )
        else:
            self.status.show_status("error", describe_error(error))

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.cancel()
        super().closeEvent(event)
