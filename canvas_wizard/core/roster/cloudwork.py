"""Cloudwork's accounts export: one CSV, one person per row, parents in columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import (
    ColumnMapping,
    column_by_name,
    describe_headers,
    find_column,
    index_headers,
    normalise,
)
from canvas_wizard.core.roster.table import Table

#: Normalised header names for each field, most specific first.
ALIASES: dict[str, tuple[str, ...]] = {
    "sis_id": ("sisid", "sisuserid", "sisnumber"),
    "full_name": ("fullname", "name", "displayname"),
    "first_name": ("firstname", "givenname", "forename"),
    "last_name": ("lastname", "familyname", "surname"),
    "email": ("defaultemail", "email", "emailaddress", "primaryemail"),
    "username": ("username", "login", "loginid", "loginname"),
    "role": ("role", "usertype", "accounttype"),
}

# "Parent 1 SIS ID", "Parent_2", "Guardian 1 ID", "Parent SIS ID"; not a bare
# "Parent" (often a name) or "Parent Email".
_PARENT_COLUMN = re.compile(r"(?:parent|guardian|carer)(\d*)(sisid|id)?")

_LABELS = {
    "sis_id": "SIS ID",
    "full_name": "Full Name",
    "first_name": "First Name",
    "last_name": "Last Name",
    "email": "Default Email",
    "username": "Username",
    "role": "Role",
}


def _parent_columns(headers: Sequence[str]) -> tuple[str, ...]:
    found: list[tuple[int, str]] = []
    for header in headers:
        match = _PARENT_COLUMN.fullmatch(normalise(header))
        if match and (match.group(1) or match.group(2)):
            found.append((int(match.group(1) or 0), header))
    return tuple(header for _, header in sorted(found))


def guess_mapping(headers: Sequence[str]) -> ColumnMapping:
    """The columns a Cloudwork export's header most likely means, by name."""
    index = {normalise(h): i for i, h in enumerate(headers) if normalise(h)}
    chosen: dict[str, str] = {}
    for field, aliases in ALIASES.items():
        found = find_column(index, aliases)
        chosen[field] = headers[found] if found is not None else ""
    return ColumnMapping(parents=_parent_columns(headers), **chosen)


def _merge(guess: ColumnMapping, override: ColumnMapping | None) -> ColumnMapping:
    if override is None:
        return guess
    changes = {
        name: value
        for name in ("sis_id", "full_name", "first_name", "last_name", "email", "username", "role")
        if (value := getattr(override, name)) is not None
    }
    if override.parents is not None:
        changes["parents"] = override.parents
    return replace(guess, **changes)


def read_cloudwork(table: Table, builder: RosterBuilder, mapping: ColumnMapping | None) -> None:
    file = table.file
    headers = table.headers
    index = index_headers(headers, file)
    chosen = _merge(guess_mapping(headers), mapping)

    def column(field: str) -> int | None:
        name: str = getattr(chosen, field)
        if not name:
            return None
        return column_by_name(headers, index, name, file=file, field=_LABELS[field])

    sis_i, role_i, user_i = column("sis_id"), column("role"), column("username")
    full_i, first_i, last_i = column("full_name"), column("first_name"), column("last_name")
    email_i = column("email")
    parent_is = [
        column_by_name(headers, index, name, file=file, field=f"parent {n}")
        for n, name in enumerate(chosen.parents or (), start=1)
    ]
    for field, found in (("sis_id", sis_i), ("username", user_i), ("role", role_i)):
        if found is None:
            raise _missing(file, headers, repr(_LABELS[field]))
    if full_i is None and (first_i is None or last_i is None):
        raise _missing(file, headers, "'Full Name' (or 'First Name' and 'Last Name')")
    assert sis_i is not None and role_i is not None and user_i is not None

    builder.roster.mapping = {
        field: headers[i]
        for field, i in (
            ("sis_id", sis_i),
            ("full_name", full_i),
            # First and last name are used when both exist: alone, or where Full Name is blank.
            ("first_name", first_i if last_i is not None else None),
            ("last_name", last_i if first_i is not None else None),
            ("email", email_i),
            ("username", user_i),
            ("role", role_i),
        )
        if i is not None
    } | {f"parent_{n}": headers[i] for n, i in enumerate(parent_is, start=1)}

    used = {i for i in (sis_i, role_i, user_i, full_i, first_i, last_i, email_i) if i is not None}
    used.update(parent_is)
    sis_col, role_col, user_col = headers[sis_i], headers[role_i], headers[user_i]
    email_col = headers[email_i] if email_i is not None else ""
    parent_cols = [(i, headers[i]) for i in parent_is]
    # Rows are padded to one cell past the header, so an unmapped field reads
    # that always-empty cell instead of testing for None on every row.
    blank = len(headers)
    full_j = blank if full_i is None else full_i
    first_j = blank if first_i is None else first_i
    last_j = blank if last_i is None else last_i
    email_j = blank if email_i is None else email_i
    split_names = full_i is None or (first_i is not None and last_i is not None)
    full_col = headers[full_i] if full_i is not None else ""
    first_col = headers[first_i] if first_i is not None else ""
    last_col = headers[last_i] if last_i is not None else ""
    rows = 0
    for record in table.records():
        rows += 1
        row, cells, (first, last) = record
        # record_fits only when the row is unusual, to keep the common path short.
        if (len(cells) > blank or first != last) and not builder.record_fits(table, record, used):
            continue
        if len(cells) <= blank:
            cells.extend([""] * (blank + 1 - len(cells)))
        sis = cells[sis_i].strip()
        role = builder.role(file, row, role_col, cells[role_i].strip(), sis)
        if role is None:
            continue
        full = cells[full_j].strip()
        if full or not split_names:
            names = [(full_col, full)]
        else:
            names = [(first_col, cells[first_j].strip()), (last_col, cells[last_j].strip())]
        builder.person(
            file,
            row,
            sis_id=(sis_col, sis),
            names=names,
            username=(user_col, cells[user_i].strip()),
            role=role,
            email=(email_col, cells[email_j].strip()) if email_i is not None else None,
        )
        if not sis:
            continue
        for i, name in parent_cols:
            parent = cells[i].strip()
            if parent:
                # On a parent's row this claims a parent of a parent: the link
                # check refuses it by role, with the row and column.
                builder.link(file, row, name, parent=parent, student=sis, origin=sis)
    if rows == 0:
        raise RosterReadError(
            f"{file} has column names but no people under them.",
            hint="Check the export's filters in Cloudwork and export again.",
        )


def _missing(file: str, headers: Sequence[str], what: str) -> RosterReadError:
    return RosterReadError(
        f"{file} has no {what} column. Its columns are: {describe_headers(headers)}.",
        hint="Export the file with that column, or choose the column that holds it in "
        "the column mapping.",
    )
