"""One sync at a time per profile: a second run is refused naming the first, and a lock
left by a killed process never blocks the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from chaos_support import Connected, assert_converged, canvas_fingerprint, cli, start_cli, wait_for

from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.store.history import process_start_token
from canvas_wizard.core.store.lock import ProfileLock, SyncAlreadyRunning, lock_path, read_holder
from canvas_wizard.core.sync.service import ProfileSync, SyncRequest

School = Callable[[int], tuple[Path, Roster]]

HOLD = """
import sys, time
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store.lock import ProfileLock
lock = ProfileLock(app_paths().ensure(), sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def hold_in_another_process(profile: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, profile], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def test_a_second_cli_sync_is_refused_naming_the_running_one(
    connected: Connected, school: School
) -> None:
    source, roster = school(150)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    connected.canvas.latency = 0.02
    first = start_cli("sync", "school", "--source", str(source), "--approve-limits", "--json")
    try:
        path = lock_path(connected.paths, "school")
        wait_for(lambda: read_holder(path) is not None, what="the first sync to take the lock")
        holder = read_holder(path)
        assert holder is not None and holder.pid == first.pid

        second = cli("sync", "school", "--source", str(source), "--approve-limits", "--json")

        assert second.returncode == 1
        assert "Another sync of the profile “school” is already running" in second.stderr
        assert f"process {first.pid}, started " in second.stderr
        assert "Wait for that one to finish" in second.stderr
        assert second.stdout == ""
        _, err = first.communicate(timeout=90)
        assert first.returncode == 0, err[-2000:]
    finally:
        stop(first)
    assert_converged(connected.canvas, roster, untouched)
    history = json.loads(cli("history", "school", "--json").stdout)
    assert len(history) == 1, "the refused run left no trace in the history"
    assert read_holder(lock_path(connected.paths, "school")) is None, "released at the end"


def test_the_app_window_is_refused_while_the_cli_syncs(
    connected: Connected, school: School
) -> None:
    """The window runs the same ProfileSync.run, so it gets the same refusal to show."""
    source, roster = school(20)
    holder = hold_in_another_process("School")  # profile names are case-insensitive
    sync = ProfileSync(connected.paths, connected.secrets, connected.profile)
    try:
        before = connected.canvas.request_counts()
        with pytest.raises(SyncAlreadyRunning) as refused:
            sync.run(SyncRequest(source=source, dry_run=True), roster=roster)
        assert refused.value.holder is not None and refused.value.holder.pid == holder.pid
        assert f"process {holder.pid}" in refused.value.message
        assert connected.canvas.request_counts() == before, "Canvas was not asked anything"
        assert refused.value.exit_status == 1

        holder.send_signal(signal.SIGKILL)  # the CLI run dies without cleaning up
        holder.wait(timeout=10)
        outcome = sync.run(SyncRequest(source=source, dry_run=True, approve=True), roster=roster)
        assert outcome.status == "ok", "a dead holder's lock is simply taken over"
    finally:
        sync.close()
        stop(holder)


def test_two_runs_in_one_process_exclude_each_other_too(app_home: Path) -> None:
    paths = app_paths().ensure()
    with ProfileLock(paths, "school"):
        with pytest.raises(SyncAlreadyRunning) as refused:
            ProfileLock(paths, "SCHOOL", purpose="preview").acquire()
        assert refused.value.holder is not None
        assert refused.value.holder.pid == os.getpid()
        started = refused.value.holder.started_at
        assert abs((datetime.now(started.tzinfo) - started).total_seconds()) < 60
    with ProfileLock(paths, "school"):  # released on exit, so it can be taken again
        pass
    with ProfileLock(paths, "other school"), ProfileLock(paths, "school"):
        pass  # another profile is never blocked


def test_a_stale_lock_file_from_a_dead_process_is_taken_over(app_home: Path) -> None:
    paths = app_paths().ensure()
    path = lock_path(paths, "school")
    path.parent.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    path.write_text(
        json.dumps({"pid": pid, "start_token": "1", "started_at": "2026-01-01T00:00:00+00:00"})
    )
    assert process_start_token(pid) is None
    with ProfileLock(paths, "school") as lock:
        holder = read_holder(lock.path)
        assert holder is not None and holder.pid == os.getpid()
    # Junk in the file (a crash mid-write) blocks nothing either.
    path.write_text("{not json")
    with ProfileLock(paths, "school"):
        pass


def test_the_lock_is_released_when_a_run_fails(connected: Connected, tmp_path: Path) -> None:
    sync = ProfileSync(connected.paths, connected.secrets, connected.profile)
    try:
        missing = tmp_path / "no-such-export.csv"
        for _ in range(2):  # the second attempt is not refused by a leftover lock
            with pytest.raises(Exception) as raised:
                sync.run(SyncRequest(source=missing, dry_run=True))
            assert not isinstance(raised.value, SyncAlreadyRunning)
    finally:
        sync.close()
