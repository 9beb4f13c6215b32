"""The roster source panel: choosing a file, what it says about it, and fixing a wrong guess."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from canvas_wizard.core.roster import ColumnMapping, RosterFormat, read_roster
from canvas_wizard.core.sync.match import MatchReport
from canvas_wizard.ui.sync import source_panel
from canvas_wizard.ui.sync.roster_details import NOT_USED
from canvas_wizard.ui.sync.source_panel import SourcePanel
from canvas_wizard.ui.tasks import task_pool

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"
WAIT = 10_000


@pytest.fixture
def panel(qtbot):
    widget = SourcePanel()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    yield widget
    assert task_pool().waitForDone(10_000)


def _wait_read(qtbot, panel: SourcePanel) -> None:
    qtbot.waitUntil(lambda: not panel.is_reading(), timeout=WAIT)


def _cell(panel: SourcePanel, row: int, column: int) -> str:
    model = panel.problems_model
    return model.data(model.index(row, column))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_choose_file_shows_format_counts_and_the_warning(qtbot, panel, monkeypatch):
    monkeypatch.setattr(source_panel, "choose_roster_file", lambda parent: SAMPLE)

    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT) as changed:
        panel.choose_button.click()

    roster = changed.args[0]
    assert roster is panel.roster() and panel.source() == SAMPLE
    assert panel.path_edit.text() == str(SAMPLE)
    assert panel.format_label.text() == (
        "Format: Cloudwork export (detected). Read from sample-cloudwork-export.csv (UTF-8)."
    )
    assert panel.counts_label.text() == (
        "41 students, 30 parents, 55 parent links · 2 skipped · 0 errors, 1 warning"
    )
    assert panel.skipped_label.text() == (
        "Left out: Teacher: only students and parents are synced (2 rows)."
    )
    assert not panel.status.isVisible()
    # The one warning, located so the technician can go and fix it.
    assert panel.problems_table.isVisible() and panel.problems_model.rowCount() == 1
    assert [_cell(panel, 0, c) for c in range(4)] == [
        "sample-cloudwork-export.csv",
        "54",
        "Default Email",
        "Warning",
    ]
    assert "'rosa.garcia@homemail' is not an email address" in _cell(panel, 0, 4)
    assert _cell(panel, 0, 4).endswith("Correct the address in your school system.")
    # Warnings do not hold the sync, so there is nothing to skip.
    assert not panel.skip_bad_rows_box.isVisible() and not panel.skip_bad_rows()
    # The guessed columns are shown for a Cloudwork export.
    assert panel.mapping_editor.isVisible()
    assert panel.mapping_editor.combo("sis_id").currentText() == "SIS ID"
    assert panel.mapping_editor.combo("parent_2").currentText() == "Parent 2 SIS ID"
    assert panel.mapping_editor.combo("first_name").currentText() == NOT_USED
    assert panel.format() is None and panel.mapping() is None


def test_cancelled_dialog_changes_nothing(qtbot, panel, monkeypatch):
    monkeypatch.setattr(source_panel, "choose_roster_file", lambda parent: None)
    panel.choose_button.click()
    assert panel.source() is None and not panel.is_reading()


def test_dropping_a_file_reads_it(qtbot, panel):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/x.csv"), QUrl.fromLocalFile(str(SAMPLE))])
    enter = QDragEnterEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel, enter)
    assert enter.isAccepted()

    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT):
        QApplication.sendEvent(panel, drop)

    assert panel.source() == SAMPLE
    assert panel.roster() is not None and len(panel.roster().links) == 55


def test_drag_without_a_local_file_is_refused(panel):
    mime = QMimeData()
    mime.setText("S1001,Ava Thompson")
    enter = QDragEnterEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter.ignore()
    QApplication.sendEvent(panel, enter)
    assert not enter.isAccepted()


def test_a_file_that_is_not_csv_shows_the_readers_message(qtbot, panel, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")

    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT) as changed:
        panel.set_source(path)

    assert changed.args == [None] and panel.roster() is None
    assert panel.status.kind == "error"
    assert panel.status.text() == (
        "roster.csv is a PDF document, not a CSV text file.\n"
        "Choose the CSV file exported from your school system."
    )
    assert not panel.counts_label.isVisible() and not panel.mapping_editor.isVisible()


def test_unknown_columns_can_be_mapped_by_hand(qtbot, panel, tmp_path):
    path = _write(
        tmp_path,
        "export.csv",
        "Student Number,Name,Login,Type\nS1,Ann One,ann,Student\nS2,Bob Two,bob,Student\n",
    )
    panel.set_source(path)
    _wait_read(qtbot, panel)
    assert "export.csv is not a roster format the wizard knows" in panel.status.text()
    assert not panel.mapping_editor.isVisible()

    # The admin says what it is; the reader then names the column it misses.
    panel.format_combo.setCurrentIndex(panel.format_combo.findData(RosterFormat.CLOUDWORK))
    _wait_read(qtbot, panel)
    assert panel.status.text().startswith("export.csv has no 'SIS ID' column.")
    assert panel.mapping_editor.isVisible()
    sis = panel.mapping_editor.combo("sis_id")
    assert [sis.itemText(i) for i in range(sis.count())] == [
        NOT_USED,
        "Student Number",
        "Name",
        "Login",
        "Type",
    ]

    sis.setCurrentText("Student Number")
    _wait_read(qtbot, panel)
    assert "no 'Role' column" in panel.status.text()
    assert panel.mapping_editor.combo("sis_id").currentText() == "Student Number"

    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT) as changed:
        panel.mapping_editor.combo("role").setCurrentText("Type")
    roster = changed.args[0]
    assert roster is not None and sorted(roster.people) == ["S1", "S2"]
    assert not panel.status.isVisible()
    assert panel.format_label.text().startswith("Format: Cloudwork export (chosen).")
    assert panel.format() is RosterFormat.CLOUDWORK
    mapping = panel.mapping()
    assert mapping is not None and (mapping.sis_id, mapping.role) == ("Student Number", "Type")


def test_changing_a_column_reads_the_file_again(qtbot, panel):
    panel.set_source(SAMPLE)
    _wait_read(qtbot, panel)

    with qtbot.waitSignal(panel.rosterChanged, check_params_cb=lambda r: r is not None):
        panel.mapping_editor.combo("parent_2").setCurrentText(NOT_USED)

    expected = read_roster(SAMPLE, mapping=ColumnMapping(parents=("Parent 1 SIS ID",)))
    assert len(panel.roster().links) == len(expected.links) < 55
    assert panel.mapping().parents == ("Parent 1 SIS ID",)
    assert panel.counts_label.text().startswith(
        f"41 students, 30 parents, {len(expected.links)} parent links"
    )
    # A new file starts again from the reader's guess.
    panel.set_source(SAMPLE)
    _wait_read(qtbot, panel)
    assert panel.mapping() is None and len(panel.roster().links) == 55


def test_rows_with_errors_are_listed_and_can_be_skipped(qtbot, panel, tmp_path):
    path = _write(
        tmp_path,
        "errs.csv",
        "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID\n"
        "S1,Ann One,ann@x.example,ann,Student,P1\n"
        ",No Id,noid@x.example,noid,Student,\n"
        "S3,<b>Bad</b> Role,b@x.example,bad,Wizard,\n"
        "P1,Pat One,pat@home,pat,Parent,\n",
    )
    panel.set_source(path)
    _wait_read(qtbot, panel)

    assert panel.counts_label.text() == (
        "1 student, 1 parent, 1 parent link · 0 skipped · 2 errors, 1 warning"
    )
    rows = [[_cell(panel, r, c) for c in range(4)] for r in range(3)]
    assert rows == [
        ["errs.csv", "3", "SIS ID", "Error"],
        ["errs.csv", "4", "Role", "Error"],
        ["errs.csv", "5", "Default Email", "Warning"],
    ]
    assert _cell(panel, 1, 4).startswith("Unknown role 'Wizard'")
    box = panel.skip_bad_rows_box
    assert box.isVisible() and box.isEnabled() and not panel.skip_bad_rows()
    assert box.text().startswith("Skip the 2 rows with errors")
    box.setChecked(True)
    assert panel.skip_bad_rows()

    # Fixed file: nothing left to skip, and the old choice does not linger.
    path.write_text("SIS ID,Full Name,Username,Role\nS1,Ann One,ann,Student\n", encoding="utf-8")
    panel.set_source(path)
    _wait_read(qtbot, panel)
    assert not box.isEnabled() and not panel.skip_bad_rows()
    assert not panel.problems_table.isVisible()


def test_only_the_newest_read_counts(qtbot, panel, tmp_path):
    other = _write(tmp_path, "small.csv", "SIS ID,Full Name,Username,Role\nS1,Ann,ann,Student\n")
    seen: list[object] = []
    panel.rosterChanged.connect(seen.append)

    panel.set_source(SAMPLE)
    panel.set_source(other)
    qtbot.waitUntil(lambda: not panel.is_reading() and task_pool().activeThreadCount() == 0)
    qtbot.wait(20)  # let any stale result reach the GUI thread, where it must be dropped

    assert panel.source() == other
    assert [r for r in seen if r is not None] == [panel.roster()]
    assert list(panel.roster().people) == ["S1"]


def test_match_report_is_shown_with_its_warning(panel):
    panel.show_match(MatchReport(roster_people=71, matched=3, canvas_sis_ids=60))
    assert panel.match_line.kind == "warning"
    text = panel.match_line.text()
    assert text.startswith("Only 3 of 71 roster people (4%) were found in Canvas by SIS ID")
    assert "The SIS ID format may differ" in text

    near = MatchReport(roster_people=3, matched=1, canvas_sis_ids=5, near_misses=[("S01", "s1")])
    panel.show_match(near)
    assert panel.match_line.kind == "warning"
    assert panel.match_line.text().startswith(
        "1 of 3 roster people found in Canvas by SIS ID. 1 roster SIS IDs match a Canvas SIS ID "
        'only when case or leading zeros are ignored (for example roster "S01" and Canvas "s1").'
    )

    panel.show_match(MatchReport(roster_people=71, matched=70, canvas_sis_ids=80))
    assert panel.match_line.kind == "info"
    assert panel.match_line.text() == "70 of 71 roster people found in Canvas by SIS ID."

    panel.show_match(None)
    assert not panel.match_line.isVisible()


def test_guardian_warnings_are_in_the_problems_list(qtbot, panel, tmp_path):
    path = _write(
        tmp_path,
        "guardians.csv",
        "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID\n"
        "S1,Ann One,ann@x.example,ann,Student,P1\n"
        "P1,Pat One,,pat,Parent,\n"
        "P2,Lee Two,lee@home.example,lee,Guardian,\n",
    )
    panel.set_source(path)
    _wait_read(qtbot, panel)

    assert panel.counts_label.text() == (
        "1 student, 2 parents, 1 parent link · 0 skipped · 0 errors, 2 warnings"
    )
    rows = [[_cell(panel, r, c) for c in range(4)] for r in range(2)]
    assert rows == [
        ["guardians.csv", "3", "Default Email", "Warning"],
        ["guardians.csv", "4", "SIS ID", "Warning"],
    ]
    assert _cell(panel, 1, 4).startswith("Parent 'P2' is linked to no student")
    assert "rows with warnings are still synced" in panel.problems_label.text()
    assert not panel.skip_bad_rows_box.isEnabled()  # nothing is left out
