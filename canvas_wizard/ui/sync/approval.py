"""Approving one held run: what limit it crossed, by how much, and exactly what it would do.

A run that would unlink, suspend, change or create more than the safety limits allow
stops before writing anything. The admin sees the limit's sentence, the numbers,
and the first actions of each kind that crossed a limit, and either approves
this one run or does not sync. "Don't sync" is the default button: pressing
Enter on a dialog full of surprises must not write to Canvas.

The main window calls the module-level :func:`ask_approval`; tests replace it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.sync.limits import LimitBreach
from canvas_wizard.core.sync.model import ActionKind, Plan
from canvas_wizard.core.sync.plan_export import PlanRow, plan_rows
from canvas_wizard.ui.widgets import plain_label

#: How many of the held actions the dialog lists; the preview export has them all.
MAX_LISTED = 200

#: Which actions a breached limit is about, and how the numbers table names it.
_KINDS = {
    "unlink": (ActionKind.UNLINK, "Parent links removed"),
    "suspend": (ActionKind.SUSPEND, "Canvas users suspended"),
    "change": (ActionKind.UPDATE, "Existing users changed"),
    "create": (ActionKind.CREATE, "New users created"),
    # An undo's limit on people it takes out of use: removed, or suspended instead.
    "remove": (ActionKind.REMOVE, "Canvas users removed or suspended"),
}
_VERBS = {
    ActionKind.UNLINK: "Unlink",
    ActionKind.SUSPEND: "Suspend",
    ActionKind.UPDATE: "Change",
    ActionKind.CREATE: "Create",
    ActionKind.REMOVE: "Remove",
    ActionKind.ADOPT: "Take over",
}


def held_rows(breaches: Sequence[LimitBreach], plan: Plan) -> list[PlanRow]:
    """The plan's actions of every kind that crossed a limit, in plan order."""
    kinds = {_KINDS[b.what][0] for b in breaches if b.what in _KINDS}
    if ActionKind.REMOVE in kinds:
        kinds.add(ActionKind.SUSPEND)
    if ActionKind.UPDATE in kinds:
        kinds.add(ActionKind.ADOPT)  # taking a user over counts as a change (sync/limits.py)
    return [row for row in plan_rows(plan) if row.kind in kinds]


def _item(text: str) -> QTableWidgetItem:
    return QTableWidgetItem(text)  # shown by the default delegate: plain text, never HTML


class ApprovalDialog(QDialog):
    """The review of a held run; ``exec()`` returns Accepted only for "Approve this run once"."""

    def __init__(
        self, breaches: Sequence[LimitBreach], plan: Plan, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Approve this run?")
        self.setModal(True)
        layout = QVBoxLayout(self)

        heading = plain_label(
            "This sync was stopped before anything was written to Canvas, because it would "
            "cross a safety limit."
        )
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)

        self.breach_labels: list[QLabel] = []
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for breach in breaches:
            row = QHBoxLayout()
            mark = QLabel()
            mark.setPixmap(icon.pixmap(20, 20))
            mark.setFixedWidth(26)
            sentence = plain_label(breach.limit)
            sentence.setAccessibleName("Safety limit crossed")
            self.breach_labels.append(sentence)
            row.addWidget(mark, 0)
            row.addWidget(sentence, 1)
            layout.addLayout(row)

        self.numbers = QTableWidget(len(breaches), 4)
        self.numbers.setAccessibleName("The numbers against the limits")
        self.numbers.setHorizontalHeaderLabels(["Limit", "This run", "Out of", "Share"])
        for r, breach in enumerate(breaches):
            label = _KINDS.get(breach.what, (None, breach.what))[1]
            cells = (label, str(breach.count), str(breach.total), f"{breach.share:.0%}")
            for c, text in enumerate(cells):
                self.numbers.setItem(r, c, _item(text))
        self._settle(self.numbers)
        self.numbers.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.numbers.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.numbers.setFixedHeight(
            self.numbers.horizontalHeader().height()
            + sum(self.numbers.rowHeight(r) for r in range(len(breaches)))
            + 2 * self.numbers.frameWidth()
        )
        layout.addWidget(self.numbers)

        rows = held_rows(breaches, plan)
        listed = rows[:MAX_LISTED]
        self.list_label = plain_label(
            f"What this run would do ({len(rows)}):"
            if len(rows) <= MAX_LISTED
            else f"What this run would do: the first {MAX_LISTED} of {len(rows)}. "
            "Export the preview to see them all."
        )
        layout.addWidget(self.list_label)
        self.actions_table = QTableWidget(len(listed), 4)
        self.actions_table.setAccessibleName("What this run would unlink, suspend or change")
        self.actions_table.setHorizontalHeaderLabels(["Action", "SIS ID", "Name", "Details"])
        for r, held in enumerate(listed):
            details = held.changes or held.reason
            cells = (_VERBS.get(held.kind, held.kind.value), held.sis_id, held.name, details)
            for c, text in enumerate(cells):
                self.actions_table.setItem(r, c, _item(text))
        self._settle(self.actions_table)
        layout.addWidget(self.actions_table, 1)

        self.fingerprint_label = plain_label(
            f"Approving lets this run go ahead once (plan {plan.fingerprint()}). The limits stay "
            "as they are: a later run that crosses them is stopped again."
        )
        layout.addWidget(self.fingerprint_label)

        buttons = QDialogButtonBox()
        self.approve_button = QPushButton("Approve this run once")
        self.approve_button.setAccessibleName("Approve this run once and write to Canvas")
        self.cancel_button = QPushButton("Don't sync")
        self.cancel_button.setAccessibleName("Don't sync: nothing is written")
        buttons.addButton(self.approve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.approve_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 560)

    @staticmethod
    def _settle(table: QTableWidget) -> None:
        table.setTabKeyNavigation(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        for column in range(table.columnCount() - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)


def ask_approval(parent: QWidget, breaches: list[LimitBreach], plan: Plan) -> bool:
    """Show the review; True only when the admin chose "Approve this run once"."""
    dialog = ApprovalDialog(breaches, plan, parent)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
