"""What the main window's banner says about the unattended runs, decided without Qt.

One look at the history and the schedule: the last scheduled run failed, was held
by a safety limit, or the schedule's last time passed with no run at all (the
computer was off, the user logged out, the entry was removed by hand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.pause import Pause
from canvas_wizard.core.schedule.spec import ScheduleSpec
from canvas_wizard.core.store.history import RunStatus, RunSummary, RunTrigger

#: A scheduled run starting this late still counts as "at its time" (a slow login, a busy
#: machine); after this the banner says it did not run.
GRACE = timedelta(minutes=30)

_FAILED = {
    RunStatus.FAILED_RECORDS: "finished with failed records",
    RunStatus.ERROR: "stopped on an error",
    RunStatus.INTERRUPTED: "was interrupted",
    RunStatus.INPUT_ERROR: "could not read the export",
    RunStatus.CANCELLED: "was cancelled",
}


class AttentionKind(StrEnum):
    FAILED = "failed"
    HELD = "held"
    MISSED = "missed"
    PAUSED = "paused"


@dataclass(frozen=True)
class Attention:
    kind: AttentionKind
    text: str
    run: RunSummary | None = None


def last_due(spec: ScheduleSpec, now: datetime) -> datetime | None:
    """The latest time (local, aware) the schedule was due at or before ``now``."""
    local_now = now.astimezone()
    for back in range(8):
        day = (local_now - timedelta(days=back)).date()
        if day.weekday() not in spec.days:
            continue
        due = datetime.combine(day, spec.at).astimezone()
        if due <= local_now:
            return due
    return None


def attention(
    runs: Sequence[RunSummary],
    spec: ScheduleSpec | None,
    pause: Pause | None,
    *,
    now: datetime,
    scheduled_since: datetime | None = None,
) -> Attention | None:
    """The banner to show, if any. ``runs`` newest first; ``scheduled_since``: when the
    schedule was set up (a time before that cannot have been missed)."""
    if pause is not None:
        return Attention(AttentionKind.PAUSED, pause.describe())
    scheduled = [r for r in runs if r.trigger is RunTrigger.SCHEDULED and not r.dry_run]
    last = scheduled[0] if scheduled else None
    if spec is not None:
        due = last_due(spec, now)
        overdue = due is not None and now.astimezone() - due > GRACE
        known = scheduled_since is None or (due is not None and due > scheduled_since)
        ran = last is not None and due is not None and last.started_at >= due - timedelta(minutes=1)
        if due is not None and overdue and known and not ran:
            return Attention(
                AttentionKind.MISSED,
                f"The scheduled sync did not run at its time ({due:%a %Y-%m-%d %H:%M}). "
                "Was the computer off or the user logged out? `Schedule…` → Test now shows "
                "whether it can run.",
            )
    if last is None:
        return None
    when = f"{last.started_at.astimezone():%a %Y-%m-%d %H:%M}"
    if last.status is RunStatus.HELD:
        return Attention(
            AttentionKind.HELD,
            f"The scheduled sync of {when} was held by a safety limit and wrote nothing. "
            "Review the plan and approve it to sync.",
            last,
        )
    if last.status in _FAILED:
        detail = f": {last.error}" if last.error else "."
        return Attention(
            AttentionKind.FAILED,
            f"The scheduled sync of {when} {_FAILED[last.status]}{detail} "
            "See the History tab for every record.",
            last,
        )
    return None


def load_attention(paths: AppPaths, profile: str) -> Attention | None:
    """Read the history, the schedule and the pause (blocking: call it off the GUI thread)."""
    from canvas_wizard.core.schedule.pause import PauseStore
    from canvas_wizard.core.schedule.spec import ScheduleStore
    from canvas_wizard.core.store.history import HistoryStore

    runs: list[RunSummary] = []
    if paths.history_db.exists():
        with HistoryStore(paths.history_db) as history:
            runs = history.list_runs(profile, limit=50)
    spec = ScheduleStore(paths).get(profile)
    return attention(
        runs,
        spec,
        PauseStore(paths).get(profile),
        now=datetime.now(UTC),
        scheduled_since=spec.created_at if spec else None,
    )
