"""A roster CSV as a header and numbered records, with the file-level checks.

Row numbers count records the way a spreadsheet shows them: the header is row 1
and a cell holding a line break does not start a new row. That is what a
technician sees when they open the file in Excel to fix it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from canvas_wizard.core.roster.encoding import decode
from canvas_wizard.core.roster.errors import RosterReadError

#: No real roster line comes near this; a longer one is a wrong file or a broken export.
MAX_LINE_CHARS = 65_536

_DELIMITERS = (",", ";", "\t")


class Record(NamedTuple):
    # A NamedTuple, not a dataclass: one is made per row, and frozen dataclasses
    # cost several times more to build.
    row: int  # 1-based, header = 1
    cells: list[str]  # as the csv module gave them, not yet trimmed
    lines: tuple[int, int]  # first and last physical line of the record


# NamedTuple's own constructor is a Python-level call; tuple.__new__ builds the
# same object several times faster, which shows at 100,000 rows.
_new_record = partial(tuple.__new__, Record)


@dataclass(slots=True)
class Table:
    file: str
    encoding: str
    delimiter: str
    headers: list[str]
    _text: str
    _start: int  # offset of the first record after the header

    def records(self) -> Iterator[Record]:
        """Every non-blank record after the header (blank rows still count in numbering)."""
        reader = csv.reader(io.StringIO(self._text[self._start :]), delimiter=self.delimiter)
        row = 1
        last_line = 1
        try:
            for cells in reader:
                row += 1
                first = last_line + 1
                last_line = reader.line_num + 1
                # Cheap test first: a row whose first cell has text is not blank.
                if not (cells and cells[0].strip()) and not "".join(cells).strip():
                    continue
                yield _new_record((row, cells, (first, last_line)))
        except csv.Error as exc:
            # The record that failed began on the line after the last good one.
            raise RosterReadError(
                f"{self.file} cannot be read as CSV from line {last_line + 1} on: {exc}. "
                'This usually means a quote mark (") opened in a cell on that line is never '
                "closed, so the lines after it run together.",
                hint="Open the file, fix the quotes on that line, and export it again.",
            ) from None


def parse_table(data: bytes, file: str) -> Table:
    """Decode ``data`` and read its header row; records are read lazily."""
    if not data.strip():
        raise RosterReadError(
            f"{file} is empty.", hint="Export the roster again and choose the new file."
        )
    text, encoding = decode(data, file)
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac line endings, still written by some tools
    _check_line_lengths(text, file)
    end = text.find("\n")
    header_line = text if end < 0 else text[:end]
    if not header_line.strip():
        raise RosterReadError(
            f"{file} starts with an empty line; the first line must hold the column names.",
            hint="Delete the empty lines above the column names and save the file again.",
        )
    # Excel writes ";" in locales where "," is the decimal mark, and tabs for
    # "Unicode text"; the header line tells which one this file uses.
    delimiter = max(_DELIMITERS, key=header_line.count)
    header_reader = csv.reader(io.StringIO(header_line), delimiter=delimiter)
    headers = [h.strip().lstrip("\ufeff").strip() for h in next(header_reader)]
    start = len(text) if end < 0 else end + 1
    return Table(file, encoding, delimiter, headers, text, start)


def _check_line_lengths(text: str, file: str) -> None:
    if len(text) <= MAX_LINE_CHARS:
        return
    lengths = list(map(len, text.split("\n")))
    longest = max(lengths)
    if longest > MAX_LINE_CHARS:
        raise RosterReadError(
            f"{file}: line {lengths.index(longest) + 1} is {longest:,} characters long; a "
            f"roster line is never longer than {MAX_LINE_CHARS:,}, so this is not a roster "
            "export (or its line breaks were lost).",
            hint="Check that you chose the right file, and export it again.",
        )
