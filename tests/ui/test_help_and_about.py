"""Help → User guide and Troubleshooting show the README's sections; About tells the
truth about where this run keeps its secrets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMenu

from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store import SecretStore
from canvas_wizard.ui import help as help_module
from canvas_wizard.ui.about import AboutDialog
from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.tasks import task_pool

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_help_menu_offers_the_user_guide_and_troubleshooting(qtbot, connected):
    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    menus = {m.title(): m for m in win.menuBar().findChildren(QMenu)}
    actions = {a.text(): a for a in menus["&Help"].actions()}
    assert {"&User guide", "&Troubleshooting"} <= set(actions)

    actions["&User guide"].trigger()
    guide = win.findChild(help_module.HelpDialog)
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert "Syncing from the app" in text and "Sync now" in text and "Safety limits" in text
    guide.close()
    actions["&Troubleshooting"].trigger()
    shown = [d for d in win.findChildren(help_module.HelpDialog) if d.isVisible()]
    assert "redirect_uri does not match" in shown[-1].browser.toPlainText()
    win.close()
    assert task_pool().waitForDone(10_000)


def test_sections_come_from_the_readme_without_its_screenshots():
    text = help_module.readme_sections(README.read_text(encoding="utf-8"), ("Troubleshooting",))
    assert text.startswith("## Troubleshooting\n")
    assert "## Performance" not in text and "![" not in text


def test_about_says_where_secrets_are_in_this_run(qtbot, app_home):
    paths = app_paths().ensure()
    session = AboutDialog(paths, SecretStore(session_only=True))
    qtbot.addWidget(session)
    assert "in memory for this run only" in session.secrets_label.text()
    kept = AboutDialog(paths, SecretStore())
    qtbot.addWidget(kept)
    assert kept.secrets_label.text().startswith("Kept in ")
    assert "memory" not in kept.secrets_label.text()
