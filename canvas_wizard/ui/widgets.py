"""Small widgets the pages share: status lines, copyable values, a masked secret field."""

from __future__ import annotations

import html
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QWidget,
)

from canvas_wizard.core.errors import WizardError


def plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """A label that never interprets its text as HTML (names may come from Canvas or a file)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class StatusLine(QWidget):
    """An icon and a sentence: what is happening, what went right, or what went wrong."""

    _ICONS: ClassVar[dict[str, QStyle.StandardPixmap]] = {
        "busy": QStyle.StandardPixmap.SP_BrowserReload,
        "ok": QStyle.StandardPixmap.SP_DialogApplyButton,
        "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._icon = QLabel()
        self._icon.setFixedSize(20, 20)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._text = plain_label()
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._text.setAccessibleName("Status")
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        self.kind = ""
        self.clear()

    def text(self) -> str:
        return self._text.text()

    def clear(self) -> None:
        self.kind = ""
        self._icon.clear()
        self._text.clear()
        self.setVisible(False)

    def show_status(self, kind: str, text: str) -> None:
        self.kind = kind
        icon = self.style().standardIcon(self._ICONS.get(kind, self._ICONS["info"]))
        self._icon.setPixmap(icon.pixmap(18, 18))
        self._text.setText(text)
        self.setVisible(True)

    def show_error(self, error: BaseException) -> None:
        self.show_status("error", describe_error(error))


def plain_tooltip(text: str) -> str:
    """Tooltip markup that shows ``text`` exactly: Qt renders HTML-looking tooltips as rich
    text, so names from a file or from Canvas are escaped and wrapped."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>" if text else ""


def documents_dir() -> Path:
    """Where Export… dialogs open: the user's Documents folder (never the install folder)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def describe_error(error: BaseException) -> str:
    """The text to show for an error: ours say what to do; anything else is a bug to report."""
    if isinstance(error, WizardError):
        return str(error)
    return (
        f"Something unexpected went wrong ({type(error).__name__}). "
        "Try again; if it keeps happening, save a support bundle and send it to your vendor."
    )


class CopyField(QWidget):
    """A value the admin must paste into Canvas, with a Copy button."""

    copied = Signal(str)

    def __init__(self, value: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(value)
        self.edit.setReadOnly(True)
        self.edit.setAccessibleName(name)
        self.button = QPushButton("Copy")
        self.button.setAccessibleName(f"Copy {name}")
        self.button.setToolTip(f"Copy the {name} to the clipboard")
        self.button.clicked.connect(self._on_copy)
        self.button.setAutoDefault(False)  # Enter in a wizard means Next, not Copy
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def set_value(self, value: str) -> None:
        self.edit.setText(value)

    def value(self) -> str:
        return self.edit.text()

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())
        self.button.setText("Copied")
        self.copied.emit(self.edit.text())


class SecretField(QWidget):
    """A masked input with a Show/Hide toggle."""

    textChanged = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(name)
        self.edit.textChanged.connect(self.textChanged)
        self.toggle = QPushButton("Show")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(f"Show {name}")
        self.toggle.toggled.connect(self._on_toggled)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def _on_toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.toggle.setText("Hide" if shown else "Show")
