"""No idle phases: a link starts as soon as both its ends exist, on the same pool as people."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sync_support import ROOT, seeded_roster, student

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Link, Roster
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.model import SyncOptions
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.rest_apply import RestApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.server import Ctx, Route


def _many_new(count: int) -> Roster:
    roster = seeded_roster()
    people = dict(roster.people)
    links = set(roster.links)
    for n in range(count):
        sis = f"S14{n:02d}"
        people[sis] = student(
            sis, f"Quick Student{n}", f"quick.student{n}", f"q{n}@students.example"
        )
        links.add(Link("P2002", sis))  # P2002 is in Canvas already
    return Roster(format="cloudwork", people=people, links=links)


def _log_writes(canvas: SandboxCanvas) -> list[tuple[str, str]]:
    """(method, path) of every write Canvas handled, in the order it finished them."""
    log: list[tuple[str, str]] = []
    lock = threading.Lock()
    for i, found in enumerate(canvas.routes):
        if found.method not in ("POST", "PUT"):
            continue

        def handler(ctx: Ctx, inner: Callable[[Ctx], object] = found.handler) -> object:
            answer = inner(ctx)
            with lock:
                log.append((ctx.request.method, ctx.request.path))
            return answer

        canvas.routes[i] = Route(found.method, found.pattern, handler, found.api, found.needs_user)
    return log


def test_links_start_before_the_last_create_finishes(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    canvas.latency = 0.02
    log = _log_writes(canvas)
    roster = _many_new(6)
    applier = RestApplier(client, ROOT, ROOT, concurrency=2)
    result = run_sync(roster, client, ROOT, ROOT, applier=applier, approve_limits=True)
    assert result.status == "ok", result.message

    creates = [n for n, (m, path) in enumerate(log) if m == "POST" and path.endswith("/users")]
    links = [n for n, (m, path) in enumerate(log) if m == "PUT" and "/observees/" in path]
    assert len(creates) == 6 and len(links) == 6
    # Before: every link waited until the last create had finished.
    assert links[0] < creates[-1], log


def test_one_outcome_per_record_in_plan_order(canvas: SandboxCanvas, client: CanvasClient) -> None:
    roster = _many_new(5)
    applier = RestApplier(client, ROOT, ROOT, concurrency=3)
    result = run_sync(roster, client, ROOT, ROOT, applier=applier, approve_limits=True)
    assert result.status == "ok", result.message
    assert result.plan is not None
    planned = [p.sis_id for p in result.plan.people] + [
        f"{a.parent_sis_id}→{a.student_sis_id}" for a in result.plan.links
    ]
    assert [o.key for o in result.report.outcomes] == planned
    done = [o for o in result.report.outcomes if o.status is OutcomeStatus.DONE]
    assert len(done) == result.plan.writes() == 10


@pytest.mark.timeout(60)
def test_a_failing_progress_callback_ends_the_apply_instead_of_hanging(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    from canvas_wizard.core.sync.outcome import CancelToken, Progress
    from canvas_wizard.core.sync.plan import plan_sync
    from canvas_wizard.core.sync.snapshot import read_snapshot

    roster = _many_new(4)
    snapshot = read_snapshot(client, ROOT, ROOT)
    plan = plan_sync(roster, snapshot, SyncOptions())

    def progress(p: Progress) -> None:
        raise RuntimeError("the progress view broke")

    applier = RestApplier(client, ROOT, ROOT, concurrency=2)
    with pytest.raises(RuntimeError, match="progress view broke"):
        applier.apply(plan, snapshot, progress=progress, cancel=CancelToken())
