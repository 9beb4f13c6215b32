"""The sandbox Canvas in a process of its own, driven over a pipe.

Real Canvas runs on other machines. The sandbox is Python too, and at 5,000
users each of its requests costs several milliseconds of CPU (its state is
scanned, not indexed); in the benchmark's own process that CPU would compete
with the app for one interpreter lock and be counted as the app's time. In a
child process it has its own lock (and, on two cores, mostly its own core).

:class:`RemoteCanvas` has the same methods as :class:`harness.CanvasControl`;
each call is sent to the child and answered there. The access token crosses
the pipe once, in memory; it is never printed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from harness import CanvasControl
from school import School

from canvas_wizard.sandbox import ThrottleConfig

START_TIMEOUT = 60.0
CALL_TIMEOUT = 600.0


def _serve(
    conn: Connection,
    latency: float,
    jitter: float,
    throttle: ThrottleConfig,
    job_cost: tuple[float, float],
) -> None:
    try:
        control = CanvasControl(latency, jitter, throttle, job_cost)
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ok", (control.url, control.token())))
    try:
        while True:
            name, args = conn.recv()
            if name == "stop":
                break
            try:
                conn.send(("ok", getattr(control, name)(*args)))
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    except EOFError:
        pass  # the benchmark went away
    finally:
        control.stop()
        conn.close()


class RemoteCanvas:
    """A :class:`CanvasControl` in a child process (spawned: the parent has threads)."""

    def __init__(
        self,
        latency: float,
        jitter: float = 0.0,
        throttle: ThrottleConfig | None = None,
        job_cost: tuple[float, float] = (5.0, 1.0),
    ):
        from harness import bench_throttle

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve,
            args=(child, latency, jitter, throttle or bench_throttle(latency), job_cost),
            name="bench-canvas",
            daemon=True,
        )
        self._process.start()
        child.close()
        self.url, self._token = self._answer(START_TIMEOUT)

    def _answer(self, timeout: float) -> Any:
        if not self._conn.poll(timeout):
            self.stop()
            raise RuntimeError("the sandbox Canvas process did not answer")
        status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"the sandbox Canvas process failed: {value}")
        return value

    def _call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        return self._answer(CALL_TIMEOUT)

    def token(self) -> str:
        return str(self._token)

    def counts(self) -> dict[str, int]:
        return dict(self._call("counts"))

    def set_job_step_delay(self, seconds: float) -> None:
        self._call("set_job_step_delay", seconds)

    def holdings(self) -> dict[str, int]:
        return dict(self._call("holdings"))

    def load_school(self, school: School, account_id: int) -> None:
        self._call("load_school", school, account_id)

    def stop(self) -> None:
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._conn.send(("stop", ()))
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> RemoteCanvas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
