"""About, Settings and the crash dialog, as the admin meets them; and the self-test."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMainWindow,
    QWidget,
)

from canvas_wizard import __version__
from canvas_wizard.core.paths import AppPaths, app_paths
from canvas_wizard.core.settings import AppSettings, load_settings, settings_path
from canvas_wizard.core.store import SecretStore
from canvas_wizard.logs import setup_logging, shutdown_logging
from canvas_wizard.selftest import run_self_test
from canvas_wizard.ui.about import AboutDialog, app_icon
from canvas_wizard.ui.crash import CrashHandler
from canvas_wizard.ui.settings_dialog import SettingsDialog

SECRET = "Zq8s3CretValue9"


@pytest.fixture
def paths(app_home: Path) -> AppPaths:
    return app_paths().ensure()


@pytest.fixture
def logging_on(paths: AppPaths) -> Iterator[Path]:
    level = logging.getLogger().level
    path = setup_logging(paths, "INFO")
    yield path
    shutdown_logging()
    logging.getLogger().setLevel(level)


def inputs_without_names(root: QWidget) -> list[str]:
    unnamed = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, QLineEdit | QAbstractButton | QAbstractSpinBox | QComboBox):
            continue
        if isinstance(widget.parent(), QAbstractSpinBox | QComboBox):
            continue  # a spin box's own editor
        if not widget.accessibleName():
            unnamed.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    return unnamed


# -- About --------------------------------------------------------------------------------


def test_about_shows_version_folders_and_copies_version_info(qtbot, paths):
    dialog = AboutDialog(paths, SecretStore())
    qtbot.addWidget(dialog)
    dialog.show()
    labels = " ".join(w.text() for w in dialog.findChildren(type(dialog.details_label)))
    assert f"Canvas Sync Wizard {__version__}" in labels
    assert str(paths.log_dir) in labels
    assert "Secret Service" in dialog.version_info, "says where the secrets are kept"
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"Canvas Sync Wizard {__version__}")
    assert "python: CPython" in copied
    assert inputs_without_names(dialog) == []


def test_about_saves_a_support_bundle_where_the_admin_chose(qtbot, paths, tmp_path):
    dialog = AboutDialog(paths, SecretStore())
    qtbot.addWidget(dialog)
    target = tmp_path / "for-the-vendor.zip"
    dialog.ask_bundle_path = lambda _parent, _suggested: target
    dialog.bundle_button.click()
    assert target.is_file()
    assert dialog.status.kind == "ok" and str(target) in dialog.status.text()
    dialog.ask_bundle_path = lambda _parent, _suggested: None
    dialog.bundle_button.click()
    assert "No support bundle was saved" in dialog.status.text()


def test_app_icon_has_every_size():
    icon = app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes


# -- Settings -----------------------------------------------------------------------------


def test_settings_show_defaults_and_save_what_was_changed(qtbot, paths, logging_on):
    dialog = SettingsDialog(paths)
    qtbot.addWidget(dialog)
    assert dialog.current_settings() == AppSettings()
    dialog.log_level.setCurrentIndex(dialog.log_level.findData("DEBUG"))
    dialog.share_boxes["unlink"].setValue(10.0)
    dialog.count_boxes["suspend"].setValue(4)
    dialog.redirect_port.setValue(50555)
    dialog.save_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = load_settings(paths)
    assert saved.log_level == "DEBUG"
    assert saved.limits.max_unlink_share == pytest.approx(0.10)
    assert saved.limits.max_suspend_count == 4
    assert saved.redirect_port == 50555
    assert logging.getLogger().level == logging.DEBUG, "the new level applies at once"

    again = SettingsDialog(paths)
    qtbot.addWidget(again)
    assert again.share_boxes["unlink"].value() == pytest.approx(10.0)
    again.defaults_button.click()
    assert again.current_settings().limits == AppSettings().limits


def test_a_damaged_settings_file_is_explained_and_save_repairs_it(qtbot, paths):
    settings_path(paths).write_text("{broken", encoding="utf-8")
    dialog = SettingsDialog(paths)
    qtbot.addWidget(dialog)
    assert dialog.status.kind == "error"
    assert str(settings_path(paths)) in dialog.status.text()
    dialog.save_button.click()
    assert json.loads(settings_path(paths).read_text())["log_level"] == "INFO"


def test_settings_inputs_are_named_and_tab_walks_them_top_to_bottom(qtbot, paths):
    dialog = SettingsDialog(paths)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert inputs_without_names(dialog) == []
    dialog.log_level.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.log_level)
    walked = [dialog.log_level]
    for _ in range(len(dialog.tab_chain) - 1):
        dialog.focusNextChild()
        walked.append(QApplication.focusWidget())
    assert [w.accessibleName() for w in walked] == [w.accessibleName() for w in dialog.tab_chain]
    assert walked[1].accessibleName() == "Removing parent–student links: largest share"


# -- Crash handler ------------------------------------------------------------------------


@pytest.fixture
def crash_handler(logging_on: Path) -> Iterator[CrashHandler]:
    handler = CrashHandler(logging_on).install()
    yield handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()
        handler.dialog.deleteLater()


def test_an_exception_in_a_slot_is_logged_and_shown_and_the_app_stays(qtbot, crash_handler):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()

    def broken_slot() -> None:
        raise ValueError(f"token request failed: client_secret={SECRET}")

    with qtbot.waitSignal(crash_handler.crashed, timeout=5000) as signal:
        QTimer.singleShot(0, broken_slot)  # raised inside Qt's event loop, as a real bug would be
    report = signal.args[0]
    dialog = crash_handler.dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.isModal(), "the rest of the app stays usable"
    assert window.isVisible() and QApplication.instance() is not None
    assert dialog.summary.text().startswith("ValueError: token request failed")
    assert str(crash_handler.log_file) in dialog.log_label.text()
    assert SECRET not in report.details and "Traceback" in report.details
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "broken_slot" in copied and SECRET not in copied
    shutdown_logging()
    logged = crash_handler.log_file.read_text(encoding="utf-8")
    assert "CRITICAL" in logged and "broken_slot" in logged and SECRET not in logged


def test_an_exception_in_a_worker_thread_reaches_the_same_dialog(qtbot, crash_handler):
    crash_handler.handle_exception(*_exc_info(RuntimeError("first")))
    qtbot.waitUntil(lambda: crash_handler.dialog is not None and crash_handler.dialog.isVisible())

    def work() -> None:
        raise KeyError("worker lost its way")

    with qtbot.waitSignal(crash_handler.crashed, timeout=5000) as signal:
        thread = threading.Thread(target=work, name="sync-worker")
        thread.start()
        thread.join()
    assert signal.args[0].thread == "sync-worker"
    dialog = crash_handler.dialog
    assert dialog is not None and dialog.count == 2
    assert "2 times so far" in dialog.heading.text()
    assert dialog.summary.text() == "KeyError: 'worker lost its way'"


def test_uninstall_restores_the_previous_hooks(logging_on):
    before = (sys.excepthook, threading.excepthook)
    handler = CrashHandler(logging_on).install()
    assert sys.excepthook == handler.handle_exception
    handler.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def _exc_info(exc: BaseException):
    try:
        raise exc
    except BaseException as caught:
        return type(caught), caught, caught.__traceback__


# -- Self-test ----------------------------------------------------------------------------


def test_self_test_opens_the_wizard_and_reports_keyring_and_tls(qapp):
    out = io.StringIO()
    assert run_self_test(out) == 0, out.getvalue()
    text = out.getvalue()
    assert "ok   qt: Qt 6." in text and "setup wizard opened (6 pages)" in text
    assert "ok   keyring: Secret Service" in text and "works" in text
    assert "ok   tls: operating system trust store" in text
    assert text.rstrip().endswith("Self-test passed.")
