"""Item 5: does the GUI thread stall while a sync runs in the real main window?

Run as its own process (offscreen Qt): ``python ui_probe.py CSV --latency S``.
It starts a sandbox Canvas in a further process (see :mod:`remote`), opens the
app's real :class:`MainWindow` on a connected profile, loads the roster file
through the Sync tab's source panel and presses "Sync now" (approved, as after a
preview). While the sync runs, a 10 ms GUI-thread timer records the gap between
its ticks; every ``progressed`` signal reaching the progress view is counted.
Prints one line of JSON.

When the main window cannot be built (the UI is being reworked), it falls back
to the same :class:`SyncWorker` and :class:`ProgressView` in a bare window, and
says so in ``"window"``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import ROOT_ID, bench_throttle
from remote import RemoteCanvas

TIMER_MS = 10
STALL_MS = 50


def _profile(url: str, token: str, home: Path) -> tuple[Any, Any, Any]:
    from canvas_wizard.core.paths import app_paths
    from canvas_wizard.core.store import ProfileStore, SecretKind, SecretStore
    from canvas_wizard.core.store.profiles import ConnectedAccount, Profile

    paths = app_paths(home).ensure()
    store = ProfileStore(paths)
    profile = Profile(
        name="bench",
        canvas_url=url,
        client_id="10000000000001",
        account=ConnectedAccount(ROOT_ID, "Benchmark District", True),
        signed_in_as="Bench Admin",
    )
    store.save(profile)
    secrets = SecretStore(session_only=True)
    entry = json.dumps({"access_token": token, "expires_at": time.time() + 86400})
    secrets.set(profile, SecretKind.ACCESS_TOKEN, entry)
    return store, secrets, profile


def measure(csv_path: Path, latency: float, timeout: float) -> dict[str, Any]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from canvas_wizard.app import _application

    # The app's own QApplication set-up (GC on the GUI thread, thread switching).
    app = _application()
    gaps: list[float] = []
    gap_ends: list[float] = []  # seconds on ``clock`` when each gap ended
    progressed: list[float] = []
    state: dict[str, Any] = {"window": "", "outcome": None, "error": None}
    clock = QElapsedTimer()
    clock.start()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            gaps.append(now - last[0])
            gap_ends.append(now / 1000)
        last[0] = now

    # Garbage collections (the app collects on the GUI thread only: ui/gc_guard.py).
    collections: list[tuple[float, float, int]] = []  # (ended at s, ms, generation)
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        now = clock.nsecsElapsed() / 1e6
        if phase == "start":
            gc_started[0] = now
        else:
            collections.append((now / 1000, now - gc_started[0], info["generation"]))

    gc.callbacks.append(on_gc)
    stacks = _StackSampler(last, clock) if os.environ.get("CW_PROBE_STACKS") else None

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TIMER_MS)
    timer.timeout.connect(tick)

    with (
        RemoteCanvas(latency, 0.0, bench_throttle(latency)) as canvas,
        tempfile.TemporaryDirectory(prefix="cw-ui-bench-") as home,
    ):
        store, secrets, profile = _profile(canvas.url, canvas.token(), Path(home))
        try:
            ready, press = _main_window(store, secrets, profile, csv_path, state)
        except (ImportError, AttributeError, TypeError) as exc:
            state["fallback_reason"] = f"{type(exc).__name__}: {exc}"
            ready, press = _bare_window(store, secrets, profile, csv_path, state)
        deadline = time.monotonic() + timeout
        while not ready() and time.monotonic() < deadline:
            app.processEvents()  # the source panel reads the roster in the background
            time.sleep(0.005)
        timer.start()
        started = clock.nsecsElapsed() / 1e9
        worker = press()
        # The worker emits from a GUI-thread timer: nothing is lost connecting now.
        worker.progressed.connect(lambda _p: progressed.append(clock.nsecsElapsed() / 1e9))
        worker.finished.connect(lambda o: state.update(outcome=o))
        worker.failed.connect(lambda e: state.update(error=e))
        # The app's own event loop runs until the sync ends (or the time runs out).
        loop = QEventLoop()
        worker.finished.connect(loop.quit)
        worker.failed.connect(loop.quit)
        QTimer.singleShot(int(max(1.0, deadline - time.monotonic()) * 1000), loop.quit)
        loop.exec()
        if state["outcome"] is None and state["error"] is None:
            state["error"] = TimeoutError("the sync did not finish in time")
        ended = clock.nsecsElapsed() / 1e9
        during_sync = len(gaps)
        # The run's end (results table, summary, history) ran in the ``finished`` slots
        # before the loop quit: the tick after them measures that pause. Kept apart.
        tail = QEventLoop()
        QTimer.singleShot(400, tail.quit)
        tail.exec()
        end_gaps, gaps, gap_ends = gaps[during_sync:], gaps[:during_sync], gap_ends[:during_sync]
        timer.stop()
        gc.callbacks.remove(on_gc)
        if stacks is not None:
            stacks.stop()
        window = state.pop("widget")
        window.close()
        app.processEvents()
        counts = canvas.counts()
    figures = _figures(gaps, progressed, started, ended, state, counts)
    figures["end_pause_ms"] = round(max(end_gaps, default=0.0), 1)
    if gaps:
        worst = max(range(len(gaps)), key=gaps.__getitem__)
        figures["longest_gap_ended_at_s"] = round(gap_ends[worst] - started, 2)
        top = sorted(range(len(gaps)), key=gaps.__getitem__, reverse=True)[:5]
        figures["top_gaps"] = [[round(gaps[i], 1), round(gap_ends[i] - started, 2)] for i in top]
    during = [c for c in collections if started <= c[0] <= ended]
    figures["gc_count"] = len(during)
    figures["gc_longest_ms"] = round(max((c[1] for c in during), default=0.0), 1)
    figures["gc_over_10ms"] = [
        [round(c[1], 1), c[2], round(c[0] - started, 2)] for c in during if c[1] > 10
    ]
    if stacks is not None:
        figures["stalled_stacks"] = stacks.report()
    return figures


class _StackSampler:
    """Diagnostics (CW_PROBE_STACKS=1): where the GUI thread is when a tick is late."""

    def __init__(self, last: list[float], clock: Any) -> None:
        import threading

        self._last, self._clock = last, clock
        self._gui = threading.get_ident()
        self._seen: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.005):
            last = self._last[0]
            if not last or self._clock.nsecsElapsed() / 1e6 - last < 30:
                continue
            frame = sys._current_frames().get(self._gui)
            if frame is None:
                continue
            where = " < ".join(
                f"{Path(f.filename).name}:{f.lineno}:{f.name}"
                for f in reversed(traceback.extract_stack(frame)[-4:])
            )
            self._seen[where] = self._seen.get(where, 0) + 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def report(self) -> list[list[Any]]:
        return [[n, w] for w, n in sorted(self._seen.items(), key=lambda kv: -kv[1])[:8]]


def _figures(
    gaps: list[float],
    progressed: list[float],
    started: float,
    ended: float,
    state: dict[str, Any],
    counts: dict[str, int],
) -> dict[str, Any]:
    ordered = sorted(gaps)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else 0.0
    outcome = state["outcome"]
    result = outcome.result if outcome is not None else None
    duration = ended - started
    return {
        "window": state["window"],
        "fallback_reason": state.get("fallback_reason", ""),
        "status": result.status if result is not None else f"error: {state['error']}",
        "sync_s": round(duration, 2),
        "ticks": len(gaps),
        "longest_gap_ms": round(max(gaps, default=0.0), 1),
        "p99_gap_ms": round(p99, 1),
        "gaps_over_50ms": sum(1 for g in gaps if g > STALL_MS),
        "progress_signals": len(progressed),
        "progress_signals_per_s": round(len(progressed) / duration, 1) if duration else 0.0,
        "records_failed": result.report.counts_by_status().get("failed", 0) if result else None,
        "canvas_requests": sum(v for k, v in counts.items() if k not in ("throttled", "jobs")),
    }


Ready = Callable[[], bool]
Press = Callable[[], Any]


def _main_window(
    store: Any, secrets: Any, profile: Any, csv_path: Path, state: dict[str, Any]
) -> tuple[Ready, Press]:
    """The real window: the roster loaded in its Sync tab, then "Sync now" (approved)."""
    from canvas_wizard.ui.main_window import MainWindow

    window = MainWindow(store, secrets, profile)
    window.show()
    state["widget"] = window
    state["window"] = "MainWindow (Sync tab: source panel, Sync now, ProgressView)"
    tab = window.sync_tab
    # The Canvas API: the most work for the GUI thread (a record at a time, 11 in flight);
    # "Fastest for this run" could pick a SIS Import, which mostly waits.
    tab.method.setCurrentIndex(tab.method.findData("api"))
    tab.source.set_source(csv_path)

    def ready() -> bool:
        return tab.source.roster() is not None and not tab.source.is_reading()

    def press() -> Any:
        tab.start_sync(approve=True)
        if tab.worker is None:
            raise RuntimeError("Sync now did not start a sync")
        return tab.worker

    return ready, press


def _bare_window(
    store: Any, secrets: Any, profile: Any, csv_path: Path, state: dict[str, Any]
) -> tuple[Ready, Press]:
    from PySide6.QtWidgets import QMainWindow

    from canvas_wizard.core.sync.service import ProfileSync, SyncRequest
    from canvas_wizard.ui.sync.progress_view import ProgressView
    from canvas_wizard.ui.sync.worker import SyncWorker

    sync = ProfileSync(store.paths, secrets, profile)
    window = QMainWindow()
    view = ProgressView()
    window.setCentralWidget(view)
    window.show()
    worker = SyncWorker(sync, SyncRequest(source=csv_path, dry_run=False, approve=True), window)
    view.attach(worker)
    state.update(widget=window, window="bare QMainWindow + SyncWorker + ProgressView")

    def press() -> Any:
        worker.start()
        return worker

    return (lambda: True), press


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--latency", type=float, default=0.025)
    parser.add_argument("--timeout", type=float, default=480.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(measure(args.csv, args.latency, args.timeout)), flush=True)
    # The figures are out. Skip interpreter teardown: with Qt objects and pool threads
    # still alive it can abort (seen once after a 5,000-person sync: SIGABRT while
    # garbage-collecting at exit), which says nothing about the run just measured.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
