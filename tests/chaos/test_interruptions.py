"""Interruptions: the CLI sync killed with SIGKILL at several points, then run again.

The sandbox's latency and job step delay make each window wide enough to hit; the
sandbox's own state says where the sync is. After the kill, the rerun must
converge with nobody created twice, the history file must pass SQLite's
integrity check, and the killed run must read "interrupted".
"""

from __future__ import annotations

import json
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from chaos_support import (
    Connected,
    assert_converged,
    canvas_fingerprint,
    cli,
    start_cli,
    wait_for,
)

from canvas_wizard.core.roster import Roster
from canvas_wizard.core.store.history import HistoryStore, RunStatus
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus, Phase, Progress
from canvas_wizard.core.sync.service import ProfileSync, SyncRequest
from canvas_wizard.sandbox import SandboxCanvas

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

School = Callable[[int], tuple[Path, Roster]]
PEOPLE = 200


def in_canvas(canvas: SandboxCanvas, roster: Roster) -> int:
    return sum(1 for sis in roster.people if canvas.state.user_by_sis_id(sis) is not None)


def kill_when(canvas: SandboxCanvas, args: list[str], reached: Callable[[], bool]) -> None:
    proc = start_cli(*args)
    try:
        wait_for(lambda: reached() or proc.poll() is not None, timeout=60, what="the kill point")
        assert proc.poll() is None, f"the sync ended before the kill point: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


def rerun_and_check(
    connected: Connected, source: Path, roster: Roster, untouched: dict[int, object], method: str
) -> None:
    canvas = connected.canvas
    canvas.latency = 0.0
    canvas.job_step_delay = 0.0
    again = cli(
        "sync", "school", "--source", str(source), "--approve-limits", "--json", "--method", method
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["counts"]["failed"] == 0
    wait_for(
        lambda: all(
            b.workflow_state not in ("created", "importing")
            for b in canvas.state.sis_imports.values()
        ),
        what="every SIS Import to end",
    )
    assert_converged(canvas, roster, untouched)

    db = connected.paths.history_db
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    history = json.loads(cli("history", "school", "--json").stdout)
    assert [h["status"] for h in history] == ["ok", "interrupted"], history
    assert "stopped before it finished" in history[1]["error"]


def sync_args(source: Path, method: str = "api") -> list[str]:
    return ["sync", "school", "--source", str(source), "--approve-limits", "--method", method]


@pytest.mark.slow
def test_killed_while_reading_canvas(connected: Connected, school: School) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    # A small school is read page by page (quicker than a report): each page takes a while.
    connected.canvas.latency = 0.3
    before = connected.canvas.request_counts()
    base = before.get("GET", 0)
    # The permission check (2 requests), the first page to size the account, then the read.
    kill_when(
        connected.canvas,
        sync_args(source),
        lambda: connected.canvas.request_counts().get("GET", 0) - base >= 4,
    )
    # Killed before any write.
    assert connected.canvas.request_counts().get("POST", 0) == before.get("POST", 0)
    assert in_canvas(connected.canvas, roster) == 0
    rerun_and_check(connected, source, roster, untouched, "api")


@pytest.mark.slow
def test_killed_mid_apply(connected: Connected, school: School) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    connected.canvas.latency = 0.02
    kill_when(
        connected.canvas, sync_args(source), lambda: in_canvas(connected.canvas, roster) >= 40
    )
    assert in_canvas(connected.canvas, roster) < PEOPLE
    rerun_and_check(connected, source, roster, untouched, "api")


@pytest.mark.slow
def test_killed_while_polling_a_sis_import(connected: Connected, school: School) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    canvas = connected.canvas
    canvas.job_step_delay = 0.01  # ~3 s for the import's rows

    def importing() -> bool:
        batches = list(canvas.state.sis_imports.values())
        return (
            bool(batches) and batches[0].workflow_state == "importing" and batches[0].progress > 5
        )

    kill_when(canvas, sync_args(source, "sis-import"), importing)
    # Canvas goes on importing without anyone polling; the rerun starts straight away.
    rerun_and_check(connected, source, roster, untouched, "sis-import")


@pytest.mark.slow
def test_cancel_as_the_app_window_does_then_rerun(connected: Connected, school: School) -> None:
    """The window's Cancel button sets the run's CancelToken; the run stops between records."""
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    connected.canvas.latency = 0.01
    cancel = CancelToken()

    def progress(p: Progress) -> None:
        if p.phase is Phase.APPLY and p.done >= 30:
            cancel.cancel()

    sync = ProfileSync(connected.paths, connected.secrets, connected.profile)
    try:
        request = SyncRequest(source=source, dry_run=False, approve=True)
        worker_result: dict[str, object] = {}
        worker = threading.Thread(
            target=lambda: worker_result.update(
                out=sync.run(request, progress=progress, cancel=cancel)
            )
        )
        worker.start()
        worker.join(60)
    finally:
        sync.close()
    outcome = worker_result["out"]
    assert outcome.status == "cancelled"  # type: ignore[attr-defined]
    report = outcome.result.report  # type: ignore[attr-defined]
    not_run = sum(1 for o in report.outcomes if o.status is OutcomeStatus.NOT_RUN)
    assert not_run > 0 and in_canvas(connected.canvas, roster) < PEOPLE
    with HistoryStore(connected.paths.history_db) as history:
        (run,) = history.list_runs("school")
        assert run.status is RunStatus.CANCELLED

    connected.canvas.latency = 0.0
    again = connected.sync(source, roster=roster)
    assert again.status == "ok"
    assert_converged(connected.canvas, roster, untouched)
