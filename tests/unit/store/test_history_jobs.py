"""The history's job timings (schema step 4): a version-3 file gains the table in place,
and the timings a run waited for come back newest first, a bounded number per kind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from canvas_wizard.core.store.history import SCHEMA_VERSION, HistoryStore
from canvas_wizard.core.store.history_jobs import KEEP, add_job_timings, job_timings
from canvas_wizard.core.sync.costs import REPORT, SIS_IMPORT, JobTiming


def test_a_version_3_history_gains_job_timings_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore(db) as history:
        run = history.start_run(
            profile="school", method="api", dry_run=False, who="Alex", source="x.csv", options={}
        )
    # As version 3 left it: no job_timings table.
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE job_timings")
        conn.execute("PRAGMA user_version = 3")
    with HistoryStore(db) as history:
        assert history.get_run(run) is not None
        assert job_timings(history, "school") == []
        add_job_timings(history, "school", 1, [JobTiming(REPORT, 370, 5.4, 1)])
        assert job_timings(history, "school") == [JobTiming(REPORT, 370, 5.4, 1)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4


def test_timings_are_per_profile_newest_first_and_bounded(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as history:
        for n in range(KEEP + 5):
            add_job_timings(history, "school", 1, [JobTiming(REPORT, 100 + n, 5.0, 1)])
        add_job_timings(history, "school", 1, [JobTiming(SIS_IMPORT, 900, 7.0, 1)])
        add_job_timings(history, "other", 2, [JobTiming(REPORT, 50, 1.0, 2)])
        mine = job_timings(history, "school")
    assert mine[0] == JobTiming(SIS_IMPORT, 900, 7.0, 1)
    reports = [t.size for t in mine if t.kind == REPORT]
    assert len(reports) == KEEP and reports[0] == 100 + KEEP + 4  # the newest kept
    assert all(t.account_id == 1 for t in mine)
