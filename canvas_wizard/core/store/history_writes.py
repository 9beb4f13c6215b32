"""The history's record of what each run set out to write (for undo).

Kept apart from history.py: its own table (``run_writes``, schema step 2) and the
``runs.undo_of`` column. The rows are written before a run's applier starts, in
one transaction, so a run killed half-way still says what it may have written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.core.undo.records import WrittenRecord

_BATCH = 1000


def add_written_records(store: HistoryStore, run_id: int, records: Iterable[WrittenRecord]) -> None:
    """Record what run ``run_id`` is about to write, all in one transaction."""
    rows = ((run_id, r.record, r.action.value, r.key, r.to_json()) for r in records)
    with store._write() as conn:  # this module extends the store
        store._require_run(conn, run_id)
        while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
            conn.executemany(
                "INSERT INTO run_writes (run_id, record, action, key, data) VALUES (?, ?, ?, ?, ?)",
                batch,
            )


def written_records(store: HistoryStore, run_id: int) -> list[WrittenRecord]:
    with store._read() as conn:
        rows = conn.execute(
            "SELECT record, action, key, data FROM run_writes WHERE run_id = ? ORDER BY id",
            (run_id,),
        ).fetchall()
    return [WrittenRecord.from_row(*row) for row in rows]


def set_undo_of(store: HistoryStore, run_id: int, undone_run_id: int) -> None:
    with store._write() as conn:
        conn.execute("UPDATE runs SET undo_of = ? WHERE id = ?", (undone_run_id, run_id))


def undo_of(store: HistoryStore, run_id: int) -> int | None:
    with store._read() as conn:
        row = conn.execute("SELECT undo_of FROM runs WHERE id = ?", (run_id,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def later_writes(
    store: HistoryStore, run: int, profile: str, keys: set[str]
) -> dict[str, list[int]]:
    """Key → the later runs of ``profile`` that set out to write that record, oldest first.

    Previews, held runs and runs that stopped before writing record nothing, so
    they never count.
    """
    found: dict[str, list[int]] = {}
    with store._read() as conn:
        cursor: sqlite3.Cursor = conn.execute(
            "SELECT DISTINCT w.key, w.run_id FROM run_writes w JOIN runs r ON r.id = w.run_id"
            " WHERE w.run_id > ? AND r.profile = ? ORDER BY w.run_id",
            (run, profile),
        )
        for key, later in cursor:
            if key in keys:
                found.setdefault(key, []).append(int(later))
    return found
