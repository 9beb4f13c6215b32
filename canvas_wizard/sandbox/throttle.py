"""Canvas's request throttle: a leaky bucket per access token.

Follows app/middleware/request_throttle.rb and its increment_bucket.lua:

* On arrival a request reserves ``up_front_cost`` (the bucket first leaks
  ``outflow`` units per second since it was last touched, then is clamped to
  ``0..maximum``).
* If the bucket is then at or above the high-water mark, the request is refused
  (403 in the canvas-lms source; hosted Canvas answers 429 since 2025-10-06, so
  ``ThrottleConfig.status`` picks either) — so the reservations of requests still
  in flight count against it.
* When the request finishes, its reservation is swapped for its real cost.
* ``X-Rate-Limit-Remaining`` is ``high_water_mark - count`` after that swap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ThrottleConfig:
    enabled: bool = True
    high_water_mark: float = 600.0
    maximum: float = 800.0
    #: Units per second leaking out of the bucket.
    outflow: float = 10.0
    #: Reserved while a request is in flight.
    up_front_cost: float = 50.0
    #: The refusal's status: 403 as the canvas-lms source, or 429 as hosted Canvas.
    status: int = 403
    #: Real cost charged for a GET once done.
    get_cost: float = 1.0
    #: Real cost of POST/PUT/DELETE.
    write_cost: float = 2.0

    def cost_of(self, method: str) -> float:
        return self.get_cost if method in ("GET", "HEAD") else self.write_cost


#: Canvas's exact refusal (RequestThrottle#rate_limit_exceeded).
THROTTLED_BODY = b"403 Forbidden (Rate Limit Exceeded)\n"
#: Hosted Canvas's 429: the same words under the new status (the exact body is not in
#: the public source; only the status and the remaining-budget header are relied on).
THROTTLED_BODY_429 = b"429 Too Many Requests (Rate Limit Exceeded)\n"


def throttled_body(status: int) -> bytes:
    return THROTTLED_BODY_429 if status == 429 else THROTTLED_BODY


THROTTLED_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass
class _Bucket:
    count: float = 0.0
    last_touched: float | None = None


@dataclass
class Reservation:
    key: str
    up_front_cost: float
    allowed: bool


def format_units(value: float) -> str:
    """Canvas sends the bucket numbers as Ruby floats ("600.0", "548.9")."""
    return repr(float(round(value, 4)))


class Throttle:
    """All buckets of one sandbox, keyed by client identity (token hash or IP)."""

    def __init__(self, config: ThrottleConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _increment(self, key: str, amount: float) -> float:
        """Leak, add ``amount``, clamp — the Lua script, under one lock instead of Redis."""
        cfg = self.config
        now = self._clock()
        bucket = self._buckets.setdefault(key, _Bucket())
        last = now if bucket.last_touched is None else bucket.last_touched
        count = bucket.count
        if count > 0:
            loss = cfg.outflow * (now - last)
            if loss > 0:
                count -= loss
        count = min(max(count + amount, 0.0), cfg.maximum)
        bucket.count = count
        bucket.last_touched = now
        return count

    def reserve(self, key: str) -> Reservation:
        """Reserve the up-front cost; say whether the request may run."""
        cost = self.config.up_front_cost
        with self._lock:
            count = self._increment(key, cost)
        full = count >= self.config.high_water_mark
        return Reservation(key, cost, allowed=not (full and self.config.enabled))

    def release(self, reservation: Reservation, real_cost: float) -> float:
        """Swap the reservation for the real cost; return the remaining budget."""
        with self._lock:
            count = self._increment(reservation.key, real_cost - reservation.up_front_cost)
        return self.config.high_water_mark - count

    def level(self, key: str) -> float:
        """The bucket's current count, leaked to now (for tests and the demo)."""
        with self._lock:
            return self._increment(key, 0.0)
