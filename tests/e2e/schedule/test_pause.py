"""Pausing a profile: a sync (scheduled or by hand) writes nothing, says "paused", exits 5,
and leaves a "paused" line in the history; resume, or --even-if-paused, syncs again."""

from __future__ import annotations

import json
from datetime import date, timedelta

from schedule_support import Setup, cli


def _canvas_sis_ids(setup: Setup) -> set[str]:
    state = setup.canvas.state
    with state.lock:
        return {lg.sis_user_id for lg in state.logins.values() if lg.sis_user_id}


def test_a_paused_profile_syncs_nothing_and_exits_5(setup: Setup) -> None:
    until = (date.today() + timedelta(days=40)).isoformat()
    paused = cli("pause", "school", "--until", until, "--reason", "summer rollover")
    assert paused.returncode == 0, paused.stderr
    assert f"until {until} (summer rollover)" in paused.stdout

    shown = json.loads(cli("profile", "show", "school", "--json").stdout)
    assert shown["paused"]["until"] == until
    assert shown["paused"]["reason"] == "summer rollover"

    before = setup.canvas.request_counts()
    run = cli(
        "sync",
        "school",
        "--source",
        str(setup.export),
        "--approve-limits",
        "--scheduled",
        "--json",
    )
    assert run.returncode == 5, run.stderr
    summary = json.loads(run.stdout)
    assert summary["status"] == "paused"
    assert "Syncing is paused" in summary["message"] and "summer rollover" in summary["message"]
    assert summary["counts"] == {} or not any(summary["counts"].values())
    assert setup.canvas.request_counts() == before, "Canvas was not even asked"
    assert "Q1001" not in _canvas_sis_ids(setup)

    history = json.loads(cli("history", "school", "--json").stdout)
    assert history[0]["status"] == "paused"
    assert history[0]["trigger"] == "scheduled"
    assert "summer rollover" in history[0]["error"]

    by_hand = cli("sync", "school", "--source", str(setup.export), "--approve-limits")
    assert by_hand.returncode == 5
    assert "Syncing is paused" in by_hand.stdout and "canvas-wizard resume" in by_hand.stdout
    assert json.loads(cli("history", "school", "--json").stdout)[0]["trigger"] == "manual"

    preview = cli("sync", "school", "--source", str(setup.export), "--dry-run", "--json")
    # A preview writes nothing, so a pause does not stop it: it plans as usual (the create
    # limit may hold this one, exit 3, since it creates people into a populated account).
    planned = json.loads(preview.stdout)
    assert preview.returncode in (0, 3) and planned["status"] in ("ok", "held"), preview.stderr
    assert planned["actions"].get("create", 0) > 0
    assert "Q1001" not in _canvas_sis_ids(setup)


def test_even_if_paused_syncs_once_and_resume_lifts_the_pause(setup: Setup) -> None:
    assert cli("pause", "school").returncode == 0
    once = cli(
        "sync",
        "school",
        "--source",
        str(setup.export),
        "--approve-limits",
        "--even-if-paused",
        "--json",
    )
    assert once.returncode == 0, once.stderr
    assert json.loads(once.stdout)["status"] == "ok"
    assert {"Q1001", "Q2001"} <= _canvas_sis_ids(setup)
    assert json.loads(cli("profile", "show", "school", "--json").stdout)["paused"] is not None

    resumed = cli("resume", "school")
    assert resumed.returncode == 0 and "resumed" in resumed.stdout
    assert json.loads(cli("status", "school", "--json").stdout)["paused"] is None
    again = cli("sync", "school", "--source", str(setup.export), "--approve-limits", "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["status"] == "ok"


def test_a_pause_until_a_past_day_is_refused(setup: Setup) -> None:
    refused = cli("pause", "school", "--until", "2020-01-01")
    assert refused.returncode == 2
    assert "not in the future" in refused.stderr
    assert json.loads(cli("profile", "show", "school", "--json").stdout)["paused"] is None
    bad = cli("pause", "school", "--until", "next week")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
