"""The main window for a connected setup: preview and sync, history, and the connection.

The Sync tab follows one rhythm: choose the roster → Preview (a dry run: the plan,
the SIS ID match rate) → Sync now (approval first when a safety limit is crossed)
→ live progress → results. Every run, preview or real, lands in the History tab.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE
from canvas_wizard.core.canvas.auth_providers import setting_label
from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.schedule.pause import Pause
from canvas_wizard.core.settings import AppSettings, load_settings_or_defaults
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.core.store.history import RunSummary
from canvas_wizard.core.sync.model import Plan, SyncOptions
from canvas_wizard.core.sync.plan import ADOPT_CHECKBOX
from canvas_wizard.core.sync.report import status_words
from canvas_wizard.core.sync.service import (
    METHOD_API,
    METHOD_SIS_IMPORT,
    ProfileSync,
    SyncOutcome,
    SyncRequest,
)
from canvas_wizard.ui.about import AboutDialog, open_folder
from canvas_wizard.ui.history_view import HistoryView
from canvas_wizard.ui.schedule.banner import AttentionBanner
from canvas_wizard.ui.schedule.unattended import UnattendedSync
from canvas_wizard.ui.settings_dialog import SettingsDialog
from canvas_wizard.ui.sync import approval
from canvas_wizard.ui.sync.plan_table import PlanView
from canvas_wizard.ui.sync.progress_view import ProgressView
from canvas_wizard.ui.sync.source_panel import SourcePanel
from canvas_wizard.ui.sync.worker import SyncWorker
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, describe_error, plain_label


class SyncTab(QWidget):
    """Signals: runFinished(object) — a SyncOutcome, preview or real;
    scheduleRequested() — the Schedule… button."""

    runFinished = Signal(object)
    scheduleRequested = Signal()

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
        layout.addWidget(self.source)

        options = QHBoxLayout()
        self.method = QComboBox()
        self.method.setAccessibleName("How to write to Canvas")
        self.method.addItem("Canvas API (works on any account)", METHOD_API)
        self.method.addItem("SIS Import (fast; root account only)", METHOD_SIS_IMPORT)
        if not sync.sis_import_allowed():
            self.method.model().item(1).setEnabled(False)  # type: ignore[attr-defined]
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
        options.addWidget(QLabel("Write with:"))
        options.addWidget(self.method)
        options.addWidget(self.suspend_missing)
        options.addWidget(self.adopt)
        options.addStretch(1)
        self.schedule_button = QPushButton("Schedule…")
        self.schedule_button.setAccessibleName("Schedule unattended syncing, or pause it")
        self.schedule_button.clicked.connect(self.scheduleRequested)
        options.addWidget(self.schedule_button)
        options.addWidget(self.preview_button)
        options.addWidget(self.sync_button)
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

    def start_sync(self, approve: bool | str = False, *, even_if_paused: bool = False) -> None:
        if self.paused is not None and not even_if_paused:
            if not ask_sync_while_paused(self, self.paused):
                self.status.show_status("info", f"Not synced. {self.paused.describe()}")
                return
            even_if_paused = True
        preview = self.last_preview
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
        self.status.show_status(
            "busy", "Previewing: reading Canvas…" if request.dry_run else "Syncing…"
        )
        worker = SyncWorker(self.sync, request, self)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.worker = worker
        if not request.dry_run:
            self.progress.attach(worker)
            self.stack.setCurrentWidget(self.progress)
        worker.start()
        self._update_buttons()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    # -- results --------------------------------------------------------------------
    def _on_finished(self, outcome: SyncOutcome) -> None:
        result = outcome.result
        request = self._last_request
        self._update_buttons()
        if request is not None and request.dry_run:
            self.last_preview = outcome
            self.source.show_match(outcome.match)
            self.plan_view.set_plan(result.plan)
            self.stack.setCurrentWidget(self.plan_view if result.plan else self.empty)
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
        else:
            # The progress view follows this worker and shows the outcome itself.
            self.stack.setCurrentWidget(self.progress)
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

    def _on_failed(self, error: Exception) -> None:
        self._update_buttons()
        if isinstance(error, AuthorizationNeeded):
            self.status.show_status(
                "error",
                f"{error.message} Use the Connection tab to sign in again, then run this again.",
            )
        else:
            self.status.show_status("error", describe_error(error))

    def _on_retry(self) -> None:
        self.start_sync()

    def _on_roster_changed(self, _roster: object) -> None:
        self.last_preview = None
        self.plan_view.set_plan(None)
        self.stack.setCurrentWidget(self.empty)
        self._update_buttons()
        if self._review_pending and self.source.roster() is not None:
            self.preview()

    def _update_buttons(self) -> None:
        running = self.worker is not None and self.worker.running
        ready = self.source.roster() is not None and not running
        self.preview_button.setEnabled(ready)
        self.sync_button.setEnabled(ready)

    def plan(self) -> Plan | None:
        return self.last_preview.result.plan if self.last_preview else None


class ConnectionTab(QWidget):
    """Where this setup points, and signing out."""

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        profile: Profile,
        rerun_wizard: Callable[[], None] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self.profile = profile
        layout = QVBoxLayout(self)
        form = QFormLayout()
        account = profile.account
        self.canvas_label = plain_label(profile.canvas_url)
        self.user_label = plain_label(profile.signed_in_as or "not signed in")
        self.account_label = plain_label(
            f"{account.name} (id {account.id}, {'root account' if account.is_root else 'sub-account'})"
            if account
            else "none chosen"
        )
        self.secrets_label = plain_label(f"kept in {secrets.backend_name}, never in a file")
        self.sign_in_label = plain_label(setting_label(profile.options.get("sign_in_provider")))
        form.addRow("Canvas:", self.canvas_label)
        form.addRow("Signed in as:", self.user_label)
        form.addRow("Account to sync:", self.account_label)
        form.addRow("New logins sign in with:", self.sign_in_label)
        form.addRow("Secrets:", self.secrets_label)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.wizard_button = QPushButton("Run setup again…")
        self.wizard_button.setAccessibleName("Run the setup wizard again")
        self.wizard_button.setEnabled(rerun_wizard is not None)
        if rerun_wizard is not None:
            self.wizard_button.clicked.connect(rerun_wizard)
        self.disconnect_button = QPushButton("Sign out and forget secrets")
        self.disconnect_button.setAccessibleName("Sign out of Canvas and forget the saved secrets")
        self.disconnect_button.clicked.connect(self._on_disconnect)
        buttons.addWidget(self.wizard_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.status = StatusLine()
        layout.addWidget(self.status)

    def _on_disconnect(self) -> None:
        if not ask_yes_no(
            self,
            "Sign out of Canvas? The app's access is revoked in Canvas and the Client Secret is "
            "forgotten on this computer. You can connect again with the setup wizard.",
        ):
            return
        session = SetupSession(self.store, self.secrets, self.profile)

        def work() -> None:
            try:
                session.token_manager().disconnect()
            finally:
                self.profile.signed_in_as = None
                self.store.save(self.profile)
                session.close()

        self.disconnect_button.setEnabled(False)
        self.status.show_status("busy", "Signing out…")
        run_in_background(self, work, self._on_disconnected, self._on_failed)

    def _on_disconnected(self, _result: object) -> None:
        self.user_label.setText("not signed in")
        self.status.show_status(
            "ok", "Signed out. Secrets and tokens are forgotten on this computer."
        )

    def _on_failed(self, error: Exception) -> None:
        self.user_label.setText("not signed in")
        self.disconnect_button.setEnabled(True)
        self.status.show_error(error)


def ask_yes_no(parent: QWidget, text: str) -> bool:
    """The one place the main window asks a yes/no question; tests replace it."""
    answer = QMessageBox.question(parent, APP_TITLE, text)
    return answer == QMessageBox.StandardButton.Yes


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
        self.sync_tab.cancel()
        self.sync.close()
        super().closeEvent(event)
