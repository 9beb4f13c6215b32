"""The history's undo step: an old (version 1) file is upgraded in place, and a run's
recorded writes come back as written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from test_history_v2 import V1  # the version-1 schema, as an old app wrote it

from canvas_wizard.core.store.history import SCHEMA_VERSION, HistoryStore
from canvas_wizard.core.store.history_writes import (
    add_written_records,
    later_writes,
    set_undo_of,
    written_records,
)
from canvas_wizard.core.sync.model import ActionKind, FieldChange
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.undo.planner import undo_inputs_from_outcomes
from canvas_wizard.core.undo.records import WrittenRecord


def test_a_version_1_history_is_upgraded_and_its_runs_list_what_cannot_be_undone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(V1)
    conn.execute(
        "INSERT INTO runs (profile, started_at, status, method, dry_run, who, source)"
        " VALUES ('school', '2026-01-01T00:00:00+00:00', 'ok', 'api', 0, 'Alex', 'old.csv')"
    )
    conn.execute(
        "INSERT INTO outcomes (run_id, record, action, key, name, status, message, canvas_id)"
        " VALUES (1, 'person', 'update', 'S1', 'Ann', 'done', 'Updated name.', 5)"
    )
    conn.commit()
    conn.close()

    with HistoryStore(db) as history:
        run = history.get_run(1)
        assert run is not None and run.undo_of is None
        writes = written_records(history, 1)
        assert writes == []
        _, unrecorded = undo_inputs_from_outcomes(writes, history.outcomes(1))
        assert [o.key for o in unrecorded] == ["S1"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_written_records_and_later_runs(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as history:
        ids = [
            history.start_run(
                profile="school", method="api", dry_run=False, who="", source="x", options={}
            )
            for _ in range(3)
        ]
        w = WrittenRecord(
            "person", ActionKind.UPDATE, "S1", 5, 50, (FieldChange("name", "A", "B"),), "B"
        )
        add_written_records(history, ids[0], [w])
        add_written_records(history, ids[2], [w])
        set_undo_of(history, ids[2], ids[0])
        history.add_outcomes(
            ids[0], [RecordOutcome("person", ActionKind.UPDATE, "S1", OutcomeStatus.DONE)]
        )
        assert written_records(history, ids[0]) == [w]
        assert later_writes(history, ids[0], "school", {"S1"}) == {"S1": [ids[2]]}
        assert later_writes(history, ids[0], "other", {"S1"}) == {}
        assert history.get_run(ids[2]).undo_of == ids[0]  # type: ignore[union-attr]
