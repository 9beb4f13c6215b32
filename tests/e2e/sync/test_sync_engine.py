"""The engine's other ends: bad rosters, previews, and the provisioning-report path."""

from __future__ import annotations

from sync_support import ROOT, ClaimsSuccess, seeded_roster, with_new_family, writes

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Problem, Roster
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import OutcomeStatus, Phase, Progress
from canvas_wizard.sandbox import SandboxCanvas


def _with_bad_row(roster: Roster) -> Roster:
    roster.problems.append(Problem("export.csv", 7, "Email", "SIS ID is empty"))
    return roster


def test_roster_errors_stop_before_canvas_is_touched(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    before = canvas.request_counts()
    result = run_sync(_with_bad_row(with_new_family(seeded_roster())), client, ROOT, ROOT)
    assert result.status == "input_error"
    assert "export.csv, row 7" in result.message
    assert canvas.request_counts() == before


def test_skip_bad_rows_syncs_the_rest_and_lists_the_skipped(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = _with_bad_row(with_new_family(seeded_roster()))
    result = run_sync(roster, client, ROOT, ROOT, skip_bad_rows=True)
    assert result.status == "ok", result.message
    assert result.report.skipped_rows == ["export.csv, row 7, column 'Email': SIS ID is empty"]
    assert canvas.state.user_by_sis_id("S1101") is not None


def test_unreadable_roster_file_is_an_input_error(client: CanvasClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_sync(tmp_path / "missing.csv", client, ROOT, ROOT)
    assert result.status == "input_error"
    assert result.message


def test_dry_run_writes_nothing_and_lists_what_would_be_done(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    before = canvas.request_counts()
    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, dry_run=True)
    assert result.status == "ok"
    assert writes(canvas.request_counts()) == writes(before)
    would = [o for o in result.report.outcomes if o.status is OutcomeStatus.NOT_RUN]
    assert {o.key for o in would} == {"S1101", "P2101", "P2101→S1004", "P2101→S1101"}


def test_sync_through_the_provisioning_report_and_cheap_resync(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    phases: list[Phase] = []

    def progress(p: Progress) -> None:
        phases.append(p.phase)

    roster = with_new_family(seeded_roster())
    first = run_sync(roster, client, ROOT, ROOT, prefer_report=True, progress=progress)
    assert first.status == "ok", first.message
    assert first.snapshot is not None and first.snapshot.source == "report"
    assert {Phase.READ_ROSTER, Phase.READ_CANVAS, Phase.PLAN, Phase.APPLY, Phase.VERIFY} <= set(
        phases
    )
    omar = canvas.state.user_by_sis_id("P2101")
    assert omar is not None and len(canvas.state.observee_ids(omar.id)) == 2

    before = canvas.request_counts()
    again = run_sync(roster, client, ROOT, ROOT, prefer_report=True)
    after = canvas.request_counts()
    assert again.status == "ok" and again.plan is not None and again.plan.writes() == 0
    # One report start, and none of the writes.
    assert after["POST"] - before["POST"] == 1 and after["PUT"] == before["PUT"]
    assert sum(after.values()) - sum(before.values()) < 10


def test_verify_turns_unconfirmed_writes_into_failures(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    result = run_sync(with_new_family(seeded_roster()), client, ROOT, ROOT, applier=ClaimsSuccess())
    assert result.status == "failed_records"
    failed = {o.key for o in result.report.outcomes if o.status is OutcomeStatus.FAILED}
    assert failed == {"S1101", "P2101", "P2101→S1004", "P2101→S1101"}
    assert all("reading it back" in o.message for o in result.report.failed())
