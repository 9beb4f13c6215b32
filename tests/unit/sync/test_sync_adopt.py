"""Taking over existing Canvas users (ADOPT): who matches, who is refused, what the plan says."""

from __future__ import annotations

import pytest

from canvas_wizard.core.roster.model import Link, Role
from canvas_wizard.core.sync import ActionKind, FieldChange, PersonAction, Plan, SyncOptions
from canvas_wizard.core.sync.adopt import names_agree
from canvas_wizard.core.sync.limits import SafetyLimits, check_limits
from canvas_wizard.core.sync.plan import plan_sync

K = ActionKind


def action(plan: Plan, sis: str) -> PersonAction:
    found = [a for a in plan.people if a.sis_id == sis]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("roster", "canvas"),
    [
        ("Ana María Ruiz", "ana maria ruiz"),
        ("Ana Ruiz", "  Ana   Ruiz "),
        ("Ana Ruiz", "Ruiz, Ana"),
        ("Ruiz, Ana", "Ana Ruiz"),
        ("Ana Maria Ruiz", "Ana Ruiz"),
        ("Ana Ruiz", "Ana Maria Ruiz"),
        ("Zoë O'Neil", "ZOE O'NEIL"),
    ],
)
def test_names_agree_forgiving_what_people_write_differently(roster, canvas) -> None:
    assert names_agree(roster, canvas)


@pytest.mark.parametrize(
    ("roster", "canvas"),
    [
        ("Ana Ruiz", "Ana Lopez"),
        ("Ana Ruiz", "Maria Ruiz"),
        ("Ana Ruiz", "Ana"),
        ("Ana Ruiz", ""),
    ],
)
def test_names_disagree_when_they_are_different_people(roster, canvas) -> None:
    assert not names_agree(roster, canvas)


def test_without_adopt_a_self_registered_parent_is_a_conflict_and_the_plan_says_so(world) -> None:
    world.person("P1", "Lee Park", username="lee@home.example", email="lee@home.example")
    canvas = world.user("Lee Park", ("lee@home.example", None), email="lee@home.example")
    plan = world.plan()
    got = action(plan, "P1")
    assert got.kind is K.CONFLICT  # never a second account
    assert got.canvas_id == canvas.id
    assert "--adopt" in got.reason
    assert any(
        "1 roster person matches existing Canvas users that could be taken over" in n
        and "1 by same username, no SIS ID in Canvas" in n
        for n in plan.notes
    ), plan.notes


def test_adopt_by_login_sets_the_sis_id_and_updates_the_rest(world) -> None:
    world.person("P1", "Lee Park", username="LEE@home.example", email="lee.park@mail.example")
    canvas = world.user("lee park", ("lee@home.example", None), email="lee@home.example")
    got = action(world.plan(adopt=True), "P1")
    assert got.kind is K.ADOPT
    assert got.canvas_id == canvas.id
    assert got.login_id == canvas.logins[0].id
    assert got.changes == (
        FieldChange("sis_id", None, "P1"),
        FieldChange("name", "lee park", "Lee Park"),
        FieldChange("email", "lee@home.example", "lee.park@mail.example"),
    )  # the username differs only in case: not a change
    assert "no SIS ID" in got.reason and str(canvas.id) in got.reason


def test_adopt_by_email_when_no_login_fits_and_the_login_follows_the_roster(world) -> None:
    world.person("P1", "Lee Park", username="lpark", email="Lee@Home.example")
    canvas = world.user("Lee Park", ("leeselfreg", None), email="lee@home.example")
    got = action(world.plan(adopt=True), "P1")
    assert got.kind is K.ADOPT
    assert got.canvas_id == canvas.id
    assert got.changes == (
        FieldChange("sis_id", None, "P1"),
        FieldChange("login", "leeselfreg", "lpark"),
    )


def test_adopt_by_sis_id_with_leading_zeros_and_case(world) -> None:
    world.person("001234", "Ana Ruiz", username="ana")
    canvas = world.user("Ana Ruiz", ("ana", "1234"))
    world.person("ab7", "Bo Li", username="bo")
    world.user("Bo Li", ("bo", " AB7 "))
    plan = world.plan(adopt=True)
    got = action(plan, "001234")
    assert got.kind is K.ADOPT and got.canvas_id == canvas.id
    assert got.changes[0] == FieldChange("sis_id", "1234", "001234")
    assert action(plan, "ab7").kind is K.ADOPT


def test_adopt_by_a_prefix_most_canvas_sis_ids_share_and_the_plan_shows_it(world) -> None:
    for n in range(1, 6):
        world.person(f"00{n}", f"Kid Number{n}", username=f"kid{n}")
        world.user(f"Kid Number{n}", (f"kid{n}", f"S00{n}"), email=f"kid{n}@school.example")
    plan = world.plan(adopt=True)
    assert [a.kind for a in plan.people] == [K.ADOPT] * 5
    assert action(plan, "003").changes == (FieldChange("sis_id", "S003", "003"),)
    assert any('Canvas SIS IDs look like "S" + Cloudwork\'s.' in n for n in plan.notes), plan.notes


def test_a_prefix_on_a_couple_of_ids_is_no_format(world) -> None:
    world.person("1", "Kid One", username="kid1")
    world.user("Kid One", ("kid1", "X1"))
    world.person("2", "Kid Two", username="kid2.new")
    world.user("Someone", ("someone", "Q5"))
    plan = world.plan(adopt=True)
    assert action(plan, "1").kind is K.CONFLICT  # username held, no format to forgive
    assert not any("look like" in n for n in plan.notes)


def test_names_that_differ_are_a_conflict_naming_the_candidate(world) -> None:
    world.person("P1", "Lee Park", username="lpark", email="family@home.example")
    other = world.user("Kim Park", ("kimp", None), email="family@home.example")
    got = action(world.plan(adopt=True), "P1")
    assert got.kind is K.CONFLICT
    assert f"Canvas user id {other.id}" in got.reason
    assert '"Kim Park"' in got.reason and 'login "kimp"' in got.reason
    assert "SIS ID none" in got.reason and "names differ" in got.reason


def test_two_candidates_are_a_conflict_naming_both(world) -> None:
    world.person("P1", "Lee Park", username="lpark", email="lee@home.example")
    one = world.user("Lee Park", ("lee1", None), email="lee@home.example")
    two = world.user("Lee Park", ("lee2", None), email="LEE@home.example")
    got = action(world.plan(adopt=True), "P1")
    assert got.kind is K.CONFLICT
    assert "2 Canvas users fit" in got.reason
    assert f"id {one.id}" in got.reason and f"id {two.id}" in got.reason


def test_a_candidate_holding_another_roster_persons_sis_id_is_refused(world) -> None:
    world.person("1234", "Ana Ruiz", username="ana")
    world.person("01234", "Ana Ruiz", username="ana2")
    world.user("Ana Ruiz", ("ana", "1234"), email="ana@school.example")
    plan = world.plan(adopt=True)
    assert action(plan, "1234").kind is K.UNCHANGED
    got = action(plan, "01234")
    assert got.kind is K.CONFLICT
    assert "holds roster person 1234's SIS ID" in got.reason


def test_staff_and_the_signed_in_admin_are_never_taken_over(world) -> None:
    world.person("0042", "Sam Teach", username="sam")
    world.roster.not_synced.add("42")  # a staff row in the roster
    world.user("Sam Teach", ("sam", "42"))
    world.person("P9", "Ada Admin", username="ada@school.example")
    admin = world.user("Ada Admin", ("ada@school.example", None))
    snapshot = world.snapshot()
    snapshot.protected_users = {admin.id: "the signed-in admin"}
    plan = plan_sync(world.roster, snapshot, SyncOptions(adopt=True))
    assert action(plan, "0042").kind is K.CONFLICT
    assert "staff member" in action(plan, "0042").reason
    got = action(plan, "P9")
    assert got.kind is K.CONFLICT and "the signed-in admin" in got.reason


def test_one_canvas_user_two_roster_people_is_a_conflict_for_both(world) -> None:
    world.person("P1", "Lee Park", username="lee1", email="lee@home.example")
    world.person("P2", "Lee Park", username="lee2", email="lee@home.example")
    world.user("Lee Park", ("leeself", None), email="lee@home.example")
    plan = world.plan(adopt=True)
    assert action(plan, "P1").kind is K.CONFLICT
    assert "P1, P2 all match it" in action(plan, "P1").reason
    assert action(plan, "P2").kind is K.CONFLICT


def test_links_follow_an_adopted_parent_and_a_second_plan_is_quiet(world) -> None:
    world.person("S1", "Kid Park", username="kid")
    world.mirror(world.roster.people["S1"])
    world.person("P1", "Lee Park", username="lee@home.example", role=Role.PARENT)
    world.user("Lee Park", ("lee@home.example", None), email="lee@home.example")
    world.roster.links.add(Link("P1", "S1"))
    plan = world.plan(adopt=True)
    assert action(plan, "P1").kind is K.ADOPT
    [link] = plan.links
    assert link.kind is K.LINK and link.parent_canvas_id == action(plan, "P1").canvas_id
    world.apply(plan)
    again = world.plan(adopt=True)
    assert again.writes() == 0
    assert {a.kind for a in again.people} == {K.UNCHANGED}


def test_adoptions_count_towards_the_change_limit(world) -> None:
    for n in range(30):
        world.person(f"P{n}", f"Parent Number{n}", username=f"p{n}@home.example")
        world.user(f"Parent Number{n}", (f"p{n}@home.example", None))
    snapshot = world.snapshot()
    plan = plan_sync(world.roster, snapshot, SyncOptions(adopt=True))
    assert plan.person_totals()[K.ADOPT] == 30
    breaches = check_limits(plan, snapshot, SafetyLimits(max_change_count=20))
    assert [b.what for b in breaches] == ["change"]
    assert "change 30 of 30 existing Canvas users" in breaches[0].limit


def test_the_preview_words_for_a_takeover(world) -> None:
    from canvas_wizard.core.sync.plan_export import describe_totals, plan_rows

    world.person("001234", "Ana Ruiz", username="ana", email=None)
    world.user("Ana Ruiz", ("ana.r", None), email=None)
    world.person("P1", "Lee Park", username="lee@home.example", email=None)
    world.user("Lee Park", ("lee@home.example", None))
    plan = world.plan(adopt=True)
    rows = {r.sis_id: r for r in plan_rows(plan)}
    assert rows["P1"].changes == "SIS ID: (none) → P1"
    assert rows["P1"].kind is K.ADOPT
    assert describe_totals(plan) == "1 to create, 1 to take over — 2 changes"
    assert rows["001234"].kind is K.CREATE  # a different username and no email: not the same


def test_a_prefix_before_the_rosters_own_letters_is_found_too(world) -> None:
    for n in range(1, 5):
        world.person(f"S10{n}", f"Kid Number{n}", username=f"kid{n}")
        world.user(f"Kid Number{n}", (f"kid{n}", f"NF-S10{n}"), email=f"kid{n}@school.example")
    plan = world.plan(adopt=True)
    assert action(plan, "S102").changes == (FieldChange("sis_id", "NF-S102", "S102"),)
    assert any('look like "NF-" + Cloudwork\'s.' in n for n in plan.notes), plan.notes
