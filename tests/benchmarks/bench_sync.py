"""Items 1–3 of the benchmark: initial sync, resync with nothing changed, resync with 1 % changed.

Each function takes a Canvas (``harness.CanvasControl`` in this process, or
``remote.RemoteCanvas`` in its own) and returns a plain dict of figures for the
table and the JSON. Requests are counted twice: by the client (``RequestStats``,
every attempt it sent) and by the sandbox (what reached Canvas), and "writes" are
record writes as Canvas saw them (POST/PUT/DELETE less report and SIS Import starts).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from harness import ROOT_ID, load

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.core.canvas.transport import make_session
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.outcome import Applier
from canvas_wizard.core.sync.rest_apply import RestApplier
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import ThrottleConfig


class Canvas(Protocol):
    url: str

    def token(self) -> str: ...
    def counts(self) -> dict[str, int]: ...
    def set_job_step_delay(self, seconds: float) -> None: ...
    def holdings(self) -> dict[str, int]: ...


@dataclass
class ResponseTimes:
    """Time to each response's headers, as the client saw it (configured latency + Canvas)."""

    seconds: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self.seconds.append(response.elapsed.total_seconds())

    def mean_ms(self) -> float:
        with self._lock:
            return 1000 * sum(self.seconds) / len(self.seconds) if self.seconds else 0.0


def run_sync(
    canvas: Canvas,
    roster: Roster | Path,
    *,
    account_id: int = ROOT_ID,
    method: str = "api",
    concurrency: int | None = None,
    prefer_report: bool | str = "auto",
    history: list[Any] | None = None,
) -> dict[str, Any]:
    """One real sync as the app runs it (SyncRun, verify on), and what it cost.

    ``prefer_report="auto"`` and ``method="auto"`` choose as the app does; ``history`` is
    the job timings earlier runs left (the app keeps them in its history): this run's
    are appended to it.
    """
    times = ResponseTimes()
    session = make_session()
    session.hooks["response"].append(times.hook)
    with session, CanvasClient(canvas.url, StaticToken(canvas.token()), session=session) as client:
        applier: Applier | None = None
        if method == "sis-import":
            applier = SisImportApplier(client, ROOT_ID)
        elif method == "api":
            extra = {"concurrency": concurrency} if concurrency else {}
            applier = RestApplier(client, account_id, ROOT_ID, **extra)  # type: ignore[arg-type]
        before = canvas.counts()
        started_load = load()[0]
        start = time.perf_counter()
        result = SyncRun(
            roster,
            client,
            account_id,
            ROOT_ID,
            applier=applier,
            method=method,
            prefer_report=prefer_report,
            job_timings=list(reversed(history or [])),  # newest first, as the history gives
            approve_limits=True,  # the benchmark's schools are meant: no hold
        ).run()
        wall = time.perf_counter() - start
        after = canvas.counts()
        stats = client.stats
    if history is not None:
        history.extend(result.report.job_timings)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    statuses = result.report.counts_by_status()
    planned = result.plan.writes() if result.plan is not None else 0
    phases = getattr(result.report, "phase_requests", None)
    return {
        "method": result.report.method,
        "method_reason": result.report.method_reason,
        "read_with": result.report.read_with,
        "jobs": [
            {"kind": t.kind, "size": t.size, "seconds": round(t.seconds, 2)}
            for t in result.report.job_timings
        ],
        "phase_requests": dict(phases) if phases is not None else None,
        "status": result.status,
        "wall_s": round(wall, 2),
        "requests": stats.requests,
        "requests_by_method": dict(stats.by_method),
        "writes": delta["POST"] + delta["PUT"] + delta["DELETE"] - delta["jobs"],
        "planned_writes": planned,
        "throttled_403": delta["throttled"],
        "retries": stats.retries,
        "records_failed": statuses.get("failed", 0),
        "records_done": statuses.get("done", 0),
        "mean_response_ms": round(times.mean_ms(), 1),
        "load_1min": [started_load, load()[0]],
    }


def requests_that_fit(cfg: ThrottleConfig) -> int:
    """How many requests can be in flight on an empty bucket: n × up-front < high-water."""
    return math.ceil(cfg.high_water_mark / cfg.up_front_cost) - 1


def lower_bound(writes: int, reads: int, latency: float, cfg: ThrottleConfig) -> dict[str, float]:
    """The least time the throttle allows: the in-flight limit or the outflow, whichever binds."""
    in_flight = writes * latency / requests_that_fit(cfg)
    by_cost = (writes * cfg.write_cost + reads * cfg.get_cost) / cfg.outflow
    return {
        "in_flight_s": round(in_flight, 1),
        "outflow_s": round(by_cost, 1),
        "bound_s": round(max(in_flight, by_cost), 1),
        "fits_in_flight": requests_that_fit(cfg),
    }


def scaled(figures: dict[str, Any], factor: float) -> dict[str, Any]:
    """A sample's figures scaled linearly to the full school (wall time and counts)."""
    out = dict(figures)
    for key in ("wall_s", "requests", "writes", "planned_writes", "throttled_403", "retries"):
        out[key] = round(figures[key] * factor, 1)
    out["scaled_from_sample"] = round(1 / factor, 4)
    out["measured_wall_s"] = figures["wall_s"]
    return out


def run_script(canvas: Canvas, school: Any) -> dict[str, Any]:
    """What a school's IT person would write without this app: one call at a time.

    For each person: look the SIS ID up, create the user when Canvas does not have it
    (or update a changed name); then each link. No report, no threads, no retries
    beyond what a script would do (none): the baseline the issue compares with.
    """
    base = canvas.url
    started_load = load()[0]
    requests_sent = 0
    ids: dict[str, int] = {}
    start = time.perf_counter()
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {canvas.token()}"
        for person in school.people:
            found = http.get(f"{base}/api/v1/users/sis_user_id:{person.sis_id}", timeout=60)
            requests_sent += 1
            if found.status_code == 200:
                user = found.json()
                if user.get("name") != person.full_name:
                    http.put(
                        f"{base}/api/v1/users/{user['id']}",
                        data={"user[name]": person.full_name},
                        timeout=60,
                    ).raise_for_status()
                    requests_sent += 1
            else:
                created = http.post(
                    f"{base}/api/v1/accounts/{ROOT_ID}/users",
                    data={
                        "user[name]": person.full_name,
                        "user[skip_registration]": "true",
                        "pseudonym[unique_id]": person.username,
                        "pseudonym[sis_user_id]": person.sis_id,
                        "pseudonym[send_confirmation]": "false",
                        "communication_channel[type]": "email",
                        "communication_channel[address]": person.email,
                        "communication_channel[skip_confirmation]": "true",
                    },
                    timeout=60,
                )
                requests_sent += 1
                created.raise_for_status()
                user = created.json()
            ids[person.sis_id] = int(user["id"])
        for parent, student in school.links:
            http.put(
                f"{base}/api/v1/users/{ids[parent]}/observees/{ids[student]}", timeout=60
            ).raise_for_status()
            requests_sent += 1
    return {
        "wall_s": round(time.perf_counter() - start, 2),
        "requests": requests_sent,
        "load_1min": [started_load, load()[0]],
    }
