"""The Sync tab's "take over" checkbox: the preview shows who would be taken over."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.sync import ActionKind

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"
WAIT = 20_000


@pytest.fixture
def window(main_window):
    return main_window


def _preview(qtbot, tab) -> object:
    tab.last_preview = None
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.last_preview is not None, timeout=WAIT)
    return tab.last_preview


def test_ticking_take_over_turns_the_hand_made_users_conflict_into_a_take_over_row(qtbot, window):
    tab = window.sync_tab
    tab.source.set_source(SAMPLE)
    qtbot.waitUntil(lambda: tab.preview_button.isEnabled(), timeout=WAIT)
    assert not tab.adopt.isChecked()  # opt-in per run

    plain = _preview(qtbot, tab)
    [jordan] = [a for a in plain.result.plan.people if a.sis_id == "S1031"]
    assert jordan.kind is ActionKind.CONFLICT and "--adopt" in jordan.reason
    filters = [
        tab.plan_view.action_filter.itemText(i) for i in range(tab.plan_view.action_filter.count())
    ]
    assert not any(f.startswith("Take over") for f in filters)

    tab.adopt.setChecked(True)
    taken = _preview(qtbot, tab)
    [jordan] = [a for a in taken.result.plan.people if a.sis_id == "S1031"]
    assert jordan.kind is ActionKind.ADOPT
    filters = [
        tab.plan_view.action_filter.itemText(i) for i in range(tab.plan_view.action_filter.count())
    ]
    assert "Take over (1)" in filters
    tab.plan_view.action_filter.setCurrentIndex(filters.index("Take over (1)"))
    model = tab.plan_view.model
    assert model.rowCount() == 1
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[:3] == ["Take over", "Person", "S1031"]
    assert cells[5].startswith("SIS ID: (none) → S1031; email: jordan.lee@northfield.example")
