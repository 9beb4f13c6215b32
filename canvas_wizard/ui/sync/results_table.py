"""Every record's outcome as a sortable, filterable table, and exporting it as CSV.

A run may hold a quarter of a million records, so the table is a model/view
pair (a QTableWidget item per cell would take seconds to fill). Cells are shown
by Qt's default delegate, which never interprets text as HTML: names and
messages come from a roster file and from Canvas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.sync.plan_export import RECORD_LINK, RECORD_PERSON
from canvas_wizard.core.sync.report import SyncReport, write_report_csv
from canvas_wizard.core.sync.service import SyncOutcome
from canvas_wizard.core.sync.visibility import FILTER_DATA as NOT_VISIBLE
from canvas_wizard.core.sync.visibility import FILTER_LABEL
from canvas_wizard.ui.sync.plan_table import ACTION_LABELS
from canvas_wizard.ui.tasks import Task, run_in_background
from canvas_wizard.ui.widgets import describe_error, plain_label, plain_tooltip

COLUMNS = ("Status", "Action", "Record", "SIS ID", "Name", "Message")
#: The words a person reads for each result; the preview table's for actions and records.
STATUS_LABELS = {
    OutcomeStatus.DONE: "Done",
    OutcomeStatus.UNCHANGED: "Unchanged",
    OutcomeStatus.CONFLICT: "Conflict",
    OutcomeStatus.FAILED: "Failed",
    OutcomeStatus.SKIPPED: "Skipped",
    OutcomeStatus.NOT_RUN: "Not run",
}
RECORD_LABELS = {RECORD_PERSON: "Person", RECORD_LINK: "Link"}


def outcome_cells(o: RecordOutcome) -> tuple[str, str, str, str, str, str]:
    """A record's result in the words of the preview table (never "unchanged", "person")."""
    return (
        STATUS_LABELS.get(o.status, o.status.value),
        ACTION_LABELS.get(o.action, o.action.value),
        RECORD_LABELS.get(o.record, o.record),
        o.key,
        o.name,
        o.message,
    )


#: Statuses offered in the filter, most urgent first.
STATUS_ORDER = (
    OutcomeStatus.FAILED,
    OutcomeStatus.NOT_RUN,
    OutcomeStatus.CONFLICT,
    OutcomeStatus.DONE,
    OutcomeStatus.UNCHANGED,
    OutcomeStatus.SKIPPED,
)
_Index = QModelIndex | QPersistentModelIndex

#: The counts always shown, in order, with their labels.
COUNT_LABELS: dict[str, str] = {
    "created": "Created",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "linked": "Linked",
    "unlinked": "Unlinked",
    "conflicts": "Conflicts",
    "failed": "Failed",
}
_DONE_WORDS = {
    ActionKind.CREATE: "created",
    ActionKind.ADOPT: "taken over",
    ActionKind.UPDATE: "updated",
    ActionKind.LINK: "linked",
    ActionKind.UNLINK: "unlinked",
    ActionKind.SUSPEND: "suspended",
    ActionKind.REMOVE: "removed",
    ActionKind.UNCHANGED: "unchanged",
}
_STATUS_WORDS = {
    OutcomeStatus.UNCHANGED: "unchanged",
    OutcomeStatus.CONFLICT: "conflicts",
    OutcomeStatus.FAILED: "failed",
    OutcomeStatus.SKIPPED: "skipped",
    OutcomeStatus.NOT_RUN: "not run",
}


def count_outcomes(outcomes: Sequence[RecordOutcome], *, preview: bool = False) -> Counter[str]:
    """Records per word ("created", "failed", ...); a preview counts planned writes as done."""
    counts: Counter[str] = Counter()
    for o in outcomes:
        planned = preview and o.status is OutcomeStatus.NOT_RUN
        if o.status is OutcomeStatus.DONE or planned:
            counts[_DONE_WORDS.get(o.action, "done")] += 1
        else:
            counts[_STATUS_WORDS.get(o.status, o.status.value)] += 1
    return counts


#: The order counts are told in: writes first, then problems, then the rest.
COUNT_ORDER = (
    "created",
    "taken over",
    "updated",
    "linked",
    "unlinked",
    "suspended",
    "removed",
    "done",
    "to write",
    "failed",
    "not run",
    "conflicts",
    "skipped",
    "unchanged",
)
#: A preview's counts are of what would be written.
PREVIEW_WORDS = {
    "created": "to create",
    "taken over": "to take over",
    "updated": "to update",
    "linked": "to link",
    "unlinked": "to unlink",
    "suspended": "to suspend",
    "removed": "to remove",
}


def normalise_counts(counts: Mapping[str, int]) -> Counter[str]:
    """The applier's progress words ("conflict") as the view's ("conflicts")."""
    out: Counter[str] = Counter()
    for word, n in counts.items():
        out["conflicts" if word == "conflict" else word] += n
    return out


def describe_counts(counts: Mapping[str, int], *, preview: bool = False) -> str:
    """ "57 created, 1 updated, 2 conflicts, 14 unchanged" (zeros left out)."""
    words = [w for w in COUNT_ORDER if w in counts] + sorted(set(counts) - set(COUNT_ORDER))
    parts = []
    for word in words:
        n = counts[word]
        if not n:
            continue
        label = PREVIEW_WORDS.get(word, word) if preview else word
        parts.append(f"{n} {'conflict' if label == 'conflicts' and n == 1 else label}")
    return ", ".join(parts)


def summary_text(outcome: SyncOutcome) -> str:
    """How the run ended, in one or two sentences: the core's message and the counts."""
    result = outcome.result
    preview = result.report.dry_run
    counts = describe_counts(
        count_outcomes(result.report.outcomes, preview=preview), preview=preview
    )
    text = result.message
    # After a run that finished, the count tiles right above say the same; repeating them
    # cost the results table a row at 800×600. A preview has no tiles, and a cancelled run
    # has records "not run" that no tile shows, so those list them.
    if counts and (preview or result.status not in ("ok", "failed_records")):
        text = f"{text} {'Planned' if preview else 'Records'}: {counts}."
    return text + visibility_text(result.report)


def visibility_text(report: SyncReport) -> str:
    """The observer-visibility note and what it means, for the result screen ("" if none)."""
    if not report.links_not_visible:
        return ""
    note = next((n for n in report.notes if "not enrolled in any course" in n), "")
    # The note is itself the plain sentence; the longer explanation is the status line's
    # tooltip (ProgressView), so an 800×600 window keeps four result rows in sight.
    return f" {note}".rstrip()


def ask_report_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to save a report; None when the admin cancels. Tests replace this."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export report", suggested, "CSV files (*.csv);;All files (*)"
    )
    if not path:
        return None
    chosen = Path(path)
    return chosen if chosen.suffix else chosen.with_suffix(".csv")


def export_report(
    parent: QWidget,
    report: SyncReport,
    suggested: str,
    on_done: Callable[[Path], None],
    on_failed: Callable[[Exception], None],
) -> Task | None:
    """Ask for a file, then write ``report`` there off the GUI thread; None if cancelled."""
    path = ask_report_path(parent, suggested)  # a module global: tests replace it
    if path is None:
        return None

    def write() -> Path:
        write_report_csv(report, path)
        return path

    def failed(error: Exception) -> None:
        error.__traceback__ = None  # see SyncWorker._on_failed: no cycles through Qt objects
        on_failed(error)

    return run_in_background(parent, write, on_done, failed)


def describe_export_error(error: Exception) -> str:
    if isinstance(error, OSError):
        where = error.filename or "that file"
        return (
            f"The report could not be saved to {where}: {error.strerror or error}. "
            "Choose another folder, or close the file if a spreadsheet has it open."
        )
    return describe_error(error)


def report_for(outcomes: Sequence[RecordOutcome], *, run_id: str, dry_run: bool) -> SyncReport:
    """A report holding ``outcomes``, for exporting a run read back from the history."""
    return SyncReport(
        run_id=run_id, started=datetime.now(UTC), outcomes=list(outcomes), dry_run=dry_run
    )


def compact_rows(view: QTableView) -> None:
    """One line of text per row: the default leaves room for two, which halves what fits."""
    rows = view.verticalHeader()
    rows.setDefaultSectionSize(view.fontMetrics().height() + 8)
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)


class OutcomeModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RecordOutcome] = []

    def set_outcomes(self, outcomes: Sequence[RecordOutcome]) -> None:
        self.beginResetModel()
        self._rows = list(outcomes)
        self.endResetModel()

    def outcome(self, row: int) -> RecordOutcome:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            o = self._rows[index.row()]
            text = outcome_cells(o)[index.column()]
            return plain_tooltip(text) if role == Qt.ItemDataRole.ToolTipRole else text
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class OutcomeFilter(QSortFilterProxyModel):
    """Rows of one status (or all, or only the links whose parent sees nothing yet),
    whose cells contain the filter text (any case)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status: OutcomeStatus | None = None
        self._keys: frozenset[str] | None = None  # link keys to show, when not None
        self._text = ""

    # Qt 6.9 replaced invalidateFilter() with this begin/end pair (and deprecated it).
    def set_status(self, status: OutcomeStatus | None, keys: frozenset[str] | None = None) -> None:
        self.beginFilterChange()
        self._status, self._keys = status, keys
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def preset_status(
        self, status: OutcomeStatus | None, keys: frozenset[str] | None = None
    ) -> None:
        """Set the status filter without filtering now: the next model reset applies it."""
        self._status, self._keys = status, keys

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, OutcomeModel)
        o = model.outcome(source_row)
        if self._status is not None and o.status is not self._status:
            return False
        if self._keys is not None and (o.record != "link" or o.key not in self._keys):
            return False
        if not self._text:
            return True
        return any(self._text in cell.casefold() for cell in outcome_cells(o))


class ResultsTable(QWidget):
    """Per-record results: a status filter, a text filter and a sortable table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("Show records with this result")
        self.status_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        bar.addWidget(self.status_combo)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by SIS ID, name or message")
        self.filter_edit.setAccessibleName("Filter the results")
        self.filter_edit.setClearButtonEnabled(True)
        bar.addWidget(self.filter_edit, 1)
        self.shown_label = plain_label("", wrap=False)
        bar.addWidget(self.shown_label)
        layout.addLayout(bar)

        self.model = OutcomeModel(self)
        self.proxy = OutcomeFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view = QTableView()
        self.view.setTabKeyNavigation(False)  # Tab moves to the next control, not cell
        self.view.setAccessibleName("Results per record")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # run order until a click
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        compact_rows(self.view)
        header = self.view.horizontalHeader()
        for column, width in enumerate((80, 80, 60, 150, 170)):
            self.view.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.view, 1)

        self._not_visible: frozenset[str] = frozenset()
        self.status_combo.currentIndexChanged.connect(self._on_status_chosen)
        self.filter_edit.textChanged.connect(self._on_text)
        self.set_outcomes([])

    def set_outcomes(
        self, outcomes: Sequence[RecordOutcome], not_visible: Collection[str] = ()
    ) -> None:
        """``not_visible``: keys of the links whose student is enrolled in no course; they
        get a filter of their own ("Parent sees nothing yet")."""
        counts = Counter(o.status for o in outcomes)
        hidden = frozenset(not_visible)
        self._not_visible = hidden
        shown_hidden = sum(1 for o in outcomes if o.record == "link" and o.key in hidden)
        keep = self.status_combo.currentData()
        self.status_combo.blockSignals(True)
        self.status_combo.clear()
        self.status_combo.addItem(f"All ({len(outcomes)})", None)
        for status in STATUS_ORDER:
            if counts[status]:
                # Qt keeps a StrEnum as its plain str value: store that, and convert back.
                self.status_combo.addItem(
                    f"{STATUS_LABELS[status]} ({counts[status]})", status.value
                )
        if shown_hidden:
            self.status_combo.addItem(f"{FILTER_LABEL} ({shown_hidden})", NOT_VISIBLE)
        found = self.status_combo.findData(keep) if keep else 0
        self.status_combo.setCurrentIndex(max(found, 0))
        self.status_combo.blockSignals(False)
        # One filtering pass, not two: the filter is set first and the reset applies it
        # (a 9,000-record sync ends without a visible stall; tests/benchmarks item 5).
        self.proxy.preset_status(*self._filter_for(self.status_combo.currentData()))
        self.model.set_outcomes(outcomes)
        self._update_shown()

    def outcomes(self) -> list[RecordOutcome]:
        """Every outcome, whatever the filters show."""
        return [self.model.outcome(r) for r in range(self.model.rowCount())]

    def visible_outcomes(self) -> list[RecordOutcome]:
        """The outcomes the filters let through, in the order shown."""
        return [
            self.model.outcome(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def show_status(self, status: OutcomeStatus | None) -> None:
        """Choose a status in the filter (None: all); a status no record has shows nothing new."""
        found = 0 if status is None else self.status_combo.findData(status.value)
        if found >= 0:
            self.status_combo.setCurrentIndex(found)

    def show_not_visible(self) -> None:
        """Show only the links whose parent sees nothing yet (when there are any)."""
        found = self.status_combo.findData(NOT_VISIBLE)
        if found >= 0:
            self.status_combo.setCurrentIndex(found)

    def _filter_for(self, data: object) -> tuple[OutcomeStatus | None, frozenset[str] | None]:
        if data == NOT_VISIBLE:
            return None, self._not_visible
        return (OutcomeStatus(str(data)) if data else None), None

    def _on_status_chosen(self) -> None:
        self.proxy.set_status(*self._filter_for(self.status_combo.currentData()))
        self._update_shown()

    def _on_text(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_shown()

    def _update_shown(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText(f"{shown} of {total} shown" if shown != total else "")
