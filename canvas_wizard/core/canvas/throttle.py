"""Bounded, adaptive concurrency so a sync stays inside Canvas's rate limit.

Canvas meters each access token with a leaky bucket (app/middleware/request_throttle.rb):
every request in flight reserves an up-front 50 units, a finished request leaves its
real cost (CPU + DB seconds, usually well under 1), the bucket drains 10 units a
second, and a request that finds the bucket at or above the high-water mark (600)
is refused with 403 "Rate Limit Exceeded". ``X-Rate-Limit-Remaining`` is
600 minus the bucket's level when the response left, and that level still includes
the 50-unit reservations of the *other* requests in flight at that moment.

So from each response the gate estimates the bucket's free room,
``remaining + 50 × (other requests in flight)``, and allows only as many requests in
flight as fit in it with one reservation to spare. Falling room cuts the limit at
once; room coming back raises it by one per round of good answers (additive
increase), and a throttle halves it (multiplicative decrease). When not even one
request fits, every worker pauses for as long as the bucket needs to drain.

At most :data:`MAX_IN_FLIGHT` (11) requests are in flight: on an empty bucket, 11
reservations (550 units) leave one spare below the mark, which is exactly what the
gate's own estimate allows; the adaptive limit lowers it as soon as answers show
the bucket filling.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator

# Canvas defaults (request_throttle.rb LeakyBucket); hosted Canvas uses these too.
HIGH_WATER_MARK = 600.0
UP_FRONT_COST = 50.0
OUTFLOW_PER_SECOND = 10.0
# One spare reservation: the costs of requests finishing meanwhile land in it.
SAFETY_MARGIN = UP_FRONT_COST
#: Requests that fit in flight on an empty bucket with the margin to spare: 11.
MAX_IN_FLIGHT = int((HIGH_WATER_MARK - SAFETY_MARGIN) // UP_FRONT_COST)


class ThrottleGate:
    """Bounded, adaptive concurrency for one Canvas token. Thread-safe."""

    def __init__(
        self,
        max_concurrency: int = MAX_IN_FLIGHT,
        *,
        min_concurrency: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if min_concurrency < 1 or max_concurrency < min_concurrency:
            raise ValueError("need 1 <= min_concurrency <= max_concurrency")
        self._max = max_concurrency
        self._min = min_concurrency
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._limit = max_concurrency
        self._in_flight = 0
        self._good_streak = 0
        self._paused_until = 0.0
        self._pause_serial = 0  # bumps with every new pause; see acquire()

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    @property
    def paused_for(self) -> float:
        """Seconds until new requests may start again (0 when not paused)."""
        with self._cond:
            return max(0.0, self._paused_until - self._clock())

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a slot. Returns False only when ``timeout`` ran out first."""
        deadline = None if timeout is None else self._clock() + timeout
        slept_through = -1
        while True:
            with self._cond:
                pause = self._paused_until - self._clock()
                serial = self._pause_serial
                if pause <= 0 or slept_through == serial:
                    return self._take_slot(deadline)
            # Paused: sleep outside the lock so other threads can release and observe.
            # Each thread sleeps once per pause (the serial), so an injected sleep that
            # does not move the clock cannot trap it in a loop.
            if deadline is not None and self._clock() + pause > deadline:
                return False
            self._sleep(pause)
            slept_through = serial

    def _take_slot(self, deadline: float | None) -> bool:
        # Called with the lock held.
        while self._in_flight >= self._limit:
            left = None if deadline is None else deadline - self._clock()
            if left is not None and left <= 0:
                return False
            self._cond.wait(left)
        self._in_flight += 1
        return True

    def release(self) -> None:
        with self._cond:
            if self._in_flight <= 0:
                raise RuntimeError("ThrottleGate.release() without acquire()")
            self._in_flight -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def observe(self, remaining: float | None, cost: float | None, throttled: bool) -> None:
        """Learn from one response's X-Rate-Limit-Remaining / X-Request-Cost.

        Call it while still holding the slot of the request it is about, so the
        count of other requests in flight is right.
        """
        del cost  # Remaining already includes it; kept for callers and future tuning.
        with self._cond:
            others = max(self._in_flight - 1, 0)
            if remaining is None:
                # No header (a proxy's 429, or throttling switched off): halve, and on a
                # throttle give the bucket time to drain one reservation's worth.
                if throttled:
                    self._shrink(self._limit // 2)
                    self._pause_for(UP_FRONT_COST / OUTFLOW_PER_SECOND)
                self._cond.notify_all()
                return
            room = remaining + others * UP_FRONT_COST
            fits = math.floor((room - SAFETY_MARGIN) / UP_FRONT_COST)
            if throttled:
                self._shrink(min(fits, self._limit // 2))
            elif fits < self._limit:
                self._shrink(fits)
            elif fits > self._limit and self._limit < self._max:
                # Additive increase: one more slot after a full round of roomy answers.
                self._good_streak += 1
                if self._good_streak >= self._limit:
                    self._limit += 1
                    self._good_streak = 0
            # Not even one request fits: everyone waits until the bucket has drained
            # enough for one request plus the margin.
            needed = UP_FRONT_COST + SAFETY_MARGIN - room
            if needed > 0:
                self._pause_for(needed / OUTFLOW_PER_SECOND)
            self._cond.notify_all()

    def _shrink(self, target: int) -> None:
        self._limit = max(self._min, min(self._limit, target))
        self._good_streak = 0

    def _pause_for(self, seconds: float) -> None:
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._pause_serial += 1

    def __repr__(self) -> str:
        return f"ThrottleGate(limit={self._limit}, in_flight={self._in_flight})"
