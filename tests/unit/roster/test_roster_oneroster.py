"""OneRoster 1.1 and 1.2 CSV exports, zipped or in folders, bulk or delta."""

from __future__ import annotations

from pathlib import Path

from canvas_wizard.core.roster import (
    Link,
    Role,
    RosterFormat,
    Severity,
    detect_format,
    read_roster,
)

USERS_11 = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
)


def _u11(sourced: str, role: str, user: str, given: str, family: str, **kw: str) -> str:
    cells = [
        sourced,
        kw.get("status", ""),
        "2024-08-01",
        kw.get("enabled", "true"),
        "org-1",
        role,
        user,
        '"{LDAP:1},{LTI:2}"',
        given,
        family,
        "",
        kw.get("identifier", ""),
        kw.get("email", ""),
        "",
        "",
        f'"{kw["agents"]}"' if "agents" in kw else "",
        "07",
        "",
    ]
    return ",".join(cells) + "\n"


MANIFEST_11 = (
    "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.users,bulk\n"
    "file.orgs,bulk\nfile.enrollments,absent\n"
)


def test_oneroster_11_zip_with_agents_in_both_directions(make_zip) -> None:
    users = (
        USERS_11
        # Agent named on the parent's row only (as in many real exports)…
        + _u11("stu-1", "student", "ava.s", "Ava", "Smith", email="ava@school.example")
        + _u11(
            "par-1", "parent", "pat.s", "Pat", "Smith", agents="stu-1,stu-2", email="pat@h.example"
        )
        # …on the student's row only, and on both rows (counted once).
        + _u11("stu-2", "student", "bo.s", "Bo", "Smith", agents="gua-1, par-1")
        + _u11("gua-1", "guardian", "gil.s", "Gil", "Smith", agents="stu-2", email="gil@h.example")
        + _u11("rel-1", "relative", "ruth.s", "Ruth", "Smith", agents="stu-1", email="ru@h.example")
        + _u11("tch-1", "teacher", "t.carter", "Tess", "Carter", agents="stu-1")
        + _u11("stu-3", "student", "cy.j", "Cy", "Jones", enabled="FALSE", agents="tch-1")
    )
    path = make_zip("export.zip", {"manifest.csv": MANIFEST_11, "users.csv": users})

    assert detect_format(path) is RosterFormat.ONEROSTER
    roster = read_roster(path)

    assert roster.format == "oneroster"
    assert roster.complete is True
    assert roster.files == ["export.zip/manifest.csv", "export.zip/users.csv"]
    assert roster.count(Role.STUDENT) == 3
    assert roster.count(Role.PARENT) == 3  # parent, guardian, relative
    assert roster.links == {
        Link("par-1", "stu-1"),
        Link("par-1", "stu-2"),
        Link("gua-1", "stu-2"),
        Link("rel-1", "stu-1"),
    }
    assert roster.people["stu-3"].active is False
    assert roster.people["stu-1"].full_name == "Ava Smith"
    assert roster.people["stu-1"].email == "ava@school.example"
    assert [(s.sis_id, s.reason) for s in roster.skipped] == [
        ("tch-1", "teacher: only students and parents are synced")
    ]
    # A teacher as agent is a warning, once, on the student's row.
    assert [(p.row, p.column, p.severity) for p in roster.problems] == [
        (8, "agentSourcedIds", Severity.WARNING)
    ]
    assert roster.mapping == {
        "sis_id": "sourcedId",
        "full_name": "givenName familyName",
        "username": "username",
        "role": "role",
        "email": "email",
        "links": "agentSourcedIds",
    }


def test_oneroster_12_folder_with_roles_csv(tmp_path: Path, write) -> None:
    write(
        "or12/manifest.csv",
        "propertyName,value\noneroster.version,1.2\nfile.users,bulk\nfile.roles,bulk\n"
        "file.userProfiles,\n",
    )
    # 1.2 users.csv: no role column, extra (and misspelled, as seen in the wild)
    # preferred-name columns, pronouns, columns in a different order.
    write(
        "or12/users.csv",
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
        "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,"
        "userMasterIdentifier,prefferedGivenName,prefferedMiddleName,prefferedFamilyName,"
        "primaryOrgSourcedId,pronouns\n"
        "u1,active,1/05/2024,TRUE,mary.j,,Mary,Jones,,MJ1,mary@school.example,,,,10,,,,,,"
        "org-1,she/her\n"
        "u2,active,1/05/2024,TRUE,tom.j,,Thomas,Jones,,TJ1,tom@home.example,,,u1,,,,Tom,,,"
        "org-1,\n"
        "u3,active,1/05/2024,TRUE,ann.t,,Ann,Taylor,,AT1,ann@school.example,,,,,,,,,,org-1,\n",
    )
    write(
        "or12/roles.csv",
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
        "orgSourcedId,userProfileSourcedId\n"
        "r1,active,2024-01-01,u1,primary,student,,,org-1,\n"
        "r2,active,2024-01-01,u2,secondary,teacher,,,org-1,\n"
        "r3,active,2024-01-01,u2,primary,guardian,,,org-1,\n"
        "r4,active,2024-01-01,u3,primary,teacher,,,org-1,\n"
        "r5,tobedeleted,2024-01-01,u3,primary,parent,,,org-1,\n",
    )

    assert detect_format(tmp_path / "or12") is RosterFormat.ONEROSTER
    roster = read_roster(tmp_path / "or12")

    assert roster.people["u1"].role is Role.STUDENT
    # A guardian who is also a teacher is staff: their account is left alone (whichever
    # role is primary), and their link to their child is made as a staff member's link.
    assert "u2" not in roster.people
    assert "u2" in roster.not_synced
    assert roster.links == set()
    assert roster.staff_links == {Link("u2", "u1")}
    assert "u3" not in roster.people  # a teacher; the deleted parent role does not count
    assert roster.problems == []
    assert roster.mapping["role"] == "role (roles.csv)"
    assert set(roster.encodings) == {"or12/manifest.csv", "or12/roles.csv", "or12/users.csv"}


def test_identifier_as_sis_id_follows_agents_by_sourced_id(make_zip) -> None:
    users = (
        USERS_11
        + _u11("guid-a", "student", "ava", "Ava", "Smith", identifier="000123")
        + _u11("guid-b", "parent", "pat", "Pat", "Smith", identifier="P-9", agents="guid-a")
    )
    path = make_zip("export.zip", {"users.csv": users})

    roster = read_roster(path, sis_id_field="identifier")

    assert set(roster.people) == {"000123", "P-9"}
    assert roster.links == {Link("P-9", "000123")}
    assert roster.mapping["sis_id"] == "identifier"


def test_delta_export_marks_deletions_and_is_incomplete(make_zip) -> None:
    manifest = "propertyName,value\noneroster.version,1.1\nfile.users,delta\n"
    users = (
        USERS_11
        + _u11("stu-1", "student", "ava", "Ava", "Smith", status="active", agents="par-old")
        + _u11("stu-9", "student", "gone", "Gone", "Away", status="tobedeleted")
    )
    roster = read_roster(make_zip("delta.zip", {"manifest.csv": manifest, "users.csv": users}))

    assert roster.complete is False
    assert roster.removed == {"stu-9"}
    assert set(roster.people) == {"stu-1"}
    # par-old may well exist in Canvas: not an error in a delta, but not linked blindly.
    [problem] = roster.problems
    assert problem.severity is Severity.WARNING
    assert problem.message == (
        "'par-old' is not in this delta export, so the wizard cannot check whether they are "
        "a parent or a student; the link is left out."
    )


def test_nested_folder_inside_the_zip(make_zip) -> None:
    users = USERS_11 + _u11("s1", "student", "ava", "Ava", "Smith")
    path = make_zip(
        "nested.zip",
        {
            "__MACOSX/dataset/._users.csv": "junk",
            "dataset/manifest.csv": MANIFEST_11,
            "dataset/users.csv": users,
        },
    )
    roster = read_roster(path)
    assert set(roster.people) == {"s1"}
    assert roster.files == ["nested.zip/dataset/manifest.csv", "nested.zip/dataset/users.csv"]


def test_non_standard_headers_are_tolerated(write) -> None:
    # Reordered columns, "agents" for agentSourcedIds, "userId", vendor ext_
    # columns, blank status, enabledUser in capitals.
    path = write(
        "users.csv",
        "sourcedId,enabledUser,status,dateLastModified,orgSourcedIds,role,username,userId,"
        "givenName,familyName,identifier,email,sms,phone,agents,ext_vendor_id,ext_vendor_grade\n"
        "user1,TRUE,,,12345,student,kim,abc,Kim,Park,id-1,,,,,9,3\n"
        "user2,TRUE,,,12345,parent,lee,abc,Lee,Park,id-2,lee@home.example,,,user1,,\n",
    )
    assert detect_format(path) is RosterFormat.ONEROSTER
    roster = read_roster(path)
    assert roster.links == {Link("user2", "user1")}
    assert roster.mapping["links"] == "agents"
    assert roster.problems == []


def test_loose_users_csv_picks_up_roles_beside_it(write) -> None:
    path = write("drop/users.csv", "sourcedId,username,givenName,familyName\nu1,ava,Ava,Smith\n")
    write("drop/Roles.csv", "sourcedId,userSourcedId,roleType,role\nr1,u1,primary,student\n")
    roster = read_roster(path)
    assert roster.people["u1"].role is Role.STUDENT
    assert roster.files == ["Roles.csv", "users.csv"]


def test_parent_to_parent_agent_is_an_error(write) -> None:
    path = write(
        "users.csv",
        USERS_11
        + _u11("p1", "parent", "a", "A", "A", agents="p2", email="a@h.example")
        + _u11("p2", "guardian", "b", "B", "B", email="b@h.example"),
    )
    roster = read_roster(path)
    assert roster.links == set()
    assert [(p.row, p.severity, p.message) for p in roster.problems] == [
        (
            2,
            Severity.ERROR,
            "'p1' and 'p2' are both parents; a link must join a parent to a student.",
        )
    ]


def test_manifest_marking_roles_absent_ignores_a_stale_roles_csv(write) -> None:
    write("x/manifest.csv", "propertyName,value\noneroster.version,1.1\nfile.roles,absent\n")
    write("x/roles.csv", "sourcedId,userSourcedId,roleType,role\nr1,u1,primary,teacher\n")
    path = write("x/users.csv", USERS_11 + _u11("u1", "student", "ava", "Ava", "Smith"))
    roster = read_roster(path)
    assert roster.people["u1"].role is Role.STUDENT
    assert roster.mapping["role"] == "role"
