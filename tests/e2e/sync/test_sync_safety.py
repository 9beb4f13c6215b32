"""Safety of a sync: limits hold a run, cancel converges, lost answers do not duplicate,
and the provisioning report reads the same Canvas as the REST pages."""

from __future__ import annotations

from typing import Any

import requests
from sync_support import ROOT, SignIn, seeded_roster, student, with_new_family, writes

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Link, Roster
from canvas_wizard.core.sync import Snapshot
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus, Phase, Progress
from canvas_wizard.core.sync.rest_apply import RestApplier
from canvas_wizard.core.sync.snapshot import read_snapshot
from canvas_wizard.sandbox import SandboxCanvas


def _unlinking_roster() -> Roster:
    roster = seeded_roster()
    return Roster(format="cloudwork", people=dict(roster.people), links=set())


def test_limits_hold_the_run_and_nothing_is_written(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    before = canvas.request_counts()

    result = run_sync(_unlinking_roster(), client, ROOT, ROOT)

    assert result.status == "held"
    assert [b.what for b in result.breaches] == ["unlink"]
    assert "remove 3 of 3 parent-student links" in result.message
    assert writes(canvas.request_counts()) == writes(before)
    held = [o for o in result.report.outcomes if o.record == "link"]
    assert {o.status for o in held} == {OutcomeStatus.SKIPPED}
    assert len(canvas.state.observee_ids(canvas.state.user_by_sis_id("P2001").id)) == 2  # type: ignore[union-attr]


def test_approving_the_fingerprint_runs_it(canvas: SandboxCanvas, client: CanvasClient) -> None:
    held = run_sync(_unlinking_roster(), client, ROOT, ROOT)
    assert held.plan is not None
    wrong = run_sync(_unlinking_roster(), client, ROOT, ROOT, approve_limits="0" * 16)
    assert wrong.status == "held"

    result = run_sync(
        _unlinking_roster(), client, ROOT, ROOT, approve_limits=held.plan.fingerprint()
    )

    assert result.status == "ok", result.message
    assert result.report.approval == f"approved {held.plan.fingerprint()}"
    p2001 = canvas.state.user_by_sis_id("P2001")
    assert p2001 is not None and canvas.state.observee_ids(p2001.id) == []


def _many_new(count: int) -> Roster:
    roster = seeded_roster()
    people = dict(roster.people)
    links = set(roster.links)
    for n in range(count):
        sis = f"S13{n:02d}"
        people[sis] = student(sis, f"New Student{n}", f"new.student{n}", f"n{n}@students.example")
        links.add(Link("P2002", sis))
    return Roster(format="cloudwork", people=people, links=links)


def test_cancel_mid_run_then_rerun_converges(canvas: SandboxCanvas, client: CanvasClient) -> None:
    roster = _many_new(6)
    cancel = CancelToken()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.phase is Phase.APPLY and p.done >= 2:
            cancel.cancel()

    applier = RestApplier(client, ROOT, ROOT, concurrency=1)
    first = run_sync(
        roster,
        client,
        ROOT,
        ROOT,
        applier=applier,
        progress=progress,
        cancel=cancel,
        approve_limits=True,  # 6 new of 1 known: over the create limit, approved here
    )

    assert first.status == "cancelled" and first.report.cancelled
    statuses = [o.status for o in first.report.outcomes if o.action.value in ("create", "link")]
    assert statuses.count(OutcomeStatus.DONE) == 2
    assert OutcomeStatus.NOT_RUN in statuses
    assert len(first.report.outcomes) == len(first.plan.people) + len(first.plan.links)  # type: ignore[union-attr]
    # A link starts as soon as its student exists, so the two done are a create and its
    # link: exactly the people reported created are in Canvas.
    created = [
        o for o in first.report.outcomes if o.action.value == "create" and o.status.value == "done"
    ]
    assert sum(1 for n in range(6) if canvas.state.user_by_sis_id(f"S13{n:02d}")) == len(created)

    second = run_sync(roster, client, ROOT, ROOT, approve_limits=True)
    assert second.status == "ok", second.message
    third = run_sync(roster, client, ROOT, ROOT)
    assert third.plan is not None and third.plan.writes() == 0
    p2002 = canvas.state.user_by_sis_id("P2002")
    assert p2002 is not None and len(canvas.state.observee_ids(p2002.id)) == 7


class _DropFirstCreateAnswer(requests.Session):
    """Lets the first user create reach Canvas, then loses its answer (connection reset)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        if method == "POST" and str(url).endswith("/users") and not self.dropped:
            self.dropped += 1
            response.close()
            raise requests.ConnectionError("Connection reset by peer")
        return response


def test_create_whose_answer_is_lost_is_not_duplicated(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    with _DropFirstCreateAnswer() as session:
        client = sign_in(session=session)
        roster = with_new_family(seeded_roster())
        users_before = len(canvas.state.users)

        result = run_sync(
            roster, client, ROOT, ROOT, applier=RestApplier(client, ROOT, ROOT, concurrency=1)
        )

    assert session.dropped == 1
    assert result.status == "ok", result.message
    assert len(canvas.state.users) == users_before + 2
    lost = [o for o in result.report.outcomes if "answer was lost" in o.message]
    assert len(lost) == 1 and lost[0].status is OutcomeStatus.DONE


def _content(snapshot: Snapshot, *, live_only: bool = False) -> dict[str, Any]:
    """What a snapshot says, without login ids (neither the report nor the list has them)."""
    people = {
        p.id: (
            p.name,
            p.email,
            sorted(
                (lg.unique_id, lg.sis_user_id, lg.workflow_state, lg.account_id)
                for lg in p.logins
                if not (live_only and lg.workflow_state == "deleted")
            ),
        )
        for p in snapshot.people.values()
        if not live_only or any(lg.workflow_state != "deleted" for lg in p.logins)
    }
    return {"people": people, "links": sorted(snapshot.links)}


def test_snapshot_by_report_matches_snapshot_by_rest(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    # A suspended login and a second login make the comparison worth something.
    s1005 = canvas.state.login_by_sis_id("S1005")
    assert s1005 is not None
    s1005.workflow_state = "suspended"

    by_rest = read_snapshot(client, ROOT, ROOT, sis_ids=None)
    before = canvas.request_counts()
    by_report = read_snapshot(client, ROOT, ROOT, prefer_report=True, report_poll=0.01)
    report_requests = sum(canvas.request_counts().values()) - sum(before.values())

    assert by_rest.source == "api" and by_report.source == "report"
    # The report also shows deleted logins (include_deleted): the list cannot.
    assert _content(by_report, live_only=True) == _content(by_rest)
    held = by_report.by_sis_id["S1099"]
    assert held.deleted, "the deleted login holding S1099 is visible to the planner"
    assert len(by_rest.people) >= 16 and len(by_rest.links) == 3
    assert report_requests < 10  # a start, a few polls, a download
    ava = next(p for p in by_report.people.values() if p.name == "Isla Davies")
    assert ava.logins[0].workflow_state == "suspended"
