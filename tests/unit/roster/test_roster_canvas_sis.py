"""Canvas SIS CSV: users.csv + user_observers.csv, loose, in a folder, or zipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from canvas_wizard.core.roster import Link, Role, RosterFormat, detect_format, read_roster

USERS = (
    "user_id,integration_id,login_id,first_name,last_name,full_name,sortable_name,email,status\n"
    "S1,,ava,Ava,Smith,,,ava@school.example,active\n"
    "S2,,bo,,,Bo Smith,,,active\n"
    "S3,,cy,Cy,Old,,,,deleted\n"
    "S4,,di,Di,Away,,,,suspended\n"
    "P1,,pat@home.example,Pat,Smith,,,pat@home.example,active\n"
    "P2,,sam,Sam,Smith,,,,active\n"
)
OBSERVERS = "observer_id,student_id,status\nP1,S1,active\nP1,S2,active\nP2,S2,deleted\nP1,S4,\n"


def _check(roster) -> None:
    assert roster.format == "canvas-sis"
    assert roster.people["P1"].role is Role.PARENT
    assert roster.people["P2"].role is Role.STUDENT  # only observers are parents
    assert roster.people["S1"].full_name == "Ava Smith"
    assert roster.people["S2"].full_name == "Bo Smith"
    assert roster.people["S4"].active is False
    assert roster.removed == {"S3"}
    assert roster.links == {Link("P1", "S1"), Link("P1", "S2"), Link("P1", "S4")}
    assert roster.problems == []


def test_loose_users_csv_with_observers_beside_it(write) -> None:
    path = write("sis/users.csv", USERS)
    write("sis/user_observers.csv", OBSERVERS)
    assert detect_format(path) is RosterFormat.CANVAS_SIS
    roster = read_roster(path)
    _check(roster)
    assert roster.files == ["users.csv", "user_observers.csv"]


def test_folder_sorted_by_headers_not_names(tmp_path: Path, write) -> None:
    write("sis/people_2024.csv", USERS)
    write("sis/links.csv", OBSERVERS)
    write("sis/courses.csv", "course_id,short_name,long_name,status\nC1,Maths,Maths,active\n")
    assert detect_format(tmp_path / "sis") is RosterFormat.CANVAS_SIS
    roster = read_roster(tmp_path / "sis")
    _check(roster)
    assert roster.files == ["sis/people_2024.csv", "sis/links.csv"]


def test_zip(make_zip) -> None:
    path = make_zip("sis.zip", {"users.csv": USERS, "user_observers.csv": OBSERVERS})
    assert detect_format(path) is RosterFormat.CANVAS_SIS
    roster = read_roster(path)
    _check(roster)
    assert roster.mapping == {
        "links": "observer_id → student_id",
        "sis_id": "user_id",
        "full_name": "full_name",
        "username": "login_id",
        "role": "parent when named as observer_id, else student",
        "email": "email",
    }


def test_users_without_observers(write) -> None:
    roster = read_roster(write("users.csv", USERS))
    assert roster.count(Role.PARENT) == 0
    assert roster.links == set()


def test_observer_observed_by_another_is_parent_to_parent(write) -> None:
    path = write("users.csv", USERS)
    write("user_observers.csv", "observer_id,student_id\nP1,S1\nP2,P1\n")
    roster = read_roster(path)
    assert roster.links == {Link("P1", "S1")}
    assert [(p.file, p.row, p.message) for p in roster.problems] == [
        (  # P2 is a parent now: the guardian check notes the missing email
            "users.csv",
            7,
            "This parent has no email, so Canvas cannot send them notifications (the person "
            "is still synced).",
        ),
        (
            "user_observers.csv",
            3,
            "'P2' and 'P1' are both parents; a link must join a parent to a student.",
        ),
    ]


@pytest.mark.parametrize("names", ["first_name,last_name", "full_name"])
def test_either_name_shape(names: str, write) -> None:
    values = "Ava,Smith" if "," in names else "Ava Smith"
    path = write("users.csv", f"user_id,login_id,{names},status\nS1,ava,{values},active\n")
    assert read_roster(path).people["S1"].full_name == "Ava Smith"
