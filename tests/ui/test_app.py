"""The app as a user starts it: `canvas-wizard --demo`, and keyboard/accessibility basics."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QTreeWidget,
    QWidget,
)

from canvas_wizard.app import run_gui
from canvas_wizard.ui.wizard import SetupWizard


def _wizard() -> SetupWizard | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, SetupWizard) and widget.isVisible():
            return widget
    return None


def test_demo_opens_the_wizard_ready_for_the_sandbox(qapp, tmp_path):
    seen: dict[str, object] = {}

    def inspect() -> None:
        wizard = _wizard()
        if wizard is None:
            QTimer.singleShot(50, inspect)
            return
        seen["url"] = wizard.address.url_edit.text()
        seen["client_id"] = wizard.ctx.demo_client_id
        seen["persistent"] = wizard.ctx.session.secrets.persistent
        wizard.reject()

    QTimer.singleShot(0, inspect)
    status = run_gui(config_dir=str(tmp_path / "demo-home"), demo=True)
    assert status == 0
    assert str(seen["url"]).startswith("http://127.0.0.1:")
    assert seen["client_id"]
    assert seen["persistent"] is False, "a demo never writes to the real keyring"


def test_every_input_has_an_accessible_name(qtbot, make_wizard):
    h = make_wizard()
    unnamed: list[str] = []
    for page_id in h.wizard.pageIds():
        page = h.wizard.page(page_id)
        for widget in page.findChildren(QWidget):
            if not isinstance(widget, QLineEdit | QAbstractButton | QAbstractSpinBox | QTreeWidget):
                continue
            if isinstance(widget.parent(), QAbstractSpinBox | QTreeWidget | QLineEdit):
                continue  # parts of a named widget: a spin box's editor, a clear button
            name = widget.accessibleName() or (
                widget.text() if isinstance(widget, QAbstractButton) else ""
            )
            if not name:
                unnamed.append(f"{type(page).__name__}: {type(widget).__name__}")
    assert unnamed == []
