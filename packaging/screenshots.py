"""Render every wizard page offscreen to PNG for the README, from the real app.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshots.py [OUT_DIR]

Runs the demo sandbox, walks the wizard the way an admin would (the consent page
is approved by a stand-in browser), and saves one PNG per page.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import requests
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import ProfileStore, SecretStore
from canvas_wizard.demo import DemoEnvironment
from canvas_wizard.ui.wizard import SetupWizard, WizardContext

ROOT = Path(__file__).resolve().parents[1]


def wait_until(app: QApplication, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the wizard did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    env = DemoEnvironment.start(Path(tempfile.mkdtemp(prefix="cw-shots-")), latency=0.0)
    try:
        store = ProfileStore(app_paths(env.home).ensure())
        from canvas_wizard.app import new_profile

        profile = new_profile(store, redirect_port=env.redirect_port)

        def browse(url: str) -> bool:
            if "/login/oauth2/auth" in url:

                def approve() -> None:
                    location = env.sandbox.approve_consent(url)
                    with requests.get(location, timeout=10):
                        pass

                threading.Thread(target=approve, daemon=True).start()
            return True

        ctx = WizardContext(
            session=SetupSession(store, SecretStore(session_only=True), profile), open_url=browse
        )
        wizard = SetupWizard(ctx)
        wizard.resize(820, 640)
        wizard.show()

        def shot(name: str) -> None:
            for _ in range(5):
                app.processEvents()
            path = out_dir / f"wizard-{name}.png"
            wizard.grab().save(str(path))
            print(path)

        def next_page() -> None:
            before = wizard.currentId()
            wizard.button(QWizard.WizardButton.NextButton).click()
            wait_until(app, lambda: wizard.currentId() != before)

        shot("1-welcome")
        next_page()
        wizard.address.url_edit.setText(env.sandbox.url)
        shot("2-address")
        next_page()
        wizard.key.client_id.setText(env.key.client_id)
        wizard.key.client_secret.setText(env.key.client_secret)
        shot("3-developer-key")
        next_page()
        shot("4-sign-in")
        wizard.sign_in.sign_in_button.click()
        wait_until(app, lambda: wizard.sign_in.status.kind == "ok")
        shot("4-signed-in")
        next_page()
        wait_until(app, lambda: wizard.account.report is not None)
        shot("5-account")
        next_page()
        shot("6-done")
        ctx.session.close()
        wizard.close()
        main_window_shots(app, store, ctx.session.secrets, profile, out_dir)
        schedule_shots(app, store, ctx.session.secrets, profile, out_dir)
    finally:
        # As the app's _exec does: background work must end before Python shuts down, or
        # the interpreter is torn down beneath it ("Fatal Python error: bool_dealloc").
        from canvas_wizard.ui.tasks import task_pool

        task_pool().waitForDone(60_000)
        env.stop()
    return 0


def main_window_shots(
    app: QApplication, store: ProfileStore, secrets: SecretStore, profile: object, out_dir: Path
) -> None:
    from PySide6.QtCore import Qt

    from canvas_wizard.ui.main_window import MainWindow
    from canvas_wizard.ui.sync import approval

    MatchContains = Qt.MatchFlag.MatchContains

    approval.ask_approval = lambda *args: True  # the screenshots show an approved run
    window = MainWindow(store, secrets, profile)  # type: ignore[arg-type]
    window.resize(1000, 760)
    window.show()
    tab = window.sync_tab

    def shot(name: str) -> None:
        for _ in range(5):
            app.processEvents()
        path = out_dir / f"main-{name}.png"
        window.grab().save(str(path))
        print(path)

    tab.source.set_source(ROOT / "resources" / "sample-cloudwork-export.csv")
    wait_until(app, lambda: tab.preview_button.isEnabled())
    shot("1-source")
    tab.preview_button.click()
    wait_until(app, lambda: tab.last_preview is not None)
    shot("2-preview")
    first_preview = tab.last_preview
    # A lived-in Canvas: the same preview taking over the users who are already there.
    tab.adopt.setChecked(True)
    tab.last_preview = None
    tab.preview_button.click()
    wait_until(app, lambda: tab.last_preview is not None)
    tab.plan_view.action_filter.setCurrentIndex(
        tab.plan_view.action_filter.findText("Take over", MatchContains)
    )
    shot("2b-preview-adopt")
    tab.plan_view.action_filter.setCurrentIndex(0)
    tab.sync_button.click()
    wait_until(app, lambda: tab.worker is not None and not tab.worker.running, timeout=60)
    shot("3-progress")
    # What parents will see: the links whose student is enrolled in no course yet.
    tab.progress.results.show_not_visible()
    shot("3b-results-parents")
    tab.progress.results.show_status(None)
    window.tabs.setCurrentWidget(window.history_tab)
    window.history_tab.refresh()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    shot("4-history")
    window.tabs.setCurrentWidget(tab)
    laptop_and_question_shots(app, window, first_preview, out_dir)
    history = window.history_tab
    history.select_run(next(r.id for r in history.runs if not r.dry_run))
    wait_until(app, history.undo_button.isEnabled)
    history.undo_button.click()
    dialog = window.undo_dialog
    assert dialog is not None
    wait_until(app, lambda: dialog.preview is not None, timeout=60)
    for _ in range(5):
        app.processEvents()
    undo_path = out_dir / "main-5-undo-preview.png"
    dialog.grab().save(str(undo_path))
    print(undo_path)
    dialog.close()
    window.close()


def schedule_shots(
    app: QApplication, store: ProfileStore, secrets: SecretStore, profile: object, out_dir: Path
) -> None:
    """The banner after a scheduled run was held, and the Schedule dialog.

    The dialog's entry is the real crontab line for this schedule, but it is not put
    in this computer's crontab: rendering screenshots must not schedule anything.
    """
    from dataclasses import replace

    from canvas_wizard.core.schedule.entries import ScheduledEntry
    from canvas_wizard.core.schedule.linux import CronScheduler, cron_line
    from canvas_wizard.core.schedule.manage import Schedules
    from canvas_wizard.core.schedule.spec import ScheduleSpec
    from canvas_wizard.core.settings import AppSettings, save_settings
    from canvas_wizard.core.sync.limits import SafetyLimits
    from canvas_wizard.core.sync.service import ProfileSync, SyncRequest
    from canvas_wizard.ui.main_window import MainWindow

    class NotInstalled(CronScheduler):
        def install(self, spec: ScheduleSpec) -> ScheduledEntry:
            return ScheduledEntry(
                "crontab", "the crontab of it-admin (crontab -l)", cron_line(spec)
            )

        def find(self, spec: ScheduleSpec) -> ScheduledEntry | None:
            return self.install(spec)

        def remove(self, spec: ScheduleSpec) -> bool:
            return True

    paths = store.paths
    export = paths.data_dir / "exports" / "cloudwork.csv"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text(
        "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
        + "".join(
            f"S100{i},Student {i} Renamed,s{i}@students.example,s{i},Student,,\n"
            for i in range(1, 5)
        ),
        encoding="utf-8",
    )
    save_settings(paths, replace(AppSettings(), limits=SafetyLimits(max_change_count=2)))
    sync = ProfileSync(paths, secrets, profile)  # type: ignore[arg-type]
    try:  # what last night's `canvas-wizard sync --scheduled` left in the history
        sync.run(SyncRequest(source=export, dry_run=False, trigger="scheduled"))
    finally:
        sync.close()
    window = MainWindow(store, secrets, profile)  # type: ignore[arg-type]
    window.resize(1000, 760)
    window.show()
    wait_until(app, lambda: window.banner.isVisible())
    for _ in range(5):
        app.processEvents()
    window.grab().save(str(out_dir / "main-5-banner.png"))
    print(out_dir / "main-5-banner.png")

    from canvas_wizard.ui.schedule.dialog import ScheduleDialog

    name = profile.name  # type: ignore[attr-defined]
    dialog = ScheduleDialog(
        paths, name, window, schedules=Schedules(paths, NotInstalled()), secrets=secrets
    )
    dialog.show()
    wait_until(app, lambda: dialog.create_button.isEnabled())
    dialog.source.setText(str(export))
    dialog.create_button.click()
    wait_until(app, lambda: dialog.status.kind == "ok")
    dialog.reason.setText("summer rollover")
    for _ in range(5):
        app.processEvents()
    dialog.grab().save(str(out_dir / "schedule-dialog.png"))
    print(out_dir / "schedule-dialog.png")
    email = dialog.open_email()
    wait_until(app, lambda: email.save_button.isEnabled())
    email.host.setText("smtp.office365.com")
    email.username.setText("it-robot@northfield.example")
    email.from_address.setText("it-robot@northfield.example")
    email.recipients.setText("it-team@northfield.example")
    for _ in range(5):
        app.processEvents()
    email.grab().save(str(out_dir / "schedule-email.png"))
    print(out_dir / "schedule-email.png")
    email.close()
    dialog.close()
    window.close()
    dark_shot(app, store, secrets, profile, out_dir)


def _over(window: QWidget, dialog: QWidget) -> QPixmap:
    """``dialog`` drawn over ``window`` as the admin sees it (offscreen has no window manager)."""
    dialog.show()
    for _ in range(5):
        QApplication.processEvents()
    base = window.grab()
    top = dialog.grab()
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 70))
    painter.drawPixmap((base.width() - top.width()) // 2, (base.height() - top.height()) // 3, top)
    painter.end()
    dialog.close()
    return base


def laptop_and_question_shots(
    app: QApplication, window: QWidget, first_preview: object, out_dir: Path
) -> None:
    """The finished run on a 1366×768 school laptop, and the two questions a sync asks."""
    from canvas_wizard.ui.sync import confirm

    tab = window.sync_tab  # type: ignore[attr-defined]
    window.resize(1000, 760)
    for _ in range(5):
        app.processEvents()
    assert first_preview is not None
    plan, match = first_preview.result.plan, first_preview.match  # type: ignore[attr-defined]
    text = confirm.confirmation_text(plan, match, "Northfield Academy Trust")
    box, _ = confirm.confirm_box(window, text)
    _save(_over(window, box), out_dir / "main-6-confirm.png")
    box, _ = confirm.stop_box(window)
    _save(_over(window, box), out_dir / "main-7-quit-question.png")
    window.resize(1366, 768)
    for _ in range(5):
        app.processEvents()
    tab._show_below(tab.progress)
    for _ in range(5):
        app.processEvents()
    _save(window.grab(), out_dir / "main-5-laptop-1366x768.png")


def dark_shot(
    app: QApplication, store: ProfileStore, secrets: SecretStore, profile: object, out_dir: Path
) -> None:
    """The preview in a dark theme (Fusion with dark colours): conflict rows stay readable."""
    from canvas_wizard.ui.main_window import MainWindow
    from canvas_wizard.ui.palette import dark_palette

    before_style, before_palette = app.style().name(), app.palette()
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    try:
        window = MainWindow(store, secrets, profile)  # type: ignore[arg-type]
        window.resize(1000, 760)
        window.show()
        tab = window.sync_tab
        tab.source.set_source(ROOT / "resources" / "sample-cloudwork-export.csv")
        wait_until(app, lambda: tab.preview_button.isEnabled())
        tab.preview_button.click()
        wait_until(app, lambda: tab.last_preview is not None)
        tab.plan_view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # conflicts first
        for _ in range(5):
            app.processEvents()
        _save(window.grab(), out_dir / "main-8-dark-theme.png")
        window.close()
    finally:
        app.setStyle(before_style)
        app.setPalette(before_palette)


def _save(pixmap: QPixmap, path: Path) -> None:
    pixmap.save(str(path))
    print(path)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "screenshots"))
