"""A wrong file is held, not written: Sync now without a current preview asks first.

Against the seeded sandbox Canvas (Northfield: 12 people with SIS IDs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.sync import approval, confirm
from canvas_wizard.ui.tasks import task_pool

WAIT = 30_000
HEADER = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
# The seeded Northfield people, as they are in Canvas.
SEEDED = [
    ("S1001", "Ava Thompson", "ava.thompson", "Student", "P2001"),
    ("S1002", "Noah Williams", "noah.williams", "Student", "P2001"),
    ("S1003", "Mia Johnson", "mia.johnson", "Student", "P2002"),
    ("S1004", "Oliver Brown", "oliver.brown", "Student", ""),
    ("S1005", "Isla Davies", "isla.davies", "Student", ""),
    ("S1006", "Leo Wilson", "leo.wilson", "Student", ""),
    ("S1007", "Grace Evans", "grace.evans", "Student", ""),
    ("S1008", "Harry Roberts", "harry.roberts", "Student", ""),
    ("P2001", "Emma Thompson", "emma.thompson@home.example", "Parent", ""),
    ("P2002", "Daniel Johnson", "daniel.johnson@home.example", "Parent", ""),
    ("P2003", "Priya Davies", "priya.davies@home.example", "Parent", ""),
    ("P2004", "Tom Wilson", "tom.wilson@home.example", "Parent", ""),
]


def _row(sis: str, name: str, login: str, role: str, parent: str) -> str:
    return f"{sis},{name},,{login},{role},{parent},\n"


def school_file(path: Path, *, new_family: bool = True) -> Path:
    """The seeded school, and a new family of three (2 links): 3 creates of 12 known."""
    rows = [_row(*p) for p in SEEDED]
    if new_family:
        rows += [
            _row("S3001", "Ines Novak", "ines.novak", "Student", "P4001"),
            _row("S3002", "Ivo Novak", "ivo.novak", "Student", "P4001"),
            _row("P4001", "Petra Novak", "petra.novak@home.example", "Parent", ""),
        ]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def other_school_file(path: Path, people: int = 40) -> Path:
    """Last year's export of another school: nobody in it is in this Canvas."""
    rows = [_row(f"X{i:04d}", f"Other {i}", f"other{i}", "Student", "") for i in range(people)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def tab(qtbot, connected, monkeypatch):
    # No real modal dialog may block a test: each test replaces the ones it expects.
    unexpected: list[str] = []
    monkeypatch.setattr(approval, "ask_approval", lambda *a: unexpected.append("approval"))
    monkeypatch.setattr(confirm, "ask_confirm_sync", lambda *a: unexpected.append("confirm"))
    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    win.show()
    win.unexpected = unexpected
    yield win.sync_tab
    win.sync_tab.cancel()
    assert task_pool().waitForDone(20_000)
    assert unexpected == [], "a question the test did not expect was asked"


def _choose(qtbot, tab, path: Path) -> None:
    tab.source.set_source(path)
    qtbot.waitUntil(lambda: tab.source.roster() is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: tab.sync_button.isEnabled(), timeout=WAIT)


def _idle(tab) -> bool:
    return tab.worker is not None and not tab.worker.running


def test_sync_now_without_a_preview_asks_with_the_totals_and_cancel_writes_nothing(
    qtbot, tab, connected, monkeypatch, tmp_path
):
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask_confirm_sync", lambda _p, text: asked.append(text) or False)
    _choose(qtbot, tab, school_file(tmp_path / "school.csv"))

    tab.sync_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert asked == [
        "This will create 3 people and add 2 parent–student links in Northfield Academy "
        "Trust. 12 of the 15 people in the roster matched Canvas by SIS ID. "
        "Is this the right file?"
    ]
    assert connected.sandbox.state.user_by_sis_id("S3001") is None, "nothing written"
    assert tab.stack.currentWidget() is tab.plan_view, "the preview is shown behind the question"
    assert tab.status.text() == "Not synced. The preview below shows what would change."
    assert [r.dry_run for r in tab.sync.history()] == [True]


def test_confirming_syncs_and_a_current_preview_is_not_asked_again(
    qtbot, tab, connected, monkeypatch, tmp_path
):
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask_confirm_sync", lambda _p, text: asked.append(text) or True)
    _choose(qtbot, tab, school_file(tmp_path / "school.csv"))
    tab.sync_button.click()
    qtbot.waitUntil(
        lambda: _idle(tab) and not tab.worker.request.dry_run and tab.status.kind != "busy",
        timeout=WAIT,
    )
    assert len(asked) == 1
    assert connected.sandbox.state.user_by_sis_id("S3001") is not None
    assert tab.status.text() == "Sync finished: 5 change(s) written."
    assert [r.dry_run for r in tab.sync.history()] == [False, True]

    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.current_preview() is not None, timeout=WAIT)
    tab.sync_button.click()  # previewed: goes ahead without asking
    qtbot.waitUntil(lambda: _idle(tab) and not tab.worker.request.dry_run, timeout=WAIT)
    assert len(asked) == 1


def test_the_wrong_file_is_held_for_approval_not_confirmed(
    qtbot, tab, connected, monkeypatch, tmp_path
):
    held: list[list[str]] = []
    monkeypatch.setattr(
        approval, "ask_approval", lambda _p, b, _plan: held.append([x.what for x in b]) or False
    )
    _choose(qtbot, tab, other_school_file(tmp_path / "other.csv"))
    tab.sync_button.click()
    qtbot.waitUntil(lambda: bool(held), timeout=WAIT)
    assert held == [["create"]]
    assert connected.sandbox.state.user_by_sis_id("X0001") is None
    assert tab.status.text() == "Not synced: the safety limits were not approved."


def test_the_confirmation_defaults_to_cancel(qtbot):
    seen: list[str] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.defaultButton().text())
        QTest.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    assert confirm.ask_confirm_sync(None, "This will create 3,500 people. Right file?") is False
    assert seen == ["Cancel"]


def test_a_new_file_removes_the_old_preview_at_once(qtbot, tab, monkeypatch, tmp_path):
    _choose(qtbot, tab, school_file(tmp_path / "school.csv"))
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.current_preview() is not None, timeout=WAIT)
    assert tab.status.text().startswith("Preview: ")

    tab.source.set_source(other_school_file(tmp_path / "other.csv"))
    # Before the new file is even read: no words or totals of the old preview remain.
    assert "Preview" not in tab.status.text()
    assert tab.current_preview() is None and tab.plan_view.model.rowCount() == 0
    assert tab.stack.currentWidget() is tab.empty
    qtbot.waitUntil(lambda: tab.source.roster() is not None, timeout=WAIT)

    tab.source.set_source(tmp_path / "missing.csv")  # fails to read
    qtbot.waitUntil(lambda: not tab.source.is_reading(), timeout=WAIT)
    assert tab.source.roster() is None and not tab.sync_button.isEnabled()
    assert "Preview" not in tab.status.text()


def test_a_file_changed_on_disk_since_its_preview_is_asked_about_again(
    qtbot, tab, connected, monkeypatch, tmp_path
):
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask_confirm_sync", lambda _p, text: asked.append(text) or False)
    path = school_file(tmp_path / "school.csv", new_family=False)
    _choose(qtbot, tab, path)
    tab.preview_button.click()
    qtbot.waitUntil(lambda: tab.current_preview() is not None, timeout=WAIT)
    assert tab.status.text().startswith("Preview: 0 change(s)")
    school_file(path)  # the export was replaced after the preview: a new family in it
    assert tab.current_preview() is None
    tab.sync_button.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    assert "create 3 people" in asked[0]
    assert connected.sandbox.state.user_by_sis_id("S3001") is None


def test_a_preview_of_the_old_file_that_ends_later_is_not_taken_for_the_new_one(
    qtbot, tab, tmp_path
):
    _choose(qtbot, tab, school_file(tmp_path / "school.csv"))
    tab.preview_button.click()
    tab.source.set_source(other_school_file(tmp_path / "other.csv"))
    qtbot.waitUntil(lambda: _idle(tab), timeout=WAIT)
    qtbot.waitUntil(lambda: tab.source.roster() is not None, timeout=WAIT)
    assert tab.current_preview() is None and tab.last_preview is None
    assert "Preview" not in tab.status.text()


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_enter_on_the_sync_tab_never_starts_a_sync(qtbot, tab, tmp_path, key):
    _choose(qtbot, tab, school_file(tmp_path / "school.csv"))
    tab.sync_button.setFocus()
    QTest.keyClick(tab.sync_button, key)
    tab.sync_button.setAutoDefault(True)  # as a platform theme that presses on Enter would
    QTest.keyClick(tab.sync_button, key)
    qtbot.wait(200)
    assert tab.worker is None, "Enter started a run"


# -- closing the window during a sync ------------------------------------------------------


def _writing(qtbot, tab, connected, tmp_path) -> None:
    """A real sync of 40 new people, slowed down so the window can be closed mid-way."""
    connected.sandbox.latency = 0.05
    _choose(qtbot, tab, other_school_file(tmp_path / "new.csv", people=40))
    tab.start_sync(approve=True)
    qtbot.waitUntil(
        lambda: connected.sandbox.state.user_by_sis_id("X0003") is not None, timeout=WAIT
    )


def _in_canvas(connected, people: int = 40) -> set[str]:
    state = connected.sandbox.state
    return {f"X{i:04d}" for i in range(people) if state.user_by_sis_id(f"X{i:04d}") is not None}


def test_closing_during_a_sync_asks_then_stops_records_and_closes(
    qtbot, tab, connected, monkeypatch, tmp_path
):
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask_stop_sync", lambda _p: asked.append("stop?") or True)
    win = tab.window()
    _writing(qtbot, tab, connected, tmp_path)

    win.close()
    assert asked == ["stop?"]
    assert win.isVisible(), "the window waits for the records in flight"
    assert tab.status.text().startswith("Stopping after the records in flight")
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=WAIT)

    (run,) = tab.sync.history()
    assert run.status == "cancelled"
    written = _in_canvas(connected)
    assert 4 <= len(written) < 40, "stopped mid-way"
    done = {o.key for o in tab.sync.outcomes(run.id) if o.status.value == "done"}
    assert done == written, "the history records exactly what Canvas holds"
    assert run.counts["done"] == len(written)


def test_closing_during_a_sync_can_keep_it_running(qtbot, tab, connected, monkeypatch, tmp_path):
    monkeypatch.setattr(confirm, "ask_stop_sync", lambda _p: False)
    win = tab.window()
    _writing(qtbot, tab, connected, tmp_path)
    win.close()
    assert win.isVisible()
    qtbot.waitUntil(lambda: tab.running() is None, timeout=WAIT)
    assert win.isVisible() and len(_in_canvas(connected)) == 40
    assert tab.sync.history()[0].status == "ok"


def test_the_quit_question_defaults_to_keep_running(qtbot):
    seen: list[str] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        QTest.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    assert confirm.ask_stop_sync(None) is False
    assert seen == [
        "A sync is writing to Canvas. Stop it after the records in flight, or keep it running?"
    ]
