"""Running one sync off the GUI thread, and turning its callbacks into readable signals.

The core calls ``progress`` from its own worker threads, hundreds of times a
second and concurrently. Emitting a Qt signal per call would flood the GUI
thread's event queue, so the callback only stores the newest :class:`Progress`
and appends log lines to a bounded buffer, under a lock. A GUI-thread timer then
emits whatever changed, ten times a second: as often as a person can read it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
)
from canvas_wizard.core.sync.service import SyncOutcome, SyncRequest
from canvas_wizard.ui.tasks import Task

#: The order phases run in; a run only ever moves forward through them.
PHASES: tuple[Phase, ...] = tuple(Phase)
TICK_MS = 100
#: Per-record lines logged per tick; the rest are counted ("… 180 more records"), so a
#: fast run cannot push the phase changes and failures out of the log.
RECORD_LINES_PER_TICK = 20
#: All lines kept between two ticks; beyond that new ones are dropped and counted.
LOG_LINES_PER_TICK = 500
#: Failed records listed one by one in the log at the end (all are in the results table).
LOG_FAILED_RECORDS = 200

PHASE_TITLES: dict[Phase, str] = {
    Phase.READ_ROSTER: "Read the roster",
    Phase.READ_CANVAS: "Read Canvas",
    Phase.PLAN: "Plan the changes",
    Phase.APPLY: "Write to Canvas",
    Phase.VERIFY: "Check the result",
}


class SyncRunner(Protocol):
    """What the worker runs: :class:`~canvas_wizard.core.sync.service.ProfileSync` is one."""

    def run(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> SyncOutcome: ...


RATE_WINDOW_S = 15.0


class RateMeter:
    """Records per second over the last RATE_WINDOW_S, and the time left at that rate."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self.total = 0

    def reset(self) -> None:
        self._samples.clear()
        self.total = 0

    def add(self, done: int, total: int) -> None:
        now = self._clock()
        if total != self.total:  # another count (SIS Import's percent after setup): start over
            self._samples.clear()
            self.total = total
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW_S:
            self._samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 - t0 < 1.0 or d1 <= d0:  # under a second says nothing yet
            return None
        return (d1 - d0) / (t1 - t0)

    def describe(self, *, per_record: bool = True) -> str:
        """ "12.5 records/s, about 3 min left", or "" when it cannot be known yet."""
        rate = self.rate()
        if rate is None or not self.total:
            return ""
        left = max(self.total - self._samples[-1][1], 0) / rate
        when = "less than a minute left" if left < 60 else f"about {math.ceil(left / 60)} min left"
        if not per_record:
            return when.capitalize()
        shown = f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"
        return f"{shown} records/s, {when}"


def _stamp(line: str) -> str:
    return f"{datetime.now().strftime('%H:%M:%S')}  {line}"


class SyncWorker(QObject):
    """Runs ``ProfileSync.run`` on the task pool; progress reaches the GUI coalesced.

    Signals:
        progressed(object): the newest :class:`Progress`, at most every TICK_MS.
        logged(str): new log lines (phase changes, writes, failures), newline-joined, per tick.
        finished(object): the :class:`SyncOutcome`, after a last ``progressed``/``logged``.
        failed(object): the exception the run raised (a ``WizardError`` says what to do).
    """

    progressed = Signal(object)
    logged = Signal(str)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self, sync: SyncRunner, request: SyncRequest, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._sync = sync
        self.request = request
        self.cancel_token = CancelToken()
        self._lock = threading.Lock()
        # Everything below the lock is written by the core's threads, read by the timer.
        self._latest: Progress | None = None
        self._changed = False
        self._lines: list[str] = []
        self._record_lines = 0  # in this tick
        self._skipped_records = 0
        self._dropped = 0
        self._reached = -1  # index in PHASES of the furthest phase seen
        self._activity = ""
        self._failed_seen = 0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        self._task: Task | None = None
        self._running = False
        self.outcome: SyncOutcome | None = None
        self.error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._running or self._task is not None:
            raise RuntimeError("a SyncWorker runs once; make a new one to run again")
        self._running = True
        kind = "preview" if self.request.dry_run else "sync"
        self._log(f"Starting the {kind} of {self.request.source.name}")
        self._timer.start()
        self._task = Task(self)
        self._task.succeeded.connect(self._on_succeeded)
        self._task.failed.connect(self._on_failed)
        self._task.start(self._work)

    def cancel(self) -> None:
        """Ask the run to stop: records in flight finish, the rest are reported "not run"."""
        if not self._running or self.cancel_token.cancelled:
            return
        self.cancel_token.cancel()
        self._log("Cancel requested: letting requests in flight finish")

    # -- worker threads --------------------------------------------------------------

    def _work(self) -> SyncOutcome:
        return self._sync.run(self.request, progress=self._on_progress, cancel=self.cancel_token)

    def _on_progress(self, reported: Progress) -> None:
        """Called by the core's threads: store, never emit (see the module docstring)."""
        with self._lock:
            progress = self._in_order(reported)
            if progress is None:
                return
            self._latest = progress
            self._changed = True
            if progress.activity and progress.activity != self._activity:
                self._activity = progress.activity
                # Per-record lines only while writing: reading Canvas says "Reading
                # logins of ..." for every person, which tells the admin nothing.
                if progress.phase is Phase.APPLY:
                    self._log_locked(progress.activity, record=True)
            failed = progress.counts.get(OutcomeStatus.FAILED.value, 0)
            if failed > self._failed_seen:
                self._failed_seen = failed
                self._log_locked(
                    f"A record failed ({failed} so far); each reason is in the results at the end"
                )

    def _in_order(self, progress: Progress) -> Progress | None:
        """``progress`` as the view should see it, or None when it is older than what we have.

        Verify may read Canvas again (one report when many records were written), so
        "read Canvas" can arrive after "verify" has begun: it is shown as verify
        progress, not as a phase going backwards.
        The appliers build their snapshots under a lock but call us outside it, so
        within one phase an older snapshot (smaller ``done``) may arrive last.
        """
        index = PHASES.index(progress.phase)
        if index < self._reached:
            progress = replace(progress, phase=PHASES[self._reached])
            index = self._reached
        latest = self._latest
        if (
            latest is not None
            and latest.phase is progress.phase
            and latest.total == progress.total
            and progress.done < latest.done
        ):
            return None
        if index > self._reached:
            self._reached = index
            title = PHASE_TITLES[progress.phase]
            self._log_locked(f"{title}: {progress.activity}" if progress.activity else title)
        return progress

    def _log_locked(self, line: str, *, record: bool = False) -> None:
        if record:
            if self._record_lines >= RECORD_LINES_PER_TICK:
                self._skipped_records += 1
                return
            self._record_lines += 1
        if len(self._lines) >= LOG_LINES_PER_TICK:
            self._dropped += 1
            return
        self._lines.append(_stamp(line))

    def _log(self, line: str) -> None:
        with self._lock:
            self._log_locked(line)

    # -- GUI thread ------------------------------------------------------------------

    def _on_tick(self) -> None:
        with self._lock:
            latest = self._latest if self._changed else None
            self._changed = False
            lines, self._lines = self._lines, []
            skipped, self._skipped_records, self._record_lines = self._skipped_records, 0, 0
            dropped, self._dropped = self._dropped, 0
        if skipped:
            lines.append(_stamp(f"… and {skipped} more record(s)"))
        if dropped:
            lines.append(_stamp(f"… {dropped} log line(s) skipped: they came faster than shown"))
        if lines:
            self.logged.emit("\n".join(lines))
        if latest is not None:
            self.progressed.emit(latest)

    def _stop(self) -> None:
        self._on_tick()  # the run's last progress and lines come before its end
        self._timer.stop()
        self._running = False

    def _on_succeeded(self, outcome: object) -> None:
        assert isinstance(outcome, SyncOutcome)
        self.outcome = outcome
        failed = outcome.result.report.failed()
        for o in failed[:LOG_FAILED_RECORDS]:
            who = f" {o.name}" if o.name else ""
            self._log(f"Failed: {o.record} {o.key}{who}: {o.message}")
        if len(failed) > LOG_FAILED_RECORDS:
            self._log(f"… and {len(failed) - LOG_FAILED_RECORDS} more failed; see the results")
        self._log(f"Finished: {outcome.result.message}")
        self._stop()
        self.finished.emit(outcome)

    def _on_failed(self, error: object) -> None:
        assert isinstance(error, BaseException)
        # The traceback holds the pool thread's frames, and through them this worker:
        # a reference cycle with Qt objects in it, which the garbage collector may then
        # finalise on any thread (a sync's threads allocate a lot) and crash. The
        # message and hint are all the admin needs; the tasks module logged the rest.
        error.__traceback__ = None
        self.error = error
        self._log(f"Stopped: {getattr(error, 'message', type(error).__name__)}")
        self._stop()
        self.failed.emit(error)
