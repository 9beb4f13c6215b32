"""Cloudwork accounts exports: the sample, header spellings, mappings, links."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.roster import (
    ColumnMapping,
    Link,
    Person,
    Role,
    RosterFormat,
    Severity,
    guess_mapping,
    read_headers,
    read_roster,
)
from canvas_wizard.resources import resource_path

HEAD = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"


def test_sample_export_reads_as_a_small_school() -> None:
    roster = read_roster(resource_path("sample-cloudwork-export.csv"))

    assert roster.format == "cloudwork"
    assert roster.encodings == {"sample-cloudwork-export.csv": "utf-8"}
    assert roster.count(Role.STUDENT) == 41  # S1001..S1040 and S1099
    assert roster.count(Role.PARENT) == 30
    assert {f"S{n}" for n in range(1001, 1041)} | {"S1099"} == {
        s for s, p in roster.people.items() if p.role is Role.STUDENT
    }
    assert len(roster.links) == 55
    # The links the demo sandbox is seeded with are all in the export.
    assert {Link("P2001", "S1001"), Link("P2001", "S1002"), Link("P2002", "S1003")} <= roster.links
    assert [(s.sis_id, s.reason) for s in roster.skipped] == [
        ("T9001", "Teacher: only students and parents are synced"),
        ("T9002", "Teacher: only students and parents are synced"),
    ]
    assert roster.errors == []
    [warning] = roster.warnings
    assert (warning.row, warning.column) == (roster.people["P2012"].row, "Default Email")
    assert warning.message == (
        "'rosa.garcia@homemail' is not an email address; the person will be synced without "
        "an email."
    )
    assert roster.people["P2012"].email is None
    # The demo Canvas holds jordan.lee without an SIS ID, and a deleted login with S1099.
    assert roster.people["S1031"].username == "jordan.lee"
    assert roster.people["S1099"].role is Role.STUDENT
    # Seeded as "Isla Davies": the one name that the demo sync updates.
    assert roster.people["S1005"].full_name == "Isla Davies-Okafor"
    assert roster.people["S1005"].username == "isla.davies"
    assert {roster.people[s].full_name for s in ("S1009", "S1012", "P2016")} == {
        "Liam O'Connor",
        "Zoë Kowalski-Brown",
        "Émilie Dubois",
    }
    assert roster.people["S1003"] == Person(
        "S1003",
        "Mia Johnson",
        "mia.johnson",
        Role.STUDENT,
        "mia.johnson@students.northfield.example",
        source="sample-cloudwork-export.csv",
        row=4,
    )
    assert roster.people["P2001"].username == "emma.thompson@home.example"
    assert roster.mapping == {
        "sis_id": "SIS ID",
        "full_name": "Full Name",
        "email": "Default Email",
        "username": "Username",
        "role": "Role",
        "parent_1": "Parent 1 SIS ID",
        "parent_2": "Parent 2 SIS ID",
    }


@pytest.mark.parametrize(
    "header",
    [
        "SIS_ID,Full_Name,Email,Login,Role,Parent_1,Parent_2",
        "sisid,FULLNAME,default-email,USERNAME,role,parent1,parent2",
        " SIS ID ,Full Name , E-mail ,Login ID,User Type,Parent 1 SIS-ID,Parent 2 SIS-ID",
        "SIS ID\tFull Name\tDefault Email\tUsername\tRole\tParent 1 SIS ID\tParent 2 SIS ID",
        "SIS ID;Full Name;Default Email;Username;Role;Guardian 1 ID;Guardian 2 ID",
    ],
    ids=["aliases", "case", "spaces-and-dashes", "tabs", "semicolons"],
)
def test_header_spellings_and_separators(header: str, write) -> None:
    sep = "\t" if "\t" in header else ";" if ";" in header else ","
    rows = [
        ["S1", "Ava Smith", "ava@school.example", "ava", "Student", "P1", "P2"],
        ["P1", "Pat Smith", "pat@home.example", "pat", "Parent", "", ""],
        ["P2", "Sam Smith", "", "sam", "Carer", "", ""],
    ]
    path = write("roster.csv", header + "\n" + "\n".join(sep.join(r) for r in rows) + "\n")

    roster = read_roster(path)

    # Only the guardian check's warning for Sam, under whatever the email column is called.
    email_column = header.split(sep)[2]
    assert [(q.row, q.column, q.severity) for q in roster.problems] == [
        (4, email_column.strip(), Severity.WARNING)
    ]
    assert "P2" in roster.people
    assert roster.links == {Link("P1", "S1"), Link("P2", "S1")}
    assert roster.people["S1"].email == "ava@school.example"
    assert roster.people["P2"].role is Role.PARENT
    assert roster.mapping["sis_id"] == header.split(sep)[0].strip()


def test_first_and_last_name_columns_make_the_full_name(write) -> None:
    path = write(
        "roster.csv",
        "SIS ID,First Name,Last Name,Username,Role\nS1,Ava,Smith,ava,Student\n"
        "S2,,Madonna,mad,Student\n",
    )
    roster = read_roster(path)
    assert roster.people["S1"].full_name == "Ava Smith"
    assert roster.people["S2"].full_name == "Madonna"
    assert roster.mapping["first_name"] == "First Name"
    assert roster.people["S1"].email is None


def test_full_name_falls_back_to_first_and_last_when_blank(write) -> None:
    path = write(
        "roster.csv",
        "SIS ID,Full Name,First Name,Last Name,Username,Role\n"
        "S1,,Ava,Smith,ava,Student\nS2,Bo Jones,Bo,J,bo,Student\n",
    )
    roster = read_roster(path)
    assert roster.people["S1"].full_name == "Ava Smith"
    assert roster.people["S2"].full_name == "Bo Jones"
    # The reported mapping keeps the fallback, so handing it back changes nothing.
    assert (roster.mapping["first_name"], roster.mapping["last_name"]) == (
        "First Name",
        "Last Name",
    )
    again = read_roster(path, mapping=ColumnMapping.from_dict(roster.mapping))
    assert again.people == roster.people


def test_mapping_override_fixes_a_wrong_guess(write) -> None:
    # "Email" is the school address; the admin wants the parents' "Home Email",
    # and the SIS ID lives in "Student Number".
    path = write(
        "roster.csv",
        "Student Number,SIS ID,Full Name,Email,Home Email,Username,Role,Mum,Dad\n"
        "00042,x,Ava Smith,ava@school.example,,ava,Student,P1,P2\n"
        "P1,y,Pat Smith,pat@school.example,pat@home.example,pat,Parent,,\n"
        "P2,z,Sam Smith,,sam@home.example,sam,Parent,,\n",
    )
    guess = guess_mapping(read_headers(path))
    assert guess.sis_id == "SIS ID"
    assert guess.parents == ()

    mapping = ColumnMapping(sis_id="student number", email="HOME_EMAIL", parents=("Mum", "Dad"))
    roster = read_roster(path, mapping=mapping)

    assert set(roster.people) == {"00042", "P1", "P2"}
    assert roster.people["P1"].email == "pat@home.example"
    assert roster.people["00042"].email is None
    assert roster.links == {Link("P1", "00042"), Link("P2", "00042")}
    assert roster.mapping == {
        "sis_id": "Student Number",
        "full_name": "Full Name",
        "email": "Home Email",
        "username": "Username",
        "role": "Role",
        "parent_1": "Mum",
        "parent_2": "Dad",
    }
    # What the reader reports can be handed straight back as an override.
    again = read_roster(path, mapping=ColumnMapping.from_dict(roster.mapping))
    assert again.people == roster.people


def test_mapping_can_switch_a_column_off(write) -> None:
    path = write("roster.csv", HEAD + "S1,Ava Smith,not-an-email,ava,Student,,\n")
    roster = read_roster(path, mapping=ColumnMapping(email=""))
    assert roster.problems == []
    assert "email" not in roster.mapping
    assert roster.people["S1"].email is None


def test_column_mapping_dict_round_trip() -> None:
    mapping = ColumnMapping(sis_id="ID", full_name="Name", parents=("P1", "P2", "P3"))
    assert mapping.as_dict() == {
        "sis_id": "ID",
        "full_name": "Name",
        "parent_1": "P1",
        "parent_2": "P2",
        "parent_3": "P3",
    }
    assert ColumnMapping.from_dict(mapping.as_dict()).as_dict() == mapping.as_dict()
    with pytest.raises(ValueError, match="unknown mapping fields"):
        ColumnMapping.from_dict({"sisid": "x"})
    with pytest.raises(ValueError, match="unknown mapping fields"):
        ColumnMapping.from_dict({"parent_x": "x"})
    assert ColumnMapping.from_dict({"parent_10": "b", "parent_2": "a"}).parents == ("a", "b")


def test_sis_ids_are_kept_exactly_but_trimmed(write) -> None:
    path = write(
        "roster.csv",
        HEAD
        + " 00123 ,Ava Smith,,ava,Student,p-7 ,\n p-7,Pat,,pat,Parent,,\nAbC,Bo,,bo,Student,,\n",
    )
    roster = read_roster(path)
    assert set(roster.people) == {"00123", "p-7", "AbC"}
    assert roster.links == {Link("p-7", "00123")}


def test_sis_ids_differing_only_in_case_are_two_people(write) -> None:
    path = write("roster.csv", HEAD + "abc,Ava,,ava,Student,,\nABC,Bo,,bo,Student,,\n")
    assert set(read_roster(path).people) == {"abc", "ABC"}


def test_formula_like_cells_are_plain_data(write) -> None:
    path = write(
        "roster.csv",
        HEAD + '=1+1,"=HYPERLINK(""http://x.example"")",+44@x.example,-ana-,Student,,\n'
        "@P1,@home,=pat@home.example,+pat,Parent,,\n"
        "-S2,-Bo-,,@bo,Student,@P1,\n",
    )
    roster = read_roster(path)
    assert roster.problems == []
    assert roster.people["=1+1"].full_name == '=HYPERLINK("http://x.example")'
    assert roster.people["=1+1"].username == "-ana-"
    assert roster.people["@P1"].username == "+pat"


def test_duplicate_parent_columns_make_one_link(write) -> None:
    path = write(
        "roster.csv", HEAD + "S1,Ava,,ava,Student,P1,P1\nP1,Pat,pat@h.example,pat,Parent,,\n"
    )
    roster = read_roster(path)
    assert roster.links == {Link("P1", "S1")}
    assert roster.problems == []


def test_relationships_file_adds_links(write) -> None:
    path = write(
        "roster.csv",
        HEAD + "S1,Ava,,ava,Student,P1,\nS2,Bo,,bo,Student,,\nP1,Pat,,pat,Parent,,\n"
        "P2,Sam,,sam,Parent,,\n",
    )
    rel = write("relationships.csv", "Parent SIS ID,Student SIS ID\nP2,S2\nP1,S1\nP2,S1\n")

    roster = read_roster(path, relationships=rel)

    assert roster.links == {Link("P1", "S1"), Link("P2", "S2"), Link("P2", "S1")}
    assert roster.files == ["roster.csv", "relationships.csv"]
    assert roster.encodings["relationships.csv"] == "utf-8"
    assert roster.mapping["links"] == "relationships.csv: Parent SIS ID → Student SIS ID"


def test_a_cycle_cannot_survive_the_role_checks(write) -> None:
    # A names B as parent and B names A: whichever role each row has, one of
    # the two links joins two people of the same role or points the wrong way,
    # so it is refused and no SIS ID ends up on both sides of a link.
    path = write(
        "roster.csv",
        HEAD + "A,Ann,,ann,Student,B,\nB,Ben,,ben,Parent,A,\n"
        "C,Cat,,cat,Parent,D,\nD,Dan,,dan,Parent,C,\n"
        "E,Eve,,eve,Student,F,\nF,Fay,,fay,Student,E,\n",
    )
    roster = read_roster(path)

    assert roster.links == {Link("B", "A")}
    parents = {link.parent_sis_id for link in roster.links}
    students = {link.student_sis_id for link in roster.links}
    assert parents.isdisjoint(students)
    # Each row that names the wrong kind of person is refused on its own.
    assert [(p.row, p.column, p.severity) for p in roster.errors] == [
        (3, "Parent 1 SIS ID", Severity.ERROR),  # B, a parent, names a student as parent
        (4, "Parent 1 SIS ID", Severity.ERROR),  # C and D are both parents
        (5, "Parent 1 SIS ID", Severity.ERROR),
        (6, "Parent 1 SIS ID", Severity.ERROR),  # E and F are both students
        (7, "Parent 1 SIS ID", Severity.ERROR),
    ]


def test_format_can_be_forced(write) -> None:
    path = write("roster.csv", "Number,Name,Username,Role\n1,Ava,ava,Student\n")
    roster = read_roster(
        path, format=RosterFormat.CLOUDWORK, mapping=ColumnMapping(sis_id="Number")
    )
    assert set(roster.people) == {"1"}


def test_blank_rows_are_skipped_but_counted(write) -> None:
    path = write("roster.csv", HEAD + "\n,,,,,,\nS1,Ava,,,Student,,\n")
    roster = read_roster(path)
    assert [(p.row, p.column) for p in roster.problems] == [(4, "Username")]


def test_every_row_read_has_its_row_number(write, tmp_path: Path) -> None:
    path = write("roster.csv", HEAD + 'S1,"Ava\nSmith",,ava,Student,,\nS2,Bo,,bo,Student,,\n')
    roster = read_roster(path)
    # Row 2 spans two lines; Bo is still row 3, as a spreadsheet numbers it.
    assert roster.people["S2"].row == 3


def test_staff_roles_are_skipped_with_a_reason_not_reported(write) -> None:
    path = write(
        "roster.csv",
        HEAD + "S1,Ava,,ava,Student,,\nA1,Al,,al,Teaching Assistant,,\nA2,Bea,,bea,aide,,\n"
        "A3,Cy,,cy,Administrator,,\n,Dee,,dee,Teacher,,\n",
    )
    roster = read_roster(path)
    assert roster.problems == []
    assert [(s.row, s.sis_id, s.reason) for s in roster.skipped] == [
        (3, "A1", "Teaching Assistant: only students and parents are synced"),
        (4, "A2", "aide: only students and parents are synced"),
        (5, "A3", "Administrator: only students and parents are synced"),
        (6, "", "Teacher: only students and parents are synced"),
    ]
    assert set(roster.people) == {"S1"}


def test_invisible_character_report_says_row_and_to_retype(write) -> None:
    path = write("roster.csv", HEAD + "S1,Ava,,ava,Student,,\nS2,Bo\u202e Smith,,bo,Student,,\n")
    [problem] = read_roster(path).problems
    assert str(problem) == (
        "roster.csv, row 3, column 'Full Name': The name contains an invisible control "
        "character (U+202E RIGHT-TO-LEFT OVERRIDE), which can make it display differently "
        "from what it really is. Retype the name in your school system (do not paste it) "
        "and export the file again."
    )
