"""Hostile data from Canvas or the roster shows as plain text everywhere in the UI.

Names with HTML and a right-to-left override (U+202E) come from the sandbox (an
account and the admin's own name) and from a roster, and pass through the real
widgets. A QLabel left on Qt's AutoText, or a tooltip, would render ``<b>`` as
bold: every label holding such text must be PlainText, and every table or tree
cell must hand Qt the exact string, which Qt's item delegates draw as text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("PySide6")

from chaos_support import Connected
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui_Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QWidget

from canvas_wizard.core.roster.model import Problem
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import ProfileStore
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.ui.tasks import task_pool
from canvas_wizard.ui.widgets import StatusLine, plain_label
from canvas_wizard.ui.wizard import WizardContext
from canvas_wizard.ui.wizard.page_account import AccountPage

EVIL = "<b>Bold</b> <img src=x> \u202eevil.exe\u202c & <i>co</i>"


def shown(text: str) -> str:
    """What Qt draws for a label or tooltip text that it auto-detects as rich text."""
    if not QtGui_Qt.mightBeRichText(text):
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def labels_holding(root: QWidget, fragment: str) -> list[QLabel]:
    return [label for label in root.findChildren(QLabel) if fragment in label.text()]


def assert_plain(labels: list[QLabel]) -> None:
    assert labels, "the hostile text is on screen somewhere"
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.accessibleName()


@pytest.fixture
def gui(qapp) -> Iterator[None]:
    from canvas_wizard.ui import gc_guard

    gc_guard.install(qapp)
    yield
    assert task_pool().waitForDone(10_000)


def test_account_tree_and_labels_show_canvas_names_as_text(
    qtbot, gui: None, connected: Connected
) -> None:
    state = connected.canvas.state
    with state.lock:
        state.accounts[1].name = f"Trust {EVIL}"
        state.accounts[3].name = f"Secondary {EVIL}"
    session = SetupSession(ProfileStore(connected.paths), connected.secrets, connected.profile)
    page = AccountPage(WizardContext(session=session))
    qtbot.addWidget(page)
    page.show()
    try:
        page.initializePage()
        qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=10_000)
        root = page.tree.topLevelItem(0)
        assert root.text(0) == f"Trust {EVIL}"
        names = [root.child(i).text(0) for i in range(root.childCount())]
        assert f"Secondary {EVIL}" in names
        qtbot.waitUntil(lambda: page.report is not None, timeout=10_000)
        for label in page.findChildren(QLabel):
            # No label anywhere on the page interprets what Canvas sent.
            if QtGui_Qt.mightBeRichText(label.text()):
                assert label.textFormat() == Qt.TextFormat.PlainText, label.text()[:80]
    finally:
        session.close()


def test_status_lines_and_plain_labels_keep_markup_as_text(qtbot, gui: None) -> None:
    status = StatusLine()
    qtbot.addWidget(status)
    status.show_status("ok", f"Signed in as {EVIL}")
    assert status.text() == f"Signed in as {EVIL}"
    assert_plain(labels_holding(status, "<b>Bold</b>"))
    label = plain_label(EVIL)
    qtbot.addWidget(label)
    assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == EVIL


def test_roster_problem_table_hands_qt_the_exact_text(qtbot, gui: None) -> None:
    from canvas_wizard.ui.sync.roster_details import ProblemTableModel

    model = ProblemTableModel()
    problem = Problem("roster.csv", 2, "Full Name", f"Name {EVIL} has a control character.")
    model.set_problems([problem])
    cells = [model.data(model.index(0, c), Qt.ItemDataRole.DisplayRole) for c in range(5)]
    assert f"Name {EVIL} has a control character." in cells
    assert all(isinstance(c, str) for c in cells)


def _outcome() -> RecordOutcome:
    return RecordOutcome(
        "person", ActionKind.CREATE, "S1", OutcomeStatus.FAILED, f"Refused {EVIL}", None, EVIL
    )


def test_results_table_cells_are_the_exact_text(qtbot, gui: None) -> None:
    from canvas_wizard.ui.sync.results_table import OutcomeModel

    model = OutcomeModel()
    model.set_outcomes([_outcome()])
    cells = [model.data(model.index(0, c), Qt.ItemDataRole.DisplayRole) for c in range(6)]
    assert EVIL in cells and f"Refused {EVIL}" in cells


def test_results_table_tooltips_show_the_exact_text(qtbot, gui: None) -> None:
    from canvas_wizard.ui.sync.results_table import OutcomeModel

    model = OutcomeModel()
    model.set_outcomes([_outcome()])
    for column, raw in ((4, EVIL), (5, f"Refused {EVIL}")):
        tip = model.data(model.index(0, column), Qt.ItemDataRole.ToolTipRole)
        assert isinstance(tip, str) and shown(tip) == raw
