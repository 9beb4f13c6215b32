"""Run history: round trip, ordering, approvals, migration and damaged files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store.history import (
    SCHEMA_VERSION,
    HistoryStore,
    RunMethod,
    RunStatus,
)
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome


def _outcome(i: int, status: OutcomeStatus = OutcomeStatus.DONE) -> RecordOutcome:
    return RecordOutcome(
        record="person",
        action=ActionKind.CREATE,
        key=f"S{i:04d}",
        status=status,
        message=f"created user {i}",
        canvas_id=1000 + i,
        name=f"Student {i}",
    )


def _start(store: HistoryStore, profile: str = "school", **kw: object) -> int:
    args: dict[str, object] = dict(
        profile=profile,
        method="api",
        dry_run=False,
        who="Dana Admin",
        source="/tmp/export.csv",
        options={"suspend_missing": True},
    )
    args.update(kw)
    return store.start_run(**args)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "data" / "history.sqlite3") as s:
        yield s


def test_round_trip_of_a_run_and_its_outcomes(store: HistoryStore) -> None:
    run_id = _start(store, method="sis-import", dry_run=True)
    link = RecordOutcome(
        record="link",
        action=ActionKind.LINK,
        key="P1→S1",
        status=OutcomeStatus.FAILED,
        message="Canvas said: no such student",
    )
    written = [_outcome(1), _outcome(2, OutcomeStatus.UNCHANGED), link]
    store.add_outcomes(run_id, written[:2])
    store.add_outcomes(run_id, iter(written[2:]))
    store.finish_run(run_id, status="failed_records", counts={"created": 1, "failed": 1})

    assert store.outcomes(run_id) == written
    (run,) = store.list_runs("school")
    assert run.id == run_id
    assert run.status is RunStatus.FAILED_RECORDS
    assert run.method is RunMethod.SIS_IMPORT
    assert run.dry_run is True
    assert run.who == "Dana Admin"
    assert run.source == "/tmp/export.csv"
    assert run.options == {"suspend_missing": True}
    assert run.counts == {"created": 1, "failed": 1}
    assert run.approved is False and run.error is None
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_a_running_run_is_listed_as_running_until_finished(store: HistoryStore) -> None:
    run_id = _start(store)
    assert store.list_runs("school")[0].status == "running"
    assert store.list_runs("school")[0].finished_at is None
    # Our own process is alive: opening the history again must not interrupt it.
    with HistoryStore(store.path) as other:
        assert other.mark_interrupted() == 0
        assert other.list_runs("school")[0].status == "running"
    store.finish_run(run_id, status="error", counts={}, error="Canvas did not answer")
    run = store.list_runs("school")[0]
    assert run.status is RunStatus.ERROR and run.error == "Canvas did not answer"


def test_runs_are_listed_newest_first_per_profile_with_limit(store: HistoryStore) -> None:
    ids = [_start(store) for _ in range(5)]
    other = _start(store, profile="district")
    assert [r.id for r in store.list_runs("school")] == ids[::-1]
    assert [r.id for r in store.list_runs("school", limit=2)] == ids[:-3:-1]
    assert [r.id for r in store.list_runs("district")] == [other]
    assert store.list_runs("nobody") == []


def test_outcomes_keep_their_order_across_large_batches(store: HistoryStore) -> None:
    run_id = _start(store)
    many = [_outcome(i) for i in range(2500)]
    store.add_outcomes(run_id, many)
    assert store.outcomes(run_id) == many
    assert store.outcomes(_start(store)) == []


def test_approval_is_recorded_with_who_and_breaches(store: HistoryStore) -> None:
    run_id = _start(store)
    store.record_approval(run_id, who="Dana Admin", breaches=["unlinks 40% > 10%"])
    store.finish_run(run_id, status="ok", counts={"unlinked": 40})
    run = store.list_runs("school")[0]
    assert run.approved and run.approved_by == "Dana Admin"
    assert run.breaches == ("unlinks 40% > 10%",)
    assert run.approved_at is not None


def test_bad_status_method_or_run_id_are_refused(store: HistoryStore) -> None:
    run_id = _start(store)
    with pytest.raises(ValueError):
        store.finish_run(run_id, status="done-ish", counts={})
    with pytest.raises(ValueError):
        store.finish_run(run_id, status="running", counts={})
    with pytest.raises(ValueError):
        _start(store, method="carrier-pigeon")
    with pytest.raises(KeyError):
        store.add_outcomes(9999, [_outcome(1)])
    # A failed write leaves nothing behind.
    assert store.list_runs("school")[0].status == "running"


def test_history_lives_at_the_app_path_and_is_wal(app_home: Path) -> None:
    path = app_paths().history_db
    with HistoryStore(path) as store:
        _start(store)
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_an_empty_file_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.touch()
    with HistoryStore(path) as store:
        run_id = _start(store)
        store.add_outcomes(run_id, [_outcome(1)])
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"runs", "outcomes"} <= tables
    finally:
        conn.close()
    # Opening again keeps what is there.
    with HistoryStore(path) as store:
        assert len(store.list_runs("school")) == 1


def test_a_corrupt_file_gives_a_clear_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    with pytest.raises(WizardError) as info:
        HistoryStore(path)
    err = info.value
    assert str(path) in err.message
    assert "damaged" in err.message
    assert "move" in err.hint and "new, empty history" in err.hint
    # Moving it aside, as the hint says, gives a working history.
    path.rename(path.with_name("history.sqlite3.broken"))
    with HistoryStore(path) as store:
        _start(store)


def test_a_history_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(WizardError, match="newer version"):
        HistoryStore(path)


def test_repr_holds_only_the_path(store: HistoryStore) -> None:
    assert repr(store) == f"HistoryStore({str(store.path)!r})"


def test_a_run_that_fell_back_to_the_api_is_kept_as_an_api_run(store: HistoryStore) -> None:
    # A SIS Import asked for, written through the API because the admin may not import.
    run_id = _start(store, method="sis-import")
    store.finish_run(run_id, status="ok", counts={"created": 3}, method="api")
    (run,) = store.list_runs("school")
    assert run.method is RunMethod.API
