"""Every coloured row stays readable (WCAG 4.5:1) in a light and a dark theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from canvas_wizard.core.sync.model import ActionKind, PersonAction, Plan, SyncOptions
from canvas_wizard.ui.palette import MIN_CONTRAST, contrast_ratio, dark_palette, is_dark
from canvas_wizard.ui.sync.plan_table import PlanTableModel

PALETTES = {
    "light (Fusion)": lambda: QStyleFactory.create("Fusion").standardPalette(),
    "dark (Fusion dark colours)": dark_palette,
}


@pytest.fixture
def palette(request, qapp):
    before = qapp.palette()
    chosen = PALETTES[request.param]()
    qapp.setPalette(chosen)
    yield chosen
    qapp.setPalette(before)


@pytest.mark.parametrize("palette", list(PALETTES), indirect=True)
def test_conflict_rows_are_readable_on_both_table_backgrounds(qtbot, palette: QPalette):
    plan = Plan(
        people=[
            PersonAction(ActionKind.CONFLICT, "S1031", None, 7, reason="username taken"),
            PersonAction(ActionKind.CREATE, "S3001", None, None),
        ],
        links=[],
        options=SyncOptions(),
    )
    model = PlanTableModel()
    model.set_plan(plan)
    colours = []
    for row in range(model.rowCount()):
        brush = model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole)
        colours.append(
            brush.color() if brush is not None else palette.color(QPalette.ColorRole.Text)
        )
    assert len({c.name() for c in colours}) == 2, "conflicts stand out from other rows"
    for colour in colours:
        for role in (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase):
            ratio = contrast_ratio(colour, palette.color(role))
            assert ratio >= MIN_CONTRAST, f"{colour.name()} on {role.name}: {ratio:.2f}:1"


def test_the_dark_palette_is_dark(qapp):
    assert is_dark(dark_palette()) and not is_dark(QApplication.style().standardPalette())
