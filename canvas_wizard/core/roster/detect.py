"""Which of the three roster formats a path holds, from its headers and files."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath

from canvas_wizard.core.roster.cloudwork import ALIASES
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import describe_headers, normalise
from canvas_wizard.core.roster.sources import Bundle, is_zip, read_file
from canvas_wizard.core.roster.table import parse_table


class RosterFormat(StrEnum):
    CLOUDWORK = "cloudwork"
    ONEROSTER = "oneroster"
    CANVAS_SIS = "canvas-sis"


_CLOUDWORK_SIS = frozenset(ALIASES["sis_id"])
_CLOUDWORK_OTHER = frozenset(ALIASES["username"] + ALIASES["role"])


def format_of_headers(headers: Sequence[str]) -> RosterFormat | None:
    """The format a CSV header row belongs to, or None when it fits none."""
    keys = {normalise(h) for h in headers}
    if "sourcedid" in keys:
        return RosterFormat.ONEROSTER
    if {"userid", "loginid"} <= keys or {"observerid", "studentid"} <= keys:
        return RosterFormat.CANVAS_SIS
    if keys & _CLOUDWORK_SIS and keys & _CLOUDWORK_OTHER:
        return RosterFormat.CLOUDWORK
    return None


def detect_format(path: Path, *, max_bytes: int = 50_000_000) -> RosterFormat:
    """Guess the format of a roster file, folder or zip; RosterReadError when unknown."""
    if path.is_dir() or (path.exists() and is_zip(path)):
        return _detect_bundle(path, max_bytes)
    source = read_file(path, max_bytes)
    table = parse_table(source.data, source.name)
    found = format_of_headers(table.headers)
    if found is None:
        raise RosterReadError(
            f"{source.name} is not a roster format the wizard knows. Its columns are: "
            f"{describe_headers(table.headers)}.",
            hint="A Cloudwork export needs SIS ID, Username and Role columns; a OneRoster "
            "users.csv has sourcedId; a Canvas SIS users.csv has user_id and login_id. "
            "Choose the format and columns by hand if the names differ.",
        )
    return found


def _detect_bundle(path: Path, max_bytes: int) -> RosterFormat:
    with Bundle(path, max_bytes) as bundle:
        names = bundle.names()
        basenames = {PurePosixPath(n).name.lower() for n in names}
        if "manifest.csv" in basenames and "users.csv" in basenames:
            return RosterFormat.ONEROSTER
        for name in names:
            source = bundle.read(name)
            found = format_of_headers(parse_table(source.data, source.name).headers)
            if found in (RosterFormat.ONEROSTER, RosterFormat.CANVAS_SIS):
                return found
        shown = ", ".join(names[:10]) or "no CSV files"
        raise RosterReadError(
            f"{bundle.label} holds neither a OneRoster export (users.csv with sourcedId) nor "
            f"a Canvas SIS export (a CSV with user_id and login_id); it has {shown}.",
            hint="Choose the folder or zip your school system exported, or a single "
            "Cloudwork CSV file.",
        )
