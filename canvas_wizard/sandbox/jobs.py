"""What Canvas's background jobs cost in time: provisioning reports and SIS Imports.

Canvas runs both as delayed jobs (account reports: ``AccountReport#run_report`` queued
with ``delay``; SIS Imports: ``SisBatch#process`` in the ``sis_imports`` job strand),
so a client waits for them however small the request: seconds for a small school,
minutes for a district, more when other jobs are queued ahead. The sandbox models that
as a fixed cost plus a cost per 1,000 users (report: the users in its scope; SIS Import:
rows uploaded). The benchmark's assumption is 5 s + 1 s per 1,000 (README, Performance);
the sandbox's default is small so the test suite stays quick, but never zero.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class JobCost:
    """Seconds a job takes: ``base`` plus ``per_1000`` for each 1,000 of its size."""

    base: float = 0.0
    per_1000: float = 0.0

    def seconds(self, size: int) -> float:
        return max(0.0, self.base + self.per_1000 * max(0, size) / 1000)

    @classmethod
    def parse(cls, text: str) -> JobCost:
        """``"5"`` or ``"5+1"``: base seconds, and seconds per 1,000 (the command line's form)."""
        base, _, per = text.partition("+")
        try:
            cost = cls(float(base), float(per) if per else 0.0)
        except ValueError:
            raise ValueError(f"{text!r} is not SECONDS or SECONDS+PER_1000 (e.g. 5+1)") from None
        if cost.base < 0 or cost.per_1000 < 0:
            raise ValueError(f"{text!r}: job times cannot be negative")
        return cost


#: The sandbox's default: a small school's report is ready in about a tenth of a second.
DEFAULT_REPORT_COST = JobCost(0.05, 1.0)
DEFAULT_SIS_IMPORT_COST = JobCost(0.05, 1.0)
#: What the benchmark assumes for a real Canvas (README, Performance).
REALISTIC_JOB_COST = JobCost(5.0, 1.0)


class Pacer:
    """Spreads a job's ``total`` seconds over its steps: ``step(done, of)`` sleeps until
    ``done/of`` of the time has passed since the pacer was made. ``stop`` ends waits early."""

    def __init__(
        self,
        total: float,
        stop: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.started = clock()
        self._stop = stop
        self._clock = clock
        self._event = threading.Event()

    def step(self, done: int, of: int) -> None:
        if of <= 0 or self.total <= 0:
            return
        due = self.started + self.total * min(done, of) / of
        while not self._stop():
            left = due - self._clock()
            if left <= 0:
                return
            self._event.wait(min(left, 0.05))

    def fraction(self) -> float:
        if self.total <= 0:
            return 1.0
        return min(1.0, (self._clock() - self.started) / self.total)
