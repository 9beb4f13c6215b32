"""What the progress says at the end is what was really written."""

from __future__ import annotations

from datetime import UTC, datetime

from canvas_wizard.core.sync.engine import SyncResult
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, Phase, Progress, RecordOutcome
from canvas_wizard.core.sync.report import SyncReport
from canvas_wizard.core.sync.service import SyncOutcome
from canvas_wizard.ui.sync.progress_view import ProgressView


def _create(i: int, status: OutcomeStatus) -> RecordOutcome:
    return RecordOutcome("person", ActionKind.CREATE, f"S{i}", status, "", None, f"P {i}")


def test_after_cancel_the_write_bar_shows_what_was_written_not_what_was_reached(qtbot):
    view = ProgressView()
    qtbot.addWidget(view)
    # The applier counts records it did not reach as processed: 8 of 8 before the end.
    view._on_progressed(Progress(Phase.APPLY, 8, 8, "Writing"))
    outcomes = [_create(i, OutcomeStatus.DONE) for i in range(3)]
    outcomes += [_create(i, OutcomeStatus.NOT_RUN) for i in range(3, 8)]
    outcomes.append(
        RecordOutcome("person", ActionKind.UNCHANGED, "S9", OutcomeStatus.UNCHANGED, "")
    )
    report = SyncReport(run_id="r", started=datetime.now(UTC), outcomes=outcomes, cancelled=True)
    result = SyncResult("cancelled", report, message="Cancelled; run the sync again to finish.")
    view.show_outcome(SyncOutcome(3, result, None))
    bar = view.phase_bars[Phase.APPLY]
    assert (bar.value(), bar.maximum()) == (3, 8)
    assert bar.text() == "3 of 8 written — cancelled"
    assert view.overall_bar.text() == "Cancelled"
    view.reset()
    assert view.overall_bar.format() == "%p%"
