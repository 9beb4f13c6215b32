"""Row-level problems: the bad row is left out, the rest reads, and the report
names file, row and column with the exact message a technician reads.

File-level refusals are in test_roster_unreadable_files.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from canvas_wizard.core.roster import Severity, read_roster

E, W = Severity.ERROR, Severity.WARNING
HEAD = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
PAT = "P1,Pat Parent,pat@home.example,pat,Parent,,\n"
AVA = "S1,Ava Smith,ava@school.example,ava,Student,P1,\n"
OR_HEAD = "sourcedId,status,enabledUser,role,username,givenName,familyName,email,agentSourcedIds\n"

Expected = tuple[str, int | None, str | None, Severity, str]


@dataclass
class RowCase:
    id: str
    files: dict[str, Any]
    problems: list[Expected]  # exactly these, in report order
    path: str = "roster.csv"
    options: dict[str, Any] = field(default_factory=dict)
    absent: tuple[str, ...] = ()  # SIS IDs that must not be synced
    present: tuple[str, ...] = ()  # SIS IDs that must still be read


def cw(*rows: str) -> dict[str, Any]:
    return {"roster.csv": HEAD + "".join(rows)}


def p(row: int, column: str | None, severity: Severity, message: str, file: str = "roster.csv"):
    return (file, row, column, severity, message)


def unlinked(row: int, sis: str) -> Expected:
    """The guardian check's warning for a parent whose only student row was left out."""
    return p(
        row,
        "SIS ID",
        W,
        f"Parent {sis!r} is linked to no student in this roster, so they will see nothing in "
        "Canvas (the person is still synced).",
    )


LONG_NAME = "Ava " + "x" * 9_996  # 10,000 characters
CASES = [
    RowCase(
        "a 10,000-character name (Canvas takes 255)",
        cw(f"S1,{LONG_NAME},,ava,Student,,\n", PAT),
        problems=[
            p(2, "Full Name", E, "The name is 10,000 characters long; Canvas takes at most 255."),
            unlinked(3, "P1"),
        ],
        absent=("S1",),
        present=("P1",),
    ),
    RowCase(
        "a 121-character username (Canvas takes 100)",
        cw(AVA, "P1,Pat Parent,,p" + "a" * 120 + ",Parent,,\n"),
        problems=[
            p(
                2,
                "Parent 1 SIS ID",
                W,
                "The link with 'P1' is left out because that person's row 3 has a problem.",
            ),
            p(3, "Username", E, "The username is 121 characters long; Canvas takes at most 100."),
        ],
        absent=("P1",),
        present=("S1",),
    ),
    RowCase(
        "a 256-character SIS ID (Canvas takes 255)",
        cw("S" * 256 + ",Ava Smith,,ava,Student,,\n", PAT),
        problems=[
            p(2, "SIS ID", E, "The SIS ID is 256 characters long; Canvas takes at most 255."),
            unlinked(3, "P1"),
        ],
        present=("P1",),
    ),
    RowCase(
        "OneRoster: given and family name together over 255",
        {
            "users.csv": OR_HEAD
            + f"s1,active,true,student,ava,{'A' * 200},{'B' * 100},ava@school.example,\n"
        },
        path="users.csv",
        problems=[
            p(
                2,
                "givenName",
                E,
                "The name is 301 characters long; Canvas takes at most 255.",
                file="users.csv",
            )
        ],
        absent=("s1",),
    ),
    RowCase(
        "empty SIS ID",
        cw(" ,Ava Smith,,ava,Student,P1,\n", PAT),
        problems=[
            p(2, "SIS ID", E, "The SIS ID is empty, so this person cannot be matched in Canvas."),
            unlinked(3, "P1"),
        ],
        present=("P1",),
    ),
    RowCase(
        "duplicate SIS ID",
        cw(AVA, PAT, "S1,Bo Smith,,bo,Student,,\n"),
        problems=[
            p(
                4,
                "SIS ID",
                E,
                "SIS ID 'S1' is on rows 2 and 4; an SIS ID must name one person, so none of "
                "these rows is synced.",
            )
        ],
        absent=("S1",),
        present=("P1",),
    ),
    RowCase(
        "username used twice, differing in case",
        cw(AVA, PAT, "S2,Ava Smythe,,AVA,Student,,\n"),
        problems=[
            p(
                4,
                "Username",
                E,
                "Username 'AVA' is used by S1 and S2 (rows 2 and 4); Canvas logins must be "
                "unique (capitals do not count), so none of them is synced.",
            )
        ],
        absent=("S1", "S2"),
        present=("P1",),
    ),
    RowCase(
        "link to an SIS ID not in the file",
        cw("S1,Ava Smith,,ava,Student,P9,\n"),
        problems=[
            p(2, "Parent 1 SIS ID", E, "'P9' is not in the file, so this link cannot be made.")
        ],
        present=("S1",),
    ),
    RowCase(
        "a person linked to themselves",
        cw("S1,Ava Smith,,ava,Student,S1,\n"),
        problems=[
            p(
                2,
                "Parent 1 SIS ID",
                E,
                "'S1' is linked to themselves; a link joins a parent to a different person, "
                "a student.",
            )
        ],
        present=("S1",),
    ),
    RowCase(
        "parent to parent link",
        cw(PAT, "P2,Sam Parent,,sam,Guardian,P1,\n"),
        problems=[
            p(
                3,
                "Parent 1 SIS ID",
                E,
                "'P1' and 'P2' are both parents; a link must join a parent to a student.",
            ),
            p(
                3,
                "Default Email",
                W,
                "This parent has no email, so Canvas cannot send them notifications (the person "
                "is still synced).",
            ),
        ],
        present=("P1", "P2"),
    ),
    RowCase(
        "student to student link",
        cw(AVA, PAT, "S2,Bo Smith,,bo,Student,S1,\n"),
        problems=[
            p(
                4,
                "Parent 1 SIS ID",
                E,
                "'S1' and 'S2' are both students; a link must join a parent to a student.",
            )
        ],
        present=("S1", "S2"),
    ),
    RowCase(
        "empty name",
        cw("S1,,,ava,Student,,\n"),
        problems=[p(2, "Full Name", E, "The name is empty; Canvas needs a name for every person.")],
        absent=("S1",),
    ),
    RowCase(
        "empty username",
        cw(AVA, "S2,Bo Smith,,,Student,,\n", PAT),
        problems=[
            p(3, "Username", E, "The username is empty; Canvas needs one to create the login.")
        ],
        absent=("S2",),
        present=("S1",),
    ),
    RowCase(
        "empty role",
        cw(AVA, PAT, "S2,Bo Smith,,bo,,,\n"),
        problems=[p(4, "Role", E, "The role is empty; it must say Student or Parent.")],
        absent=("S2",),
    ),
    RowCase(
        "unknown role",
        cw(AVA, PAT, "S2,Bo Smith,,bo,Wizzard,,\n"),
        problems=[
            p(
                4,
                "Role",
                E,
                "Unknown role 'Wizzard': expected Student or Parent (Guardian, Carer and "
                "Relative also mean parent).",
            )
        ],
        absent=("S2",),
    ),
    RowCase(
        "bad email is a warning",
        cw("S1,Ava Smith,ava@@school.example,ava,Student,,\n"),
        problems=[
            p(
                2,
                "Default Email",
                W,
                "'ava@@school.example' is not an email address; the person will be synced "
                "without an email.",
            )
        ],
        present=("S1",),
    ),
    RowCase(
        "bad email under strict checking",
        cw("S1,Ava Smith,ava at school,ava,Student,,\n", PAT),
        problems=[
            p(
                2,
                "Default Email",
                E,
                "'ava at school' is not an email address, and strict email checking is on, so "
                "this person is left out.",
            ),
            unlinked(3, "P1"),
        ],
        options={"strict_email": True},
        absent=("S1",),
    ),
    RowCase(
        "bidi override in a name",
        cw("S1,Ava \u202eetihW,,ava,Student,,\n"),
        problems=[
            p(
                2,
                "Full Name",
                E,
                "The name contains an invisible control character (U+202E RIGHT-TO-LEFT "
                "OVERRIDE), which can make it display differently from what it really is.",
            )
        ],
        absent=("S1",),
    ),
    RowCase(
        "bidi isolate in a first name",
        {
            "roster.csv": "SIS ID,First Name,Last Name,Username,Role\n"
            "S1,Ava\u2066,Smith,ava,Student\n"
        },
        problems=[
            p(
                2,
                "First Name",
                E,
                "The name contains an invisible control character (U+2066 LEFT-TO-RIGHT "
                "ISOLATE), which can make it display differently from what it really is.",
            )
        ],
        absent=("S1",),
    ),
    RowCase(
        "a bell character in a name",
        cw("S1,Ava\x07 Smith,,ava,Student,,\n"),
        problems=[
            p(
                2,
                "Full Name",
                E,
                "The name contains an invisible control character (U+0007), which can make "
                "it display differently from what it really is.",
            )
        ],
        absent=("S1",),
    ),
    RowCase(
        "a line break inside a quoted name",
        cw('S1,"Ava\nSmith",,ava,Student,,\n', PAT),
        problems=[
            p(
                2,
                "Full Name",
                E,
                'The name runs over several lines. Usually a quote mark (") in this row is not '
                "closed, so the following lines were read into this cell.",
            ),
            unlinked(3, "P1"),
        ],
        absent=("S1",),
        present=("P1",),
    ),
    RowCase(
        "an unquoted comma shifts the cells",
        cw("S1,Smith, Ava,,ava,Student,P1,\n", PAT),
        problems=[
            p(
                2,
                None,
                E,
                "This row has 8 cells but the header has 7 columns, so its values cannot be "
                "matched to columns. A comma inside a cell that has no quotes around it does "
                "this (for example Lee, Jordan).",
            ),
            unlinked(3, "P1"),
        ],
        absent=("S1",),
        present=("P1",),
    ),
    RowCase(
        "a link to someone whose row is wrong",
        cw("S1,Ava Smith,,ava,Student,P1,\n", "P1,,,pat,Parent,,\n"),
        problems=[
            p(
                2,
                "Parent 1 SIS ID",
                W,
                "The link with 'P1' is left out because that person's row 3 has a problem.",
            ),
            p(3, "Full Name", E, "The name is empty; Canvas needs a name for every person."),
        ],
        present=("S1",),
        absent=("P1",),
    ),
    RowCase(
        # A teacher whose own child is at the school: the link is kept (as a staff
        # member's link, see test_roster_staff_parents.py), which is not a problem.
        "a teacher named as a parent",
        cw("S1,Ava Smith,,ava,Student,T1,\n", "T1,Tess Teacher,,tess,Teacher,,\n"),
        problems=[],
        present=("S1",),
        absent=("T1",),
    ),
    RowCase(
        "relationships.csv row with one SIS ID",
        {
            "roster.csv": HEAD + AVA + PAT,
            "relationships.csv": "Parent SIS ID,Student SIS ID\nP1,\n",
        },
        problems=[
            p(
                2,
                "Student SIS ID",
                E,
                "This link names only one person; it needs a parent SIS ID and a student SIS ID.",
                file="relationships.csv",
            )
        ],
        options={"relationships": "relationships.csv"},
    ),
    RowCase(
        "OneRoster teacher agent",
        {
            "users.csv": OR_HEAD
            + "u1,,true,student,ava,Ava,Smith,,t1\n"
            + "t1,,true,teacher,tess,Tess,Teacher,,\n"
        },
        path="users.csv",
        problems=[
            p(
                2,
                "agentSourcedIds",
                W,
                "'t1' is a teacher (skipped), not a parent or student; the link with them is "
                "left out.",
                file="users.csv",
            )
        ],
        present=("u1",),
    ),
    RowCase(
        "OneRoster 1.2 user without a role in roles.csv",
        {
            "users.csv": "sourcedId,username,givenName,familyName\nu1,ava,Ava,Smith\n"
            "u2,bo,Bo,Smith\n",
            "roles.csv": "sourcedId,userSourcedId,roleType,role\nr1,u1,primary,student\n",
        },
        path="users.csv",
        problems=[
            p(
                3,
                "role (roles.csv)",
                E,
                "User 'u2' has no role in roles.csv, so the wizard cannot tell whether they "
                "are a student or a parent.",
                file="users.csv",
            )
        ],
        present=("u1",),
        absent=("u2",),
    ),
    RowCase(
        "Canvas SIS unknown status",
        {
            "users.csv": "user_id,login_id,full_name,status\nS1,ava,Ava Smith,active\n"
            "S2,bo,Bo Smith,gone\n"
        },
        path="users.csv",
        problems=[
            p(
                3,
                "status",
                E,
                "Unknown status 'gone': Canvas accepts active, suspended or deleted.",
                file="users.csv",
            )
        ],
        present=("S1",),
        absent=("S2",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_row_problem(case: RowCase, tmp_path: Path, materialise) -> None:
    materialise(case.files)
    options = dict(case.options)
    if "relationships" in options:
        options["relationships"] = tmp_path / options["relationships"]
    roster = read_roster(tmp_path / case.path, **options)
    got = [(q.file, q.row, q.column, q.severity, q.message) for q in roster.problems]
    assert got == case.problems
    assert all(q.hint for q in roster.problems if q.severity is Severity.ERROR)
    for sis in case.absent:
        assert sis not in roster.people
    for sis in case.present:
        assert sis in roster.people
