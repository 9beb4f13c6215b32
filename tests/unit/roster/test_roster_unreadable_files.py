"""Inputs the wizard refuses outright, each with the exact message a technician reads.

The whole file (or folder, or zip) is unusable, so read_roster raises
RosterReadError: it names the file, says what is wrong, says what to do
(the hint), and maps to exit status 2. Row-level trouble is in
test_roster_row_problems.py.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from canvas_wizard.core.roster import ColumnMapping, RosterFormat, RosterReadError, read_roster

HEAD = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
PAT = "P1,Pat Parent,pat@home.example,pat,Parent,,\n"
AVA = "S1,Ava Smith,ava@school.example,ava,Student,P1,\n"
OR_HEAD = "sourcedId,status,enabledUser,role,username,givenName,familyName,email,agentSourcedIds\n"


@dataclass
class Refusal:
    id: str
    files: dict[str, Any]  # name -> text, bytes, or {member: text} for a zip
    path: str = "roster.csv"
    options: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # the exact RosterReadError message; {tmp} = the test folder


def _encrypted_zip() -> bytes:
    """A zip whose member is flagged as password-protected (stdlib cannot encrypt)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("users.csv", OR_HEAD + "u1,,,student,ava,Ava,Smith,,\n")
    data = bytearray(buffer.getvalue())
    data[6] |= 0x1  # local file header: general purpose flags
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1  # central directory entry: the same flags
    return bytes(data)


def cw(*rows: str) -> dict[str, Any]:
    return {"roster.csv": HEAD + "".join(rows)}


CASES = [
    Refusal(
        "missing file",
        {},
        error="roster.csv does not exist (looked for {tmp}/roster.csv).",
        options={"format": RosterFormat.CLOUDWORK},
    ),
    Refusal("empty file", {"roster.csv": b""}, error="roster.csv is empty."),
    Refusal("only blank lines", {"roster.csv": "\r\n \n\n"}, error="roster.csv is empty."),
    Refusal(
        "NUL bytes",
        {"roster.csv": b"SIS ID,Full Name\x00\x00\x01\x02,Username,Role\n"},
        error="roster.csv contains binary data (NUL bytes), so it is not a CSV text file.",
    ),
    Refusal(
        "an xlsx workbook named .csv",
        {"roster.csv": b"PK\x03\x04\x14\x00\x06\x00rest-of-workbook"},
        error="roster.csv is a zip archive or an Excel workbook (.xlsx), not a CSV text file.",
    ),
    Refusal(
        "an old .xls workbook",
        {"roster.csv": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 40},
        error="roster.csv is an old-style Excel workbook (.xls), not a CSV text file.",
    ),
    Refusal(
        "neither UTF-8 nor Windows-1252",
        {"roster.csv": HEAD.encode() + b"S1,Ava \x81mith,,ava,Student,,\n"},
        error="roster.csv is neither UTF-8 nor Windows-1252 text: byte 0x81 on line 2 is not "
        "valid UTF-8, and byte 0x81 on line 2 is not a Windows-1252 character.",
    ),
    Refusal(
        "UTF-16 BOM with a torn last character",
        {"roster.csv": b"\xff\xfe" + HEAD.encode("utf-16-le") + b"\x00"},
        error="roster.csv starts with a UTF-16 LE (with BOM) marker, but the text after it is "
        "not valid UTF-16 LE (near byte 156): the file is damaged or was cut short.",
        options={"format": RosterFormat.CLOUDWORK},
    ),
    Refusal(
        "no Username column",
        {"roster.csv": "SIS ID,Full Name,Role\nS1,Ava Smith,Student\n"},
        error="roster.csv has no 'Username' column. Its columns are: 'SIS ID', 'Full Name', "
        "'Role'.",
        options={"format": RosterFormat.CLOUDWORK},
    ),
    Refusal(
        "no name column",
        {"roster.csv": "SIS ID,First Name,Username,Role\nS1,Ava,ava,Student\n"},
        error="roster.csv has no 'Full Name' (or 'First Name' and 'Last Name') column. Its "
        "columns are: 'SIS ID', 'First Name', 'Username', 'Role'.",
    ),
    Refusal(
        "the same column twice, spelt differently",
        {"roster.csv": "SIS ID,Full Name,sis_id,Username,Role\nS1,Ava,S1,ava,Student\n"},
        error="roster.csv has two columns named 'SIS ID' (columns 1 and 3), so the wizard "
        "cannot tell which one to use.",
    ),
    Refusal(
        "headers of no known format",
        {"roster.csv": "Pupil,Class,Teacher\nAva,7B,Ms Carter\n"},
        error="roster.csv is not a roster format the wizard knows. Its columns are: 'Pupil', "
        "'Class', 'Teacher'.",
    ),
    Refusal(
        "too big",
        cw(AVA, PAT),
        error="roster.csv is 169 bytes; the wizard reads roster files up to 100 bytes.",
        options={"max_bytes": 100},
    ),
    Refusal(
        "a line too long to be a roster",
        cw("S1,Ava," + "x" * 70_000 + ",ava,Student,,\n"),
        error="roster.csv: line 2 is 70,021 characters long; a roster line is never longer "
        "than 65,536, so this is not a roster export (or its line breaks were lost).",
    ),
    Refusal(
        "a quote never closed in a big file",
        cw('S1,"Ava Smith,ava@school.example,ava,Student,,\n', *(["S2,Bo,,bo,Student,,\n"] * 9000)),
        error="roster.csv cannot be read as CSV from line 2 on: field larger than field limit "
        '(131072). This usually means a quote mark (") opened in a cell on that line is never '
        "closed, so the lines after it run together.",
    ),
    Refusal(
        "header and no people",
        {"roster.csv": HEAD + ",,,,,,\n"},
        error="roster.csv has column names but no people under them.",
    ),
    Refusal(
        "blank first line",
        {"roster.csv": "\n" + HEAD + AVA},
        error="roster.csv starts with an empty line; the first line must hold the column names.",
        options={"format": RosterFormat.CLOUDWORK},
    ),
    Refusal(
        "a folder where a Cloudwork file is expected",
        {"exports/readme.txt": "x"},
        path="exports",
        error="exports is a folder, not a file.",
        options={"format": RosterFormat.CLOUDWORK},
    ),
    Refusal(
        "a zip that is not a zip",
        {"export.zip": b"this is not a zip at all"},
        path="export.zip",
        error="export.zip is not a readable zip file (it may be damaged or cut short).",
    ),
    Refusal(
        "a OneRoster zip without users.csv",
        {"export.zip": {"manifest.csv": "propertyName,value\n", "orgs.csv": "sourcedId\n"}},
        path="export.zip",
        error="export.zip has no users.csv; a OneRoster export keeps its people there.",
        options={"format": RosterFormat.ONEROSTER},
    ),
    Refusal(
        "a zip of unknown files",
        {"export.zip": {"orgs.csv": "sourcedId_x,name\n1,School\n"}},
        path="export.zip",
        error="export.zip holds no OneRoster or School Data Sync export (users.csv with "
        "sourcedId) and no Canvas SIS export (a CSV with user_id and login_id); it has orgs.csv.",
    ),
    Refusal(
        "a zip bomb",
        {"export.zip": {"users.csv": OR_HEAD + "x" * 2_000_000}},
        path="export.zip",
        error="export.zip would unpack to 2.0 MB of CSV files; the wizard reads up to 1.0 MB.",
        options={"format": RosterFormat.ONEROSTER, "max_bytes": 1_000_000},
    ),
    Refusal(
        "a password-protected zip",
        {"export.zip": _encrypted_zip()},
        path="export.zip",
        error="export.zip/users.csv is encrypted (the zip has a password).",
        options={"format": RosterFormat.ONEROSTER},
    ),
    Refusal(
        "OneRoster users.csv without role and no roles.csv",
        {"users.csv": "sourcedId,username,givenName,familyName\nu1,ava,Ava,Smith\n"},
        path="users.csv",
        error="users.csv has no role column (or a roles.csv beside it, as in OneRoster 1.2). "
        "Its columns are: 'sourcedId', 'username', 'givenName', 'familyName'.",
    ),
    Refusal(
        "a OneRoster SIS ID field that does not exist",
        {"users.csv": OR_HEAD + "u1,,,student,ava,Ava,Smith,,\n"},
        path="users.csv",
        error="'email' cannot be the SIS ID of a OneRoster export.",
        options={"sis_id_field": "email"},
    ),
    Refusal(
        "Canvas observers file without users.csv",
        {"user_observers.csv": "observer_id,student_id,status\nP1,S1,active\n"},
        path="user_observers.csv",
        error="user_observers.csv lists observer links, but there is no users.csv beside it "
        "with the people.",
    ),
    Refusal(
        "a mapping naming a column the file lacks",
        cw(AVA, PAT),
        error="roster.csv has no column 'Student Number', which was chosen for SIS ID. Its "
        "columns are: 'SIS ID', 'Full Name', 'Default Email', 'Username', 'Role', "
        "'Parent 1 SIS ID', 'Parent 2 SIS ID'.",
        options={"mapping": ColumnMapping(sis_id="Student Number")},
    ),
    Refusal(
        "a column mapping for a OneRoster export",
        {"users.csv": OR_HEAD + "u1,,,student,ava,Ava,Smith,,\n"},
        path="users.csv",
        error="A column mapping applies to Cloudwork exports only; users.csv is read as "
        "oneroster, whose columns are fixed by the standard.",
        options={"format": RosterFormat.ONEROSTER, "mapping": ColumnMapping(sis_id="x")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused(case: Refusal, tmp_path: Path, materialise) -> None:
    materialise(case.files)
    with pytest.raises(RosterReadError) as raised:
        read_roster(tmp_path / case.path, **case.options)
    assert raised.value.message == case.error.format(tmp=tmp_path)
    assert raised.value.hint, "every refusal says what to do"
    assert raised.value.exit_status == 2
