"""`canvas-wizard undo` as a script runs it: exit statuses, --json, --dry-run, held
undos, runs of another setup, and SIGKILL during a sync or an undo."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from chaos_support import Connected, canvas_fingerprint, cli, connect, start_cli, wait_for
from undo_support import live_canvas, write_roster

from canvas_wizard.core.roster import Roster
from canvas_wizard.sandbox import SandboxCanvas

School = Callable[[int], tuple[Path, Roster]]


def synced_run(source: Path) -> int:
    done = cli(
        "sync", "school", "--source", str(source), "--suspend-missing", "--approve-limits", "--json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(json.loads(done.stdout)["run_id"])


def test_preview_held_then_approved_undo(connected: Connected, tmp_path: Path) -> None:
    before = live_canvas(connected.canvas)
    run = synced_run(write_roster(tmp_path))
    after_sync = live_canvas(connected.canvas)

    csv = tmp_path / "undo-preview.csv"
    preview = cli("undo", "school", str(run), "--dry-run", "--json", "--report", str(csv))
    # As for a sync, a preview that goes over a limit says so (exit 3) and writes nothing.
    assert preview.returncode == 3, preview.stderr[-2000:]
    summary = json.loads(preview.stdout)
    assert summary["undo_of"] == run and summary["dry_run"] is True
    assert summary["actions"]["remove"] == 2
    assert "S1101" in csv.read_text(encoding="utf-8")
    assert live_canvas(connected.canvas) == after_sync

    held = cli("undo", "school", str(run), "--json")
    assert held.returncode == 3, held.stdout + held.stderr[-2000:]
    held_summary = json.loads(held.stdout)
    assert held_summary["status"] == "held" and held_summary["limit_breaches"]
    assert live_canvas(connected.canvas) == after_sync

    fingerprint = held_summary["plan_fingerprint"]
    done = cli("undo", "school", str(run), "--approve", fingerprint)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert f"Undo of run {run}" in done.stdout
    assert live_canvas(connected.canvas) == before

    again = cli("undo", "school", str(run), "--approve-limits", "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["counts"]["done"] == 0

    history = json.loads(cli("history", "school", "--json").stdout)
    assert history[0]["source"] == f"undo of run {run}"
    assert history[0]["undo_of"] == run


def test_unknown_run_and_another_setups_run_exit_2(connected: Connected, tmp_path: Path) -> None:
    missing = cli("undo", "school", "99")
    assert missing.returncode == 2
    assert "has no run 99" in missing.stderr and "canvas-wizard history school" in missing.stderr
    run = synced_run(write_roster(tmp_path))
    connect(connected.canvas, name="other")
    other = cli("undo", "other", str(run))
    assert other.returncode == 2 and f"has no run {run}" in other.stderr
    preview = cli("sync", "school", "--source", str(write_roster(tmp_path)), "--dry-run", "--json")
    preview_id = json.loads(preview.stdout)["run_id"]
    refused = cli("undo", "school", str(preview_id))
    assert refused.returncode == 2 and "preview" in refused.stderr


def kill_when(args: list[str], reached: Callable[[], bool]) -> None:
    proc = start_cli(*args)
    try:
        wait_for(lambda: reached() or proc.poll() is not None, timeout=60, what="the kill point")
        assert proc.poll() is None, f"ended before the kill point: {proc.communicate()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def live_of(canvas: SandboxCanvas, roster: Roster) -> int:
    return sum(1 for sis in roster.people if canvas.state.user_by_sis_id(sis) is not None)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_undo_of_an_interrupted_sync_undoes_exactly_what_it_wrote(
    connected: Connected, school: School
) -> None:
    source, roster = school(200)
    canvas = connected.canvas
    untouched = canvas_fingerprint(canvas, set(roster.people))
    before = live_canvas(canvas)
    canvas.latency = 0.02
    kill_when(
        ["sync", "school", "--source", str(source), "--approve-limits"],
        lambda: live_of(canvas, roster) >= 40,
    )
    canvas.latency = 0.0
    time.sleep(0.5)  # requests the killed process had in flight still land in Canvas
    written = live_of(canvas, roster)
    assert 40 <= written < 200

    undone = cli("undo", "school", "1", "--approve-limits", "--json")
    assert undone.returncode == 0, undone.stdout + undone.stderr[-2000:]
    summary = json.loads(undone.stdout)
    # Exactly the people the killed run created are removed; the rest were never written.
    assert summary["actions"]["remove"] == written
    assert summary["counts"]["done"] == written
    assert live_canvas(canvas) == before
    assert canvas_fingerprint(canvas, set(roster.people)) == untouched


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_during_an_undo_the_rerun_converges(connected: Connected, school: School) -> None:
    source, roster = school(200)
    canvas = connected.canvas
    before = live_canvas(canvas)
    assert cli("sync", "school", "--source", str(source), "--approve-limits").returncode == 0
    canvas.latency = 0.02
    kill_when(
        ["undo", "school", "1", "--approve-limits"],
        lambda: live_of(canvas, roster) <= len(roster.people) - 40,
    )
    canvas.latency = 0.0
    assert 0 < live_of(canvas, roster) < len(roster.people)

    rerun = cli("undo", "school", "1", "--approve-limits", "--json")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    assert live_canvas(canvas) == before
    history = json.loads(cli("history", "school", "--json").stdout)
    assert [h["status"] for h in history] == ["ok", "interrupted", "ok"]
