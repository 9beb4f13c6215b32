"""Which of the four roster formats a path holds, from its headers and files."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath

from canvas_wizard.core.roster.cloudwork import ALIASES
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import describe_headers, normalise
from canvas_wizard.core.roster.sds import SDS_V1_FILES, sds_v1_error
from canvas_wizard.core.roster.sources import Bundle, is_zip, read_file
from canvas_wizard.core.roster.table import parse_table


class RosterFormat(StrEnum):
    CLOUDWORK = "cloudwork"
    ONEROSTER = "oneroster"
    CANVAS_SIS = "canvas-sis"
    SDS = "sds"  # Microsoft School Data Sync v2.1 CSV


_CLOUDWORK_SIS = frozenset(ALIASES["sis_id"])
_CLOUDWORK_OTHER = frozenset(ALIASES["username"] + ALIASES["role"])


def format_of_headers(headers: Sequence[str]) -> RosterFormat | None:
    """The format a CSV header row belongs to, or None when it fits none."""
    keys = {normalise(h) for h in headers}
    if _is_sds_v1(keys):
        return None
    # SDS v2.1 shares sourcedId with OneRoster; these columns are SDS's own. OneRoster's
    # roles.csv always has roleType, and its enrollments.csv classSourcedId.
    if "relationshiprole" in keys or "activedirectorymatchid" in keys:
        return RosterFormat.SDS
    if {"usersourcedid", "role"} <= keys and not keys & {"roletype", "classsourcedid"}:
        return RosterFormat.SDS
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
    if found is RosterFormat.ONEROSTER and _sds_beside(path):
        found = RosterFormat.SDS
    # SDS v1 only when nothing else fits: a Cloudwork export may well be called school.csv.
    if found is None and (
        path.name.lower() in SDS_V1_FILES or _is_sds_v1({normalise(h) for h in table.headers})
    ):
        raise sds_v1_error(source.name)
    if found is None:
        raise RosterReadError(
            f"{source.name} is not a roster format the wizard knows. Its columns are: "
            f"{describe_headers(table.headers)}.",
            hint="A Cloudwork export needs SIS ID, Username and Role columns; a OneRoster "
            "or School Data Sync users.csv has sourcedId; a Canvas SIS users.csv has user_id "
            "and login_id. "
            "Choose the format and columns by hand if the names differ.",
        )
    return found


def _detect_bundle(path: Path, max_bytes: int) -> RosterFormat:
    with Bundle(path, max_bytes) as bundle:
        names = bundle.names()
        basenames = {PurePosixPath(n).name.lower() for n in names}
        if "manifest.csv" in basenames and "users.csv" in basenames:
            return RosterFormat.ONEROSTER
        # SDS first: its orgs.csv or users.csv alone would pass for OneRoster.
        for wanted in ("relationships.csv", "roles.csv", "users.csv"):
            name = bundle.find(wanted)
            if name is not None:
                source = bundle.read(name)
                if format_of_headers(parse_table(source.data, source.name).headers) is (
                    RosterFormat.SDS
                ):
                    return RosterFormat.SDS
        for name in names:
            source = bundle.read(name)
            found = format_of_headers(parse_table(source.data, source.name).headers)
            if found in (RosterFormat.ONEROSTER, RosterFormat.CANVAS_SIS, RosterFormat.SDS):
                return found
        old = next((n for n in names if PurePosixPath(n).name.lower() in SDS_V1_FILES), None)
        if old is not None:
            raise sds_v1_error(bundle.display(old))
        shown = ", ".join(names[:10]) or "no CSV files"
        raise RosterReadError(
            f"{bundle.label} holds no OneRoster or School Data Sync export (users.csv with "
            f"sourcedId) and no Canvas SIS export (a CSV with user_id and login_id); it has "
            f"{shown}.",
            hint="Choose the folder or zip your school system exported, or a single "
            "Cloudwork CSV file.",
        )


def _is_sds_v1(keys: set[str]) -> bool:
    """SDS v1 Student/Teacher.csv headers: "SIS ID" with "School SIS ID", and no role
    column (which a Cloudwork export with a school column would have)."""
    return "schoolsisid" in keys and "sisid" in keys and "role" not in keys


def _sds_beside(path: Path) -> bool:
    """A loose users.csv whose roles.csv or relationships.csv beside it is SDS's."""
    for sibling in path.parent.iterdir():
        if sibling.name.lower() in ("roles.csv", "relationships.csv") and sibling.is_file():
            try:
                source = read_file(sibling, 50_000_000)
                headers = parse_table(source.data, source.name).headers
            except RosterReadError:
                continue
            if format_of_headers(headers) is RosterFormat.SDS:
                return True
    return False
