"""Faults on the technician's own computer during a run: the keyring locked or gone at a
token refresh, the run history's disk full, read-only or locked, the report's disk full.

Each must end with a specific message and what to do, nothing already recorded lost,
and Canvas never written without the history (or the message) saying so.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from chaos_support import (
    Connected,
    assert_converged,
    canvas_fingerprint,
    failed,
)
from keyring.backends import fail

from canvas_wizard.cli import run
from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.store import history as history_module
from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.core.store.secrets import SecretKind
from canvas_wizard.sandbox.faults import Faults

School = Callable[[int], tuple[Path, Roster]]
PEOPLE = 300


class _LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.fixture
def swap_keyring() -> Iterator[Callable[[Any], None]]:
    original = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(original)


@pytest.mark.parametrize("broken", [_LockedKeyring, fail.Keyring], ids=["locked", "daemon gone"])
def test_keyring_locked_or_gone_at_a_token_refresh_mid_run_does_not_stop_it(
    connected: Connected,
    school: School,
    swap_keyring: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken: type[keyring.backend.KeyringBackend],
) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    stored_before = connected.tokens()
    real_keyring = keyring.get_keyring()
    canvas = connected.canvas
    original_expire = canvas.expire_access_tokens

    def lock_then_expire() -> None:
        # The keyring goes away after the run has started, just before Canvas lets the
        # access token expire: the refresh that follows cannot read the keyring.
        swap_keyring(broken())
        original_expire()

    monkeypatch.setattr(canvas, "expire_access_tokens", lock_then_expire)
    monkeypatch.setattr(TokenManager, "REUSE_WINDOW", 0.1)
    faults = Faults(expire_tokens_every=0.3)
    canvas.faults = faults

    with caplog.at_level(logging.WARNING):
        outcome = connected.sync(source, roster=roster)

    assert faults.stats.injected.get("token_expiry", 0) > 0
    assert outcome.status == "ok", (outcome.result.message, failed(outcome)[:3])
    assert "Could not save the refreshed token" in caplog.text
    canvas.faults = None
    swap_keyring(real_keyring)
    assert_converged(canvas, roster, untouched)
    # What was stored is still there, and still signs in: the next run just works.
    assert connected.tokens()[SecretKind.REFRESH_TOKEN] == stored_before[SecretKind.REFRESH_TOKEN]
    assert connected.sync(source, roster=roster).status == "ok"


# -- the run history and the report --------------------------------------------------------


def _sync_cli(source: Path, *extra: str) -> list[str]:
    return ["sync", "school", "--source", str(source), "--approve-limits", "--json", *extra]


def _history(connected: Connected) -> list[Any]:
    with HistoryStore(connected.paths.history_db) as store:
        return store.list_runs("school")


def test_disk_full_while_the_finished_run_is_recorded_keeps_the_outcome_and_says_so(
    connected: Connected,
    school: School,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    assert run(_sync_cli(source, "--dry-run")) in (0, 1)
    capsys.readouterr()
    (preview,) = _history(connected)
    original = HistoryStore.add_outcomes

    def disk_fills_up(self: HistoryStore, run_id: int, outcomes: Any) -> None:
        # SQLite's own "database or disk is full", as on a full disk: no more pages.
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        self._conn.execute(f"PRAGMA max_page_count = {pages}")
        original(self, run_id, outcomes)

    monkeypatch.setattr(HistoryStore, "add_outcomes", disk_fills_up)
    report = tmp_path / "report.csv"

    status = run(_sync_cli(source, "--report", str(report)))

    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert status == 0, err
    assert summary["status"] == "ok"
    assert "is full: free some space" in summary["history_error"]
    assert "could not be saved in the run history" in summary["message"]
    # The report still lists every record that was written.
    rows = report.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) - 1 == len(roster.people) + len(roster.links)
    assert_converged(connected.canvas, roster, untouched)
    monkeypatch.undo()
    runs = _history(connected)
    assert [r.id for r in runs][-1] == preview.id, "what was recorded before is still there"
    assert runs[0].status == "error", "the history does not claim the run finished well"
    assert runs[0].error.startswith("Finished ok, but its records could not be saved")


def test_read_only_history_stops_the_run_before_canvas_with_what_to_do(
    connected: Connected,
    school: School,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, _ = school(50)
    original = HistoryStore.start_run

    def broken(self: HistoryStore, **kwargs: Any) -> int:
        self._conn.execute("PRAGMA query_only = 1")  # SQLite's "readonly database"
        return original(self, **kwargs)

    monkeypatch.setattr(HistoryStore, "start_run", broken)
    writes_before = connected.canvas.request_counts()
    status = run(_sync_cli(source))
    out, err = capsys.readouterr()
    assert status != 0 and out == ""
    assert "Could not write to the run history" in err and "is read-only for this user" in err
    after = connected.canvas.request_counts()
    assert all(after[m] == writes_before[m] for m in ("POST", "PUT", "DELETE"))


def test_history_locked_by_another_program_says_so_and_loses_nothing(
    connected: Connected,
    school: School,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, _ = school(50)
    assert run(_sync_cli(source, "--dry-run")) in (0, 1)
    capsys.readouterr()
    monkeypatch.setattr(history_module, "_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(connected.paths.history_db, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        status = run(_sync_cli(source))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, err = capsys.readouterr()
    assert status != 0
    assert "Another program has the file open" in err, err
    assert "damaged" not in err and "move that file aside" not in err
    assert len(_history(connected)) == 1, "the earlier run is still there"


def test_corrupt_history_stops_before_canvas_and_says_how_to_start_afresh(
    connected: Connected, school: School, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = school(50)
    connected.paths.history_db.write_bytes(b"not a database\n" * 500)
    writes_before = connected.canvas.request_counts()
    status = run(_sync_cli(source))
    _, err = capsys.readouterr()
    assert status != 0
    assert "is damaged" in err and "history.sqlite3.broken" in err
    after = connected.canvas.request_counts()
    assert all(after[m] == writes_before[m] for m in ("POST", "PUT", "DELETE"))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_report_on_a_full_disk_still_prints_the_summary_and_says_what_is_missing(
    connected: Connected, school: School, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = school(50)
    status = run(_sync_cli(source, "--report", "/dev/full"))
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert status == 0, err
    assert summary["status"] == "ok" and summary["report"] is None
    assert "Could not write the report /dev/full: No space left on device" in err
    assert summary["report_error"].startswith("Could not write the report /dev/full")
    assert "Traceback" not in err
    (latest, *_) = _history(connected)
    assert latest.status == "ok", "the run itself is in the history"


def test_truncated_profile_file_names_it_and_says_what_to_do(
    connected: Connected, school: School, capsys: pytest.CaptureFixture[str]
) -> None:
    source, _ = school(50)
    path = connected.paths.profiles_dir / "school.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    status = run(_sync_cli(source))
    _, err = capsys.readouterr()
    assert status == 2
    assert f"The profile file {path} is damaged: it is not valid JSON" in err
    assert "delete the file and set the profile up again" in err
    assert connected.secrets.get(connected.profile, SecretKind.REFRESH_TOKEN), "sign-in kept"
