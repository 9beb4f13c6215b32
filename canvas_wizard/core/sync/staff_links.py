"""Planning the links of staff members who are parents (a teacher whose child is at the school).

The staff member's account is never the wizard's: it is not created, renamed,
suspended or unlinked by a sync. Only the link to their child is made, and only
when Canvas already has the staff member by SIS ID; otherwise each such link
says, on its own, who is missing and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping

from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.sync.model import ActionKind, LinkAction, PersonAction, Snapshot

LINK, UNCHANGED, SKIP, CONFLICT = (
    ActionKind.LINK,
    ActionKind.UNCHANGED,
    ActionKind.SKIP,
    ActionKind.CONFLICT,
)


def plan_staff_links(
    roster: Roster,
    snapshot: Snapshot,
    linkable: Mapping[str, int],
    actions: Mapping[str, PersonAction],
) -> tuple[list[LinkAction], list[tuple[int, int]]]:
    """An action for each of the roster's staff-parent links, and the Canvas links it keeps."""
    out: list[LinkAction] = []
    kept: list[tuple[int, int]] = []
    by_sis = snapshot.by_sis_id
    for link in sorted(getattr(roster, "staff_links", ())):
        staff, student = link.parent_sis_id, link.student_sis_id
        child = roster.people.get(student)
        child_name = f"{child.full_name} ({student})" if child else student
        holder = by_sis.get(staff)
        if holder is None or holder.deleted:
            state = "only a deleted login" if holder is not None else "no login"
            reason = (
                f"Not linked: staff member {staff} is the parent of student {child_name}, but "
                f"Canvas has {state} with SIS ID {staff}. Staff accounts are not created or "
                f"changed by this sync: give the staff member's own Canvas login the SIS ID "
                f"{staff} (or ask whoever manages staff accounts to), then sync again."
            )
            out.append(LinkAction(SKIP, staff, student, None, None, reason, staff_parent=True))
            continue
        staff_id = holder.person.id
        action = actions.get(student)
        why = _student_not_ready(student, action)
        if why:
            out.append(LinkAction(SKIP, staff, student, staff_id, None, why, staff_parent=True))
            continue
        student_id = linkable.get(student)
        if student_id is not None and (staff_id, student_id) in snapshot.links:
            kept.append((staff_id, student_id))
            out.append(
                LinkAction(UNCHANGED, staff, student, staff_id, student_id, staff_parent=True)
            )
            continue
        note = f'Staff member "{holder.person.name}" is this student\'s parent.'
        out.append(LinkAction(LINK, staff, student, staff_id, student_id, note, staff_parent=True))
    return out, kept


def _student_not_ready(student: str, action: PersonAction | None) -> str:
    if action is None:
        return f"Not linked: student {student} is not in the roster."
    if action.kind is CONFLICT:
        return (
            f"Not linked yet: student {student} has a conflict (see that person); the link "
            "follows once it is resolved."
        )
    if action.kind is SKIP:
        return f"Not linked: student {student} is not in Canvas. {action.reason}"
    if action.person is not None and not action.person.active:
        return f"Not linked: student {student} inactive in the roster."
    return ""


def staff_links_note(links: list[LinkAction]) -> str:
    """ "3 links to staff members who are parents …" for the preview, or "" when there are none."""
    staff = [a for a in links if a.staff_parent]
    if not staff:
        return ""
    waiting = sum(1 for a in staff if a.kind is SKIP and a.parent_canvas_id is None)
    text = (
        f"{len(staff)} link{'s' if len(staff) != 1 else ''} to staff members who are parents "
        "(their own Canvas accounts are left as they are)."
    )
    if waiting:
        text += (
            f" {waiting} of them wait{'s' if waiting == 1 else ''} for the staff member to "
            "have a Canvas login with their SIS ID."
        )
    return text
