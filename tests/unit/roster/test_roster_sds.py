"""Microsoft School Data Sync v2.1 CSV, and the refusal of SDS v1.

The files are written here, in the shapes of Microsoft's published SDS v2.1 samples:
orgs.csv, users.csv with a password column, roles.csv where guardians have no row,
relationships.csv with parent/guardian/relative/doctor roles, and higher-education
staff roles.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from canvas_wizard.core.roster import (
    Link,
    Role,
    RosterFormat,
    RosterReadError,
    Severity,
    detect_format,
    read_roster,
)

ORGS = "sourcedId,name,type\norg-1,Lakeside High,school\n"
USERS = (
    "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,email,phone,sms\n"
    "st-1,ava.hill@lakeside.example,Ava,Hill,Sup3r-S3cret!,,ava.hill@lakeside.example,,\n"
    "st-2,ben.cole@lakeside.example,Ben,Cole,Sup3r-S3cret!,,ben.cole@lakeside.example,,\n"
    "gu-1,pat.hill@home.example,Pat,Hill,,,pat.hill@home.example,555-0101,\n"
    "gu-2,lee.cole@home.example,Lee,Cole,,,lee.cole@home.example,,\n"
    "gu-3,gran.cole@home.example,Ruth,Cole,,,gran.cole@home.example,,\n"
    "dr-1,dr.who@clinic.example,Doc,Who,,,dr.who@clinic.example,,\n"
    "te-1,mara.hill@lakeside.example,Mara,Hill,Sup3r-S3cret!,,mara.hill@lakeside.example,,\n"
    "pr-1,prof.x@lakeside.example,Charles,Xavier,,,prof.x@lakeside.example,,\n"
)
ROLES = (
    "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,roleStartDate,roleEndDate\n"
    "st-1,org-1,student,,09,true,,\n"
    "st-2,org-1,student,,10,true,,\n"
    "te-1,org-1,teacher,,,true,,\n"
    "pr-1,org-1,professor,,,true,,\n"
    "pr-1,org-1,lecturer,,,false,,\n"
)
RELATIONSHIPS = (
    "userSourcedId,relationshipUserSourcedId,relationshipRole\n"
    "st-1,gu-1,parent\n"
    "st-2,gu-2,guardian\n"
    "st-2,gu-3,relative\n"
    "st-2,dr-1,doctor\n"
    "st-1,te-1,parent\n"
)


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _export(tmp_path: Path, **changes: str | None) -> Path:
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS,
        "roles.csv": ROLES,
        "relationships.csv": RELATIONSHIPS,
    }
    for name, text in changes.items():
        if text is None:
            files.pop(f"{name}.csv")
        else:
            files[f"{name}.csv"] = text
    return _write(tmp_path / "sds", files)


def test_an_sds_folder_is_detected_and_read(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    assert detect_format(folder) is RosterFormat.SDS

    roster = read_roster(folder)

    assert roster.format == "sds"
    roles = {sis: p.role for sis, p in roster.people.items()}
    assert roles == {
        "st-1": Role.STUDENT,
        "st-2": Role.STUDENT,
        "gu-1": Role.PARENT,  # no role row: a parent by being a relationship's parent
        "gu-2": Role.PARENT,
        "gu-3": Role.PARENT,  # relative is an observer role by default
    }
    assert roster.links == {Link("gu-1", "st-1"), Link("gu-2", "st-2"), Link("gu-3", "st-2")}
    # The teacher who is a parent: linked as staff, never synced as a person.
    assert roster.staff_links == {Link("te-1", "st-1")}
    assert {"te-1", "pr-1"} <= roster.not_synced
    ava = roster.people["st-1"]
    assert (ava.full_name, ava.username) == ("Ava Hill", "ava.hill@lakeside.example")
    assert ava.email == "ava.hill@lakeside.example"
    # The doctor is nobody's parent and has no role: said, not synced, not an error.
    assert [(p.file, p.row, p.severity) for p in roster.problems] == [
        ("sds/users.csv", 7, Severity.WARNING)
    ]
    assert "'dr-1' has no role" in roster.problems[0].message.replace("User ", "")
    # Higher-education staff roles are skipped, not errors.
    assert any(s.sis_id == "pr-1" and "professor" in s.reason for s in roster.skipped)
    assert roster.mapping["sis_id"] == "sourcedId"
    assert "relationships.csv" in roster.mapping["links"]


def test_the_password_column_is_never_read(tmp_path: Path) -> None:
    roster = read_roster(_export(tmp_path))
    assert "Sup3r-S3cret!" not in repr(roster)
    assert "password" not in roster.mapping.values()


def test_an_sds_zip_is_read_like_the_folder(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    archive = tmp_path / "sds-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in folder.iterdir():
            zf.write(file, f"SDS/{file.name}")
    assert detect_format(archive) is RosterFormat.SDS
    roster = read_roster(archive)
    assert len(roster.people) == 5 and len(roster.links) == 3


def test_a_loose_users_csv_is_read_with_the_files_beside_it(tmp_path: Path) -> None:
    # Without activeDirectoryMatchId, users.csv alone looks like OneRoster; roles.csv tells.
    lines = [",".join(c for i, c in enumerate(row.split(",")) if i != 5) for row in USERS.split()]
    users = "\n".join(lines) + "\n"
    assert "activeDirectoryMatchId" not in users
    folder = _export(tmp_path, users=users)
    assert detect_format(folder / "users.csv") is RosterFormat.SDS
    roster = read_roster(folder / "users.csv")
    assert roster.format == "sds" and len(roster.people) == 5


def test_which_relationship_roles_make_a_parent_is_a_setting(tmp_path: Path) -> None:
    roster = read_roster(_export(tmp_path), sds_observer_roles={"parent"})
    assert roster.links == {Link("gu-1", "st-1")}
    assert "gu-2" not in roster.people and "gu-3" not in roster.people
    assert {p.row for p in roster.problems} == {5, 6, 7}  # guardian, relative, doctor

    widened = read_roster(_export(tmp_path), sds_observer_roles={"parent", "guardian", "doctor"})
    assert Link("dr-1", "st-2") in widened.links


def test_a_missing_relationships_csv_is_said(tmp_path: Path) -> None:
    roster = read_roster(_export(tmp_path, relationships=None), format=RosterFormat.SDS)
    assert roster.links == set()
    assert any(
        p.severity is Severity.WARNING and "no relationships.csv" in p.message
        for p in roster.problems
    )


def test_row_problems_name_the_file_row_and_column(tmp_path: Path) -> None:
    users = USERS.replace("st-2,ben.cole@lakeside.example", "st-1,ben.cole@lakeside.example")
    users = users.replace("gu-1,pat.hill@home.example,", "gu-1,,")
    relationships = RELATIONSHIPS + "st-9,gu-1,parent\n"
    roster = read_roster(_export(tmp_path, users=users, relationships=relationships))
    errors = {(p.file, p.row, p.column) for p in roster.errors}
    assert ("sds/users.csv", 3, "sourcedId") in errors  # st-1 twice
    assert ("sds/users.csv", 4, "username") in errors  # empty username
    assert ("sds/relationships.csv", 7, "relationshipUserSourcedId") in errors  # st-9 unknown
    assert "st-1" not in roster.people and "gu-1" not in roster.people


def test_headers_match_whatever_their_case_but_messages_use_the_files_spelling(
    tmp_path: Path,
) -> None:
    users = USERS.replace("sourcedId,username", "SourcedID,UserName", 1)
    users = users.replace("gu-1,pat.hill@home.example,", "gu-1,,")
    roster = read_roster(_export(tmp_path, users=users))
    assert ("sds/users.csv", 4, "UserName") in {(p.file, p.row, p.column) for p in roster.errors}


SDS_V1_STUDENT = (
    "SIS ID,School SIS ID,Username,First Name,Last Name,Grade\n1001,100,ava.hill,Ava,Hill,9\n"
)


def test_an_sds_v1_export_is_refused_naming_the_file_and_what_to_export(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "v1",
        {
            "School.csv": "SIS ID,Name\n100,Lakeside High\n",
            "Student.csv": SDS_V1_STUDENT,
            "GuardianRelationship.csv": "SIS ID,Email,Role\n1001,pat@home.example,Parent\n",
        },
    )
    for path in (folder, folder / "Student.csv"):
        with pytest.raises(RosterReadError) as raised:
            read_roster(path)
        assert "Student.csv" in raised.value.message or "GuardianRelationship.csv" in (
            raised.value.message
        )
        assert "SDS v1" in raised.value.message
        assert "SDS v2.1" in raised.value.hint


def test_oneroster_is_still_oneroster(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "or",
        {
            "users.csv": "sourcedId,status,enabledUser,username,givenName,familyName,email\n"
            "u1,active,true,ava,Ava,Hill,\n",
            "roles.csv": "sourcedId,userSourcedId,roleType,role,orgSourcedId\nr1,u1,primary,"
            "student,o1\n",
            "enrollments.csv": "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role\n"
            "e1,c1,o1,u1,student\n",
        },
    )
    assert detect_format(folder) is RosterFormat.ONEROSTER


def test_a_cloudwork_export_named_like_an_sds_v1_file_is_still_read(tmp_path: Path) -> None:
    # Found by the benchmark, whose generated export is called school.csv.
    text = (
        "SIS ID,School SIS ID,Full Name,Username,Role,Parent 1 SIS ID\n"
        "S1,100,Ava Hill,ava,Student,P1\n"
        "P1,100,Pat Hill,pat,Parent,\n"
    )
    for name in ("school.csv", "Student.csv", "user.csv"):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert detect_format(tmp_path / name) is RosterFormat.CLOUDWORK, name
        assert len(read_roster(tmp_path / name).people) == 2
