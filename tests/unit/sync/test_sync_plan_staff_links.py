"""plan_sync for staff members who are parents: link to their child, never touch their account."""

from __future__ import annotations

from canvas_wizard.core.roster.model import Link
from canvas_wizard.core.sync import ActionKind

K = ActionKind


def test_a_linked_teacher_parent_is_unchanged_and_never_suspended_or_unlinked(world) -> None:
    teacher = world.user("Mara Hill", ("mara.hill", "T1"))
    child = world.mirror(world.person("S1"))
    world.roster.not_synced.add("T1")
    world.roster.staff_links.add(Link("T1", "S1"))
    world.canvas_link(teacher, child)

    plan = world.plan(suspend_missing=True)

    (link,) = plan.links
    assert (link.kind, link.staff_parent) == (K.UNCHANGED, True)
    assert [p.sis_id for p in plan.people if p.kind in (K.SUSPEND, K.UPDATE)] == []
    assert plan.notes == [
        "1 link to staff members who are parents (their own Canvas accounts are left as they are)."
    ]


def test_a_link_the_roster_no_longer_has_to_a_staff_member_is_left_alone(world) -> None:
    teacher = world.user("Mara Hill", ("mara.hill", "T1"))
    child = world.mirror(world.person("S1"))
    world.roster.not_synced.add("T1")
    world.canvas_link(teacher, child)
    assert world.plan().links == []  # staff are not the roster's to unlink


def test_a_staff_parent_of_a_student_being_created_is_linked_after_the_create(world) -> None:
    teacher = world.user("Mara Hill", ("mara.hill", "T1"))
    world.person("S1")  # new to Canvas
    world.roster.staff_links.add(Link("T1", "S1"))
    (link,) = world.plan().links
    assert link.kind is K.LINK
    assert (link.parent_canvas_id, link.student_canvas_id) == (teacher.id, None)
    assert 'Staff member "Mara Hill"' in link.reason


def test_a_staff_parent_only_on_a_deleted_login_waits_with_a_warning(world) -> None:
    world.user("Mara Hill", ("mara.hill", "T1", "deleted"))
    world.mirror(world.person("S1", "Ava Hill"))
    world.roster.staff_links.add(Link("T1", "S1"))
    (link,) = world.plan().links
    assert link.kind is K.SKIP
    assert "Canvas has only a deleted login with SIS ID T1" in link.reason
    assert "Ava Hill (S1)" in link.reason
