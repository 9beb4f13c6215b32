"""Guardian sanity checks: warnings (the person still syncs) with file, row and column,
the same for every format because the builder runs them for all."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.roster import Link, Severity, read_roster
from canvas_wizard.resources import resource_path

W, E = Severity.WARNING, Severity.ERROR
CW_HEAD = "SIS ID,Full Name,Default Email,Username,Role," + ",".join(
    f"Parent {n} SIS ID" for n in range(1, 6)
)
OR_HEAD = "sourcedId,status,enabledUser,role,username,givenName,familyName,email,agentSourcedIds"


def cw(tmp_path: Path, *rows: str) -> Path:
    """A Cloudwork export; each row is 'SIS ID,Full Name,Email,Username,Role[,parents…]'."""
    lines = [CW_HEAD] + [row + "," * (9 - row.count(",")) for row in rows]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def oneroster(tmp_path: Path, *rows: str) -> Path:
    """A OneRoster 1.1 users.csv; each row is 'sourcedId,role,username,email,agents'."""
    lines = [OR_HEAD]
    for row in rows:
        sis, role, user, email, agents = row.split(",", 4)
        lines.append(f'{sis},active,true,{role},{user},{sis.upper()},Hill,{email},"{agents}"')
    path = tmp_path / "users.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def where(roster) -> list[tuple[str, int | None, str | None, Severity]]:
    return [(p.file, p.row, p.column, p.severity) for p in roster.problems]


def test_clean_rosters_get_no_guardian_warnings(tmp_path: Path) -> None:
    roster = read_roster(
        cw(
            tmp_path,
            "S1,Ava Hill,ava@school.example,ava,Student,P1,P2",
            "S2,Bo Hill,,bo,Student,P1",
            "P1,Pat Hill,pat@home.example,pat,Parent",
            "P2,Sam Hill,sam@home.example,sam,Guardian",
        )
    )
    assert roster.problems == [] and len(roster.links) == 3
    roster = read_roster(
        oneroster(
            tmp_path,
            "s1,student,ava,ava@school.example,p1",
            "p1,parent,pat,pat@home.example,s1",
        )
    )
    assert roster.problems == [] and roster.links == {Link("p1", "s1")}


def test_the_sample_export_gets_only_its_one_bad_email() -> None:
    roster = read_roster(resource_path("sample-cloudwork-export.csv"))
    assert [(p.row, p.column, p.severity) for p in roster.problems] == [(54, "Default Email", W)]
    assert "not an email address" in roster.problems[0].message  # not also "no email"


def test_more_than_four_guardians_cloudwork(tmp_path: Path) -> None:
    parents = [f"P{n},Parent {n},p{n}@home.example,p{n},Parent" for n in range(1, 6)]
    roster = read_roster(cw(tmp_path, "S1,Ava Hill,,ava,Student,P1,P2,P3,P4,P5", *parents))
    assert where(roster) == [("roster.csv", 2, "Parent 5 SIS ID", W)]
    assert "'S1' (Ava Hill, roster.csv row 2) has 5 guardians" in roster.problems[0].message
    assert len(roster.links) == 5  # all still synced


def test_four_guardians_are_fine(tmp_path: Path) -> None:
    parents = [f"P{n},Parent {n},p{n}@home.example,p{n},Parent" for n in range(1, 5)]
    roster = read_roster(cw(tmp_path, "S1,Ava Hill,,ava,Student,P1,P2,P3,P4", *parents))
    assert roster.problems == [] and len(roster.links) == 4


def test_more_than_four_guardians_oneroster(tmp_path: Path) -> None:
    parents = [f"p{n},guardian,p{n},p{n}@home.example," for n in range(1, 7)]
    roster = read_roster(
        oneroster(tmp_path, "s1,student,ava,ava@school.example,p1,p2,p3,p4,p5,p6", *parents)
    )
    # One warning per student, where the fifth was named; the count is all of them.
    assert where(roster) == [("users.csv", 2, "agentSourcedIds", W)]
    assert "has 6 guardians" in roster.problems[0].message
    assert len(roster.links) == 6


def test_parent_linked_to_no_student_cloudwork(tmp_path: Path) -> None:
    roster = read_roster(
        cw(
            tmp_path,
            "S1,Ava Hill,,ava,Student,P1",
            "P1,Pat Hill,pat@home.example,pat,Parent",
            "P9,Lone Parent,lone@home.example,lone,Carer",
        )
    )
    assert where(roster) == [("roster.csv", 4, "SIS ID", W)]
    assert roster.problems[0].message.startswith("Parent 'P9' is linked to no student")
    assert "P9" in roster.people


def test_parent_linked_to_no_student_oneroster(tmp_path: Path) -> None:
    roster = read_roster(
        oneroster(
            tmp_path,
            "s1,student,ava,,p1",
            "p9,guardian,lone,lone@home.example,",
            "p1,parent,pat,pat@home.example,",
        )
    )
    assert where(roster) == [("users.csv", 3, "sourcedId", W)]
    assert "p9" in roster.people


def test_a_parent_whose_link_failed_is_not_also_called_unlinked(tmp_path: Path) -> None:
    roster = read_roster(
        cw(tmp_path, "S1,Ava Hill,,ava,Student,P1,S404", "P1,Pat Hill,pat@home.example,pat,Parent")
    )
    roster2 = read_roster(
        cw(tmp_path, "P1,Pat Hill,pat@home.example,pat,Parent,S404", "S1,Ava Hill,,ava,Student")
    )
    assert [p.severity for p in roster.problems] == [E]  # S404 is not in the file
    assert [p.severity for p in roster2.problems] == [E]  # only that link's own error


@pytest.mark.parametrize(
    ("make", "rows", "expected"),
    [
        (
            cw,
            (
                "S1,Ava Hill,ava@school.example,ava,Student,P1",
                "P1,Pat Hill,AVA@School.example,pat,Parent",
            ),
            ("roster.csv", 3, "Default Email", W),
        ),
        (
            oneroster,
            ("s1,student,ava,ava@school.example,p1", "p1,parent,pat,Ava@SCHOOL.example,"),
            ("users.csv", 3, "email", W),
        ),
    ],
    ids=["cloudwork", "oneroster"],
)
def test_parent_email_is_a_students_email(tmp_path: Path, make, rows, expected) -> None:
    roster = read_roster(make(tmp_path, *rows))
    assert where(roster) == [expected]
    message = roster.problems[0].message
    assert "is also the email of student" in message and "student's mailbox" in message
    assert roster.problems[0].hint == "Give the parent their own email in your school system."
    assert roster.people[rows[1].split(",")[0]].email  # kept: still synced with it


def test_same_email_and_same_name_is_called_one_person(tmp_path: Path) -> None:
    roster = read_roster(
        cw(
            tmp_path,
            "S1,Ava Hill,ava@school.example,ava,Student,P1",
            "P1,ava  hill,ava@school.example,ava.parent,Parent",
        )
    )
    assert where(roster) == [("roster.csv", 3, "Default Email", W)]
    assert "one person listed as both parent and student" in roster.problems[0].message


@pytest.mark.parametrize(
    ("make", "rows", "expected"),
    [
        (
            cw,
            (
                "S1,Ava Hill,ava@school.example,ava,Student,P1",
                "P1,Pat Hill,pat@home.example,Ava@school.example,Parent",
            ),
            ("roster.csv", 3, "Username", W),
        ),
        (
            oneroster,
            ("s1,student,ava@school.example,,p1", "p1,parent,pat,AVA@school.example,"),
            ("users.csv", 3, "email", W),
        ),
    ],
    ids=["cloudwork-username-is-student-email", "oneroster-email-is-student-username"],
)
def test_parent_login_or_email_is_a_students(tmp_path: Path, make, rows, expected) -> None:
    roster = read_roster(make(tmp_path, *rows))
    assert where(roster) == [expected]
    assert "may be the student listed again as a parent" in roster.problems[0].message
    assert len(roster.people) == 2 and len(roster.links) == 1


def test_same_sis_id_or_username_on_parent_and_student_stays_an_error(tmp_path: Path) -> None:
    # Ambiguous: Canvas matches by SIS ID and logins are unique, so neither row syncs.
    roster = read_roster(
        cw(tmp_path, "X1,Ava Hill,,ava,Student", "X1,Ava Hill,ava@home.example,ava2,Parent")
    )
    assert where(roster) == [("roster.csv", 3, "SIS ID", E)] and roster.people == {}
    roster = read_roster(
        cw(tmp_path, "S1,Ava Hill,,ava,Student,P1", "P1,Pat Hill,pat@home.example,AVA,Parent")
    )
    assert [(p.row, p.column) for p in roster.errors] == [(3, "Username")]
    assert roster.people == {}


def test_parent_without_email_cloudwork(tmp_path: Path) -> None:
    roster = read_roster(
        cw(
            tmp_path,
            "S1,Ava Hill,,ava,Student,P1,P2",
            "P1,Pat Hill,,pat,Parent",
            "P2,Sam Hill,sam@home,sam,Parent",  # a bad address: its own warning only
        )
    )
    assert where(roster) == [
        ("roster.csv", 3, "Default Email", W),
        ("roster.csv", 4, "Default Email", W),
    ]
    assert roster.problems[0].message.startswith("This parent has no email, so Canvas cannot")
    assert "not an email address" in roster.problems[1].message
    assert {"P1", "P2"} <= set(roster.people)


def test_parent_without_email_oneroster(tmp_path: Path) -> None:
    roster = read_roster(oneroster(tmp_path, "s1,student,ava,,p1", "p1,parent,pat,,"))
    assert where(roster) == [("users.csv", 3, "email", W)]
    assert "p1" in roster.people


def test_a_file_without_an_email_column_gets_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "SIS ID,Full Name,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
        "S1,Ava Hill,ava,Student,P1,P2\nP1,Pat Hill,pat,Parent,\nP2,Sam Hill,sam,Parent,\n",
        encoding="utf-8",
    )
    roster = read_roster(path)
    assert where(roster) == [("roster.csv", None, None, W)]
    assert "no email column, so its parents (2) cannot get" in roster.problems[0].message


def test_sds_guardian_checks(tmp_path: Path) -> None:
    folder = tmp_path / "sds"
    folder.mkdir()
    (folder / "users.csv").write_text(
        "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,email,phone,sms\n"
        "st-1,ava@lakeside.example,Ava,Hill,,,ava@lakeside.example,,\n"
        "gu-1,pat.hill@home.example,Pat,Hill,,,,,\n"
        "gu-9,lone@home.example,Lone,Parent,,,lone@home.example,,\n",
        encoding="utf-8",
    )
    (folder / "roles.csv").write_text(
        "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,roleStartDate,"
        "roleEndDate\nst-1,org-1,student,,09,true,,\ngu-9,org-1,guardian,,,true,,\n",
        encoding="utf-8",
    )
    (folder / "relationships.csv").write_text(
        "userSourcedId,relationshipUserSourcedId,relationshipRole\nst-1,gu-1,parent\n",
        encoding="utf-8",
    )
    roster = read_roster(folder)
    assert where(roster) == [
        ("sds/users.csv", 3, "email", W),
        ("sds/users.csv", 4, "sourcedId", W),
    ]
    assert {"gu-1", "gu-9"} <= set(roster.people)
