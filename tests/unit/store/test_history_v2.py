"""History schema 2: runs say whether the scheduler or the admin started them, and a
paused run can be recorded. A history written by version 1 keeps every run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from canvas_wizard.core.store.history import SCHEMA_VERSION, HistoryStore, RunStatus, RunTrigger
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome

# Exactly what schema version 1 created (its CHECK knows no "paused").
V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed_records', 'held',
        'cancelled', 'input_error', 'interrupted', 'error')),
    method TEXT NOT NULL CHECK (method IN ('api', 'sis-import')),
    dry_run INTEGER NOT NULL,
    who TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    counts TEXT NOT NULL DEFAULT '{}',
    approved_by TEXT,
    approved_at TEXT,
    breaches TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    pid INTEGER,
    start_token TEXT
);
CREATE INDEX runs_by_profile ON runs (profile, id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    record TEXT NOT NULL,
    action TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    canvas_id INTEGER
);
CREATE INDEX outcomes_by_run ON outcomes (run_id, id);
PRAGMA user_version = 1;
"""


def _v1_history(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1)
    conn.execute(
        "INSERT INTO runs (profile, started_at, finished_at, status, method, dry_run, who,"
        " source, counts, approved_by) VALUES ('school', '2026-11-01T06:30:00+00:00',"
        " '2026-11-01T06:31:00+00:00', 'ok', 'api', 0, 'Dana', '/srv/cw.csv', '{\"done\": 1}',"
        " 'Dana')"
    )
    conn.execute(
        "INSERT INTO outcomes (run_id, record, action, key, name, status, message)"
        " VALUES (1, 'person', 'create', 'S1', 'Ava', 'done', 'created')"
    )
    conn.commit()
    conn.close()


def test_a_version_1_history_keeps_its_runs_and_records_and_takes_paused_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    _v1_history(path)
    with HistoryStore(path) as store:
        (old,) = store.list_runs("school")
        assert (old.id, old.status, old.counts, old.approved_by) == (1, "ok", {"done": 1}, "Dana")
        assert old.trigger is RunTrigger.MANUAL  # everything before schedules was by hand
        assert [o.key for o in store.outcomes(1)] == ["S1"]
        run_id = store.start_run(
            profile="school",
            method="api",
            dry_run=False,
            who="Dana",
            source="/srv/cw.csv",
            options={},
            trigger="scheduled",
        )
        store.finish_run(run_id, status=RunStatus.PAUSED, counts={}, error="Syncing is paused.")
        newest = store.list_runs("school")[0]
        assert (newest.status, newest.trigger) == (RunStatus.PAUSED, RunTrigger.SCHEDULED)
        assert run_id == 2
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"runs_by_profile", "runs_running", "outcomes_by_run"} <= indexes
    finally:
        conn.close()


def test_deleting_a_run_still_deletes_its_records_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _v1_history(path)
    with HistoryStore(path) as store:
        store.add_outcomes(
            1, [RecordOutcome("person", ActionKind.CREATE, "S2", OutcomeStatus.DONE, "", None, "")]
        )
        conn = store._conn
        conn.execute("DELETE FROM runs WHERE id = 1")
        assert conn.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0] == 0
