"""The parts of the source panel that describe a roster: its problems, its columns, its counts.

All text here comes from a file the school exported, so it is shown only through
plain labels and Qt's default item delegate, neither of which interprets HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QStyle,
    QWidget,
)

from canvas_wizard.core.roster import ColumnMapping, Problem, Severity
from canvas_wizard.core.roster.model import Role, Roster

#: Mapping fields of a Cloudwork export, in the order the editor shows them.
MAPPING_FIELDS = (
    ("sis_id", "SIS ID"),
    ("full_name", "Full name"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "Email"),
    ("username", "Username"),
    ("role", "Role"),
)
NOT_USED = "(not used)"
#: Parent columns offered even when the file's header suggests fewer.
MIN_PARENT_COLUMNS = 2
#: Fields side by side, so the editor stays a few lines high above the preview.
EDITOR_COLUMNS = 3

_NO_PARENT = QModelIndex()


class ProblemTableModel(QAbstractTableModel):
    """The reader's problems: errors first, then warnings, each in file order."""

    HEADERS = ("File", "Row", "Column", "Severity", "Problem")

    def __init__(self) -> None:
        super().__init__()
        self._problems: list[Problem] = []

    def set_problems(self, problems: Sequence[Problem]) -> None:
        self.beginResetModel()
        self._problems = sorted(problems, key=lambda p: p.severity is not Severity.ERROR)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        problem = self._problems[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return problem.file
            if column == 1:
                return "—" if problem.row is None else str(problem.row)
            if column == 2:
                return problem.column or "—"
            if column == 3:
                return "Error" if problem.severity is Severity.ERROR else "Warning"
            return f"{problem.message} {problem.hint}".strip()
        if role == Qt.ItemDataRole.DecorationRole and column == 3:
            icon = (
                QStyle.StandardPixmap.SP_MessageBoxCritical
                if problem.severity is Severity.ERROR
                else QStyle.StandardPixmap.SP_MessageBoxWarning
            )
            return QApplication.style().standardIcon(icon)
        return None


class MappingEditor(QGroupBox):
    """One combo per field of a Cloudwork export, listing the file's columns.

    Signals:
        mappingChosen(object): a ColumnMapping with every field set, after the
            admin changed a column.
    """

    mappingChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Columns of the Cloudwork export", parent)
        self.setToolTip("Change a column if the guess is wrong; the file is read again.")
        self._grid = QGridLayout(self)
        self._grid.setHorizontalSpacing(8)
        for n in range(EDITOR_COLUMNS):
            self._grid.setColumnStretch(2 * n + 1, 1)
        self._combos: dict[str, QComboBox] = {}
        self._widgets: list[QWidget] = []
        self._filling = False  # True while the editor sets the combos itself

    def combo(self, name: str) -> QComboBox:
        """The column chooser for a field ("sis_id", "parent_1", …)."""
        return self._combos[name]

    def show_mapping(self, headers: Sequence[str], chosen: Mapping[str, str]) -> None:
        """Offer ``headers`` for every field, with ``chosen`` (Roster.mapping terms) selected."""
        parents = sum(1 for key in chosen if key.startswith("parent_"))
        fields = [*MAPPING_FIELDS] + [
            (f"parent_{n}", f"Parent {n} SIS ID")
            for n in range(1, 1 + max(parents, MIN_PARENT_COLUMNS))
        ]
        self._filling = True
        try:
            for widget in self._widgets:
                self._grid.removeWidget(widget)
                widget.deleteLater()
            self._widgets = []
            self._combos = {}
            for n, (name, label) in enumerate(fields):
                combo = QComboBox()
                combo.setAccessibleName(f"Column for {label}")
                combo.addItem(NOT_USED, "")
                for header in headers:
                    combo.addItem(header, header)
                combo.setCurrentIndex(max(0, combo.findData(chosen.get(name, ""))))
                combo.currentIndexChanged.connect(self._on_changed)
                caption = QLabel(f"{label}:")
                caption.setBuddy(combo)
                row, column = divmod(n, EDITOR_COLUMNS)
                self._grid.addWidget(caption, row, 2 * column)
                self._grid.addWidget(combo, row, 2 * column + 1)
                self._widgets += [caption, combo]
                self._combos[name] = combo
        finally:
            self._filling = False

    def mapping(self) -> ColumnMapping:
        chosen = {name: str(combo.currentData()) for name, combo in self._combos.items()}
        parents = tuple(v for k, v in chosen.items() if k.startswith("parent_") and v)
        # Every field is set ("" = not used), so nothing is left to the reader's guess.
        return ColumnMapping(
            parents=parents, **{name: chosen.get(name, "") for name, _ in MAPPING_FIELDS}
        )

    def _on_changed(self, _index: int) -> None:
        if not self._filling:
            self.mappingChosen.emit(self.mapping())


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def counts_text(roster: Roster) -> str:
    """``41 students, 30 parents, 55 parent links · 2 skipped · 0 errors, 1 warning``."""
    errors, warnings = len(roster.errors), len(roster.warnings)
    problems = (
        "no problems"
        if not roster.problems
        else f"{_plural(errors, 'error', 'errors')}, {_plural(warnings, 'warning', 'warnings')}"
    )
    staff = len(roster.staff_links)
    staff_text = (
        f" (and {_plural(staff, 'link', 'links')} to staff members who are parents)"
        if staff
        else ""
    )
    return (
        f"{_plural(roster.count(Role.STUDENT), 'student', 'students')}, "
        f"{_plural(roster.count(Role.PARENT), 'parent', 'parents')}, "
        f"{_plural(len(roster.links), 'parent link', 'parent links')}{staff_text} · "
        f"{len(roster.skipped)} skipped · {problems}"
    )


def skipped_text(roster: Roster, *, shown: int = 5) -> str:
    """Why rows were left out, most common reason first."""
    reasons = Counter(s.reason for s in roster.skipped)
    text = "; ".join(
        f"{reason} ({_plural(n, 'row', 'rows')})" for reason, n in reasons.most_common(shown)
    )
    more = len(reasons) - shown
    return f"Left out: {text}" + (f"; and {more} other reasons" if more > 0 else "") + "."
