"""The source panel with a School Data Sync folder: the format, and staff who are parents."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.settings import load_settings, settings_path
from canvas_wizard.ui.settings_dialog import SettingsDialog
from canvas_wizard.ui.sync import source_panel
from canvas_wizard.ui.sync.source_panel import SourcePanel
from canvas_wizard.ui.tasks import task_pool

WAIT = 10_000
FILES = {
    "users.csv": "sourcedId,username,givenName,familyName,password,email\n"
    "st-1,ava,Ava,Hill,pw-1,\n"
    "st-2,ben,Ben,Hill,pw-2,\n"
    "gu-1,pat@home.example,Pat,Hill,,pat@home.example\n"
    "te-1,mara@school.example,Mara,Hill,pw-3,\n",
    "roles.csv": "userSourcedId,orgSourcedId,role\n"
    "st-1,o,student\nst-2,o,student\nte-1,o,lecturer\n",
    "relationships.csv": "userSourcedId,relationshipUserSourcedId,relationshipRole\n"
    "st-1,gu-1,guardian\nst-1,te-1,parent\nst-2,te-1,parent\n",
}


@pytest.fixture
def panel(qtbot):
    widget = SourcePanel()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    assert task_pool().waitForDone(10_000)


def test_an_sds_folder_is_named_and_its_staff_parent_links_counted(
    qtbot, panel, monkeypatch, tmp_path: Path
) -> None:
    folder = tmp_path / "sds-export"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(source_panel, "choose_roster_file", lambda parent: folder)

    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT):
        panel.choose_button.click()

    assert panel.format_label.text().startswith(
        "Format: Microsoft School Data Sync (detected). Read from sds-export/roles.csv"
    )
    assert panel.counts_label.text() == (
        "2 students, 1 parent, 1 parent link (and 2 links to staff members who are parents) "
        "· 1 skipped · no problems"
    )
    assert not panel.mapping_editor.isVisible()  # SDS columns are fixed by the standard


def test_the_parent_roles_setting_is_saved_checked_and_rereads_the_roster(
    qtbot, panel, monkeypatch, tmp_path: Path, app_home: Path
) -> None:
    paths = app_paths().ensure()
    dialog = SettingsDialog(paths)
    qtbot.addWidget(dialog)
    assert dialog.sds_roles.text() == "guardian, parent, relative"
    dialog.sds_roles.setText("parent, uncle")
    dialog.save_button.click()
    assert dialog.status.kind == "error" and "uncle" in dialog.status.text()
    assert not settings_path(paths).exists()  # nothing half-written
    dialog.sds_roles.setText("Parent")
    dialog.save_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert load_settings(paths).sds_observer_roles == ["parent"]

    folder = tmp_path / "sds-export"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(source_panel, "choose_roster_file", lambda parent: folder)
    with qtbot.waitSignal(panel.rosterChanged, timeout=WAIT):
        panel.choose_button.click()
    qtbot.waitUntil(lambda: panel.roster() is not None, timeout=WAIT)
    assert panel.counts_label.text().startswith("2 students, 1 parent, 1 parent link")
    # Only "parent" relationships now: the guardian is nobody's parent any more.
    panel.set_sds_observer_roles(frozenset(load_settings(paths).sds_observer_roles))
    qtbot.waitUntil(lambda: panel.roster() is not None and not panel.is_reading(), timeout=WAIT)
    assert panel.counts_label.text().startswith("2 students, 0 parents, 0 parent links")
