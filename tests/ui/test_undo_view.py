"""History tab → Undo this run… → preview → undo, against a sandbox Canvas."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    if win.undo_dialog is not None:
        win.undo_dialog.cancel()
    assert task_pool().waitForDone(20_000)


def live(connected, sis: str) -> bool:
    login = connected.sandbox.state.login_by_sis_id(sis)
    return login is not None and login.workflow_state != "deleted"


def test_undo_a_sync_from_the_history_tab(qtbot, window, connected, monkeypatch):
    asked: list[object] = []
    monkeypatch.setattr(approval, "ask_approval", lambda *a: asked.append(a) or True)
    win, tab = window, window.sync_tab
    tab.source.set_source(SAMPLE)
    qtbot.waitUntil(lambda: tab.sync_button.isEnabled(), timeout=WAIT)
    tab.start_sync(approve=True)
    qtbot.waitUntil(lambda: tab.worker is not None and not tab.worker.running, timeout=WAIT)
    assert live(connected, "S1040")

    history = win.history_tab
    qtbot.waitUntil(lambda: any(not r.dry_run for r in history.runs), timeout=WAIT)
    assert not history.undo_button.isEnabled()
    history.select_run(next(r.id for r in history.runs if not r.dry_run))
    qtbot.waitUntil(history.undo_button.isEnabled, timeout=WAIT)
    history.undo_button.click()

    dialog = win.undo_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=WAIT)
    plan = dialog.plan_view.plan()
    assert plan is not None and plan.writes() > 0
    assert "to remove from the account" in dialog.plan_view.totals_label.text()
    assert live(connected, "S1040"), "the preview writes nothing"
    assert dialog.undo_button.isEnabled()

    dialog.undo_button.click()
    qtbot.waitUntil(lambda: dialog.worker is not None and not dialog.worker.running, timeout=WAIT)
    assert dialog.stack.currentWidget() is dialog.progress
    qtbot.waitUntil(lambda: dialog.status.kind in ("ok", "info", "error"), timeout=WAIT)
    assert dialog.status.kind != "error", dialog.status.text()
    assert not live(connected, "S1040")
    # The preview and the undo are both in the history, as for a sync.
    qtbot.waitUntil(
        lambda: sorted(r.dry_run for r in history.runs if r.undo_of) == [False, True],
        timeout=WAIT,
    )
    row = next(i for i, r in enumerate(history.runs) if r.undo_of and not r.dry_run)
    assert history.table.item(row, 1).text() == "Sync (undo of run 1)"


def test_the_approval_dialog_lists_an_undos_removals(qtbot):
    from canvas_wizard.core.sync.limits import SafetyLimits
    from canvas_wizard.core.sync.model import ActionKind, CanvasLogin, CanvasPerson, Snapshot
    from canvas_wizard.core.undo.engine import check_undo_limits
    from canvas_wizard.core.undo.planner import UndoInput, plan_undo
    from canvas_wizard.core.undo.records import WrittenRecord

    people = [
        CanvasPerson(
            i,
            f"Kid {i}",
            None,
            (CanvasLogin(i * 10, f"kid{i}", f"S{i}", "active", 1),),
            "registered",
        )
        for i in range(1, 13)
    ]
    snapshot = Snapshot(1, 1, {p.id: p for p in people})
    writes = [
        WrittenRecord("person", ActionKind.CREATE, f"S{i}", name=f"Kid {i}", role="student")
        for i in range(1, 13)
    ]
    plan = plan_undo(UndoInput(5, writes), snapshot, {12: "they have signed in"})
    breaches = check_undo_limits(plan, snapshot, SafetyLimits())
    assert [b.what for b in breaches] == ["remove"]
    dialog = approval.ApprovalDialog(breaches, plan)
    qtbot.addWidget(dialog)
    assert dialog.actions_table.rowCount() == 12  # 11 removals and the one suspended instead
    assert "12 of 12" in breaches[0].limit
