"""plan_sync for observer links: link, keep, unlink only what this roster manages."""

from __future__ import annotations

from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.sync import ActionKind, LinkAction, Plan

K = ActionKind


def link(plan: Plan, parent: str, student: str) -> LinkAction:
    found = [a for a in plan.links if (a.parent_sis_id, a.student_sis_id) == (parent, student)]
    assert len(found) == 1, found
    return found[0]


def family(world, parent: str = "P1", student: str = "S1", *, in_canvas: bool = True):
    p = world.person(parent, role=Role.PARENT)
    s = world.person(student)
    if not in_canvas:
        return None, None
    return world.mirror(p), world.mirror(s)


def test_roster_link_canvas_lacks_is_linked_with_both_ids(world) -> None:
    parent, student = family(world)
    world.link("P1", "S1")
    got = link(world.plan(), "P1", "S1")
    assert got.kind is K.LINK
    assert (got.parent_canvas_id, got.student_canvas_id) == (parent.id, student.id)


def test_link_to_a_person_being_created_leaves_that_id_to_the_applier(world) -> None:
    world.mirror(world.person("P1", role=Role.PARENT))
    world.person("S1")  # not in Canvas yet
    world.link("P1", "S1")
    got = link(world.plan(), "P1", "S1")
    assert got.kind is K.LINK
    assert got.parent_canvas_id is not None
    assert got.student_canvas_id is None


def test_existing_link_is_unchanged(world) -> None:
    parent, student = family(world)
    world.link("P1", "S1")
    world.canvas_link(parent, student)
    assert link(world.plan(), "P1", "S1").kind is K.UNCHANGED


def test_link_the_roster_dropped_between_managed_people_is_unlinked(world) -> None:
    parent, student = family(world)
    world.canvas_link(parent, student)
    got = link(world.plan(), "P1", "S1")
    assert got.kind is K.UNLINK
    assert (got.parent_canvas_id, got.student_canvas_id) == (parent.id, student.id)
    assert "no longer links parent P1 to student S1" in got.reason


def test_links_involving_people_outside_the_roster_are_never_touched(world) -> None:
    parent, student = family(world)
    world.link("P1", "S1")
    world.canvas_link(parent, student)
    outsider = world.user("Other School Parent", ("osp", "OTHER-9"))
    teacher = world.user("Hand Made", ("teacher", None))
    world.canvas_link(outsider, student)
    world.canvas_link(parent, teacher)
    plan = world.plan(suspend_missing=True)
    assert [(a.kind, a.parent_sis_id) for a in plan.links] == [(K.UNCHANGED, "P1")]


def test_link_to_someone_removed_from_the_roster_is_unlinked(world) -> None:
    parent = world.mirror(world.person("P1", role=Role.PARENT))
    gone = world.user("Left School", ("left", "S9"))
    world.roster.removed.add("S9")
    world.canvas_link(parent, gone)
    got = link(world.plan(), "P1", "S9")
    assert got.kind is K.UNLINK


def test_link_to_a_person_in_conflict_waits(world) -> None:
    world.mirror(world.person("P1", role=Role.PARENT))
    world.person("S1", username="taken")
    world.user("Holder", ("taken", None))
    world.link("P1", "S1")
    got = link(world.plan(), "P1", "S1")
    assert got.kind is K.SKIP
    assert "student S1 has a conflict" in got.reason


def test_canvas_link_of_a_person_in_conflict_is_not_removed(world) -> None:
    parent, _ = family(world)
    world.person("S2", username="s2")
    world.person("S3", username="s3")
    twin = world.user("Twin", ("s2", "S2"), ("s3", "S3"))  # two roster people, one user
    world.canvas_link(parent, twin)
    plan = world.plan()
    assert not plan.links_of(K.UNLINK)
    (kept,) = plan.links_of(K.SKIP)
    assert kept.student_canvas_id == twin.id
    assert "conflict" in kept.reason


def test_link_whose_side_is_not_in_the_roster_is_skipped(world) -> None:
    family(world)
    world.link("P1", "S404")
    got = link(world.plan(), "P1", "S404")
    assert got.kind is K.SKIP
    assert "student S404 is not in the roster" in got.reason


def test_link_to_an_inactive_person_is_kept_but_not_made(world) -> None:
    parent = world.mirror(world.person("P1", role=Role.PARENT))
    s1 = world.mirror(world.person("S1", active=False))
    world.mirror(world.person("S2", active=False))
    world.link("P1", "S1")
    world.link("P1", "S2")
    world.canvas_link(parent, s1)
    plan = world.plan()
    assert link(plan, "P1", "S1").kind is K.UNCHANGED
    assert link(plan, "P1", "S2").kind is K.SKIP
    assert "inactive" in link(plan, "P1", "S2").reason


def test_link_to_a_skipped_person_says_why(world) -> None:
    family(world)
    world.person("S2", active=False)  # not in Canvas, so never created
    world.link("P1", "S2")
    got = link(world.plan(), "P1", "S2")
    assert got.kind is K.SKIP
    assert "not in Canvas" in got.reason


def test_self_link_is_skipped(world) -> None:
    world.mirror(world.person("P1", role=Role.PARENT))
    world.link("P1", "P1")
    assert link(world.plan(), "P1", "P1").kind is K.SKIP


def test_links_are_sorted_by_parent_then_student_unlinks_included(world) -> None:
    parents = {sis: world.mirror(world.person(sis, role=Role.PARENT)) for sis in ("P2", "P1")}
    students = {sis: world.mirror(world.person(sis)) for sis in ("S3", "S1", "S2")}
    world.link("P2", "S3")
    world.link("P1", "S3")
    world.link("P2", "S1")
    world.canvas_link(parents["P1"], students["S2"])  # to be unlinked
    world.canvas_link(parents["P2"], students["S2"])  # to be unlinked
    plan = world.plan()
    assert [(a.parent_sis_id, a.student_sis_id, a.kind) for a in plan.links] == [
        ("P1", "S2", K.UNLINK),
        ("P1", "S3", K.LINK),
        ("P2", "S1", K.LINK),
        ("P2", "S2", K.UNLINK),
        ("P2", "S3", K.LINK),
    ]
