"""plan_sync for people: create, update, unchanged, conflict, skip."""

from __future__ import annotations

from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.sync import ActionKind, FieldChange, PersonAction, Plan

K = ActionKind


def action(plan: Plan, sis: str) -> PersonAction:
    found = [a for a in plan.people if a.sis_id == sis]
    assert len(found) == 1, found
    return found[0]


def test_person_not_in_canvas_is_created_with_every_field(world) -> None:
    world.person("S1", "Ana  Ruiz", username="ana.ruiz", email=" ana@school.example ")
    got = action(world.plan(), "S1")
    assert got.kind is K.CREATE
    assert got.canvas_id is None
    assert got.role is Role.STUDENT
    assert got.changes == (
        FieldChange("name", None, "Ana Ruiz"),
        FieldChange("email", None, "ana@school.example"),
        FieldChange("login", None, "ana.ruiz"),
    )


def test_person_without_email_is_created_without_one(world) -> None:
    world.person("S1", username="ana", email=None)
    got = action(world.plan(), "S1")
    assert got.kind is K.CREATE
    assert [c.field for c in got.changes] == ["name", "login"]


def test_sis_ids_match_exactly_case_and_leading_zeros_count(world) -> None:
    world.user("Lower", ("lower", "s01"))
    world.user("Short", ("short", "S1"))
    world.person("S01", username="new.person")
    got = action(world.plan(), "S01")
    # Neither "s01" nor "S1" is "S01", so nothing matches or is updated; but "s01" may be
    # S01 written differently, and its name differs: the admin decides (sync/adopt.py).
    assert got.kind is K.CONFLICT
    assert got.canvas_id is None
    assert 'login "lower", SIS ID s01' in got.reason and "names differ" in got.reason


def test_person_already_equal_is_unchanged(world) -> None:
    person = world.person("S1", "Ana Ruiz", username="ana")
    canvas = world.mirror(person)
    got = action(world.plan(), "S1")
    assert got.kind is K.UNCHANGED
    assert got.canvas_id == canvas.id
    assert got.login_id == canvas.logins[0].id
    assert got.changes == ()


def test_only_the_fields_that_differ_are_updated(world) -> None:
    world.person("S1", "Ana Ruiz", username="ana", email="ana@school.example")
    world.user("Ana Ruis", ("ana", "S1"), email="ana@school.example")
    got = action(world.plan(), "S1")
    assert got.kind is K.UPDATE
    assert got.changes == (FieldChange("name", "Ana Ruis", "Ana Ruiz"),)


def test_names_compare_with_whitespace_normalised(world) -> None:
    world.person("S1", " Ana   Ruiz ", username="ana", email=None)
    world.user("Ana Ruiz", ("ana", "S1"))
    world.person("S2", "Bo Li", username="bo", email=None)
    world.user("Bo\t Li ", ("bo", "S2"))
    plan = world.plan()
    assert action(plan, "S1").kind is K.UNCHANGED
    assert action(plan, "S2").kind is K.UNCHANGED


def test_a_change_of_case_in_a_name_is_an_update(world) -> None:
    world.person("S1", "Ana McRuiz", username="ana", email=None)
    world.user("Ana Mcruiz", ("ana", "S1"))
    got = action(world.plan(), "S1")
    assert got.changes == (FieldChange("name", "Ana Mcruiz", "Ana McRuiz"),)


def test_email_differing_only_in_case_is_unchanged(world) -> None:
    # Canvas finds channels with LOWER(path), so a case-only "change" would never stick.
    world.person("S1", username="ana", email="Ana.Ruiz@School.Example")
    world.user("Person S1", ("ana", "S1"), email="ana.ruiz@school.example")
    assert action(world.plan(), "S1").kind is K.UNCHANGED


def test_a_different_email_is_updated(world) -> None:
    world.person("S1", username="ana", email="ana@new.example")
    world.user("Person S1", ("ana", "S1"), email="ana@old.example")
    got = action(world.plan(), "S1")
    assert got.changes == (FieldChange("email", "ana@old.example", "ana@new.example"),)


def test_missing_roster_email_never_blanks_canvas_email(world) -> None:
    world.person("S1", username="ana", email=None)
    world.user("Person S1", ("ana", "S1"), email="kept@school.example")
    assert action(world.plan(), "S1").kind is K.UNCHANGED


def test_email_is_set_when_canvas_has_none(world) -> None:
    world.person("S1", username="ana", email="ana@school.example")
    world.user("Person S1", ("ana", "S1"), email=None)
    got = action(world.plan(), "S1")
    assert got.changes == (FieldChange("email", None, "ana@school.example"),)


def test_username_differing_only_in_case_is_unchanged(world) -> None:
    # Canvas signs in and checks uniqueness with LOWER(unique_id): nothing to gain.
    world.person("S1", username="Ana.Ruiz", email=None)
    world.user("Person S1", ("ana.ruiz", "S1"))
    got = action(world.plan(), "S1")
    assert (got.kind, got.changes, got.reason) == (K.UNCHANGED, (), "")


def test_a_different_username_is_updated_on_the_sis_login(world) -> None:
    world.person("S1", username="ana.ruiz", email=None)
    canvas = world.user("Person S1", ("old.sso", None), ("aruiz", "S1"))
    got = action(world.plan(), "S1")
    assert got.changes == (FieldChange("login", "aruiz", "ana.ruiz"),)
    assert got.login_id == canvas.logins[1].id  # the login that carries the SIS ID


def test_switched_off_fields_are_left_alone(world) -> None:
    world.person("S1", "New Name", username="new.login", email="new@school.example")
    world.user("Old Name", ("old.login", "S1"), email="old@school.example")
    plan = world.plan(update_names=False, update_emails=False, update_logins=False)
    assert action(plan, "S1").kind is K.UNCHANGED
    plan = world.plan(update_names=False, update_logins=False)
    assert [c.field for c in action(plan, "S1").changes] == ["email"]


def test_sis_id_on_a_deleted_login_is_a_conflict_with_the_way_out(world) -> None:
    world.person("S1", username="ana")
    world.user("Ana Old", ("ana.old", "S1", "deleted"), state="deleted")
    got = action(world.plan(), "S1")
    assert got.kind is K.CONFLICT
    assert got.canvas_id is None
    assert 'deleted login "ana.old"' in got.reason
    assert "restore" in got.reason and "remove the SIS ID" in got.reason


def test_username_held_by_a_user_without_sis_id_is_a_conflict_naming_them(world) -> None:
    world.person("S1031", username="jordan.lee")
    holder = world.user("Jordan Lee", ("jordan.lee", None))
    got = action(world.plan(), "S1031")
    assert got.kind is K.CONFLICT
    assert got.changes == ()
    assert got.reason == (
        f'Username "jordan.lee" already belongs to Canvas user "Jordan Lee" (id {holder.id}, '
        "no SIS ID). Give that user the SIS ID S1031 in Canvas if it is the same person, or "
        "change the username in Cloudwork. Not taken over: the names differ (roster "
        '"Person S1031", Canvas "Jordan Lee").'
    )


def test_username_is_held_whatever_its_case(world) -> None:
    world.person("S1", username="Jordan.Lee")
    world.user("Jordan Lee", ("jordan.lee", None, "suspended"))
    got = action(world.plan(), "S1")
    assert got.kind is K.CONFLICT
    assert "suspended" in got.reason  # a suspended login still holds its username


def test_username_held_under_another_sis_id_suggests_correcting_it(world) -> None:
    world.person("S1", username="ana")
    world.user("Ana", ("ana", "X-77"))
    got = action(world.plan(), "S1")
    assert got.kind is K.CONFLICT
    assert "SIS ID X-77" in got.reason
    assert "Cloudwork has S1, Canvas has X-77" in got.reason


def test_username_of_a_deleted_login_is_free(world) -> None:
    world.person("S1", username="ana")
    world.user("Gone", ("ana", None, "deleted"))
    assert action(world.plan(), "S1").kind is K.CREATE


def test_username_of_a_login_in_another_root_account_is_free(world) -> None:
    world.person("S1", username="ana")
    world.user("Elsewhere", ("ana", "S1"), account_id=999)
    assert action(world.plan(), "S1").kind is K.CREATE


def test_login_change_to_a_taken_username_blocks_every_change(world) -> None:
    world.person("S1", "New Name", username="taken", email="new@school.example")
    canvas = world.user("Old Name", ("mine", "S1"), email="old@school.example")
    world.user("Other", ("TAKEN", None))
    got = action(world.plan(), "S1")
    assert got.kind is K.CONFLICT  # nothing is changed for that person, not even the name
    assert got.canvas_id == canvas.id
    assert got.changes == ()


def test_a_username_shared_elsewhere_is_no_conflict_when_nothing_changes(world) -> None:
    # Canvas scopes usernames per authentication provider, so this can exist.
    person = world.person("S1", username="ana")
    world.mirror(person)
    world.user("Ana via SSO", ("ana", None))
    assert action(world.plan(), "S1").kind is K.UNCHANGED


def test_username_being_freed_by_this_run_says_to_run_again(world) -> None:
    world.person("S1", username="new.x", email=None)
    world.person("S2", username="x", email=None)
    world.user("Person S1", ("x", "S1"))
    plan = world.plan()
    assert action(plan, "S1").changes == (FieldChange("login", "x", "new.x"),)
    s2 = action(plan, "S2")
    assert s2.kind is K.CONFLICT
    assert 'gives S1 the username "new.x"' in s2.reason
    assert "run the sync again" in s2.reason


def test_two_roster_people_wanting_one_username_are_both_conflicts(world) -> None:
    world.person("S1", username="sam")
    world.person("S2", username="SAM")
    plan = world.plan()
    assert action(plan, "S1").kind is K.CONFLICT
    assert "also to S2" in action(plan, "S1").reason
    assert "also to S1" in action(plan, "S2").reason


def test_one_canvas_user_holding_two_roster_sis_ids_is_a_conflict(world) -> None:
    world.person("S1", username="a")
    world.person("S2", username="b")
    canvas = world.user("Twin", ("a", "S1"), ("b", "S2"))
    plan = world.plan()
    for sis in ("S1", "S2"):
        got = action(plan, sis)
        assert got.kind is K.CONFLICT
        assert got.canvas_id == canvas.id
        assert "S1, S2" in got.reason


def test_username_already_another_login_of_the_same_user_is_not_a_conflict(world) -> None:
    world.person("S1", username="ana.sso", email=None)
    world.user("Person S1", ("ana", "S1"), ("ana.sso", None))
    got = action(world.plan(), "S1")
    assert got.kind is K.UNCHANGED
    assert "already another login of this user" in got.reason


def test_person_without_name_or_username_is_skipped_with_reason(world) -> None:
    world.person("S1", "  ", username="ana")
    world.person("S2", "Bo", username=" ")
    plan = world.plan()
    assert action(plan, "S1").kind is K.SKIP
    assert "no name" in action(plan, "S1").reason
    assert "no username" in action(plan, "S2").reason


def test_inactive_people_are_not_created(world) -> None:
    world.person("S1", active=False)
    got = action(world.plan(), "S1")
    assert got.kind is K.SKIP
    assert "Inactive" in got.reason


def test_inactive_people_in_canvas_are_kept_or_suspended_per_options(world) -> None:
    world.mirror(world.person("S1", "Changed Later", active=False))
    world.mirror(world.person("S2", active=False), login_state="suspended")
    default = world.plan()
    assert action(default, "S1").kind is K.UNCHANGED
    assert "suspending is turned off" in action(default, "S1").reason
    suspending = world.plan(suspend_missing=True)
    assert action(suspending, "S1").kind is K.SUSPEND
    assert action(suspending, "S2").kind is K.UNCHANGED  # already suspended


def test_suspended_login_of_an_active_person_is_reactivated(world) -> None:
    world.mirror(world.person("S1"), login_state="suspended")
    got = action(world.plan(), "S1")
    assert got.kind is K.UPDATE
    assert got.changes == (FieldChange("status", "suspended", "active"),)
    assert action(world.plan(reactivate_suspended=False), "S1").kind is K.UNCHANGED


def test_suspend_missing_never_suspends_staff_or_rows_left_out_for_problems(tmp_path):
    """A teacher in the export, or a student whose row had an error, has not left the school."""
    from canvas_wizard.core.roster import read_roster
    from canvas_wizard.core.sync import ActionKind, SyncOptions, plan_sync
    from canvas_wizard.core.sync.model import CanvasLogin, CanvasPerson, Snapshot

    export = tmp_path / "export.csv"
    export.write_text(
        "SIS ID,Full Name,Default Email,Username,Role\n"
        "S1,Ann One,,ann.one,Student\n"
        "T9,Tess Teacher,,tess.t,Teacher\n"
        "S2,,,bob.two,Student\n",  # no name: left out with a problem
        encoding="utf-8",
    )
    roster = read_roster(export)
    assert "S2" not in roster.people and roster.errors
    assert {"T9", "S2"} <= roster.not_synced

    def person(n: int, sis: str) -> CanvasPerson:
        return CanvasPerson(
            n, f"P{n}", None, (CanvasLogin(n, f"u{n}", sis, "active", 1),), "registered"
        )

    snapshot = Snapshot(
        account_id=1,
        root_account_id=1,
        people={1: person(1, "S1"), 2: person(2, "T9"), 3: person(3, "S2"), 4: person(4, "S3")},
    )
    plan = plan_sync(roster, snapshot, SyncOptions(suspend_missing=True))
    kinds = {p.sis_id: p.kind for p in plan.people}
    assert kinds["T9"] is ActionKind.SKIP
    assert kinds["S2"] is ActionKind.SKIP
    assert kinds["S3"] is ActionKind.SUSPEND  # really gone from the export
    reason = next(p.reason for p in plan.people if p.sis_id == "T9")
    assert reason.startswith("Not suspended")
