"""Help → User guide and Troubleshooting: the README's own sections, shown in the app.

The README is the one user guide; the app shows its sections rather than a second copy
that would drift. It is found next to the resources in a checkout and in the frozen
build (packaging/canvas-wizard.spec bundles it); a wheel without it says where to look.
"""

from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from canvas_wizard import APP_TITLE
from canvas_wizard.resources import resource_path

USER_GUIDE_SECTIONS = (
    "Connecting to Canvas (first run)",
    "Syncing from the app",
    "Scheduling an unattended resync",
    "Where things are kept",
)
TROUBLESHOOTING_SECTIONS = ("Troubleshooting",)


def readme_path() -> Path | None:
    frozen_root = getattr(sys, "_MEIPASS", None)
    candidates = [Path(frozen_root) / "README.md"] if frozen_root else []
    with contextlib.suppress(FileNotFoundError):
        candidates.append(resource_path("icons").parent.parent / "README.md")
    return next((p for p in candidates if p.is_file()), None)


def readme_sections(text: str, titles: tuple[str, ...]) -> str:
    """The named ``##`` sections (with their ``###`` subsections), in the order given."""
    found: list[str] = []
    for title in titles:
        match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
        if match:
            # Screenshots live beside the README, not in the app: leave them out.
            body = re.sub(r"^.*!\[.*$\n?", "", match.group(1), flags=re.M)
            found.append(f"## {title}\n{body}")
    return "\n".join(found)


def help_markdown(titles: tuple[str, ...]) -> str:
    path = readme_path()
    if path is None:
        return (
            "The user guide is the README of Canvas Sync Wizard (README.md), which was not "
            "installed with this copy. Ask whoever installed the app for it."
        )
    return readme_sections(path.read_text(encoding="utf-8"), titles)


class HelpDialog(QDialog):
    def __init__(self, title: str, markdown: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — {APP_TITLE}")
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName(title)
        self.browser.setOpenExternalLinks(False)
        self.browser.setMarkdown(markdown)
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 620)


def show_user_guide(parent: QWidget) -> HelpDialog:
    dialog = HelpDialog("User guide", help_markdown(USER_GUIDE_SECTIONS), parent)
    dialog.open()
    return dialog


def show_troubleshooting(parent: QWidget) -> HelpDialog:
    dialog = HelpDialog("Troubleshooting", help_markdown(TROUBLESHOOTING_SECTIONS), parent)
    dialog.open()
    return dialog
