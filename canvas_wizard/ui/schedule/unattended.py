"""The main window's part in unattended syncing: the banner, the Schedule dialog, the pause.

Reads the history, the schedule and the pause off the GUI thread whenever the window
opens, a run ends or the dialog changes something; keeps the Sync tab's idea of the
pause current (a sync then asks "sync once anyway?"); and turns the banner's buttons
into actions: Review and approve… previews the held run's export and asks for
approval of exactly what it plans.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.attention import Attention, AttentionKind, load_attention
from canvas_wizard.core.schedule.pause import Pause, PauseStore
from canvas_wizard.core.store import SecretStore
from canvas_wizard.core.store.history import RunSummary
from canvas_wizard.ui.schedule.banner import AttentionBanner
from canvas_wizard.ui.schedule.dialog import ScheduleDialog
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import describe_error

if TYPE_CHECKING:
    from canvas_wizard.ui.main_window import SyncTab


class UnattendedSync(QObject):
    def __init__(
        self,
        window: QWidget,
        banner: AttentionBanner,
        sync_tab: SyncTab,
        paths: AppPaths,
        profile: str,
        show_sync_tab: Callable[[], None],
        secrets: SecretStore,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.banner = banner
        self.sync_tab = sync_tab
        self.paths = paths
        self.profile = profile
        self._show_sync_tab = show_sync_tab
        self.secrets = secrets
        self.dialog: ScheduleDialog | None = None
        sync_tab.scheduleRequested.connect(self.open_schedule)
        banner.scheduleRequested.connect(self.open_schedule)
        banner.reviewRequested.connect(self._on_review_held)
        banner.resumeRequested.connect(self._on_resume)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the history, schedule and pause (off the GUI thread), then the banner."""
        paths, name = self.paths, self.profile

        def load() -> tuple[Attention | None, Pause | None]:
            return load_attention(paths, name), PauseStore(paths).get(name)

        run_in_background(self, load, self._on_loaded, self._on_failed)

    def _on_loaded(self, loaded: tuple[Attention | None, Pause | None]) -> None:
        found, pause = loaded
        self.sync_tab.paused = pause
        self.banner.show_attention(found)

    def _on_failed(self, error: Exception) -> None:
        self.banner.show_attention(Attention(AttentionKind.FAILED, describe_error(error)))

    def open_schedule(self) -> ScheduleDialog:
        dialog = ScheduleDialog(
            self.paths,
            self.profile,
            self.window,
            source=self.sync_tab.source.source(),
            secrets=self.secrets,
        )
        dialog.changed.connect(self.refresh)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _on_review_held(self, run: RunSummary | None) -> None:
        if run is None:
            return
        self._show_sync_tab()
        options = run.options or {}
        self.sync_tab.review(
            Path(run.source), run.method.value, bool(options.get("suspend_missing"))
        )

    def _on_resume(self) -> None:
        paths, name = self.paths, self.profile
        run_in_background(
            self,
            lambda: PauseStore(paths).resume(name),
            lambda _r: self.refresh(),
            self._on_failed,
        )
