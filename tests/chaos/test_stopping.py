"""Stopping a command-line sync on purpose (SIGTERM from a scheduler, Ctrl-C), and a wrong
file held before anything is written.

A stopped sync must end as the app's Cancel does: requests in flight finish, the run
is recorded "cancelled" with every record it really wrote, and the exit status is 1.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from chaos_support import Connected, cli, school_csv, start_cli, wait_for

from canvas_wizard.core.roster import Roster
from canvas_wizard.core.store.history import HistoryStore, RunStatus
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.sandbox import SandboxCanvas

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

School = Callable[[int], tuple[Path, Roster]]
PEOPLE = 200


def people_in_canvas(canvas: SandboxCanvas, roster: Roster) -> set[str]:
    return {sis for sis in roster.people if canvas.state.user_by_sis_id(sis) is not None}


def links_in_canvas(canvas: SandboxCanvas, roster: Roster) -> set[str]:
    state = canvas.state
    with state.lock:
        ids = {}
        for sis in roster.people:
            user = state.user_by_sis_id(sis)
            if user is not None:
                ids[sis] = user.id
        return {
            f"{link.parent_sis_id}→{link.student_sis_id}"
            for link in roster.links
            if link.parent_sis_id in ids
            and link.student_sis_id in ids
            and ids[link.student_sis_id] in state.observee_ids(ids[link.parent_sis_id])
        }


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_cancels_and_the_history_matches_canvas(
    connected: Connected, school: School, how: signal.Signals
) -> None:
    source, roster = school(PEOPLE)
    canvas = connected.canvas
    canvas.latency = 0.02
    proc = start_cli("sync", "school", "--source", str(source), "--approve-limits", "--json")
    try:
        wait_for(
            lambda: len(people_in_canvas(canvas, roster)) >= 40 or proc.poll() is not None,
            timeout=60,
            what="the sync to be writing",
        )
        assert proc.poll() is None, f"the sync ended first: {proc.communicate()}"
        proc.send_signal(how)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err[-2000:]
    assert "Cancelling" in err and "Traceback" not in err
    summary = json.loads(out)
    assert summary["status"] == "cancelled"

    # What the history says was written is exactly what Canvas holds, no more, no less.
    with HistoryStore(connected.paths.history_db) as history:
        (run,) = history.list_runs("school")
        outcomes = history.outcomes(run.id)
    assert run.status is RunStatus.CANCELLED
    done = {o.key for o in outcomes if o.status is OutcomeStatus.DONE}
    written = people_in_canvas(canvas, roster) | links_in_canvas(canvas, roster)
    assert done == written
    assert 40 <= len(written) < len(roster.people) + len(roster.links)
    assert run.counts["done"] == len(written) == summary["counts"]["done"]
    not_run = sum(1 for o in outcomes if o.status is OutcomeStatus.NOT_RUN)
    assert not_run == run.counts["not run"] > 0


def test_the_wrong_file_is_held_with_exit_3_and_runs_once_approved(
    connected: Connected, tmp_path: Path
) -> None:
    """Another school's export: nobody in it is among Northfield's 12 SIS IDs."""
    source = tmp_path / "other-school.csv"
    source.write_text(school_csv(50, prefix="X"), encoding="utf-8")
    held = cli("sync", "school", "--source", str(source), "--json")
    assert held.returncode == 3, held.stderr
    summary = json.loads(held.stdout)
    assert summary["status"] == "held"
    (breach,) = summary["limit_breaches"]
    assert "none of the 50 people in the roster (0%) matched Canvas by SIS ID" in breach
    assert "Is this the right file?" in breach
    assert connected.canvas.state.user_by_sis_id("XS00000") is None, "nothing written"

    approved = cli(
        "sync",
        "school",
        "--source",
        str(source),
        "--json",
        "--approve",
        summary["plan_fingerprint"],
    )
    assert approved.returncode == 0, approved.stderr
    assert connected.canvas.state.user_by_sis_id("XS00000") is not None
