"""The Sync tab's write method: "Fastest for this run" by default, and the preview says
which method it chose and why (the same sentence as the CLI's method_reason)."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.sync.service import METHOD_AUTO

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"
WAIT = 20_000


@pytest.fixture
def window(main_window):
    return main_window


def test_the_default_method_is_fastest_for_this_run_and_the_preview_says_why(qtbot, window):
    tab = window.sync_tab
    assert tab.method.currentText() == "Fastest for this run"
    assert tab.method.currentData() == METHOD_AUTO
    tab.source.set_source(SAMPLE)
    qtbot.waitUntil(lambda: tab.preview_button.isEnabled(), timeout=WAIT)
    tab.last_preview = None
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.last_preview is not None, timeout=WAIT)
    report = tab.last_preview.result.report
    assert report.method_requested == "auto"
    # A small sample school: the API, and the notes the preview shows say so and why.
    assert report.method == "api"
    assert report.method_reason.startswith("Fastest for this run: the Canvas API")
    # Beside the method: what it chose; the reasons (the CLI's sentences) in the tooltip.
    assert tab.choice_label.text() == "→ Canvas API, read page by page"
    why = tab.choice_label.toolTip()
    assert report.method_reason in why and "Canvas was read page by page" in why
    assert report.method_reason in report.notes  # the report and --json notes say it too
    # Another method chosen: the old choice no longer describes what Sync now will do.
    tab.method.setCurrentIndex(tab.method.findData("api"))
    assert tab.choice_label.text() == ""
