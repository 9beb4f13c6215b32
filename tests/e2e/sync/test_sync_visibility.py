"""What parents will actually see: linked students enrolled in no course (issue 9).

Canvas shows a parent a student's courses only through observer enrolments, which
follow the student's own (canvas-facts.md, "Observer links"). The sync finds out which
linked students have no active StudentEnrollment — from the provisioning report when
it reads Canvas that way, otherwise one read per linked student — and says so, as
information, never as a failure.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import requests
from sync_support import ROOT, SignIn, seeded_roster, with_new_family

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import CancelToken, Progress
from canvas_wizard.core.sync.report import write_report_csv
from canvas_wizard.core.sync.visibility import visibility_note
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.http import Response, unauthorized
from canvas_wizard.sandbox.server import Ctx, Route

PRIMARY = 2
ENGLISH, MATHS = 101, 102


def _enrol(canvas: SandboxCanvas, *sis_ids: str, course: int = ENGLISH) -> None:
    for sis in sis_ids:
        user = canvas.state.user_by_sis_id(sis)
        assert user is not None, sis
        canvas.state.enroll(user.id, course)


def _recording(sign_in: SignIn) -> tuple[CanvasClient, list[str]]:
    """A client whose every request's method and path is recorded."""
    seen: list[str] = []
    session = requests.Session()

    def hook(response: requests.Response, *_: Any, **__: Any) -> None:
        seen.append(f"{response.request.method} {response.request.path_url}")

    session.hooks["response"].append(hook)
    return sign_in(session=session), seen


def _enrolment_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "/enrollments" in s.split("?")[0]]


# -- the sandbox holds enrolments as Canvas does ------------------------------------------


def test_linking_a_student_gives_the_parent_observer_enrolments_and_unlinking_drops_them(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    _enrol(canvas, "S1004", course=MATHS)
    parent = canvas.state.user_by_sis_id("P2002")
    student = canvas.state.user_by_sis_id("S1004")
    assert parent is not None and student is not None

    def observed() -> list[dict[str, Any]]:
        return list(
            client.get_all(
                f"/api/v1/users/{parent.id}/enrollments", {"type[]": "ObserverEnrollment"}
            )
        )

    assert observed() == []
    client.put(f"/api/v1/users/{parent.id}/observees/{student.id}")
    (enrolment,) = observed()
    assert enrolment["course_id"] == MATHS
    assert enrolment["associated_user_id"] == student.id
    assert enrolment["type"] == "ObserverEnrollment"

    # Later enrolments of the student follow the link.
    _enrol(canvas, "S1004", course=ENGLISH)
    assert sorted(e["course_id"] for e in observed()) == [ENGLISH, MATHS]

    client.delete(f"/api/v1/users/{parent.id}/observees/{student.id}")
    assert observed() == []
    # The student's own enrolments stay; the filters work as Canvas's do.
    mine = list(
        client.get_all(
            f"/api/v1/users/{student.id}/enrollments",
            {"state[]": "active", "type[]": "StudentEnrollment", "per_page": 1},
        )
    )
    assert len(mine) == 2


# -- the count, by report and by per-student reads -----------------------------------------


def _family_roster_with_enrolments(canvas: SandboxCanvas) -> set[str]:
    """Ava (S1001) and Mia (S1003) are enrolled; Noah (S1002, linked), Oliver (S1004,
    linked by the new parent) and the new Zara (S1101) are not."""
    _enrol(canvas, "S1001", "S1003")
    _enrol(canvas, "S1007")  # enrolled but linked to nobody: not read, not counted
    return {"S1002", "S1004", "S1101"}


def test_the_root_report_brings_the_enrolments_and_no_student_is_read_one_by_one(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    unenrolled = _family_roster_with_enrolments(canvas)
    client, seen = _recording(sign_in)

    result = run_sync(
        with_new_family(seeded_roster()), client, ROOT, ROOT, dry_run=True, prefer_report=True
    )

    assert result.status == "ok", result.message
    assert result.snapshot is not None and result.snapshot.source == "report"
    report = result.report
    assert report.links_not_visible == len(unenrolled) == 3
    assert report.links_in_place == 5
    assert {k.split("→")[1] for k in report.not_visible} == unenrolled
    assert _enrolment_reads(seen) == []
    (started,) = [r for r in canvas.state.reports.values()]
    assert started.parameters.get("enrollments") is True
    note = visibility_note(5, 3, preview=True)
    assert note in report.notes and note in result.plan.notes  # type: ignore[union-attr]
    assert "5 links will be in place, but 3 of those students are not enrolled" in note


def test_without_the_report_only_the_linked_students_are_read(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    unenrolled = _family_roster_with_enrolments(canvas)
    client, seen = _recording(sign_in)

    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, dry_run=True)

    assert result.snapshot is not None and result.snapshot.source == "api"
    assert result.report.links_not_visible == len(unenrolled)
    reads = _enrolment_reads(seen)
    ids = {canvas.state.user_by_sis_id(s).id for s in ("S1001", "S1002", "S1003", "S1004")}  # type: ignore[union-attr]
    # One read per linked student already in Canvas (Zara is created by this run).
    assert sorted(int(r.split("/")[4]) for r in reads) == sorted(ids)
    assert all("state%5B%5D=active" in r and "type%5B%5D=StudentEnrollment" in r for r in reads)


def test_a_sub_account_counts_the_same_by_per_student_reads(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    unenrolled = _family_roster_with_enrolments(canvas)
    client, seen = _recording(sign_in)

    result = run_sync(with_new_family(seeded_roster()), client, PRIMARY, ROOT, dry_run=True)

    assert result.status == "ok", result.message
    assert result.report.links_not_visible == len(unenrolled)
    assert len(_enrolment_reads(seen)) == 4
    assert canvas.state.reports == {}


def test_a_finished_run_says_it_lists_them_in_the_report_and_it_is_no_failure(
    canvas: SandboxCanvas, client: CanvasClient, tmp_path: Path
) -> None:
    unenrolled = _family_roster_with_enrolments(canvas)

    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, prefer_report=True)

    assert result.status == "ok", result.message
    assert result.report.links_not_visible == len(unenrolled)
    assert visibility_note(5, 3, preview=False) in result.report.notes
    assert "5 links are in place, but 3 of those students" in visibility_note(5, 3, preview=False)
    out = tmp_path / "report.csv"
    write_report_csv(result.report, out)
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    sees = {r["key"]: r["parent_sees_courses"] for r in rows if r["record"] == "link"}
    assert {k.split("→")[1] for k, v in sees.items() if v == "no"} == unenrolled
    assert {k for k, v in sees.items() if v == "yes"} == {"P2001→S1001", "P2002→S1003"}
    assert all(r["parent_sees_courses"] == "" for r in rows if r["record"] == "person")

    # Enrolling Noah makes his parent see him on the next run; the count follows Canvas.
    _enrol(canvas, "S1002")
    again = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, dry_run=True)
    assert again.report.links_not_visible == 2


def test_everyone_enrolled_says_nothing(canvas: SandboxCanvas, client: CanvasClient) -> None:
    _enrol(canvas, "S1001", "S1002", "S1003")

    result = run_sync(seeded_roster(), client, ROOT, ROOT, dry_run=True)

    assert result.report.links_not_visible == 0
    assert not any("not enrolled in any course" in n for n in result.report.notes)


def test_the_per_student_reads_show_progress_and_stop_on_cancel(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _family_roster_with_enrolments(canvas)
    client, seen = _recording(sign_in)
    cancel = CancelToken()
    steps: list[tuple[int, int]] = []

    def progress(p: Progress) -> None:
        if p.activity.startswith("Checking which linked students"):
            steps.append((p.done, p.total))
            if p.done >= 1:
                cancel.cancel()

    result = run_sync(
        with_new_family(seeded_roster()), client, PRIMARY, ROOT, progress=progress, cancel=cancel
    )

    assert result.status == "cancelled", result.message
    assert steps[0] == (0, 4) and all(total == 4 for _, total in steps)
    # Stopped while reading, before the writing began (the applier's cancel says otherwise).
    assert result.message == "Cancelled while reading Canvas; nothing was written."
    assert _enrolment_reads(seen), "the reads had begun"
    assert canvas.state.user_by_sis_id("S1101") is None, "nothing was written"


def test_when_canvas_refuses_the_enrolments_it_says_so_and_nothing_fails(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    _family_roster_with_enrolments(canvas)
    for i, found in enumerate(canvas.routes):
        if found.method == "GET" and "enrollments" in found.pattern.pattern:

            def refuse(ctx: Ctx) -> Response:
                raise unauthorized()  # Canvas's answer without the right to read enrolments

            canvas.routes[i] = Route(found.method, found.pattern, refuse, found.api, True)

    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, dry_run=True)

    assert result.status == "ok", result.message
    assert result.report.links_not_visible is None
    assert any(
        n.startswith("Whether the linked students are enrolled in a course could not be checked")
        for n in result.report.notes
    )
