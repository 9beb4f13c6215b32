"""The preview: every action a sync would take, as a sortable, filterable table with totals.

A plan for a large school holds a quarter of a million actions, so the table is
a model/view pair whose rows are built once (:func:`plan_rows`, the same rows
the preview CSV holds), and the model sorts and filters them itself (see
:class:`PlanTableModel` for why not a QSortFilterProxyModel). Cells are shown by Qt's default delegate, which never
interprets text as HTML: names come from a roster file and from Canvas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.sync.model import WRITE_KINDS, ActionKind, LinkAction, PersonAction, Plan
from canvas_wizard.core.sync.outcome import link_key
from canvas_wizard.core.sync.plan_export import (
    RECORD_LINK,
    RECORD_PERSON,
    PlanRow,
    describe_totals,
    link_row,
    person_names,
    person_row,
    write_plan_csv,
)
from canvas_wizard.core.sync.visibility import EXPLANATION, FILTER_LABEL
from canvas_wizard.core.sync.visibility import FILTER_DATA as NOT_VISIBLE
from canvas_wizard.ui.palette import problem_text_color
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, documents_dir, plain_label, plain_tooltip

_Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()

COLUMNS = ("Action", "Record", "SIS ID", "Name", "Role", "Changes", "Reason")
ACTION_LABELS = {
    ActionKind.CREATE: "Create",
    ActionKind.ADOPT: "Take over",
    ActionKind.UPDATE: "Update",
    ActionKind.UNCHANGED: "Unchanged",
    ActionKind.LINK: "Link",
    ActionKind.UNLINK: "Unlink",
    ActionKind.SUSPEND: "Suspend",
    ActionKind.REMOVE: "Remove",
    ActionKind.CONFLICT: "Conflict",
    ActionKind.SKIP: "Skip",
}
#: The filter's "Changes only": everything that would write to Canvas.
CHANGES_ONLY = "changes"
_COLUMN_WIDTHS = (80, 60, 120, 200, 70, 300)


def choose_export_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save the preview CSV; tests replace this function."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export preview", suggested, "CSV files (*.csv)")
    if not path:
        return None
    chosen = Path(path)
    return chosen if chosen.suffix.lower() == ".csv" else chosen.with_name(chosen.name + ".csv")


_Action = PersonAction | LinkAction


def _cells(row: PlanRow) -> tuple[str, ...]:
    return (
        ACTION_LABELS[row.kind],
        row.record.capitalize(),
        row.sis_id,
        row.name,
        row.role.capitalize(),
        row.changes,
        row.reason,
    )


class PlanTableModel(QAbstractTableModel):
    """Rows from a Plan (people, then links); columns as :data:`COLUMNS`.

    The model holds the plan's own action objects and puts a row into words
    (:func:`person_row`, :func:`link_row`, as the CSV does) only when it is
    painted, so showing a 200,000-action plan costs one list, not 200,000 rows
    of text. It also sorts and filters itself: a QSortFilterProxyModel calls
    back into Python once per row for every filter pass and once per
    comparison when it sorts, which froze the window for seconds on such a plan.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self._names: dict[str, str] = {}
        self._in_plan_order: list[_Action] = []
        self._sorted: list[_Action] = []  # every action, in the current sort
        self._shown: list[_Action] = []  # those that pass the filter, in that sort
        self._search_keys: dict[int, str] | None = None  # id(action) → key; built on first search
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._kinds: frozenset[ActionKind] | None = None  # None: every kind
        self._search = ""
        self._only: frozenset[str] | None = None  # link keys to show, when not None
        self._last: tuple[int, PlanRow] | None = None  # a painted row asks for 7 cells in turn

    # -- content -------------------------------------------------------------------
    def set_plan(self, plan: Plan | None) -> None:
        """Show ``plan``, keeping the current sort and filter."""
        self.beginResetModel()
        self._plan = plan
        self._names = person_names(plan) if plan is not None else {}
        self._in_plan_order = [*plan.people, *plan.links] if plan is not None else []
        self._search_keys = None
        self._last = None
        self._sorted = self._sorted_actions()
        self._shown = self._filtered()
        self.endResetModel()

    def plan(self) -> Plan | None:
        return self._plan

    def row(self, row: int) -> PlanRow:
        """The action shown in ``row``, in words."""
        if self._last is not None and self._last[0] == row:
            return self._last[1]
        made = self._row_of(self._shown[row])
        self._last = (row, made)
        return made

    def total_rows(self) -> int:
        return len(self._in_plan_order)

    def _row_of(self, action: _Action) -> PlanRow:
        if isinstance(action, PersonAction):
            return person_row(action)
        return link_row(action, self._names)

    # -- filter and sort -----------------------------------------------------------
    def set_filter(
        self,
        kinds: frozenset[ActionKind] | None,
        search: str = "",
        only_links: frozenset[str] | None = None,
    ) -> None:
        """Show only actions of ``kinds`` (None: all) whose SIS ID or name contains ``search``
        (and, with ``only_links``, only the links of those keys)."""
        self.beginResetModel()
        self._kinds, self._search = kinds, search.strip().casefold()
        self._only = only_links
        self._last = None
        self._shown = self._filtered()
        self.endResetModel()

    def _filtered(self) -> list[_Action]:
        kinds, search, only = self._kinds, self._search, self._only
        base = self._sorted
        if only is not None:
            base = [
                a
                for a in base
                if isinstance(a, LinkAction) and link_key(a.parent_sis_id, a.student_sis_id) in only
            ]
        if not search:
            if kinds is None:
                return base
            return [a for a in base if a.kind in kinds]
        if self._search_keys is None:
            self._search_keys = {id(a): self._search_key(a) for a in self._in_plan_order}
        keys = self._search_keys
        return [a for a in base if (kinds is None or a.kind in kinds) and search in keys[id(a)]]

    def _search_key(self, action: _Action) -> str:
        row = self._row_of(action) if isinstance(action, LinkAction) else None
        if row is not None:
            return f"{row.sis_id}\n{row.name}".casefold()
        assert isinstance(action, PersonAction)
        name = action.person.full_name if action.person is not None else ""
        return f"{action.sis_id}\n{name}".casefold()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by the column's text; equal rows stay in plan order. Column -1: plan order."""
        self._sort = (column, order) if 0 <= column < len(COLUMNS) else None
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_actions = [self._shown[i.row()] for i in old]
        self._sorted = self._sorted_actions()
        self._shown = self._filtered()
        self._last = None
        if old:  # keep the selection on the same actions
            where = {id(a): n for n, a in enumerate(self._shown)}
            self.changePersistentIndexList(
                old,
                [
                    self.index(where[id(a)], i.column())
                    for a, i in zip(old_actions, old, strict=True)
                ],
            )
        self.layoutChanged.emit()

    def _sorted_actions(self) -> list[_Action]:
        if self._sort is None:
            return self._in_plan_order
        column, order = self._sort
        key = self._sort_key(column)
        # A stable sort from plan order keeps ties in plan order, ascending or descending.
        return sorted(self._in_plan_order, key=key, reverse=order is Qt.SortOrder.DescendingOrder)

    def _sort_key(self, column: int) -> Callable[[_Action], str]:
        """The text of ``column``, case-folded, read straight from the action where it can be:
        putting 200,000 rows into words just to sort them took seconds."""
        if column == 0:
            labels = {kind: label.casefold() for kind, label in ACTION_LABELS.items()}
            return lambda a: labels[a.kind]
        if column == 1:
            return lambda a: RECORD_PERSON if isinstance(a, PersonAction) else RECORD_LINK
        if column == 2:
            return lambda a: (
                a.sis_id if isinstance(a, PersonAction) else f"{a.parent_sis_id}→{a.student_sis_id}"
            ).casefold()
        if column == 3:
            return lambda a: (
                (a.person.full_name if a.person is not None else "")
                if isinstance(a, PersonAction)
                else link_row(a, self._names).name
            ).casefold()
        if column == 4:
            return lambda a: a.role.value if isinstance(a, PersonAction) and a.role else ""
        if column == 6:
            return lambda a: a.reason.casefold()
        return lambda a: _cells(self._row_of(a))[column].casefold()

    # -- QAbstractTableModel -------------------------------------------------------
    def rowCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: _Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _cells(self.row(index.row()))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() >= len(COLUMNS) - 2:
            # Changes and reasons are long: readable whole by hovering, not only by clicking.
            return plain_tooltip(_cells(self.row(index.row()))[index.column()])
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and self._shown[index.row()].kind is ActionKind.CONFLICT
        ):
            return QBrush(problem_text_color())  # follows a light or dark theme
        return None


class PlanView(QWidget):
    """A plan as the admin reviews it before anything is written.

    Totals, a filter by action, a search box over SIS IDs and names, the table,
    the full text of the selected row, and "Export preview…" to CSV.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PlanTableModel(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.totals_label = plain_label()
        self.totals_label.setAccessibleName("Totals of the preview")
        font = self.totals_label.font()
        font.setBold(True)
        self.totals_label.setFont(font)
        self.notes_label = plain_label()
        self.notes_label.setAccessibleName("Notes about this run")
        self.notes_label.setVisible(False)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.notes_label)

        tools = QHBoxLayout()
        self.action_filter = QComboBox()
        self.action_filter.setAccessibleName("Show actions of kind")
        self.action_filter.currentIndexChanged.connect(self._on_filter)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search SIS ID or name")
        self.search_edit.setAccessibleName("Search SIS ID or name")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_filter)
        self.shown_label = plain_label(wrap=False)
        self.export_button = QPushButton("Export preview…")
        self.export_button.setAccessibleName("Export the preview to a CSV file")
        self.export_button.clicked.connect(self._on_export)
        tools.addWidget(QLabel("Show:"))
        tools.addWidget(self.action_filter)
        tools.addWidget(self.search_edit, 1)
        tools.addWidget(self.shown_label)
        tools.addWidget(self.export_button)
        layout.addLayout(tools)

        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # Tab moves to the next control, not cell
        self.table.setModel(self.model)
        self.table.setAccessibleName("Planned actions")
        # Plan order (people, then links) until the admin clicks a column.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        # Fixed heights: measuring each of 250,000 rows would freeze the window.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        for column, width in enumerate(_COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        layout.addWidget(self.table, 1)

        self.detail_label = plain_label()
        self.detail_label.setAccessibleName("The selected action in full")
        self.status = StatusLine()
        layout.addWidget(self.detail_label)
        layout.addWidget(self.status)
        self.set_plan(None)

    def set_plan(self, plan: Plan | None) -> None:
        self.model.set_plan(plan)  # keeps the admin's sort and filter across previews
        self.status.clear()
        self.detail_label.clear()
        self.totals_label.setText(describe_totals(plan) if plan is not None else "No preview yet.")
        self.notes_label.setText("\n".join(plan.notes) if plan is not None else "")
        # The result screen says why; here, on a small screen, rows come first.
        self.notes_label.setToolTip(EXPLANATION if plan is not None and plan.not_visible else "")
        self.notes_label.setVisible(bool(plan is not None and plan.notes))
        self._fill_filter(plan)
        self.export_button.setEnabled(plan is not None)
        self._update_shown()

    def plan(self) -> Plan | None:
        return self.model.plan()

    def shown_rows(self) -> int:
        return self.model.rowCount()

    def _fill_filter(self, plan: Plan | None) -> None:
        totals = plan.totals() if plan is not None else dict.fromkeys(ActionKind, 0)
        chosen = self.action_filter.currentData()
        self.action_filter.blockSignals(True)
        try:
            self.action_filter.clear()
            self.action_filter.addItem(f"All ({sum(totals.values())})", None)
            changes = sum(n for kind, n in totals.items() if kind in WRITE_KINDS)
            self.action_filter.addItem(f"Changes only ({changes})", CHANGES_ONLY)
            for kind, label in ACTION_LABELS.items():
                if kind is ActionKind.REMOVE and not totals[kind]:
                    continue  # only an undo removes people: a sync's filter stays as it was
                if kind is ActionKind.ADOPT and not totals[kind]:
                    continue  # only runs that take users over have any
                self.action_filter.addItem(f"{label} ({totals[kind]})", kind)
            if plan is not None and plan.not_visible:
                hidden = len(plan.not_visible)
                self.action_filter.addItem(f"{FILTER_LABEL} ({hidden})", NOT_VISIBLE)
            # Keep the admin's filter across previews: they are usually checking one thing.
            self.action_filter.setCurrentIndex(max(0, self.action_filter.findData(chosen)))
        finally:
            self.action_filter.blockSignals(False)
        self._on_filter()

    def _on_filter(self, _changed: object = None) -> None:
        data = self.action_filter.currentData()
        plan, only = self.model.plan(), None
        if data == NOT_VISIBLE:
            kinds: frozenset[ActionKind] | None = None
            only = frozenset(plan.not_visible if plan is not None else ())
        elif data == CHANGES_ONLY:
            kinds = WRITE_KINDS
        elif data is None:
            kinds = None
        else:
            kinds = frozenset({ActionKind(data)})
        self.model.set_filter(kinds, self.search_edit.text(), only)
        self._update_shown()

    def _update_shown(self) -> None:
        total = self.model.total_rows()
        shown = self.model.rowCount()
        self.shown_label.setText(f"{shown} of {total}" if shown != total else f"{total} rows")

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail_label.clear()
            return
        row = self.model.row(current.row())
        parts = [f"{ACTION_LABELS[row.kind]} {row.record} {row.sis_id}"]
        if row.name:
            parts[0] += f" ({row.name})"
        parts += [text for text in (row.changes, row.reason) if text]
        self.detail_label.setText(" — ".join(parts))

    def _on_export(self) -> None:
        plan = self.plan()
        if plan is None:
            return
        path = choose_export_path(
            self, str(documents_dir() / "canvas-sync-preview.csv")
        )  # a module global: tests replace it
        if path is None:
            return
        self.export_button.setEnabled(False)
        self.status.show_status("busy", f"Saving the preview to {path}…")

        def saved(_result: object) -> None:
            self.export_button.setEnabled(self.plan() is not None)
            self.status.show_status("ok", f"Preview saved to {path}.")

        def failed(error: Exception) -> None:
            self.export_button.setEnabled(self.plan() is not None)
            if isinstance(error, OSError):
                reason = error.strerror or str(error)
                self.status.show_status(
                    "error",
                    f"Could not save the preview to {path}: {reason}. "
                    "Choose another folder, or close the file if a spreadsheet has it open.",
                )
            else:
                self.status.show_error(error)

        run_in_background(self, lambda: write_plan_csv(plan, path), saved, failed)
