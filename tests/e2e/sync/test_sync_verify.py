"""The check afterwards confirms writes from Canvas's answers and re-reads only what it must."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from sync_support import ROOT, ClaimsSuccess, seeded_roster

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.model import Snapshot
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.server import Ctx, Route


def _canvas_ignores(canvas: SandboxCanvas, method: str, path: str, field: str) -> None:
    """Canvas takes the call but silently leaves ``field`` alone, answering 200."""
    for i, found in enumerate(canvas.routes):
        if found.method != method or not found.pattern.match(path):
            continue

        def handler(ctx: Ctx, inner: Callable[[Ctx], object] = found.handler) -> object:
            ctx.request.form.pop(field, None)
            return inner(ctx)

        canvas.routes[i] = Route(found.method, found.pattern, handler, found.api, found.needs_user)


def _renamed(name: str) -> Roster:
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1001"] = dataclasses.replace(people["S1001"], full_name=name)
    return Roster(format="cloudwork", people=people, links=set(roster.links))


def test_a_name_canvas_silently_ignores_fails_from_its_answer(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    _canvas_ignores(canvas, "PUT", "/api/v1/users/1", "user[name]")
    result = run_sync(_renamed("Ava Thompson-Reid"), client, ROOT, ROOT)

    assert result.status == "failed_records"
    (failed,) = result.report.failed()
    assert failed.key == "S1001"
    assert "reading it back shows this is not done" in failed.message
    assert "'Ava Thompson-Reid'" in failed.message
    # Canvas's own answer showed the old name: nothing had to be read again.
    assert result.report.phase_requests["verify"] == 0


def test_an_email_canvas_silently_ignores_fails_too(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    _canvas_ignores(canvas, "PUT", "/api/v1/users/1", "user[email]")
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1002"] = dataclasses.replace(people["S1002"], email="noah.w@students.example")
    result = run_sync(
        Roster(format="cloudwork", people=people, links=set(roster.links)), client, ROOT, ROOT
    )

    assert result.status == "failed_records"
    assert [o.key for o in result.report.failed()] == ["S1002"]
    assert "reading it back" in result.report.failed()[0].message


def test_a_sis_import_check_reads_back_only_what_it_wrote(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    applier = SisImportApplier(client, ROOT, poll_interval=0.01)
    result = run_sync(_renamed("Ava Thompson-Reid"), client, ROOT, ROOT, applier=applier)

    assert result.status == "ok", result.message
    written = result.report.counts_by_status()["done"]
    assert written == 1
    # One read for one record (before: the whole account once more, by report).
    assert result.report.phase_requests["verify"] == 1
    assert result.report.phase_requests["apply"] >= 2  # the upload and its polls


def test_a_rest_sync_without_the_report_does_not_read_the_account_again(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    result = run_sync(_renamed("Ava Thompson-Reid"), client, ROOT, ROOT, prefer_report=False)

    assert result.status == "ok", result.message
    phases = result.report.phase_requests
    assert phases["apply"] == 1 and phases["verify"] == 0
    assert phases["read Canvas"] > 1


def test_many_records_to_read_back_are_checked_with_one_report(
    canvas: SandboxCanvas, client: CanvasClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync_support import with_new_family

    from canvas_wizard.core.sync import engine

    # 4 records to read back: "many" for this test (the cost rule is tested apart).
    monkeypatch.setattr(engine.SyncRun, "_reread_by_report", lambda *_: True)
    before = canvas.request_counts()
    result = run_sync(
        with_new_family(seeded_roster()),
        client,
        ROOT,
        ROOT,
        applier=ClaimsSuccess(),
        prefer_report=True,
    )
    after = canvas.request_counts()

    assert result.status == "failed_records"
    failed = {o.key for o in result.report.failed()}
    assert failed == {"S1101", "P2101", "P2101→S1004", "P2101→S1101"}
    assert all("reading it back" in o.message for o in result.report.failed())
    # Two report starts (the read before and the check after), no lookups one by one.
    assert after["POST"] - before["POST"] == 2
    assert 0 < result.report.phase_requests["verify"] < 10


def test_an_email_a_sis_import_run_sends_through_the_api_is_confirmed_by_its_answer(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = seeded_roster()
    people = dict(roster.people)
    people["S1002"] = dataclasses.replace(people["S1002"], email="noah.w@students.example")
    changed = Roster(format="cloudwork", people=people, links=set(roster.links))
    applier = SisImportApplier(client, ROOT, poll_interval=0.01)
    result = run_sync(changed, client, ROOT, ROOT, applier=applier)

    assert result.status == "ok", result.message
    assert result.report.counts_by_status()["done"] == 1
    assert result.report.phase_requests["verify"] == 0


def test_the_check_reads_back_by_report_only_when_that_is_quicker() -> None:
    from canvas_wizard.core.canvas import CanvasClient
    from canvas_wizard.core.sync.costs import REPORT, JobTiming
    from canvas_wizard.core.sync.engine import SyncRun

    with CanvasClient("https://canvas.example", None) as offline:
        run = SyncRun(seeded_roster(), offline, ROOT, ROOT)
    run._latency = 0.1
    empty = Snapshot(ROOT, ROOT)
    # 40 records: 0.4 s one by one (11 at a time) against a report's 5 s: one by one.
    assert not run._reread_by_report(40, empty)
    # 5,000 records: 45 s one by one against a 10 s report: the report.
    assert run._reread_by_report(5_000, empty)
    # A Canvas whose reports took 10× the assumption: one by one again.
    run.job_timings = [JobTiming(REPORT, 1_000, 60.0, ROOT)]
    assert not run._reread_by_report(5_000, empty)
    # On a sub-account, or without the right to run reports: never.
    run.job_timings = []
    run._reports_allowed = False
    assert not run._reread_by_report(5_000, empty)
