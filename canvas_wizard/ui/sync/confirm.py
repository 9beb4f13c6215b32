"""Asking before a sync the admin has not previewed: what it would write, and whether the file is right.

"Sync now" with no preview of the file now chosen first previews it, then asks
with the preview's totals ("This will create 3,500 people and 2,900 links in
Northfield; nothing matched Canvas by SIS ID — is this the right file?").
"Cancel" is the default button: Enter must never write to Canvas.

The main window calls the module-level :func:`ask_confirm_sync`; tests replace it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from canvas_wizard import APP_TITLE
from canvas_wizard.core.sync.match import MatchReport
from canvas_wizard.core.sync.model import ActionKind, Plan
from canvas_wizard.core.sync.service import SyncRequest


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _links(n: int) -> str:
    return f"{n:,} parent–student {'link' if n == 1 else 'links'}"


def confirmation_text(plan: Plan, match: MatchReport | None, where: str) -> str:
    """One question with the plan's totals and how much of the roster Canvas already knows."""
    people, links = plan.person_totals(), plan.link_totals()
    parts = []
    if people[ActionKind.CREATE]:
        parts.append(f"create {_people(people[ActionKind.CREATE])}")
    if people[ActionKind.UPDATE]:
        parts.append(f"change {_people(people[ActionKind.UPDATE])}")
    if people[ActionKind.SUSPEND]:
        parts.append(f"suspend {_people(people[ActionKind.SUSPEND])}")
    if links[ActionKind.LINK]:
        parts.append(f"add {_links(links[ActionKind.LINK])}")
    if links[ActionKind.UNLINK]:
        parts.append(f"remove {_links(links[ActionKind.UNLINK])}")
    if not parts:
        what = f"Nothing needs to change in {where}."
    elif len(parts) == 1:
        what = f"This will {parts[0]} in {where}."
    else:
        what = f"This will {', '.join(parts[:-1])} and {parts[-1]} in {where}."
    found = ""
    if match is not None and match.roster_people:
        if match.matched == 0:
            found = " Nobody in the roster matched Canvas by SIS ID."
        else:
            found = (
                f" {match.matched:,} of the {_people(match.roster_people)} in the roster "
                "matched Canvas by SIS ID."
            )
    return f"{what}{found} Is this the right file?"


def confirm_box(parent: QWidget | None, text: str) -> tuple[QMessageBox, QPushButton]:
    """The question, and its "Sync now" button; Cancel is the default and the Escape button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(f"Sync now? — {APP_TITLE}")
    box.setText(text)
    box.setInformativeText(
        "You have not previewed this file. The preview is shown behind this question; "
        "nothing has been written yet."
    )
    sync = box.addButton("Sync now", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    sync.setAutoDefault(False)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box, sync


def ask_confirm_sync(parent: QWidget, text: str) -> bool:
    """True only when the admin chose "Sync now"; Cancel is the default button."""
    box, sync = confirm_box(parent, text)
    try:
        box.exec()
        return box.clickedButton() is sync
    finally:
        box.deleteLater()


def preview_key(request: SyncRequest) -> tuple[object, ...]:
    """What a preview depends on: the file (and its size and time), the format and options.

    Sync now acts only on a preview whose key equals the key of what is chosen now.
    """
    source = request.source
    try:
        if source.is_dir():
            stamp: object = tuple(
                sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in source.iterdir())
            )
        else:
            info = source.stat()
            stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = None  # gone or unreadable: never equal to a key taken when it could be read
    mapping = request.mapping.as_dict() if request.mapping is not None else None
    return (
        str(source),
        stamp,
        request.format,
        repr(mapping),
        request.options.suspend_missing,
        request.skip_bad_rows,
    )


class EnterNeverClicks(QObject):
    """An event filter: Return/Enter on a button that writes to Canvas does nothing.

    Some platform themes (GNOME's among them) press a focused button on Enter as
    well as on Space; a sync must take a deliberate click or Space.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            event.accept()
            return True
        return False


STOP_QUESTION = (
    "A sync is writing to Canvas. Stop it after the records in flight, or keep it running?"
)


def stop_box(parent: QWidget | None) -> tuple[QMessageBox, QPushButton]:
    """The question asked when the window closes during a sync, and its "Stop" button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(f"Close while syncing? — {APP_TITLE}")
    box.setText(STOP_QUESTION)
    box.setInformativeText(
        "Stopping lets the requests already sent finish, records every change written in "
        "the History, and then closes the app. Run the sync again later to finish the rest."
    )
    stop = box.addButton("Stop after the records in flight", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep it running", QMessageBox.ButtonRole.RejectRole)
    stop.setAutoDefault(False)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box, stop


def ask_stop_sync(parent: QWidget) -> bool:
    """Closing during a sync: True to stop it (then close), False to keep it running."""
    box, stop = stop_box(parent)
    try:
        box.exec()
        return box.clickedButton() is stop
    finally:
        box.deleteLater()
