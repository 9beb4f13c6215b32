"""The main window end to end against a sandbox Canvas: preview, sync, history, sign out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from canvas_wizard.core.store import SecretKind
from canvas_wizard.ui import connection_tab as connection_tab_module
from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.sync import approval
from canvas_wizard.ui.tasks import task_pool

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"
WAIT = 30_000


@pytest.fixture
def window(qtbot, connected):
    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.sync_tab.cancel()
    assert task_pool().waitForDone(20_000)


def _load_sample(qtbot, win) -> None:
    win.sync_tab.source.set_source(SAMPLE)
    qtbot.waitUntil(lambda: win.sync_tab.source.roster() is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: win.sync_tab.preview_button.isEnabled(), timeout=WAIT)


def test_preview_then_sync_then_resync_writes_nothing(qtbot, window, connected, monkeypatch):
    asked: list[object] = []
    monkeypatch.setattr(approval, "ask_approval", lambda *a: asked.append(a) or True)
    win = window
    tab = win.sync_tab
    _load_sample(qtbot, win)

    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.last_preview is not None, timeout=WAIT)
    plan = tab.plan()
    assert plan is not None and plan.writes() > 0
    assert tab.stack.currentWidget() is tab.plan_view
    assert connected.sandbox.state.user_by_sis_id("S1040") is None, "a preview writes nothing"

    tab.sync_button.click()
    qtbot.waitUntil(lambda: tab.worker is not None and not tab.worker.running, timeout=WAIT)
    qtbot.waitUntil(lambda: tab.status.kind in ("ok", "info", "error"), timeout=WAIT)
    assert tab.stack.currentWidget() is tab.progress
    assert connected.sandbox.state.user_by_sis_id("S1040") is not None
    assert tab.status.kind != "error", tab.status.text()

    before = connected.sandbox.request_counts()
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.last_preview is not None, timeout=WAIT)
    left = [
        (p.kind.value, p.sis_id, p.changes)
        for p in tab.plan().people
        if p.kind.value in ("create", "update", "suspend")
    ]
    left += [
        (lk.kind.value, lk.parent_sis_id, lk.student_sis_id)
        for lk in tab.plan().links
        if lk.kind.value in ("link", "unlink")
    ]
    # S1099's SIS ID sits on a deleted login. Read page by page (quicker for this small
    # school), Canvas does not show deleted logins, so the sync tried the create and Canvas
    # refused it (and so the link to S1099); the run said why, and the next run tries again (the report would show it
    # as a conflict instead: tests/e2e/sync). Everything else is in place.
    synced = win.sync.outcomes(win.sync.history()[1].id)  # the sync between the previews
    [refused] = [o for o in synced if o.key == "S1099"]
    assert refused.status.value == "conflict" and "deleted login" in refused.message, refused
    left = [item for item in left if "S1099" not in item[1:3]]
    assert left == [], "after a sync, the preview finds nothing left but conflicts"
    after = connected.sandbox.request_counts()
    assert after.get("PUT", 0) == before.get("PUT", 0)
    assert after.get("DELETE", 0) == before.get("DELETE", 0)

    runs = win.sync.history()
    assert [r.dry_run for r in runs] == [True, False, True]
    qtbot.waitUntil(lambda: win.last_run.text().startswith("Last sync: 20"), timeout=WAIT)
    # The sample's two conflicts: the header says what the history and `sync --json` say.
    assert runs[1].status == "failed_records"
    assert "— finished with problems (" in win.last_run.text(), win.last_run.text()
    assert "— ok" not in win.last_run.text()


def test_sign_out_revokes_and_forgets(qtbot, window, connected, monkeypatch):
    monkeypatch.setattr(connection_tab_module, "ask_yes_no", lambda *a: True)
    tab = window.connection_tab
    secrets = connected.secrets
    access = secrets.get(connected.profile, SecretKind.ACCESS_TOKEN)
    assert access
    tab.disconnect_button.click()
    qtbot.waitUntil(lambda: tab.status.kind in ("ok", "error"), timeout=WAIT)
    assert tab.status.kind == "ok", tab.status.text()
    assert all(secrets.get(connected.profile, kind) is None for kind in SecretKind)
    assert tab.user_label.text() == "not signed in"


def test_every_input_in_the_main_window_has_an_accessible_name(qtbot, window):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QMenuBar,
        QTabBar,
    )

    unnamed = []
    checked = 0
    for widget in window.findChildren(QWidget):
        if not isinstance(
            widget, QLineEdit | QAbstractButton | QAbstractSpinBox | QComboBox | QAbstractItemView
        ):
            continue
        parent = widget.parent()
        ancestors = []
        node = parent
        while node is not None:
            ancestors.append(node)
            node = node.parent()
        if (
            any(
                isinstance(
                    a,
                    QAbstractSpinBox
                    | QComboBox
                    | QLineEdit
                    | QAbstractItemView
                    | QTabBar
                    | QMenuBar,
                )
                for a in ancestors
            )
            or widget.window() is not window
        ):
            continue  # parts of a named widget (popups, editors, clear buttons, menu arrows)
        checked += 1
        if isinstance(widget, QAbstractButton) and widget.text().strip("&. …"):
            continue  # a button's own text is its name
        if not widget.accessibleName():
            unnamed.append(f"{type(widget).__name__} in {type(parent).__name__}")
    assert checked >= 20, "the walk found the window's inputs"
    assert unnamed == [], unnamed
