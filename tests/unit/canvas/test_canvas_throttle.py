"""ThrottleGate: concurrency follows Canvas's leaky bucket, and never overflows it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from canvas_wizard.core.canvas.throttle import ThrottleGate


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fake_gate(max_concurrency: int = 8) -> tuple[ThrottleGate, FakeClock]:
    clock = FakeClock()
    return ThrottleGate(max_concurrency, clock=clock, sleep=clock.sleep), clock


def test_limit_falls_as_remaining_falls() -> None:
    gate, _ = fake_gate()
    with gate.slot():  # one request in flight: no other reservations to add back
        gate.observe(600.0, 0.2, False)
        assert gate.limit == 8
        gate.observe(300.0, 0.2, False)  # room for 5 reservations, one kept spare
        assert gate.limit == 5
        gate.observe(160.0, 0.2, False)
        assert gate.limit == 2
        gate.observe(120.0, 0.2, False)
        assert gate.limit == 1
        assert gate.paused_for == 0.0


def test_other_requests_in_flight_count_as_room() -> None:
    # Remaining 200 while 5 other requests hold 50 each: the bucket itself is at 150.
    gate, _ = fake_gate()
    for _ in range(6):
        gate.acquire()
    gate.observe(200.0, 0.5, False)
    assert gate.limit == 8


def test_limit_recovers_slowly_when_room_returns() -> None:
    gate, _ = fake_gate()
    with gate.slot():
        gate.observe(110.0, 0.1, False)
        assert gate.limit == 1
        gate.observe(600.0, 0.1, False)
        assert gate.limit == 2  # one round at limit 1 is one answer
        gate.observe(600.0, 0.1, False)
        assert gate.limit == 2  # a round at limit 2 needs two answers
        gate.observe(600.0, 0.1, False)
        assert gate.limit == 3
        for _ in range(3 + 4 + 5 + 6 + 7):
            gate.observe(600.0, 0.1, False)
        assert gate.limit == 8
        gate.observe(600.0, 0.1, False)
        assert gate.limit == 8  # never above the maximum


def test_throttle_halves_and_pauses_everyone() -> None:
    gate, clock = fake_gate()
    with gate.slot():
        gate.observe(0.0, None, True)
    assert gate.limit == 1
    # The bucket is at the mark: wait until one request plus the margin fits again.
    assert gate.paused_for == pytest.approx(10.0)
    assert gate.acquire(timeout=0) is False
    clock.now += 10.0
    assert gate.acquire(timeout=0) is True


def test_throttle_without_header_still_halves() -> None:
    gate, _ = fake_gate()
    with gate.slot():
        gate.observe(None, None, True)
    assert gate.limit == 4
    assert gate.paused_for > 0


def test_missing_header_changes_nothing() -> None:
    gate, _ = fake_gate()
    with gate.slot():
        gate.observe(None, None, False)
    assert gate.limit == 8
    assert gate.paused_for == 0.0


def test_paused_acquire_sleeps_once_then_goes() -> None:
    gate, clock = fake_gate()
    with gate.slot():
        gate.observe(40.0, 1.0, False)  # room 40: 60 units short of one request + margin
    assert gate.acquire() is True
    assert clock.slept == [pytest.approx(6.0)]
    gate.release()


def test_paused_acquire_with_a_standing_clock_does_not_spin() -> None:
    # The client hands the gate its injected sleep while the clock is real: a sleep
    # that does not move time must still let the thread through after one wait.
    slept: list[float] = []
    gate = ThrottleGate(8, sleep=slept.append)
    with gate.slot():
        gate.observe(0.0, None, True)
    assert gate.acquire() is True
    gate.release()
    assert len(slept) == 1


def test_acquire_waits_for_a_release() -> None:
    gate = ThrottleGate(2)
    gate.acquire()
    gate.acquire()
    assert gate.in_flight == 2
    assert gate.acquire(timeout=0.01) is False
    got = threading.Event()

    def waiter() -> None:
        if gate.acquire(timeout=5):
            got.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    gate.release()
    thread.join(5)
    assert got.is_set()
    assert gate.in_flight == 2


def test_release_without_acquire_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        ThrottleGate().release()


def test_threads_never_exceed_the_limit() -> None:
    gate = ThrottleGate(3)
    lock = threading.Lock()
    current = 0
    peak = 0
    start = threading.Barrier(8)

    def worker() -> None:
        nonlocal current, peak
        start.wait()
        for _ in range(50):
            with gate.slot():
                with lock:
                    current += 1
                    peak = max(peak, current)
                with lock:
                    current -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak <= 3
    assert gate.in_flight == 0


# -- Eight workers against a model of Canvas's bucket -------------------------------------


@dataclass
class CanvasBucket:
    """request_throttle.rb in miniature: 50 up front, real cost after, 10/s outflow."""

    level: float = 0.0
    touched: float = 0.0
    throttled: int = 0
    done: int = 0
    peak: float = 0.0
    in_flight: list[tuple[float, bool]] = field(default_factory=list)

    def leak(self, now: float) -> None:
        self.level = max(0.0, self.level - 10.0 * (now - self.touched))
        self.touched = now

    def start(self, now: float, duration: float) -> None:
        self.leak(now)
        self.level += 50.0
        self.peak = max(self.peak, self.level)
        refused = self.level >= 600.0
        self.in_flight.append((now + (0.02 if refused else duration), refused))

    def finish_due(self, now: float, cost: float, gate: ThrottleGate) -> int:
        due = [r for r in self.in_flight if r[0] <= now + 1e-9]
        for item in due:
            self.in_flight.remove(item)
            self.leak(now)
            refused = item[1]
            self.level += (0.0 if refused else cost) - 50.0
            gate.observe(600.0 - self.level, cost, refused)
            gate.release()
            if refused:
                self.throttled += 1
            else:
                self.done += 1
        return len(due)


def run_sync(cost: float, duration: float, seconds: float = 120.0, start_level: float = 0.0):
    gate, clock = fake_gate(8)
    bucket = CanvasBucket(level=start_level)
    idle = 8
    while clock.now < seconds:
        idle += bucket.finish_due(clock.now, cost, gate)
        while idle and gate.acquire(timeout=0):
            idle -= 1
            bucket.start(clock.now, duration)
        clock.now += 0.01
    return bucket, gate


@pytest.mark.parametrize(
    ("cost", "duration"),
    [
        (0.05, 0.2),  # light reads: all eight workers busy
        (1.0, 0.3),  # costly calls: more than the bucket drains at full concurrency
        (8.0, 0.5),  # very costly: even one at a time overflows without pauses
        (0.1, 0.05),  # fast and cheap: many requests per second
    ],
)
def test_eight_workers_never_overflow_the_bucket(cost: float, duration: float) -> None:
    bucket, _ = run_sync(cost, duration)
    assert bucket.throttled == 0
    assert bucket.peak < 600.0
    # And it is not timid: it uses what the bucket drains (10 units/s) or all 8 workers.
    rate = bucket.done / 120.0
    assert rate * cost >= 9.0 or rate >= 0.9 * 8 / duration


def test_light_sync_keeps_all_eight_workers() -> None:
    _, gate = run_sync(0.05, 0.2)
    assert gate.limit == 8


def test_recovers_after_starting_on_a_full_bucket() -> None:
    # Another program just used the token: the first burst is refused, then no more.
    bucket, _ = run_sync(0.5, 0.3, start_level=590.0)
    assert 0 < bucket.throttled <= 8
    assert bucket.done > 500
