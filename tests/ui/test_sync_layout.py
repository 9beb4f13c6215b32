"""The Sync tab on small screens: a 1366×768 school laptop and 800×600.

Measured on the real window after a real preview and sync of the sample export
against the sandbox Canvas: the window keeps the size it was given (its layout
does not force it taller than the screen), and the rows a technician needs fit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableView, QWidget

from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.sync import approval
from canvas_wizard.ui.tasks import task_pool

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"
WAIT = 30_000


def visible_rows(view: QTableView) -> int:
    return view.viewport().height() // view.verticalHeader().defaultSectionSize()


def in_sight(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


@pytest.mark.parametrize(
    ("size", "preview_rows", "result_rows"), [((1366, 768), 10, 8), ((800, 600), 4, 4)]
)
def test_the_sync_tab_fits_a_small_screen(
    qtbot, connected, monkeypatch, size, preview_rows, result_rows
):
    monkeypatch.setattr(approval, "ask_approval", lambda *a: True)
    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    tab = win.sync_tab
    tab.source.set_source(SAMPLE)
    qtbot.waitUntil(lambda: tab.preview_button.isEnabled(), timeout=WAIT)
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.current_preview() is not None, timeout=WAIT)
    qtbot.wait(50)
    assert (win.width(), win.height()) == size, "the layout forced the window larger"
    for label in (tab.source.format_label, tab.source.counts_label):
        assert in_sight(label), "the roster summary is in sight"
    assert in_sight(tab.preview_button) and in_sight(tab.sync_button)
    assert visible_rows(tab.plan_view.table) >= preview_rows

    tab.sync_button.click()
    qtbot.waitUntil(lambda: tab.running() is None and tab.status.kind != "busy", timeout=WAIT)
    qtbot.wait(50)
    assert (win.width(), win.height()) == size
    progress = tab.progress
    assert all(in_sight(bar) for bar in progress.phase_bars.values())
    assert in_sight(progress.overall_bar) and in_sight(progress.count_labels["created"])
    assert visible_rows(progress.results.view) >= result_rows
    assert in_sight(progress.export_button)
    win.close()
    assert task_pool().waitForDone(20_000)
