"""Safety limits: a run that would unlink, suspend or change too much is held."""

from __future__ import annotations

from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.sync import (
    ActionKind,
    SafetyLimits,
    SyncOptions,
    check_limits,
    plan_sync,
)

K = ActionKind


def school(world, people: int, *, leavers: int = 0, renamed: int = 0, families: int = 0):
    """``people`` in sync, ``leavers`` more only in Canvas, some renamed, some linked."""
    canvas = {}
    for i in range(people):
        person = world.person(f"S{i:05d}")
        canvas[person.sis_id] = world.mirror(person)
    for i in range(leavers):
        world.user(f"Leaver {i}", (f"leaver{i}", f"L{i:05d}"))
    for i in range(renamed):
        world.roster.people[f"S{i:05d}"] = world.person(f"S{i:05d}", f"Renamed {i}")
    for i in range(families):
        parent = world.person(f"P{i:05d}", role=Role.PARENT)
        canvas[parent.sis_id] = world.mirror(parent)
        world.canvas_link(canvas[parent.sis_id], canvas[f"S{i:05d}"])
        world.link(parent.sis_id, f"S{i:05d}")
    return canvas


def breaches(world, limits: SafetyLimits | None = None, **options: bool):
    limits = limits or SafetyLimits()
    snapshot = world.snapshot()
    plan = plan_sync(world.roster, snapshot, SyncOptions(limits=limits, **options))
    return {b.what: b for b in check_limits(plan, snapshot, limits)}


def test_an_ordinary_run_is_not_held(world) -> None:
    school(world, 200, leavers=2, renamed=5, families=50)
    world.person("NEW1")  # creates never count
    assert breaches(world, suspend_missing=True) == {}


def test_suspending_more_than_the_count_holds_a_large_school(world) -> None:
    school(world, 2000, leavers=11)  # 11 of 2011: 0.5 %, well under the share
    got = breaches(world, suspend_missing=True)
    assert set(got) == {"suspend"}
    assert (got["suspend"].count, got["suspend"].total) == (11, 2011)


def test_a_few_suspensions_in_a_tiny_school_are_not_held(world) -> None:
    school(world, 30, leavers=2)  # 2 of 32 is over 2 %, but under the floor of 3
    assert breaches(world, suspend_missing=True) == {}


def test_a_large_share_holds_a_small_school(world) -> None:
    school(world, 30, leavers=3)  # 3 of 33: 9 %
    got = breaches(world, suspend_missing=True)
    assert set(got) == {"suspend"}
    assert round(got["suspend"].share, 3) == round(3 / 33, 3)


def test_suspensions_count_only_when_suspending_is_on(world) -> None:
    school(world, 30, leavers=20)
    assert breaches(world) == {}


def test_exactly_at_the_limit_passes(world) -> None:
    school(world, 1000, families=1000)
    # the roster drops 25 of 1000 links: 2.5 %, and exactly the count limit
    for link in sorted(world.roster.links)[:25]:
        world.roster.links.discard(link)
    assert breaches(world) == {}
    world.roster.links.discard(next(iter(world.roster.links)))
    got = breaches(world)
    assert set(got) == {"unlink"}
    assert (got["unlink"].count, got["unlink"].total) == (26, 1000)


def test_unlink_breach_tells_the_admin_what_and_what_to_do(world) -> None:
    school(world, 10, families=10)
    world.roster.links.clear()  # a roster export without its links file
    got = breaches(world)["unlink"]
    assert (got.count, got.total, got.share) == (10, 10, 1.0)
    assert str(got) == got.limit
    assert "remove 10 of 10 parent-student links" in got.limit
    assert "25 links or 5%" in got.limit
    assert "approve this run once" in got.limit


def test_changes_count_updates_of_existing_people(world) -> None:
    school(world, 40, renamed=9)  # 9 of 40: 22.5 %, under 25 %
    assert breaches(world) == {}
    world.person("S00039", "Also Renamed")  # 10 of 40: 25 %, not more
    assert breaches(world) == {}
    world.person("S00038", "Renamed Too")
    got = breaches(world)["change"]
    assert (got.count, got.total) == (11, 40)


def test_limits_can_be_set_per_school(world) -> None:
    school(world, 100, leavers=1, renamed=1)
    strict = SafetyLimits(max_suspend_count=0, max_change_count=0, min_count_for_share=1)
    assert set(breaches(world, strict, suspend_missing=True)) == {"suspend", "change"}
    for i in range(50):
        world.user(f"Another leaver {i}", (f"x{i}", f"X{i}"))
    lenient = SafetyLimits(max_suspend_share=1.0, max_suspend_count=10**6)
    assert breaches(world, lenient, suspend_missing=True) == {}


def test_suspending_everyone_is_a_share_of_one(world) -> None:
    # The only Canvas users with an SIS ID are the ones being suspended.
    for i in range(3):
        world.user(f"Leaver {i}", (f"l{i}", f"L{i}"))
    got = breaches(world, suspend_missing=True)["suspend"]
    assert got.share == 1.0


def test_default_limits_come_with_the_options() -> None:
    assert SyncOptions().limits == SafetyLimits()
    assert SyncOptions().limits is not SyncOptions().limits


def other_school_in_canvas(world, count: int) -> None:
    """Canvas users with SIS IDs that no roster below mentions."""
    for i in range(count):
        world.user(f"Other {i}", (f"other{i}", f"C{i:05d}"))


def test_a_roster_that_matches_nobody_in_a_populated_account_is_held(world) -> None:
    # Last year's export, or another school's: 0 of 350 found, Canvas holds 300 SIS IDs.
    other_school_in_canvas(world, 300)
    for i in range(350):
        world.person(f"N{i:05d}")
    got = breaches(world)
    assert set(got) == {"create"}
    held = got["create"]
    assert (held.count, held.total) == (350, 0)
    assert "create 350 new Canvas users" in held.limit
    assert "none of the 350 people in the roster (0%) matched Canvas" in held.limit
    assert "holds 300 users with an SIS ID" in held.limit
    assert "Is this the right file?" in held.limit
    assert "approve this run once" in held.limit


def test_a_low_match_is_held_even_below_the_share_floor(world) -> None:
    other_school_in_canvas(world, 300)
    world.person("N1")
    world.person("N2")  # two creates: under min_count_for_share, still held
    assert set(breaches(world)) == {"create"}


def test_a_first_sync_into_an_empty_account_is_not_held(world) -> None:
    for i in range(5):  # a few users without SIS IDs (admins, teachers)
        world.user(f"Staff {i}", (f"staff{i}", None))
    other_school_in_canvas(world, 9)  # under MIN_CANVAS_SIS_IDS: still "empty"
    for i in range(3500):
        world.person(f"N{i:05d}")
    assert breaches(world) == {}


def test_creating_more_than_the_share_of_people_already_in_canvas_is_held(world) -> None:
    school(world, 100)
    for i in range(50):  # 50 of 100: exactly the default 50 %, not more
        world.person(f"N{i:05d}")
    assert breaches(world) == {}
    world.person("N99999")
    got = breaches(world)["create"]
    assert (got.count, got.total) == (51, 100)
    assert "51% of the 100 roster people Canvas already holds" in got.limit
    lenient = SafetyLimits(max_create_share=1.0)
    assert breaches(world, lenient) == {}


def test_the_found_share_threshold_can_be_set(world) -> None:
    school(world, 20)
    other_school_in_canvas(world, 500)
    for i in range(10):
        world.person(f"N{i:05d}")  # 20 of 30 found: 67 %; 10 creates of 20: 50 %, passes
    assert breaches(world) == {}
    assert set(breaches(world, SafetyLimits(min_found_share=0.7))) == {"create"}
