"""The crash handler: an unexpected exception is logged and explained; the app stays open.

:class:`CrashHandler` replaces ``sys.excepthook`` (exceptions in the GUI thread,
including those PySide6 reports from slots) and ``threading.excepthook``
(worker threads). Each exception is logged with its traceback (redacted by the
log filter) and shown in one non-modal :class:`CrashDialog`: what happened,
where the log is, and "Copy details". Exceptions from other threads reach the
dialog through a queued signal, so widgets are only touched on the GUI thread.

Signals:
    crashed(CrashReport): emitted on the GUI thread for every exception handled.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE, __version__
from canvas_wizard.logs import redact
from canvas_wizard.ui.widgets import plain_label

log = logging.getLogger("canvas_wizard.crash")


@dataclass(frozen=True)
class CrashReport:
    summary: str  # "ValueError: ..." — one line, redacted
    details: str  # version, platform, thread and the traceback, redacted
    thread: str


def make_report(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    thread: str,
) -> CrashReport:
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    message = str(exc).splitlines()[0] if str(exc) else ""
    summary = redact(f"{exc_type.__name__}: {message}" if message else exc_type.__name__)
    details = redact(
        f"{APP_TITLE} {__version__}\n"
        f"{platform.platform()}, Python {platform.python_version()}\n"
        f"Thread: {thread}\n\n{text}"
    )
    return CrashReport(summary=summary, details=details, thread=thread)


class CrashDialog(QDialog):
    """Non-modal: the app keeps working while it is open. Reused for later exceptions."""

    def __init__(self, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_TITLE} — something went wrong")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.count = 0
        self.log_file = log_file
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40)
        )
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        self.heading = plain_label("Something unexpected went wrong.")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.summary = plain_label()
        self.summary.setAccessibleName("What went wrong")
        self.advice = plain_label(
            "The app is still running. If what you were doing did not finish, try it again. "
            "If this keeps happening, use Copy details (or save a support bundle from "
            "Help → About) and send it to whoever supports the app. Passwords and tokens are "
            "never included."
        )
        where = str(log_file) if log_file else "not written (logging is not set up)"
        self.log_label = plain_label(f"Written to the log: {where}")
        self.log_label.setAccessibleName("Log file")
        for widget in (self.heading, self.summary, self.advice, self.log_label):
            text.addWidget(widget)
        head.addLayout(text, 1)
        layout.addLayout(head)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setMinimumHeight(140)
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setAccessibleName("Copy the error details")
        self.open_logs_button = QPushButton("Open log folder")
        self.open_logs_button.setAccessibleName("Open the log folder")
        self.open_logs_button.setEnabled(log_file is not None)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_logs_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.close)
        self.copy_button.clicked.connect(self._on_copy)
        self.open_logs_button.clicked.connect(self._on_open_logs)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def show_report(self, report: CrashReport) -> None:
        self.count += 1
        self.summary.setText(report.summary)
        if self.count > 1:
            self.heading.setText(
                f"Something unexpected went wrong ({self.count} times so far; the newest is shown)."
            )
        self.details.setPlainText(report.details)
        self.copy_button.setText("Copy details")
        self.show()
        self.raise_()

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        self.copy_button.setText("Copied")

    def _on_open_logs(self) -> None:
        if self.log_file is not None:
            from canvas_wizard.ui.about import open_folder

            open_folder(self.log_file.parent)


class CrashHandler(QObject):
    crashed = Signal(object)  # CrashReport

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.dialog: CrashDialog | None = None
        self._previous_hook: Any = None
        self._previous_thread_hook: Any = None
        self._showing = False
        # Emitted from any thread; delivered on this object's (the GUI) thread.
        self._report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)

    _report = Signal(object)

    def install(self) -> CrashHandler:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.handle_exception
        threading.excepthook = self._handle_thread_exception
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self.handle_exception:
            sys.excepthook = self._previous_hook or sys.__excepthook__
        if threading.excepthook == self._handle_thread_exception:
            threading.excepthook = self._previous_thread_hook or threading.__excepthook__

    def handle_exception(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        thread: str | None = None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            (self._previous_hook or sys.__excepthook__)(exc_type, exc, tb)
            return
        name = thread or threading.current_thread().name
        try:
            log.critical("Unexpected error in thread %s", name, exc_info=(exc_type, exc, tb))
            self._report.emit(make_report(exc_type, exc, tb, name))
        except Exception:  # the handler itself must never take the app down
            sys.__excepthook__(exc_type, exc, tb)

    def _handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "unknown thread"
        self.handle_exception(args.exc_type, args.exc_value, args.exc_traceback, thread=name)

    @Slot(object)
    def _on_report(self, report: CrashReport) -> None:
        if self._showing:  # an exception while showing the dialog: logged already, stop here
            return
        self._showing = True
        try:
            if self.dialog is None:
                self.dialog = CrashDialog(self.log_file)
            self.dialog.show_report(report)
        finally:
            self._showing = False
        self.crashed.emit(report)


def install_crash_handler(log_file: Path | None) -> CrashHandler:
    """Install the handler for the running QApplication; keep the returned object alive."""
    return CrashHandler(log_file).install()


__all__ = ["CrashDialog", "CrashHandler", "CrashReport", "install_crash_handler", "make_report"]
