"""When something breaks after Canvas was written to, the run still says what was written."""

from __future__ import annotations

from sync_support import ROOT, seeded_roster, with_new_family

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.outcome import OutcomeStatus, Phase, Progress
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.faults import Faults


def _reads_fail_from_the_check(canvas: SandboxCanvas):  # type: ignore[no-untyped-def]
    def progress(p: Progress) -> None:
        if p.phase is Phase.VERIFY and canvas.faults is None:
            # Canvas goes down for reads just as the check afterwards starts.
            canvas.faults = Faults(
                error_rate=1.0, error_statuses=(503,), methods=frozenset({"GET"})
            )

    return progress


def test_a_failing_check_after_writing_keeps_the_written_records(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = with_new_family(seeded_roster())
    new = sorted(set(roster.people) - set(seeded_roster().people))

    # A SIS Import has no answer per record: the check must read what it wrote.
    applier = SisImportApplier(client, ROOT, poll_interval=0.01)
    progress = _reads_fail_from_the_check(canvas)
    result = SyncRun(roster, client, ROOT, ROOT, applier=applier, progress=progress).run()

    for sis in new:
        assert canvas.state.user_by_sis_id(sis) is not None, "the writes happened"
    done = {o.key for o in result.report.outcomes if o.status is OutcomeStatus.DONE}
    assert set(new) <= done, "and the report says so"
    assert result.status == "ok"
    assert "could not read Canvas" in result.message
    assert any(n.startswith("Written, but not checked") for n in result.report.notes)


def test_rest_writes_are_confirmed_by_canvas_answers_without_reading_again(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    roster = with_new_family(seeded_roster())
    progress = _reads_fail_from_the_check(canvas)
    result = SyncRun(roster, client, ROOT, ROOT, progress=progress).run()

    # Canvas's answers to the creates and links showed what it stored, so the check
    # needed no read at all, and Canvas being down for reads did not matter.
    assert result.status == "ok", result.message
    assert "could not read" not in result.message
    assert result.report.phase_requests["verify"] == 0
    assert result.report.counts_by_status()["done"] == 4
