"""Canvas's own SIS CSV: users.csv and user_observers.csv, loose, in a folder, or zipped.

Canvas recognises an SIS file by its header row, not its name, so a zip or folder
is sorted the same way: ``user_id`` + ``login_id`` is a users file,
``observer_id`` + ``student_id`` an observers file, anything else (courses,
enrollments…) is not ours and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import (
    describe_headers,
    find_column,
    index_headers,
    normalise,
)
from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.roster.sources import Bundle, is_zip, read_file
from canvas_wizard.core.roster.table import Table, parse_table

USERS_KEYS = frozenset({"userid", "loginid"})
OBSERVERS_KEYS = frozenset({"observerid", "studentid"})


@dataclass(slots=True)
class SisTables:
    users: list[Table] = field(default_factory=list)
    observers: list[Table] = field(default_factory=list)


def _sort(table: Table, into: SisTables) -> bool:
    keys = {normalise(h) for h in table.headers}
    if keys >= USERS_KEYS:
        into.users.append(table)
    elif keys >= OBSERVERS_KEYS:
        into.observers.append(table)
    else:
        return False
    return True


def load_tables(path: Path, max_bytes: int) -> SisTables:
    tables = SisTables()
    if path.is_file() and not is_zip(path):
        source = read_file(path, max_bytes)
        if not _sort(parse_table(source.data, source.name), tables):
            raise RosterReadError(
                f"{source.name} is not a Canvas SIS users or user_observers file: it needs "
                "the columns user_id and login_id (or observer_id and student_id).",
                hint="Choose the users.csv of your Canvas SIS export.",
            )
        # The companion file by its conventional name, beside the chosen one.
        wanted = "user_observers.csv" if tables.users else "users.csv"
        sibling = next((p for p in path.parent.iterdir() if p.name.lower() == wanted), None)
        if sibling is not None and sibling != path:
            companion = read_file(sibling, max_bytes)
            _sort(parse_table(companion.data, companion.name), tables)
    else:
        with Bundle(path, max_bytes) as bundle:
            for name in bundle.names():
                source = bundle.read(name)
                _sort(parse_table(source.data, source.name), tables)
        label = path.name
        if not tables.users:
            raise RosterReadError(
                f"{label} has no Canvas SIS users file (a CSV with the columns user_id and "
                "login_id).",
                hint="Choose the folder or zip that holds your users.csv.",
            )
    if not tables.users:
        raise RosterReadError(
            f"{tables.observers[0].file} lists observer links, but there is no users.csv "
            "beside it with the people.",
            hint="Put users.csv in the same folder, or choose the folder or zip with both.",
        )
    return tables


def read_canvas_sis(path: Path, *, strict_email: bool, max_bytes: int) -> RosterBuilder:
    tables = load_tables(path, max_bytes)
    builder = RosterBuilder("canvas-sis", strict_email=strict_email)
    for table in tables.users + tables.observers:
        builder.add_source(table.file, table.encoding)
    observers = set()
    for table in tables.observers:
        observers |= _read_observers(table, builder)
    for table in tables.users:
        _read_users(table, builder, observers)
    return builder


def _read_observers(table: Table, builder: RosterBuilder) -> set[str]:
    index = index_headers(table.headers, table.file)
    observer_i = find_column(index, ("observerid",))
    student_i = find_column(index, ("studentid",))
    status_i = find_column(index, ("status",))
    assert observer_i is not None and student_i is not None  # sorted by these headers
    observer_col = table.headers[observer_i]
    blank = len(table.headers)
    status_j = blank if status_i is None else status_i
    builder.roster.mapping["links"] = f"{observer_col} → {table.headers[student_i]}"
    used = {i for i in (observer_i, student_i, status_i) if i is not None}
    observers: set[str] = set()
    for record in table.records():
        if not builder.record_fits(table, record, used):
            continue
        cells = record.cells
        cells.extend([""] * (blank + 1 - len(cells)))
        status = cells[status_j].strip().lower()
        if status == "deleted":
            continue  # a link that is gone: simply not one to keep
        observer, student = cells[observer_i].strip(), cells[student_i].strip()
        if not observer or not student:
            builder.problem(
                table.file,
                record.row,
                observer_col if not observer else table.headers[student_i],
                "This link names only one person; it needs an observer_id and a student_id.",
                hint="Fill in the missing SIS ID or delete the row.",
            )
            continue
        if status not in ("", "active"):
            builder.problem(
                table.file,
                record.row,
                table.headers[status_j],
                f"Unknown status {status!r}: Canvas accepts active or deleted.",
                hint="Correct the status.",
            )
            continue
        observers.add(observer)
        builder.link(table.file, record.row, observer_col, parent=observer, student=student)
    return observers


def _read_users(table: Table, builder: RosterBuilder, observers: set[str]) -> None:
    file, headers = table.file, table.headers
    index = index_headers(headers, file)
    col = {
        key: find_column(index, (key,))
        for key in ("userid", "loginid", "fullname", "firstname", "lastname", "email", "status")
    }
    user_i, login_i = col["userid"], col["loginid"]
    assert user_i is not None and login_i is not None  # sorted by these headers
    full_i, first_i, last_i = col["fullname"], col["firstname"], col["lastname"]
    if full_i is None and (first_i is None or last_i is None):
        raise RosterReadError(
            f"{file} has no full_name column (or first_name and last_name). Its columns are: "
            f"{describe_headers(headers)}.",
            hint="Canvas would set such people's names to their login; add the names to "
            "the export.",
        )
    blank = len(headers)
    j = {key: blank if i is None else i for key, i in col.items()}
    name = {key: headers[i] if i is not None else "" for key, i in col.items()}
    split_names = first_i is not None and last_i is not None
    builder.roster.mapping.update(
        {
            "sis_id": name["userid"],
            "full_name": name["fullname"] or f"{name['firstname']} {name['lastname']}",
            "username": name["loginid"],
            "role": "parent when named as observer_id, else student",
        }
    )
    if col["email"] is not None:
        builder.roster.mapping["email"] = name["email"]
    used = {i for i in col.values() if i is not None}
    rows = 0
    for record in table.records():
        rows += 1
        if not builder.record_fits(table, record, used):
            continue
        cells = record.cells
        cells.extend([""] * (blank + 1 - len(cells)))
        row = record.row
        sis = cells[user_i].strip()
        status = cells[j["status"]].strip().lower()
        if status == "deleted":
            builder.removed(file, row, name["userid"], sis)
            continue
        if status not in ("", "active", "suspended"):
            builder.problem(
                file,
                row,
                name["status"],
                f"Unknown status {status!r}: Canvas accepts active, suspended or deleted.",
                hint="Correct the status.",
            )
            continue
        full = cells[j["fullname"]].strip()
        if full or not split_names:
            names = [(name["fullname"], full)]
        else:
            names = [
                (name["firstname"], cells[j["firstname"]].strip()),
                (name["lastname"], cells[j["lastname"]].strip()),
            ]
        builder.person(
            file,
            row,
            sis_id=(name["userid"], sis),
            names=names,
            username=(name["loginid"], cells[login_i].strip()),
            role=Role.PARENT if sis in observers else Role.STUDENT,
            email=(name["email"], cells[j["email"]].strip()) if col["email"] is not None else None,
            active=status != "suspended",
        )
    if rows == 0:
        raise RosterReadError(
            f"{file} has column names but no people under them.",
            hint="Check the export and try again.",
        )
