"""The banner's decision: the last scheduled run failed, was held, or did not run at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from canvas_wizard.core.schedule.attention import AttentionKind, attention, last_due
from canvas_wizard.core.schedule.pause import Pause
from canvas_wizard.core.schedule.spec import ScheduleSpec
from canvas_wizard.core.store.history import RunMethod, RunStatus, RunSummary, RunTrigger

SPEC = ScheduleSpec(
    profile="school", source=Path("/srv/cw.csv"), at=time(6, 30), days=(0, 1, 2, 3, 4)
)
# Wednesday 2026-12-02, 09:00 local time: due at 06:30 today.
NOW = datetime(2026, 12, 2, 9, 0).astimezone()
DUE = datetime(2026, 12, 2, 6, 30).astimezone()


def run(
    status: RunStatus,
    started: datetime,
    *,
    trigger: RunTrigger = RunTrigger.SCHEDULED,
    error: str | None = None,
    dry_run: bool = False,
) -> RunSummary:
    return RunSummary(
        id=7,
        profile="school",
        started_at=started.astimezone(UTC),
        finished_at=None,
        status=status,
        method=RunMethod.API,
        dry_run=dry_run,
        who="Alex",
        source="/srv/cw.csv",
        counts={},
        approved=False,
        error=error,
        trigger=trigger,
    )


def test_last_due_skips_days_off() -> None:
    assert last_due(SPEC, NOW) == DUE
    saturday = datetime(2026, 12, 5, 12, 0).astimezone()
    assert last_due(SPEC, saturday) == datetime(2026, 12, 4, 6, 30).astimezone()  # Friday
    early = datetime(2026, 12, 2, 6, 0).astimezone()
    assert last_due(SPEC, early) == datetime(2026, 12, 1, 6, 30).astimezone()


def test_a_failed_scheduled_run_is_named_with_its_error() -> None:
    found = attention([run(RunStatus.ERROR, DUE, error="Sign in again.")], SPEC, None, now=NOW)
    assert found is not None and found.kind is AttentionKind.FAILED
    assert "stopped on an error: Sign in again." in found.text
    assert found.text.startswith("The scheduled sync of Wed 2026-12-02 06:30")


def test_a_held_scheduled_run_asks_for_review() -> None:
    found = attention([run(RunStatus.HELD, DUE + timedelta(seconds=5))], SPEC, None, now=NOW)
    assert found is not None and found.kind is AttentionKind.HELD
    assert "held by a safety limit" in found.text and found.run is not None


def test_a_good_run_or_manual_runs_raise_nothing() -> None:
    assert attention([run(RunStatus.OK, DUE)], SPEC, None, now=NOW) is None
    manual_fail = run(RunStatus.ERROR, NOW - timedelta(minutes=5), trigger=RunTrigger.MANUAL)
    assert attention([manual_fail, run(RunStatus.OK, DUE)], SPEC, None, now=NOW) is None


def test_no_run_at_the_due_time_is_reported_after_the_grace_period() -> None:
    yesterday = run(RunStatus.OK, DUE - timedelta(days=1))
    found = attention([yesterday], SPEC, None, now=NOW)
    assert found is not None and found.kind is AttentionKind.MISSED
    assert "did not run at its time (Wed 2026-12-02 06:30)" in found.text
    # Within the grace period, or for a schedule made after the due time: not (yet) missed.
    assert attention([yesterday], SPEC, None, now=DUE + timedelta(minutes=10)) is None
    made_later = DUE + timedelta(hours=1)
    assert attention([yesterday], SPEC, None, now=NOW, scheduled_since=made_later) is None


def test_a_pause_is_shown_instead_of_a_miss() -> None:
    pause = Pause(since=NOW - timedelta(days=3), until=date(2027, 8, 20), reason="summer")
    found = attention([], SPEC, pause, now=NOW)
    assert found is not None and found.kind is AttentionKind.PAUSED
    assert "until 2027-08-20 (summer)" in found.text
