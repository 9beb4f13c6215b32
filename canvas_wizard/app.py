"""Starting the desktop app: the wizard on first run, the main window after."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox, QWizard

from canvas_wizard import APP_TITLE, __version__
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.settings import load_settings_or_defaults
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.ui import gc_guard
from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.wizard import SetupWizard, WizardContext

log = logging.getLogger(__name__)


def _application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Canvas Sync Wizard")
    from canvas_wizard.ui.about import app_icon

    app.setWindowIcon(app_icon())
    gc_guard.install(app)
    # A sync runs 8 worker threads; with Python's default 5 ms switch interval the GUI
    # thread waits behind them for the interpreter lock long enough for the window to
    # stutter (measured: 113 ms pauses). 1 ms keeps it responsive (tests/benchmarks).
    sys.setswitchinterval(0.001)
    return app


def run_gui(*, config_dir: str | None, demo: bool, session_only: bool = False) -> int:
    app = _application()
    demo_env = None
    if demo:
        from canvas_wizard.demo import DemoEnvironment

        demo_env = DemoEnvironment.start(Path(config_dir) if config_dir else None)
        paths = app_paths(demo_env.home).ensure()
        session_only = True
    else:
        paths = app_paths(config_dir).ensure()
    from canvas_wizard.logs import log_file, setup_logging, shutdown_logging
    from canvas_wizard.ui.crash import install_crash_handler

    settings, settings_problem = load_settings_or_defaults(paths)
    setup_logging(paths, settings.log_level)
    log.info("%s %s starting (demo=%s)", APP_TITLE, __version__, demo)
    if settings_problem is not None:
        log.warning("Using default settings: %s", settings_problem)
    crash_handler = install_crash_handler(log_file(paths))
    try:
        secrets = SecretStore(session_only=session_only)
        try:
            secrets.check()
        except WizardError as exc:
            answer = QMessageBox.question(
                None,
                APP_TITLE,
                f"{exc}\n\nContinue without saving secrets? You will be asked to sign in again "
                "next time you open the app.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return 2
            secrets = SecretStore(session_only=True)
        store = ProfileStore(paths)
        profiles = store.list()
        ready = [p for p in profiles if p.account is not None]
        if ready and not demo:
            open_main_window(store, secrets, ready[0])
            return _exec(app)
        profile = (
            profiles[0]
            if profiles
            else new_profile(
                store, redirect_port=demo_env.redirect_port if demo_env else settings.redirect_port
            )
        )
        if demo_env is not None and profiles:
            demo_env.adopt(profile)
            store.save(profile)
        ctx = WizardContext(
            session=SetupSession(store, secrets, profile, name_from_address=not profiles)
        )
        if demo_env is not None:
            ctx.demo_client_id = demo_env.key.client_id
            ctx.demo_client_secret = demo_env.key.client_secret
        wizard = SetupWizard(ctx)
        if demo_env is not None:
            wizard.address.url_edit.setText(demo_env.sandbox.url)
        wizard.show()
        _exec(app)
        ctx.session.close()
        if wizard.result() == QWizard.DialogCode.Accepted.value and profile.account is not None:
            open_main_window(store, secrets, profile)
            return _exec(app)
        return 0
    finally:
        if demo_env is not None:
            demo_env.stop()
        crash_handler.uninstall()
        shutdown_logging()


def _exec(app: QApplication) -> int:
    """Run the event loop; then let background work end before Python shuts down.

    The main window waits for a running sync before it closes; this catches anything
    else still on the pool (a history read, a sign-out), which would otherwise meet
    an interpreter shutting down beneath it.
    """
    from canvas_wizard.ui.tasks import task_pool

    code = app.exec()
    if not task_pool().waitForDone(60_000):
        log.warning("Background work was still running 60 s after the window closed")
    return code


_windows: list[MainWindow] = []  # keeps the open main window alive


def open_main_window(store: ProfileStore, secrets: SecretStore, profile: Profile) -> MainWindow:
    """The main window, with "Run setup again" opening the wizard on the same profile."""

    def rerun_wizard() -> None:
        ctx = WizardContext(session=SetupSession(store, secrets, profile))
        wizard = SetupWizard(ctx, window)
        wizard.setModal(True)

        def finished(result: int) -> None:
            ctx.session.close()
            if result == QWizard.DialogCode.Accepted.value and profile.account is not None:
                # The account or Canvas may have changed: start the window afresh.
                open_main_window(store, secrets, profile)
                window.close()
                _windows.remove(window)

        wizard.finished.connect(finished)
        wizard.show()

    window = MainWindow(store, secrets, profile, rerun_wizard=rerun_wizard)
    _windows.append(window)
    window.show()
    return window


def new_profile(store: ProfileStore, *, redirect_port: int | None = None) -> Profile:
    """A fresh, unsaved profile; it is named after the Canvas address once that is checked."""
    profile = Profile(name="school", canvas_url="", client_id="")
    if redirect_port is not None:
        profile.redirect_port = redirect_port
    return profile


__all__ = ["new_profile", "open_main_window", "run_gui"]
