"""The main window for a connected setup: preview and sync, history, and the connection.

The Sync tab follows one rhythm: choose the roster → Preview (a dry run: the plan,
the SIS ID match rate) → Sync now (approval first when a safety limit is crossed)
→ live progress → results. Every run, preview or real, lands in the History tab.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE
from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.schedule.pause import Pause
from canvas_wizard.core.settings import AppSettings, load_settings_or_defaults
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.core.store.history import RunSummary
from canvas_wizard.core.sync.model import Plan, SyncOptions
from canvas_wizard.core.sync.plan import ADOPT_CHECKBOX
from canvas_wizard.core.sync.report import SyncReport, status_words
from canvas_wizard.core.sync.service import (
    METHOD_API,
    METHOD_AUTO,
    METHOD_SIS_IMPORT,
    ProfileSync,
    SyncOutcome,
    SyncRequest,
)
from canvas_wizard.ui.about import AboutDialog, open_folder
from canvas_wizard.ui.connection_tab import ConnectionTab, ask_yes_no
from canvas_wizard.ui.help import show_troubleshooting, show_user_guide
from canvas_wizard.ui.history_view import HistoryView
from canvas_wizard.ui.schedule.banner import AttentionBanner
from canvas_wizard.ui.schedule.unattended import UnattendedSync
from canvas_wizard.ui.settings_dialog import SettingsDialog
from canvas_wizard.ui.sync import approval, confirm
from canvas_wizard.ui.sync.plan_table import PlanView
from canvas_wizard.ui.sync.progress_view import ProgressView
from canvas_wizard.ui.sync.source_panel import SourcePanel
from canvas_wizard.ui.sync.worker import SyncWorker
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.undo_view import UndoDialog
from canvas_wizard.ui.widgets import StatusLine, describe_error, plain_label

#: At most this share of the Sync tab's height goes to the roster above the preview or
#: the progress (1366×768: ≥ 10 preview rows; ≥ 8 result rows with the progress).
PREVIEW_TOP_SHARE = 0.45
PROGRESS_TOP_SHARE = 0.26


class SyncTab(QWidget):
    """Signals: runFinished(object) — a SyncOutcome, preview or real;
    scheduleRequested() — the Schedule… button.
    runEnded() — no run is going any more (finished, failed or cancelled)."""

    runFinished = Signal(object)
    scheduleRequested = Signal()
    runEnded = Signal()

    def __init__(self, sync: ProfileSync, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = sync
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # The admin can give the results more room than the roster details: a splitter.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        layout = QVBoxLayout(top)
        layout.setContentsMargins(0, 0, 0, 0)
        self.source = SourcePanel()
        self.source.sds_observer_roles = frozenset(
            load_settings_or_defaults(sync.paths)[0].sds_observer_roles
        )
        # The roster's details scroll on their own, so on a 1366×768 laptop the preview
        # or the progress keep their room and Preview / Sync now stay in sight.
        self.source_scroll = QScrollArea()
        self.source_scroll.setWidget(self.source)
        self.source_scroll.setWidgetResizable(True)
        self.source_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Enough for the format and counts lines; the rest scrolls, so an 800×600 window
        # keeps four result rows below the two rows of options.
        self.source_scroll.setMinimumHeight(48)
        layout.addWidget(self.source_scroll, 1)

        options = QHBoxLayout()
        self.method = QComboBox()
        self.method.setAccessibleName("How to write to Canvas")
        self.method.addItem("Fastest for this run", METHOD_AUTO)
        self.method.setItemData(
            0,
            "The app estimates, from the plan and from how long this Canvas took before, "
            "whether the Canvas API or a SIS Import is quicker; the preview says which and why.",
            Qt.ItemDataRole.ToolTipRole,
        )
        self.method.addItem("Canvas API (works on any account)", METHOD_API)
        self.method.addItem("SIS Import (fast; root account only)", METHOD_SIS_IMPORT)
        if not sync.sis_import_allowed():
            self.method.model().item(2).setEnabled(False)  # type: ignore[attr-defined]
            self.method.setToolTip(
                "SIS Imports run only on a root account; this setup syncs into a sub-account."
            )
        self.suspend_missing = QCheckBox("Suspend Canvas users who left the roster")
        self.suspend_missing.setAccessibleName("Suspend Canvas users who left the roster")
        self.adopt = QCheckBox(ADOPT_CHECKBOX)
        self.adopt.setAccessibleName(ADOPT_CHECKBOX)
        self.adopt.setToolTip(
            "Roster people who already have a Canvas account (a self-registered parent, a "
            "SIS ID written differently) get the roster's SIS ID on that account instead of "
            "a conflict. The preview lists each one. Canvas API method only."
        )
        self.preview_button = QPushButton("Preview")
        self.preview_button.setAccessibleName("Preview the sync without writing anything")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setAccessibleName("Sync now: write the changes to Canvas")
        # Two rows: the checkboxes' long labels beside the buttons forced an 800-pixel-wide
        # window to 1,225 pixels once the Take over box came in.
        choices = QHBoxLayout()
        choices.addWidget(self.suspend_missing)
        choices.addWidget(self.adopt)
        choices.addStretch(1)
        options.addWidget(QLabel("Write with:"))
        options.addWidget(self.method)
        # What "Fastest for this run" chose in the last preview; why, in its tooltip.
        self.choice_label = plain_label(wrap=False)
        # It may be cut short on a small screen (the tooltip has it all), never widen it.
        self.choice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choice_label.setMinimumWidth(0)
        self.choice_label.setAccessibleName("What the preview chose, and why")
        options.addWidget(self.choice_label, 1)  # takes the room between, as a stretch would
        self.method.currentIndexChanged.connect(lambda _i: self.choice_label.clear())
        self.schedule_button = QPushButton("Schedule…")
        self.schedule_button.setAccessibleName("Schedule unattended syncing, or pause it")
        self.schedule_button.clicked.connect(self.scheduleRequested)
        options.addWidget(self.schedule_button)
        options.addWidget(self.preview_button)
        options.addWidget(self.sync_button)
        layout.addLayout(choices)
        layout.addLayout(options)
        self.status = StatusLine()
        layout.addWidget(self.status)

        self.splitter.addWidget(top)
        self.stack = QStackedWidget()
        self.empty = plain_label(
            "Choose the roster export above, then click Preview to see exactly what would change. "
            "Nothing is written to Canvas until you click Sync now."
        )
        self.plan_view = PlanView()
        self.progress = ProgressView()
        for widget in (self.empty, self.plan_view, self.progress):
            self.stack.addWidget(widget)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        outer.addWidget(self.splitter)

        self.worker: SyncWorker | None = None
        self.last_preview: SyncOutcome | None = None
        #: The pause in force (the main window keeps it current); a sync asks first.
        self.paused: Pause | None = None
        self._review_pending = False
        self._last_request: SyncRequest | None = None
        self._preview_key: tuple[object, ...] | None = None  # what last_preview is a preview of
        self._roster_generation = 0  # a preview of an older roster is not shown
        self._run_generation = 0
        self._confirm_after_preview = False
        # Enter never starts a sync: only a click or Space on the button does.
        self._enter_guard = confirm.EnterNeverClicks(self)
        for button in (self.sync_button, self.progress.retry_button):
            button.installEventFilter(self._enter_guard)
        self.preview_button.clicked.connect(self.preview)
        self.sync_button.clicked.connect(lambda: self.start_sync())
        self.progress.retryRequested.connect(self._on_retry)
        self.source.rosterChanged.connect(self._on_roster_changed)
        self._update_buttons()

    # -- actions --------------------------------------------------------------------
    def _request(self, *, dry_run: bool, approve: bool | str = False) -> SyncRequest | None:
        source = self.source.source()
        if source is None or self.source.roster() is None:
            return None
        return SyncRequest(
            source=Path(source),
            format=self.source.format(),
            mapping=self.source.mapping(),
            method=str(self.method.currentData()),
            dry_run=dry_run,
            approve=approve,
            options=SyncOptions(
                suspend_missing=self.suspend_missing.isChecked(), adopt=self.adopt.isChecked()
            ),
            skip_bad_rows=self.source.skip_bad_rows(),
        )

    def _show_choice(self, report: SyncReport, plan: Plan | None) -> None:
        """Beside the method: what the run chose ("→ Canvas API, read page by page"), and
        the full reasons (the report's and ``--json``'s sentences) in the tooltip."""
        if plan is None or not plan.choices:
            self.choice_label.clear()
            self.choice_label.setToolTip("")
            return
        method = {"sis-import": "SIS Import", "api": "Canvas API"}.get(report.method, report.method)
        read = {"report": "read by report", "api": "read page by page"}.get(report.read_with, "")
        chosen = method if report.method_requested == METHOD_AUTO else ""
        self.choice_label.setText("→ " + ", ".join(t for t in (chosen, read) if t))
        self.choice_label.setToolTip("\n\n".join(plan.choices))
        self.choice_label.setAccessibleDescription(" ".join(plan.choices))

    def preview(self) -> None:
        request = self._request(dry_run=True)
        if request is not None:
            self._start(request)

    def review(self, source: Path, method: str, suspend_missing: bool) -> None:
        """Preview a held run's export, then ask for approval of what it plans."""
        index = self.method.findData(method)
        if index >= 0:
            self.method.setCurrentIndex(index)
        self.suspend_missing.setChecked(suspend_missing)
        self._review_pending = True
        if self.source.source() == source and self.source.roster() is not None:
            self.preview()
        else:
            self.source.set_source(source)

    def current_preview(self) -> SyncOutcome | None:
        """The last preview, if it is a preview of the file and options chosen now."""
        request = self._request(dry_run=True)
        if self.last_preview is None or request is None:
            return None
        return self.last_preview if confirm.preview_key(request) == self._preview_key else None

    def start_sync(self, approve: bool | str = False, *, even_if_paused: bool = False) -> None:
        if self.paused is not None and not even_if_paused:
            if not ask_sync_while_paused(self, self.paused):
                self.status.show_status("info", f"Not synced. {self.paused.describe()}")
                return
            even_if_paused = True
        preview = self.current_preview()
        if preview is None and not approve:
            # Never write what nobody has looked at: preview first, then ask with its totals.
            request = self._request(dry_run=True)
            if request is not None and not (self.worker is not None and self.worker.running):
                self._confirm_after_preview = True
                self._start(request)
            return
        if not approve and preview is not None and preview.result.breaches:
            plan = preview.result.plan
            if plan is None or not approval.ask_approval(self, preview.result.breaches, plan):
                self.status.show_status("info", "Not synced: the safety limits were not approved.")
                return
            approve = plan.fingerprint()
        request = self._request(dry_run=False, approve=approve)
        if request is not None:
            request.even_if_paused = even_if_paused
            self._start(request)

    def _start(self, request: SyncRequest) -> None:
        if self.worker is not None and self.worker.running:
            return
        self._last_request = request
        self._run_generation = self._roster_generation
        if request.dry_run:
            self._preview_key = confirm.preview_key(request)
        self.status.show_status(
            "busy", "Previewing: reading Canvas…" if request.dry_run else "Syncing…"
        )
        worker = SyncWorker(self.sync, request, self)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.worker = worker
        if not request.dry_run:
            self.progress.attach(worker)
            self._show_below(self.progress)
        worker.start()
        self._update_buttons()

    def cancel(self) -> None:
        self._confirm_after_preview = False
        if self.worker is not None:
            self.worker.cancel()

    def running(self) -> SyncRequest | None:
        """The request of the run going now, if any."""
        return self._last_request if self.worker is not None and self.worker.running else None

    # -- results --------------------------------------------------------------------
    def _on_finished(self, outcome: SyncOutcome) -> None:
        result = outcome.result
        request = self._last_request
        self._update_buttons()
        if request is not None and request.dry_run:
            then_confirm, self._confirm_after_preview = self._confirm_after_preview, False
            if self._run_generation != self._roster_generation:
                self.runFinished.emit(outcome)  # recorded in the history, but not current
                self.runEnded.emit()
                return
            self.last_preview = outcome
            self.source.show_match(outcome.match)
            self.plan_view.set_plan(result.plan)
            self._show_choice(result.report, result.plan)
            self._show_below(self.plan_view if result.plan else self.empty)
            kind = {"input_error": "error", "ok": "ok"}.get(result.status, "info")
            text = result.message
            if result.breaches:
                kind = "info"
                text += " Sync now will ask you to approve this run first."
            self.status.show_status(kind, text)
            if self._review_pending:
                self._review_pending = False
                if result.breaches:
                    self.runFinished.emit(outcome)
                    self.start_sync()
                    return
            if then_confirm and result.plan is not None and result.status != "input_error":
                self._confirm(outcome)
        else:
            # The progress view follows this worker and shows the outcome itself.
            self._show_below(self.progress)
            if result.status == "held" and result.plan is not None:
                self.status.show_status("info", result.message)
                if approval.ask_approval(self, result.breaches, result.plan):
                    self.start_sync(approve=result.plan.fingerprint())
                    return
            elif result.status == "paused":  # paused after this window read the pause
                self.status.show_status("info", result.message)
                self.runFinished.emit(outcome)
                if request is not None and ask_sync_while_paused(self, None):
                    self.start_sync(even_if_paused=True)
                return
            else:
                kind = "ok" if result.status == "ok" else "info"
                self.status.show_status(kind, result.message)
            self.last_preview = None
        self.runFinished.emit(outcome)
        if not (self.worker is not None and self.worker.running):
            self.runEnded.emit()

    def _confirm(self, preview: SyncOutcome) -> None:
        plan = preview.result.plan
        assert plan is not None
        if preview.result.breaches:  # the approval dialog asks, with every number
            if approval.ask_approval(self, preview.result.breaches, plan):
                self.start_sync(approve=plan.fingerprint())
            else:
                self.status.show_status("info", "Not synced: the safety limits were not approved.")
            return
        account = self.sync.profile.account
        where = account.name if account is not None else self.sync.profile.canvas_url
        if confirm.ask_confirm_sync(self, confirm.confirmation_text(plan, preview.match, where)):
            self.start_sync()
        else:
            self.status.show_status(
                "info", "Not synced. The preview below shows what would change."
            )

    def _on_failed(self, error: Exception) -> None:
        self._confirm_after_preview = False
        self._update_buttons()
        if isinstance(error, AuthorizationNeeded):
            self.status.show_status(
                "error",
                f"{error.message} Use the Connection tab to sign in again, then run this again.",
            )
        else:
            self.status.show_status("error", describe_error(error))
        self.runEnded.emit()

    def _on_retry(self) -> None:
        self.start_sync()

    def _on_roster_changed(self, _roster: object) -> None:
        # At once, also while the new file is read or when it cannot be: the old
        # preview's words and totals describe another file.
        self._roster_generation += 1
        self.last_preview = None
        self._show_choice(SyncReport("", datetime.now(UTC)), None)
        self._preview_key = None
        self.plan_view.set_plan(None)
        if not (
            self.worker is not None
            and self.worker.running
            and self.stack.currentWidget() is self.progress
        ):
            self.stack.setCurrentWidget(self.empty)
            self.status.clear()
        self._update_buttons()
        if self._review_pending and self.source.roster() is not None:
            self.preview()

    def _update_buttons(self) -> None:
        running = self.worker is not None and self.worker.running
        ready = self.source.roster() is not None and not running
        self.preview_button.setEnabled(ready)
        self.sync_button.setEnabled(ready)

    def _show_below(self, widget: QWidget) -> None:
        """Show ``widget`` under the roster with the room it needs; the splitter stays draggable."""
        self.stack.setCurrentWidget(widget)
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        top = self.splitter.widget(0)
        assert top is not None
        natural = self.source.sizeHint().height() + (
            top.sizeHint().height() - self.source_scroll.sizeHint().height()
        )
        share = PROGRESS_TOP_SHARE if widget is self.progress else PREVIEW_TOP_SHARE
        height = max(min(natural, int(total * share)), top.minimumSizeHint().height())
        self.splitter.setSizes([height, total - height])

    def plan(self) -> Plan | None:
        return self.last_preview.result.plan if self.last_preview else None


def ask_sync_while_paused(parent: QWidget, pause: Pause | None) -> bool:
    said = f"{pause.describe()}\n\n" if pause is not None else "Syncing is paused.\n\n"
    return ask_yes_no(parent, f"{said}Syncing is paused; sync once anyway?")


class MainWindow(QMainWindow):
    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        profile: Profile,
        *,
        rerun_wizard: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.secrets = secrets
        self.profile = profile
        self.sync = ProfileSync(store.paths, secrets, profile)
        self.setWindowTitle(f"{APP_TITLE} — {profile.name}")
        central = QWidget()
        layout = QVBoxLayout(central)
        account = profile.account
        where = f"{account.name} in {profile.canvas_url}" if account else profile.canvas_url
        self.header = plain_label(f"Syncing into {where}")
        self.last_run = plain_label("")
        self.last_run.setAccessibleName("Last sync result")
        layout.addWidget(self.header)
        layout.addWidget(self.last_run)
        self.banner = AttentionBanner()
        layout.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.sync_tab = SyncTab(self.sync)
        self.history_tab = HistoryView(self.sync.history, self.sync.outcomes)
        self.connection_tab = ConnectionTab(store, secrets, profile, rerun_wizard)
        self.tabs.addTab(self.sync_tab, "Sync")
        self.tabs.addTab(self.history_tab, "History")
        self.tabs.addTab(self.connection_tab, "Connection")
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(1000, 720)
        self._build_menus()
        self.sync_tab.runFinished.connect(self._on_run_finished)
        self.unattended = UnattendedSync(
            self,
            self.banner,
            self.sync_tab,
            store.paths,
            profile.name,
            lambda: self.tabs.setCurrentWidget(self.sync_tab),
            secrets,
        )
        self.history_tab.undoRequested.connect(self._on_undo_requested)
        self.undo_dialog: UndoDialog | None = None
        self._close_when_stopped = False
        self.history_tab.refresh()
        run_in_background(
            self, lambda: self.sync.history(limit=50), self._show_last_run, lambda e: None
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        app_menu = bar.addMenu("&App")
        settings = app_menu.addAction("&Settings…")
        settings.triggered.connect(self._on_settings)
        logs = app_menu.addAction("Open &log folder")
        logs.triggered.connect(lambda: open_folder(self.store.paths.log_dir))
        app_menu.addSeparator()
        app_menu.addAction("&Quit").triggered.connect(self.close)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&User guide").triggered.connect(lambda: show_user_guide(self))
        help_menu.addAction("&Troubleshooting").triggered.connect(
            lambda: show_troubleshooting(self)
        )
        about = help_menu.addAction("&About and support bundle…")
        about.triggered.connect(self._on_about)

    def _on_settings(self) -> None:
        dialog = SettingsDialog(self.store.paths, self)
        dialog.accepted.connect(lambda: self._on_settings_saved(dialog.saved))
        dialog.open()

    def _on_settings_saved(self, settings: AppSettings | None) -> None:
        if settings is not None:
            self.sync_tab.source.set_sds_observer_roles(frozenset(settings.sds_observer_roles))

    def _on_about(self) -> None:
        AboutDialog(self.store.paths, self.secrets, self).open()

    def _on_undo_requested(self, run: RunSummary) -> None:
        if self.undo_dialog is not None:
            self.undo_dialog.close()
        dialog = UndoDialog(self.sync, run, self)
        dialog.runFinished.connect(self._on_run_finished)
        self.undo_dialog = dialog
        dialog.open()
        dialog.start_preview()

    def _on_run_finished(self, _outcome: SyncOutcome) -> None:
        self.history_tab.refresh()
        run_in_background(
            self, lambda: self.sync.history(limit=50), self._show_last_run, lambda e: None
        )
        self.unattended.refresh()

    def _show_last_run(self, runs: list[RunSummary]) -> None:
        real = [r for r in runs if not r.dry_run]
        if not real:
            self.last_run.setText("Last sync: none yet (previews do not count).")
            return
        run = real[0]
        counts = ", ".join(
            f"{n} {'conflicts' if k == 'conflict' and n != 1 else k}"
            for k, n in run.counts.items()
            if n and not k.startswith("action:")
        )
        self.last_run.setText(
            f"Last sync: {run.started_at:%Y-%m-%d %H:%M} — {status_words(run.status)}"
            + (f" ({counts})" if counts else "")
        )

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        # Never close under a running sync: the interpreter would shut down beneath its
        # threads and the history would lose what was written (issue 15).
        request = self.sync_tab.running()
        if request is not None:
            event.ignore()
            if self._close_when_stopped:
                return  # already stopping; closes when the run has ended
            if not request.dry_run and not confirm.ask_stop_sync(self):
                return  # keep it running
            self._close_when_stopped = True
            self.sync_tab.runEnded.connect(self.close)
            self.sync_tab.cancel()
            self.sync_tab.status.show_status(
                "busy", "Stopping after the records in flight; the app closes when they are done…"
            )
            return
        if self.undo_dialog is not None:
            self.undo_dialog.cancel()
        self.sync.close()
        super().closeEvent(event)
