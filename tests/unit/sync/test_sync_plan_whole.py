"""plan_sync as a whole: people who left, order, idempotence, purity, speed."""

from __future__ import annotations

import copy
import gc
import random
import time

from canvas_wizard.core.roster.model import Link, Person, Role, Roster
from canvas_wizard.core.sync import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    Plan,
    Snapshot,
    SyncOptions,
    plan_sync,
)

K = ActionKind


def kinds(plan: Plan) -> dict[str, ActionKind]:
    return {a.sis_id: a.kind for a in plan.people}


def test_people_who_left_are_left_alone_by_default(world) -> None:
    world.mirror(world.person("S1"))
    world.user("Left", ("left", "S9"))
    assert kinds(world.plan()) == {"S1": K.UNCHANGED}


def test_people_who_left_are_suspended_when_asked(world) -> None:
    world.mirror(world.person("S1"))
    left = world.user("Left", ("left", "S9"))
    plan = world.plan(suspend_missing=True)
    suspend = plan.people_of(K.SUSPEND)
    assert [(a.sis_id, a.canvas_id, a.login_id) for a in suspend] == [
        ("S9", left.id, left.logins[0].id)
    ]
    assert suspend[0].person is None
    assert 'Canvas user "Left"' in suspend[0].reason


def test_people_without_sis_id_are_never_suspended(world) -> None:
    world.user("Teacher made by hand", ("teacher", None))
    world.user("Admin", ("admin", ""))
    assert world.plan(suspend_missing=True).people == []


def test_already_suspended_or_deleted_leavers_are_not_suspended_again(world) -> None:
    world.user("Suspended", ("susp", "S8", "suspended"))
    world.user("Deleted", ("del", "S7", "deleted"))
    plan = world.plan(suspend_missing=True)
    assert kinds(plan) == {"S8": K.UNCHANGED}


def test_removed_people_are_listed_and_suspended_only_when_asked(world) -> None:
    world.user("Removed", ("rem", "S5"))
    world.roster.removed.add("S5")
    world.roster.removed.add("S6")  # not in Canvas: nothing to do
    default = world.plan()
    assert kinds(default) == {"S5": K.UNCHANGED}
    assert "Removed from the roster" in default.people[0].reason
    assert kinds(world.plan(suspend_missing=True)) == {"S5": K.SUSPEND}


def test_incomplete_snapshot_suspends_only_explicit_removals(world) -> None:
    world.user("Removed", ("rem", "S5"))
    world.user("Merely missing", ("miss", "S6"))
    world.roster.removed.add("S5")
    plan = world.plan(complete=False, suspend_missing=True)
    assert kinds(plan) == {"S5": K.SUSPEND}
    assert plan.notes and "read only in part" in plan.notes[0]


def test_people_are_sorted_by_sis_id_whatever_the_input_order(world) -> None:
    for sis in ("S3", "S10", "S1"):
        world.person(sis)
    world.user("Left", ("left", "S2"))
    plan = world.plan(suspend_missing=True)
    assert [a.sis_id for a in plan.people] == ["S1", "S10", "S2", "S3"]
    # the same input in another order plans the same
    world.roster.people = dict(reversed(world.roster.people.items()))
    assert world.plan(suspend_missing=True) == plan


def test_applying_a_plan_then_planning_again_changes_nothing(world) -> None:
    p1 = world.person("P1", "Pat  Parent", role=Role.PARENT, username="Pat.P")
    pat = world.user("Pat Old", ("pat.old", "P1"), email="old@school.example")
    world.person("P2", role=Role.PARENT, email=None)
    world.mirror(world.person("S1"), login_state="suspended")
    world.person("S2", "New Kid")
    gone = world.user("Gone", ("gone", "S9"))
    world.roster.removed.add("S9")
    world.link("P1", "S1")
    world.link("P1", "S2")
    world.link("P2", "S2")
    world.canvas_link(pat, gone)  # Pat observes a student who left
    first = world.plan(suspend_missing=True)
    assert first.person_totals()[K.CREATE] == 2
    assert first.person_totals()[K.UPDATE] == 2
    assert first.link_totals()[K.UNLINK] == 1
    assert not first.conflicts
    world.apply(first)
    again = world.plan(suspend_missing=True)
    assert {a.kind for a in again.people} == {K.UNCHANGED}
    assert {a.kind for a in again.links} == {K.UNCHANGED}
    assert again.writes() == 0
    assert p1.username == "Pat.P"  # the roster was not touched


def test_planning_is_pure(world) -> None:
    world.mirror(world.person("S1", "Changed"))
    world.person("S2")
    world.link("S1", "S2")
    world.user("Left", ("left", "S9"))
    roster_before = copy.deepcopy(world.roster)
    snapshot = world.snapshot()
    snapshot_before = copy.deepcopy(snapshot)
    gc_was = gc.isenabled()
    first = plan_sync(world.roster, snapshot, SyncOptions(suspend_missing=True))
    second = plan_sync(world.roster, snapshot, SyncOptions(suspend_missing=True))
    assert first == second
    assert world.roster == roster_before
    assert snapshot == snapshot_before
    assert gc.isenabled() == gc_was


def _large_school(people: int, links: int) -> tuple[Roster, Snapshot]:
    rnd = random.Random(7)
    order = list(range(people))
    rnd.shuffle(order)
    roster = Roster("cloudwork")
    canvas: dict[int, CanvasPerson] = {}
    for i in order:
        sis = f"S{i:06d}"
        role = Role.PARENT if i % 3 else Role.STUDENT
        email = f"u{i}@school.example"
        roster.people[sis] = Person(sis, f"Given{i} Family{i}", f"u{i}", role, email)
        if i % 50:  # 2 % are new
            name = f"Given{i} Family{i}" if i % 40 else f"Old{i}"  # 2.5 % renamed
            login = CanvasLogin(10 * i, f"u{i}", sis, "active", 1)
            canvas[i] = CanvasPerson(i, name, email, (login,), "registered")
    students = [i for i in range(people) if i % 3 == 0]
    parents = [i for i in range(people) if i % 3]
    existing: set[tuple[int, int]] = set()
    while len(roster.links) < links:
        p, s = rnd.choice(parents), rnd.choice(students)
        roster.links.add(Link(f"S{p:06d}", f"S{s:06d}"))
        if p in canvas and s in canvas and rnd.random() < 0.97:
            existing.add((p, s))
    return roster, Snapshot(1, 1, canvas, existing)


def test_planning_a_large_school_takes_linear_time() -> None:
    roster, snapshot = _large_school(20_000, 30_000)
    started = time.perf_counter()
    plan = plan_sync(roster, snapshot, SyncOptions())
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"planning 20,000 people took {elapsed:.2f} s: something is quadratic"
    totals = plan.totals()
    assert totals[K.CREATE] == 400
    assert totals[K.UPDATE] == len([i for i in range(20_000) if i % 50 and i % 40 == 0])
    assert len(plan.links) == 30_000


def test_a_delta_roster_removes_only_what_it_marks_as_removed(world) -> None:
    parent = world.mirror(world.person("P1", role=Role.PARENT))
    kid = world.mirror(world.person("S2"))  # in this delta, its link to P1 is not
    left = world.user("Left", ("left", "S9"))
    world.user("Merely missing", ("miss", "S7"))
    world.canvas_link(parent, kid)
    world.canvas_link(parent, left)
    world.roster.removed.update({"S9", "S2"})  # S2 removed, then back: present wins
    world.roster.complete = False
    plan = world.plan(suspend_missing=True)
    assert kinds(plan) == {"P1": K.UNCHANGED, "S2": K.UNCHANGED, "S9": K.SUSPEND}
    assert [(a.student_sis_id, a.kind) for a in plan.links] == [("S9", K.UNLINK)]
    assert "lists only changes" in plan.notes[0]
    world.roster.complete = True  # the same roster as a full export unlinks P1 -> S2 too
    assert len(world.plan().links_of(K.UNLINK)) == 2
