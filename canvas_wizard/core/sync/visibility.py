"""What parents will actually see: is each linked student enrolled in a course?

Canvas shows a parent a student's courses only through observer enrolments, which
follow the student's own enrolments (canvas-facts.md, "Observer links"). A link to a
student with no active StudentEnrollment is in place but shows the parent nothing yet.
This is information for the technician, never a failure.

How it is found out, cheapest first:

* the provisioning report, asked with ``parameters[enrollments]=true`` when the
  snapshot is read by report (``Snapshot.enrolled_students``): no extra request;
* otherwise one read per linked student, and only for them —
  ``GET /api/v1/users/:id/enrollments?state[]=active&type[]=StudentEnrollment&per_page=1``
  — on the same bounded pool size as the snapshot's reads, with progress and cancel.

A student this run creates has no enrolment yet: nothing is read for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from canvas_wizard.core.canvas import CanvasClient, CanvasNotFound
from canvas_wizard.core.errors import AuthorizationNeeded, WizardError
from canvas_wizard.core.sync.model import ActionKind, LinkAction, Plan, Snapshot
from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
    link_key,
)
from canvas_wizard.core.sync.report import SyncReport
from canvas_wizard.core.sync.snapshot import READ_WORKERS
from canvas_wizard.core.sync.snapshot_report import SnapshotCancelled

#: The same bound as the snapshot's reads: the client's throttle gate does the rest.
VISIBILITY_WORKERS = READ_WORKERS
#: The plain sentence the README, the Done page and the result screen share.
EXPLANATION = (
    "A parent sees a child's courses only once the child is enrolled in a course; a link "
    "to a child with no enrolments is in place but shows nothing yet."
)
#: The tables' filter entry (preview and results) listing such links, and its data.
FILTER_LABEL, FILTER_DATA = "Parent sees nothing yet", "parent-sees-nothing"
_MANAGED = (ActionKind.LINK, ActionKind.UNCHANGED)
_IN_PLACE = (OutcomeStatus.DONE, OutcomeStatus.UNCHANGED)


@dataclass(frozen=True)
class Visibility:
    """Which of the linked students Canvas shows an active student enrolment for."""

    enrolled: frozenset[int]
    source: str  # "report" | "api" | "none" (nothing to read)
    #: Why Canvas could not tell (then nothing is said about visibility); "" when it could.
    unknown: str = ""


def managed_links(plan: Plan) -> list[LinkAction]:
    """The links the roster manages: planned to be made, or already in place."""
    return [link for link in plan.links if link.kind in _MANAGED]


def read_visibility(
    client: CanvasClient,
    plan: Plan,
    snapshot: Snapshot,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> Visibility:
    """Which linked students are enrolled. Raises :class:`SnapshotCancelled` on cancel;
    a Canvas error (other than needing to sign in again) only makes it unknown."""
    students = sorted(
        {link.student_canvas_id for link in managed_links(plan) if link.student_canvas_id}
    )
    if snapshot.enrolled_students is not None:
        return Visibility(snapshot.enrolled_students & frozenset(students), "report")
    if not students:
        return Visibility(frozenset(), "none")
    done = 0
    activity = "Checking which linked students are enrolled in a course"

    def enrolled(user_id: int) -> bool | None:
        nonlocal done
        if cancel.cancelled:
            return None
        try:
            found = client.get(
                f"/api/v1/users/{user_id}/enrollments",
                {"state[]": "active", "type[]": "StudentEnrollment", "per_page": 1},
            )
        except CanvasNotFound:
            found = []  # gone since the snapshot: no enrolment to show anyone
        done += 1  # only read for a progress bar
        progress(Progress(Phase.READ_CANVAS, done, len(students), activity))
        return bool(found)

    progress(Progress(Phase.READ_CANVAS, 0, len(students), activity))
    try:
        with ThreadPoolExecutor(VISIBILITY_WORKERS, thread_name_prefix="cw-enrol") as pool:
            answers = list(pool.map(enrolled, students))
    except AuthorizationNeeded:
        raise
    except WizardError as exc:
        return Visibility(frozenset(), "api", unknown=exc.message)
    if cancel.cancelled:
        raise SnapshotCancelled
    return Visibility(
        frozenset(uid for uid, yes in zip(students, answers, strict=True) if yes), "api"
    )


def not_visible(
    plan: Plan, visibility: Visibility, outcomes: Iterable[RecordOutcome] | None = None
) -> tuple[list[LinkAction], list[LinkAction]]:
    """(links in place, those of them whose student has no active enrolment).

    With ``outcomes`` (a finished run) only links Canvas now holds count; without
    (a preview) every link the plan makes or keeps.
    """
    links = managed_links(plan)
    if outcomes is not None:
        kept = {o.key for o in outcomes if o.record == "link" and o.status in _IN_PLACE}
        links = [lk for lk in links if link_key(lk.parent_sis_id, lk.student_sis_id) in kept]
    hidden = [
        lk
        for lk in links
        if lk.student_canvas_id is None or lk.student_canvas_id not in visibility.enrolled
    ]
    return links, hidden


def visibility_note(links: int, students: int, *, preview: bool) -> str:
    """The sentence the preview and the finished run say."""
    are = "will be" if preview else "are"
    lead = "After this sync, " if preview else ""
    noun = "link" if links == 1 else "links"
    verb = "is" if links == 1 and not preview else are
    return (
        f"{lead}{links} {noun} {verb} in place, but {students} of those students "
        f"{'is' if students == 1 else 'are'} not enrolled in any course yet: their parents "
        "will see nothing in Canvas until they are."
    )


def describe_visibility(
    report: SyncReport,
    plan: Plan,
    visibility: Visibility,
    outcomes: Iterable[RecordOutcome] | None = None,
) -> None:
    """Fill the report's visibility fields and, when some parents see nothing, its note
    (on the plan too for a preview, so the preview screen shows it)."""
    if visibility.unknown:
        report.notes.append(
            "Whether the linked students are enrolled in a course could not be checked "
            f"({visibility.unknown}); the links themselves are not affected."
        )
        return
    links, hidden = not_visible(plan, visibility, outcomes)
    students = {lk.student_sis_id for lk in hidden}
    report.links_in_place = len(links)
    report.links_not_visible = len(students)
    report.not_visible = {link_key(lk.parent_sis_id, lk.student_sis_id) for lk in hidden}
    if not students:
        return
    note = visibility_note(len(links), len(students), preview=outcomes is None)
    report.notes.append(note)
    if outcomes is None and note not in plan.notes:
        plan.notes.append(note)
        plan.not_visible = set(report.not_visible)
