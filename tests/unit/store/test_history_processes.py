"""Run history across processes: killed writers, interrupted runs, readers during writes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from canvas_wizard.core.store.history import HistoryStore, RunStatus, process_start_token
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome

BATCH = 50

# A writer that starts a run and appends outcomes in batches of BATCH until killed.
WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    from canvas_wizard.core.store.history import HistoryStore
    from canvas_wizard.core.sync.model import ActionKind
    from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome

    store = HistoryStore(Path(sys.argv[1]))
    run_id = store.start_run(profile="school", method="api", dry_run=False, who="Dana",
                             source="export.csv", options={{}})
    i = 0
    while True:
        store.add_outcomes(run_id, [
            RecordOutcome("person", ActionKind.CREATE, f"S{{i + k}}", OutcomeStatus.DONE,
                          "created", 1000 + i + k, "Kid")
            for k in range({BATCH})
        ])
        i += {BATCH}
        if sys.argv[2] == "once":
            break
    """
)


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def _outcome_count(path: Path) -> int:
    if not path.exists():
        return 0
    conn = sqlite3.connect(path, timeout=10)
    try:
        return int(conn.execute("SELECT count(*) FROM outcomes").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        conn.close()


def _writer(path: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), mode])


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_writer_killed_mid_run_leaves_a_consistent_db_and_an_interrupted_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    proc = _writer(path, "forever")
    try:
        _wait_for(lambda: _outcome_count(path) >= 5 * BATCH)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with HistoryStore(path) as store:
        (run,) = store.list_runs("school")
        assert run.status is RunStatus.INTERRUPTED
        assert run.error and "stopped before it finished" in run.error
        outcomes = store.outcomes(run.id)
        # Whole batches only: each add_outcomes was one transaction.
        assert len(outcomes) >= 5 * BATCH and len(outcomes) % BATCH == 0
        assert [o.key for o in outcomes] == [f"S{i}" for i in range(len(outcomes))]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_run_left_running_by_a_process_that_exited_is_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    proc = _writer(path, "once")
    assert proc.wait(timeout=30) == 0
    with HistoryStore(path) as store:
        (run,) = store.list_runs("school")
        assert run.status is RunStatus.INTERRUPTED
        assert len(store.outcomes(run.id)) == BATCH
        # Already marked: nothing left to do.
        assert store.mark_interrupted() == 0


def test_mark_interrupted_by_profile_and_pid_reuse(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        mine = store.start_run(
            profile="school", method="api", dry_run=False, who="D", source="f", options={}
        )
        reused = store.start_run(
            profile="school", method="api", dry_run=False, who="D", source="f", options={}
        )
        elsewhere = store.start_run(
            profile="district", method="api", dry_run=False, who="D", source="f", options={}
        )
        conn = sqlite3.connect(path)
        try:
            with conn:
                # Our pid, but started at another time: the pid was reused, the writer is gone.
                conn.execute("UPDATE runs SET start_token = 'x' WHERE id = ?", (reused,))
                conn.execute("UPDATE runs SET pid = NULL WHERE id = ?", (elsewhere,))
        finally:
            conn.close()
        token = process_start_token(os.getpid())
        assert token is not None
        expected_reused = 1 if token else 0  # without start times only the pid decides
        assert store.mark_interrupted("school") == expected_reused
        assert store.mark_interrupted("district") == 1
        status = {r.id: r.status for r in store.list_runs("school") + store.list_runs("district")}
        assert status[mine] is RunStatus.RUNNING
        assert status[elsewhere] is RunStatus.INTERRUPTED


def test_a_reader_sees_committed_outcomes_while_a_writer_writes(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    writer = HistoryStore(path)
    reader = HistoryStore(path)
    run_id = writer.start_run(
        profile="school", method="api", dry_run=False, who="D", source="f", options={}
    )
    batches = 40
    seen: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for b in range(batches):
                writer.add_outcomes(
                    run_id,
                    [
                        RecordOutcome(
                            "person", ActionKind.UPDATE, f"S{b}-{k}", OutcomeStatus.DONE, "ok"
                        )
                        for k in range(BATCH)
                    ],
                )
            writer.finish_run(run_id, status="ok", counts={"updated": batches * BATCH})
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while thread.is_alive():
            seen.append(len(reader.outcomes(run_id)))
            assert reader.list_runs("school")[0].id == run_id
    finally:
        thread.join()
        writer.close()
    assert not errors
    # Never a half batch, and never going backwards.
    assert all(n % BATCH == 0 for n in seen)
    assert seen == sorted(seen)
    assert len(reader.outcomes(run_id)) == batches * BATCH
    assert reader.list_runs("school")[0].status is RunStatus.OK
    reader.close()
