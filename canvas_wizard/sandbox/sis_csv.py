"""Reading a SIS import upload: a CSV or a zip of CSVs, recognised by header row.

As Canvas does (lib/sis/csv/import*.rb): the file name means nothing, the
lowercased header row decides — ``user_id`` + ``login_id`` is users.csv,
``observer_id`` + ``student_id`` is user_observers.csv. A file that is not
UTF-8 is refused with "Invalid UTF-8"; a file whose headers match nothing with
"Couldn't find Canvas CSV import headers". Users are imported before observers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from canvas_wizard.sandbox.state import SisMessage

USERS = "users"
USER_OBSERVERS = "user_observers"
#: Canvas's import order; only these two kinds exist in the sandbox.
IMPORT_ORDER = (USERS, USER_OBSERVERS)
#: data.supplied_batches names.
BATCH_NAMES = {USERS: "user", USER_OBSERVERS: "user_observer"}


@dataclass
class CsvRow:
    file: str
    #: Line in the file (the header is line 1); None for rows made up by diffing.
    line: int | None
    values: dict[str, str]


@dataclass
class CsvFile:
    name: str
    kind: str
    rows: list[CsvRow] = field(default_factory=list)


def kind_of(headers: list[str]) -> str | None:
    have = set(headers)
    if {"user_id", "login_id"} <= have:
        return USERS
    if {"observer_id", "student_id"} <= have:
        return USER_OBSERVERS
    return None


def parse_csv(name: str, data: bytes) -> CsvFile | SisMessage:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return SisMessage(name, "Invalid UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return SisMessage(name, "Couldn't find Canvas CSV import headers")
        headers = [h.strip().lower() for h in header]
        kind = kind_of(headers)
        if kind is None:
            return SisMessage(name, "Couldn't find Canvas CSV import headers")
        parsed = CsvFile(name, kind)
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            values = {
                h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(headers)
            }
            parsed.rows.append(CsvRow(name, reader.line_num, values))
    except csv.Error as exc:
        return SisMessage(name, f"Malformed CSV: {exc}")
    return parsed


def read_upload(filename: str, data: bytes) -> tuple[list[CsvFile], list[SisMessage]]:
    """The CSV files in an upload, in import order, and file-level errors."""
    files: list[CsvFile] = []
    errors: list[SisMessage] = []
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = [
                    info
                    for info in archive.infolist()
                    if not info.is_dir()
                    and info.filename.lower().endswith(".csv")
                    and not info.filename.startswith("__MACOSX/")
                ]
                members = [(info.filename, archive.read(info)) for info in entries]
        except (zipfile.BadZipFile, OSError):
            return [], [SisMessage(filename, "Invalid zip file")]
        if not members:
            errors.append(SisMessage(filename, "The zip file has no CSV files in it"))
    else:
        members = [(filename, data)]
    for name, content in members:
        parsed = parse_csv(name, content)
        if isinstance(parsed, SisMessage):
            errors.append(parsed)
        else:
            files.append(parsed)
    files.sort(key=lambda f: IMPORT_ORDER.index(f.kind))
    return files, errors


def row_key(kind: str, values: dict[str, str]) -> tuple[str, ...]:
    """What identifies a row across imports (for diffing)."""
    if kind == USERS:
        return (values.get("user_id", ""),)
    return (values.get("observer_id", ""), values.get("student_id", ""))


def diff_rows(kind: str, previous: list[dict[str, str]], current: list[CsvRow]) -> list[CsvRow]:
    """Canvas's diffing: drop unchanged rows, and mark rows that disappeared as deleted."""
    before = {tuple(sorted(v.items())) for v in previous}
    changed = [row for row in current if tuple(sorted(row.values.items())) not in before]
    present = {row_key(kind, row.values) for row in current}
    name = current[0].file if current else f"{kind}.csv"
    for values in previous:
        if row_key(kind, values) not in present and values.get("status", "").lower() != "deleted":
            changed.append(CsvRow(name, None, {**values, "status": "deleted"}))
    return changed
