"""Run history: every sync run and every record's outcome, in one SQLite file.

The file lives at :attr:`AppPaths.history_db`. It is opened in WAL mode so the
UI can read the history while a sync writes to it, and every write is one
transaction, so a process killed mid-run leaves a consistent file: the run it
was writing is found "running" by a process that is gone, and is marked
"interrupted" the next time the history is opened.

A run is "running" only while its process lives. The row keeps the writer's pid
and a start token (the process's start time where the OS tells us), so a pid
reused by an unrelated process does not keep a dead run alive.

Nothing secret is ever stored: there is no column for one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome

#: PRAGMA user_version of the newest schema this code writes.
SCHEMA_VERSION = 4
#: Rows per executemany call: bounded memory for a 250,000-record run.
_BATCH = 1000
_BUSY_TIMEOUT_MS = 10_000


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED_RECORDS = "failed_records"
    HELD = "held"
    CANCELLED = "cancelled"
    INPUT_ERROR = "input_error"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    #: Syncing was paused: nothing was read or written (exit status 5).
    PAUSED = "paused"


class RunTrigger(StrEnum):
    """Who started a run: the admin, or the operating system's scheduler."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"


class RunMethod(StrEnum):
    API = "api"
    SIS_IMPORT = "sis-import"


INTERRUPTED_MESSAGE = (
    "The run stopped before it finished: the app was closed, crashed or the computer "
    "shut down. Some records may have been written; run the sync again to finish."
)


@dataclass(frozen=True)
class RunSummary:
    id: int
    profile: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    method: RunMethod
    dry_run: bool
    who: str
    source: str
    counts: dict[str, int]
    approved: bool
    error: str | None
    approved_by: str | None = None
    approved_at: datetime | None = None
    breaches: tuple[str, ...] = ()
    options: dict[str, Any] | None = None
    trigger: RunTrigger = RunTrigger.MANUAL
    undo_of: int | None = None  # this run undid that run


_RUNS_TABLE = """
CREATE TABLE {table} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ({statuses})),
    method TEXT NOT NULL CHECK (method IN ({methods})),
    dry_run INTEGER NOT NULL,
    who TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{{}}',
    counts TEXT NOT NULL DEFAULT '{{}}',
    approved_by TEXT,
    approved_at TEXT,
    breaches TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    pid INTEGER,
    start_token TEXT,
    trigger TEXT NOT NULL DEFAULT 'manual' CHECK (trigger IN ({triggers}))
)
"""
_COPY_RUNS_V1 = """
INSERT INTO runs_v2 (id, profile, started_at, finished_at, status, method, dry_run, who, source,
    options, counts, approved_by, approved_at, breaches, error, pid, start_token)
SELECT id, profile, started_at, finished_at, status, method, dry_run, who, source,
    options, counts, approved_by, approved_at, breaches, error, pid, start_token FROM runs
"""
_INDEXES = """
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
"""


def _runs_table(table: str) -> str:
    return _RUNS_TABLE.format(
        table=table,
        statuses=", ".join(f"'{s.value}'" for s in RunStatus),
        methods=", ".join(f"'{m.value}'" for m in RunMethod),
        triggers=", ".join(f"'{t.value}'" for t in RunTrigger),
    )


# v3, for undo: what each run set out to write (before-states included), and which
# run an undo undid.
_SCHEMA_UNDO = """
CREATE TABLE run_writes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    record TEXT NOT NULL,
    action TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX run_writes_by_run ON run_writes (run_id, id);
CREATE INDEX run_writes_by_key ON run_writes (key, run_id);
ALTER TABLE runs ADD COLUMN undo_of INTEGER
"""


# v4: how long Canvas's background jobs took for this profile (core/sync/costs.py learns
# from them which way of reading and writing is quickest; history_jobs.py).
_SCHEMA_JOBS = """
CREATE TABLE job_timings (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    seconds REAL NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX job_timings_by_profile ON job_timings (profile, kind, id)
"""


def _migrate_undo(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_UNDO.split(";"):
        if statement.strip():
            conn.execute(statement)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _linux_start_token(pid: int) -> str | None:
    """The process's start time in clock ticks since boot; None when it is gone (or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and ")", so split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # exited, waiting to be reaped: not running any more
        return None
    return fields[19]  # field 22 of stat(5), counted from field 3


def _windows_start_token(pid: int) -> str | None:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return None
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) or code.value != 259:
            return None  # 259 = STILL_ACTIVE
        times = [wintypes.FILETIME() for _ in range(4)]
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return ""
        return f"{times[0].dwHighDateTime}:{times[0].dwLowDateTime}"
    finally:
        kernel32.CloseHandle(handle)


def process_start_token(pid: int) -> str | None:
    """Something that identifies process ``pid`` for its lifetime; None when it is not running.

    "" means the process runs but the OS gives no start time (then the pid alone decides).
    """
    if sys.platform.startswith("linux"):
        return _linux_start_token(pid)
    if sys.platform == "win32":
        return _windows_start_token(pid)
    try:  # macOS and other POSIX: signal 0 only checks that the pid exists
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""  # exists, owned by someone else
    return ""


def _run_is_alive(pid: int | None, token: str | None) -> bool:
    if pid is None:
        return False
    current = process_start_token(pid)
    if current is None:
        return False
    # A pid the OS has reused for another process has another start time.
    return not (token and current and token != current)


class HistoryStore:
    """The run history of every profile, in one SQLite file. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._token = process_start_token(self._pid) or ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly in _write().
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10
            )
        except (OSError, sqlite3.Error) as exc:
            raise WizardError(
                f"The run history {self.path} cannot be opened: {exc}.",
                hint="Check that the folder exists and that you may write to it.",
            ) from exc
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
            # Off while migrating: rebuilding the runs table must not cascade to outcomes.
            self._migrate()
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.mark_interrupted()
        except sqlite3.OperationalError as exc:
            # Locked, read-only or a full disk: the file is fine, do not call it damaged.
            self._conn.close()
            if _trouble(exc) is None:
                raise self._damaged(exc) from exc
            raise self._cannot_write(exc) from exc
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise self._damaged(exc) from exc
        except BaseException:
            self._conn.close()
            raise

    # -- opening ---------------------------------------------------------------

    def _damaged(self, exc: sqlite3.Error) -> WizardError:
        return WizardError(
            f"The run history file {self.path} is damaged and cannot be read ({exc}).",
            hint=(
                "Close the app and move that file aside (for example rename it to "
                f"{self.path.name}.broken); the app then starts a new, empty history. "
                "Profiles, passwords and Canvas itself are not affected."
            ),
        )

    def _migrate(self) -> None:
        with self._write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise WizardError(
                    f"The run history {self.path} was written by a newer version of "
                    "Canvas Sync Wizard and this version cannot read it.",
                    hint="Update the app, or move that file aside to start a new history.",
                )
            if version < 1:
                conn.execute(_runs_table("runs"))
                for statement in _INDEXES.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            elif version < 2:
                # v2: the "paused" status and the trigger column. SQLite cannot change a
                # CHECK constraint in place, so the table is rebuilt (sqlite.org/lang_altertable).
                conn.execute(_runs_table("runs_v2"))
                conn.execute(_COPY_RUNS_V1)
                conn.execute("DROP TABLE runs")
                conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
                for statement in _INDEXES.split(";"):
                    if statement.strip() and "ON runs " in statement:
                        conn.execute(statement)
            if version < 3:
                _migrate_undo(conn)
            if version < 4:
                for statement in _SCHEMA_JOBS.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            # Later versions: `if version < 5: ...`, each step inside this one transaction.
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; it commits whole or not at all."""
        with self._lock:
            conn = self._conn
            try:
                # IMMEDIATE takes the write lock up front, so a concurrent writer
                # waits (busy_timeout) instead of failing halfway through.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    # SQLite has already rolled back after some errors (SQLITE_FULL): a
                    # second ROLLBACK would fail and hide the real reason.
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                raise self._cannot_write(exc) from exc

    def _cannot_write(self, exc: sqlite3.Error) -> WizardError:
        """What to do about a history that cannot be written: full, read-only, or locked."""
        folder = self.path.parent
        hint = {
            "full": f"The disk holding {folder} is full: free some space there, then run again.",
            "read-only": f"The folder {folder} (or the file) is read-only for this user: allow "
            "writing there, or keep the app's data elsewhere with --config-dir.",
            "locked": "Another program has the file open for writing (another Canvas Sync "
            "Wizard, a backup or sync tool): wait for it or close it, then run again.",
        }.get(
            _trouble(exc) or "", "Check free disk space and that no other program locks the file."
        )
        return WizardError(f"Could not write to the run history {self.path}: {exc}.", hint=hint)

    # -- writing ---------------------------------------------------------------

    def start_run(
        self,
        *,
        profile: str,
        method: str,
        dry_run: bool,
        who: str,
        source: str,
        options: dict[str, Any],
        trigger: str = RunTrigger.MANUAL,
    ) -> int:
        """Record a new run as "running" by this process; returns its id."""
        method = RunMethod(method)
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (profile, started_at, status, method, dry_run, who, source,"
                " options, pid, start_token, trigger) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    profile,
                    _now(),
                    RunStatus.RUNNING.value,
                    method.value,
                    int(dry_run),
                    who,
                    source,
                    json.dumps(options, default=str, sort_keys=True),
                    self._pid,
                    self._token,
                    RunTrigger(trigger).value,
                ),
            )
            run_id = cur.lastrowid
        assert run_id is not None
        return run_id

    def add_outcomes(self, run_id: int, outcomes: Iterable[RecordOutcome]) -> None:
        """Append outcomes to a run, in order, all in one transaction."""
        rows = (
            (
                run_id,
                o.record,
                o.action.value,
                o.key,
                o.name,
                o.status.value,
                o.message,
                o.canvas_id,
            )
            for o in outcomes
        )
        with self._write() as conn:
            self._require_run(conn, run_id)
            while batch := [row for _, row in zip(range(_BATCH), rows, strict=False)]:
                conn.executemany(
                    "INSERT INTO outcomes (run_id, record, action, key, name, status, message,"
                    " canvas_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )

    def record_approval(self, run_id: int, *, who: str, breaches: list[str]) -> None:
        """Note who approved a held run, when, and which limits it went past."""
        with self._write() as conn:
            self._require_run(conn, run_id)
            conn.execute(
                "UPDATE runs SET approved_by = ?, approved_at = ?, breaches = ? WHERE id = ?",
                (who, _now(), json.dumps(list(breaches)), run_id),
            )

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: dict[str, int],
        error: str | None = None,
        method: str | None = None,
    ) -> None:
        """``method``: the method the run really used, when it differs from the one asked."""
        final = RunStatus(status)
        used = RunMethod(method).value if method is not None else None
        if final is RunStatus.RUNNING:
            raise ValueError("finish_run needs a final status, not 'running'")
        with self._write() as conn:
            self._require_run(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, counts = ?, error = ?,"
                " method = COALESCE(?, method), pid = NULL, start_token = NULL WHERE id = ?",
                (
                    final.value,
                    _now(),
                    json.dumps(dict(counts), sort_keys=True),
                    error,
                    used,
                    run_id,
                ),
            )

    def mark_interrupted(self, profile: str | None = None) -> int:
        """Mark runs left "running" by a process that is gone; returns how many."""
        query = "SELECT id, pid, start_token FROM runs WHERE status = 'running'"
        params: tuple[str, ...] = ()
        if profile is not None:
            query += " AND profile = ?"
            params = (profile,)
        with self._write() as conn:
            dead = [
                (run_id,)
                for run_id, pid, token in conn.execute(query, params).fetchall()
                if not _run_is_alive(pid, token)
            ]
            conn.executemany(
                "UPDATE runs SET status = 'interrupted', error = COALESCE(error, ?),"
                " pid = NULL, start_token = NULL WHERE id = ?",
                [(INTERRUPTED_MESSAGE, run_id) for (run_id,) in dead],
            )
        return len(dead)

    @staticmethod
    def _require_run(conn: sqlite3.Connection, run_id: int) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise KeyError(f"no run {run_id} in the history")

    # -- reading ---------------------------------------------------------------

    def list_runs(self, profile: str, limit: int = 50) -> list[RunSummary]:
        """The profile's newest runs first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE profile = ? ORDER BY id DESC LIMIT ?",
                (profile, limit),
            ).fetchall()
        return [_summary(row) for row in rows]

    def get_run(self, run_id: int) -> RunSummary | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM runs WHERE id = ?",
                (run_id,),
            ).fetchone()
        return _summary(row) if row else None

    def outcomes(self, run_id: int) -> list[RecordOutcome]:
        """A run's outcomes in the order they were added."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT record, action, key, status, message, canvas_id, name"
                " FROM outcomes WHERE run_id = ? ORDER BY id",
                (run_id,),
            ).fetchall()
        return [
            RecordOutcome(
                record=record,
                action=ActionKind(action),
                key=key,
                status=OutcomeStatus(status),
                message=message,
                canvas_id=canvas_id,
                name=name,
            )
            for record, action, key, status, message, canvas_id, name in rows
        ]

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from exc

    # -- lifetime --------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"


def _trouble(exc: sqlite3.Error) -> str | None:
    """ "full", "read-only" or "locked" for SQLite's errors about those; None otherwise."""
    text = str(exc).lower()
    if "disk is full" in text or "disk i/o" in text:
        return "full"
    if "readonly" in text or "read-only" in text:
        return "read-only"
    if "locked" in text or "busy" in text:
        return "locked"
    return None


def _summary(row: sqlite3.Row) -> RunSummary:
    return RunSummary(
        id=row["id"],
        profile=row["profile"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=_time(row["finished_at"]),
        status=RunStatus(row["status"]),
        method=RunMethod(row["method"]),
        dry_run=bool(row["dry_run"]),
        who=row["who"],
        source=row["source"],
        counts={str(k): int(v) for k, v in json.loads(row["counts"]).items()},
        approved=row["approved_by"] is not None,
        error=row["error"],
        approved_by=row["approved_by"],
        approved_at=_time(row["approved_at"]),
        breaches=tuple(json.loads(row["breaches"])),
        options=json.loads(row["options"]),
        trigger=RunTrigger(row["trigger"]),
        undo_of=row["undo_of"],
    )
