"""Choosing the roster file, and everything the admin should see about it before a preview.

The file is read off the GUI thread (a large export takes a second or two). The
panel shows the format it was read as, which column fed which field (changeable
for a Cloudwork export, whose column names vary by school), the counts, every
problem with its file, row and column, and later how many roster people Canvas
already knows by SIS ID. Everything read from the file is shown as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.roster import (
    ENCODING_LABELS,
    ColumnMapping,
    RosterFormat,
    RosterReadError,
    guess_mapping,
    read_headers,
)
from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.roster.sds import DEFAULT_OBSERVER_ROLES
from canvas_wizard.core.sync.match import MatchReport
from canvas_wizard.core.sync.service import ProfileSync
from canvas_wizard.ui.sync.roster_details import (
    MappingEditor,
    ProblemTableModel,
    counts_text,
    skipped_text,
)
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, plain_label


def choose_roster_file(parent: QWidget) -> Path | None:
    """Ask for the roster file; tests replace this function."""
    path, _ = QFileDialog.getOpenFileName(
        parent,
        "Choose the roster export",
        "",
        "Roster exports (*.csv *.txt *.zip);;All files (*)",
    )
    return Path(path) if path else None


FORMAT_LABELS = {
    RosterFormat.CLOUDWORK: "Cloudwork export",
    RosterFormat.ONEROSTER: "OneRoster",
    RosterFormat.CANVAS_SIS: "Canvas SIS CSV",
    RosterFormat.SDS: "Microsoft School Data Sync",
}


@dataclass
class _ReadOutcome:
    roster: Roster | None
    headers: list[str] = field(default_factory=list)  # only for a single CSV file
    error: RosterReadError | None = None


def _read(
    path: Path,
    fmt: RosterFormat | None,
    mapping: ColumnMapping | None,
    sds_roles: frozenset[str] = DEFAULT_OBSERVER_ROLES,
) -> _ReadOutcome:
    """Runs on a worker thread: the roster, or the reader's refusal, and the file's columns."""
    try:
        roster: Roster | None = ProfileSync.read_roster(path, fmt, mapping, sds_roles)
        error = None
    except RosterReadError as exc:
        roster, error = None, exc
    headers: list[str] = []
    # The columns are only needed to map a Cloudwork export, or to fix a refused one.
    if path.is_file() and (roster is None or roster.format == RosterFormat.CLOUDWORK):
        try:
            headers = [h for h in read_headers(path) if h.strip()]
        except RosterReadError:
            headers = []  # not a CSV at all: the reader's message already says so
    return _ReadOutcome(roster, headers, error)


class _WarningLine(StatusLine):
    _ICONS: ClassVar[dict[str, QStyle.StandardPixmap]] = {
        **StatusLine._ICONS,
        "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    }


class SourcePanel(QWidget):
    """Choose the roster file; shows format, mapping, counts, problems.

    Signals:
        rosterChanged(object): the Roster just read, or None when cleared,
            unreadable, or being read again.
    """

    rosterChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._source: Path | None = None
        self._roster: Roster | None = None
        self._mapping: ColumnMapping | None = None  # None: the reader's guess
        #: School Data Sync relationship roles that make a parent (App → Settings).
        self.sds_observer_roles: frozenset[str] = DEFAULT_OBSERVER_ROLES
        self._headers: list[str] = []
        self._generation = 0  # a read that finishes after a newer one started is dropped
        self._reading = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        file_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(
            "Choose the roster export, drop it here, or paste its path and press Enter"
        )
        self.path_edit.returnPressed.connect(self._on_path_entered)
        self.path_edit.setAccessibleName("Roster file")
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.setAccessibleName("Choose the roster file")
        self.choose_button.clicked.connect(self._on_choose)
        self.format_combo = QComboBox()
        self.format_combo.setAccessibleName("Roster format")
        self.format_combo.addItem("Auto-detect format", None)
        for fmt, label in FORMAT_LABELS.items():
            self.format_combo.addItem(label, fmt)
        self.format_combo.currentIndexChanged.connect(self._on_format_chosen)
        file_row.addWidget(QLabel("Roster file:"))
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)
        file_row.addWidget(self.format_combo)
        layout.addLayout(file_row)

        self.status = StatusLine()
        layout.addWidget(self.status)
        self.format_label = plain_label()
        self.format_label.setAccessibleName("Format read")
        self.counts_label = plain_label()
        self.counts_label.setAccessibleName("Roster counts")
        self.skipped_label = plain_label()
        self.skipped_label.setAccessibleName("Rows left out")
        for line in (self.format_label, self.counts_label, self.skipped_label):
            line.setVisible(False)
            layout.addWidget(line)
        self.match_line = _WarningLine()
        layout.addWidget(self.match_line)

        self.mapping_editor = MappingEditor()
        self.mapping_editor.mappingChosen.connect(self._on_mapping_chosen)
        self.mapping_editor.setVisible(False)
        layout.addWidget(self.mapping_editor)

        self.problems_label = plain_label()
        self.problems_model = ProblemTableModel()
        self.problems_table = QTableView()
        self.problems_table.setTabKeyNavigation(False)
        self.problems_table.setModel(self.problems_model)
        self.problems_table.setAccessibleName("Problems found in the roster")
        self.problems_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems_table.setWordWrap(True)
        self.problems_table.verticalHeader().setVisible(False)
        header = self.problems_table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.skip_bad_rows_box = QCheckBox()
        self.skip_bad_rows_box.setAccessibleName("Skip the rows with errors")
        # A few rows are enough to see what kind of trouble a file has; the table scrolls.
        self.problems_table.setMaximumHeight(180)
        for widget in (self.problems_label, self.problems_table, self.skip_bad_rows_box):
            widget.setVisible(False)
            layout.addWidget(widget)
        layout.addStretch(1)

    # -- the contract ------------------------------------------------------------------
    def roster(self) -> Roster | None:
        return self._roster

    def source(self) -> Path | None:
        return self._source

    def format(self) -> RosterFormat | None:
        """The format the admin chose; None lets the reader detect it."""
        data = self.format_combo.currentData()
        return RosterFormat(data) if data else None

    def mapping(self) -> ColumnMapping | None:
        """The columns the admin chose for a Cloudwork export; None keeps the reader's guess."""
        return self._mapping

    def skip_bad_rows(self) -> bool:
        return self.skip_bad_rows_box.isEnabled() and self.skip_bad_rows_box.isChecked()

    def is_reading(self) -> bool:
        return self._reading

    def set_source(self, path: Path) -> None:
        """Read ``path`` (a file, a OneRoster folder or zip) off the GUI thread."""
        self._source = Path(path)
        self._mapping = None  # another file has other columns
        self._headers = []
        self.path_edit.setText(str(self._source))
        self.show_match(None)
        self._start_read()

    def clear(self) -> None:
        self._source, self._mapping, self._headers = None, None, []
        self._generation += 1
        self._reading = False
        self.path_edit.clear()
        self.status.clear()
        self.show_match(None)
        self._show(None)
        self.rosterChanged.emit(None)

    def show_match(self, match: MatchReport | None) -> None:
        """After a preview: how many roster people Canvas already knows by SIS ID."""
        if match is None:
            self.match_line.clear()
            return
        found = f"{match.matched} of {match.roster_people} roster people found in Canvas by SIS ID."
        warning = match.format_warning
        if warning:
            # The low-match warning states the numbers itself; the near-miss one does not.
            text = f"{found} {warning}" if match.near_misses else warning
            self.match_line.show_status("warning", text)
        else:
            self.match_line.show_status("info", found)

    # -- reading -----------------------------------------------------------------------
    def set_sds_observer_roles(self, roles: frozenset[str]) -> None:
        """Which SDS relationship roles make a parent; an SDS roster already read is re-read."""
        if roles == self.sds_observer_roles:
            return
        self.sds_observer_roles = roles
        if self._roster is not None and self._roster.format == RosterFormat.SDS:
            self._start_read()

    def _start_read(self) -> None:
        if self._source is None:
            return
        self._generation += 1
        generation = self._generation
        path, fmt, mapping = self._source, self.format(), self._mapping
        roles = self.sds_observer_roles
        self._reading = True
        self.status.show_status("busy", f"Reading {path.name}…")
        if self._roster is not None:
            self._roster = None
            self.rosterChanged.emit(None)  # the old roster no longer describes what is chosen
        run_in_background(
            self,
            lambda: _read(path, fmt, mapping, roles),
            lambda outcome: self._on_read(generation, outcome),
            lambda error: self._on_read_failed(generation, error),
        )

    def _on_read(self, generation: int, outcome: _ReadOutcome) -> None:
        if generation != self._generation:
            return
        self._reading = False
        self._headers = outcome.headers
        if outcome.error is not None:
            self.status.show_error(outcome.error)
        else:
            self.status.clear()
        self._roster = outcome.roster
        self._show(outcome.roster)
        self.rosterChanged.emit(outcome.roster)

    def _on_read_failed(self, generation: int, error: Exception) -> None:
        if generation != self._generation:
            return
        self._reading = False
        self.status.show_error(error)
        self._roster = None
        self._show(None)
        self.rosterChanged.emit(None)

    # -- showing a roster --------------------------------------------------------------
    def _show(self, roster: Roster | None) -> None:
        self._show_mapping(roster)
        for label in (self.format_label, self.counts_label, self.skipped_label):
            label.setVisible(roster is not None)
        problems = roster.problems if roster is not None else []
        self.problems_model.set_problems(problems)
        for widget in (self.problems_label, self.problems_table):
            widget.setVisible(bool(problems))
        errors = len(roster.errors) if roster is not None else 0
        self.skip_bad_rows_box.setVisible(bool(errors))
        self.skip_bad_rows_box.setEnabled(bool(errors))
        if not errors:
            self.skip_bad_rows_box.setChecked(False)
        if roster is None:
            return
        self.format_label.setText(self._format_text(roster))
        self.counts_label.setText(counts_text(roster))
        self.skipped_label.setText(skipped_text(roster))
        self.skipped_label.setVisible(bool(roster.skipped))
        self.problems_label.setText(
            f"Problems found ({len(problems)}): rows with errors are left out; "
            "rows with warnings are still synced; each says what to check."
        )
        self.skip_bad_rows_box.setText(
            f"Skip the {errors} {'row' if errors == 1 else 'rows'} with errors and sync the "
            "rest (they are listed in the report)"
        )

    def _format_text(self, roster: Roster) -> str:
        fmt = FORMAT_LABELS.get(RosterFormat(roster.format), roster.format)
        how = "chosen" if self.format() is not None else "detected"
        files = ", ".join(
            f"{name} ({ENCODING_LABELS.get(roster.encodings.get(name, ''), 'unknown encoding')})"
            for name in roster.files
        )
        return f"Format: {fmt} ({how}). Read from {files}."

    def _show_mapping(self, roster: Roster | None) -> None:
        cloudwork = (roster is not None and roster.format == RosterFormat.CLOUDWORK) or (
            roster is None
            and bool(self._headers)
            and (self.format() is RosterFormat.CLOUDWORK or self._mapping is not None)
        )
        self.mapping_editor.setVisible(cloudwork)
        if not cloudwork:
            return
        if roster is not None:
            chosen = roster.mapping
        elif self._mapping is not None:
            chosen = self._mapping.as_dict()
        else:
            chosen = guess_mapping(self._headers).as_dict()
        self.mapping_editor.show_mapping(self._headers, chosen)

    # -- the admin's choices -----------------------------------------------------------
    def _on_choose(self) -> None:
        path = choose_roster_file(self)
        if path is not None:
            self.set_source(path)

    def _on_path_entered(self) -> None:
        text = self.path_edit.text().strip().strip('"').strip("'")
        if text:
            self.set_source(Path(text).expanduser())

    def _on_format_chosen(self, _index: int) -> None:
        self._mapping = None  # a mapping applies to Cloudwork exports only
        self._start_read()

    def _on_mapping_chosen(self, mapping: ColumnMapping) -> None:
        self._mapping = mapping
        self._start_read()

    # -- drag and drop -----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_path(event) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _dropped_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_path(event)
        if path is None:
            return
        event.acceptProposedAction()
        self.set_source(path)


def _dropped_path(event: QDropEvent) -> Path | None:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None
