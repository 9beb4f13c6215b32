"""Staff members who are parents: their links are kept, their accounts are not synced."""

from __future__ import annotations

from pathlib import Path

from canvas_wizard.core.roster import Link, Severity, read_roster

OR_USERS = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
    "s1,active,,true,org1,ava,,Ava,Hill,,,ava@s.example,,,t1,09,\n"
    "s2,active,,true,org1,ben,,Ben,Hill,,,ben@s.example,,,t2,09,\n"
    "t1,active,,true,org1,mhill,,Mara,Hill,,,mara@s.example,,,,,\n"
    "t2,active,,true,org1,jcole,,Jon,Cole,,,jon@s.example,,,,,\n"
)
OR_ROLES = (
    "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
    "orgSourcedId,userProfileSourcedId\n"
    "r1,active,,s1,primary,student,,,org1,\n"
    "r2,active,,s2,primary,student,,,org1,\n"
    "r3,active,,t1,primary,teacher,,,org1,\n"
    "r4,active,,t1,secondary,guardian,,,org1,\n"
    "r5,active,,t2,primary,teacher,,,org1,\n"
)


def test_oneroster_12_teacher_with_a_secondary_guardian_role(tmp_path: Path) -> None:
    folder = tmp_path / "or"
    folder.mkdir()
    (folder / "users.csv").write_text(OR_USERS, encoding="utf-8")
    (folder / "roles.csv").write_text(OR_ROLES, encoding="utf-8")

    roster = read_roster(folder)

    assert set(roster.people) == {"s1", "s2"}  # teachers are never synced people
    assert {"t1", "t2"} <= roster.not_synced
    assert roster.staff_links == {Link("t1", "s1")}
    assert roster.links == set()
    # A teacher named as an agent without any parent role is not taken for a parent.
    (warning,) = roster.problems
    assert warning.severity is Severity.WARNING
    assert "'t2' is a teacher (skipped)" in warning.message
    assert "guardian role" in warning.hint


def test_cloudwork_parent_column_naming_a_staff_member(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "SIS ID,Full Name,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
        "S1,Ava Hill,ava,Student,T1,P1\n"
        "S2,Ben Hill,ben,Student,T1,\n"
        "P1,Pat Hill,pat,Parent,,\n"
        "T1,Mara Hill,mhill,Administrator,,\n",
        encoding="utf-8",
    )
    roster = read_roster(tmp_path / "r.csv")
    # No email column: one warning for the file (its one parent), not one per row.
    (warning,) = roster.problems
    assert (warning.file, warning.row, warning.severity) == ("r.csv", None, Severity.WARNING)
    assert "no email column, so its parent (1) cannot" in warning.message
    assert roster.links == {Link("P1", "S1")}
    assert roster.staff_links == {Link("T1", "S1"), Link("T1", "S2")}
    assert "T1" not in roster.people and "T1" in roster.not_synced


def test_a_staff_member_named_as_a_parents_parent_is_still_a_problem(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "SIS ID,Full Name,Username,Role,Parent 1 SIS ID\n"
        "P1,Pat Hill,pat,Parent,T1\n"
        "T1,Mara Hill,mhill,Teacher,\n",
        encoding="utf-8",
    )
    roster = read_roster(tmp_path / "r.csv")
    assert roster.staff_links == set()
    # None: the file has no email column (a warning for the whole file).
    assert [p.row for p in roster.problems] == [None, 2]
