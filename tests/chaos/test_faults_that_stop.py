"""Faults a sync cannot ride out: it stops (or fails the records) with a clear message,
writes nothing it should not, and the rerun after the fix converges.

Also throttle pressure and a mix of every retryable fault, which must converge in one run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from chaos_support import (
    Connected,
    assert_converged,
    assert_report_accounts_for_everything,
    canvas_fingerprint,
    cli,
    failed,
    statuses,
)

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.canvas import NotCanvasError
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.faults import Faults
from canvas_wizard.sandbox.throttle import ThrottleConfig

School = Callable[[int], tuple[Path, Roster]]
PEOPLE = 1000


def sis_ids_in_canvas(canvas: SandboxCanvas, roster: Roster) -> int:
    return sum(1 for sis in roster.people if canvas.state.user_by_sis_id(sis) is not None)


@pytest.mark.slow
def test_revoked_refresh_token_stops_with_exit_4_and_converges_after_sign_in(
    connected: Connected, school: School
) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    connected.canvas.faults = Faults(revoke_after_requests=400)

    stopped = cli("sync", "school", "--source", str(source), "--approve-limits", "--json")

    assert stopped.returncode == 4, stopped.stderr[-2000:]
    assert "Sign in to Canvas again" in stopped.stderr or "sign in" in stopped.stderr.lower()
    assert "Traceback" not in stopped.stderr
    written = sis_ids_in_canvas(connected.canvas, roster)
    assert 0 < written < PEOPLE, "it stopped part-way through"

    connected.sign_in_again()  # what `canvas-wizard authorize school` does
    again = cli("sync", "school", "--source", str(source), "--approve-limits", "--json")

    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["status"] == "ok"
    assert summary["counts"]["failed"] == 0
    assert summary["actions"]["create"] == PEOPLE - written
    assert_converged(connected.canvas, roster, untouched)
    history = json.loads(cli("history", "school", "--json").stdout)
    assert [h["status"] for h in history] == ["ok", "error"]
    assert "sign" in (history[1]["error"] or "").lower()


@pytest.mark.slow
def test_throttle_pressure_from_a_low_high_water_mark(school: School) -> None:
    # Three requests in flight fill the bucket (50 units reserved each).
    tight = ThrottleConfig(high_water_mark=150.0, outflow=1000.0)
    with SandboxCanvas(seed=True, throttle=tight) as canvas:
        from chaos_support import connect

        connected = connect(canvas)
        try:
            source, roster = school(PEOPLE)
            untouched = canvas_fingerprint(canvas, set(roster.people))
            outcome = connected.sync(source, roster=roster)
            assert outcome.status == "ok", failed(outcome)[:5]
            assert_report_accounts_for_everything(outcome, roster)
            assert_converged(canvas, roster, untouched)
            stats = outcome.result.stats
            assert stats is not None
            # The gate adapts to the budget instead of hammering into refusals.
            assert canvas.request_counts()["throttled"] <= stats.requests // 20
        finally:
            connected.secrets.forget_all(connected.profile)


@pytest.mark.slow
def test_a_proxy_page_instead_of_canvas_stops_the_read_and_names_it(
    connected: Connected, school: School
) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    connected.canvas.faults = Faults(proxy_page_rate=1.0, path_pattern=r"/users$|/reports/")
    before = connected.canvas.request_counts()

    with pytest.raises(NotCanvasError) as raised:
        connected.sync(source, roster=roster)

    assert "Access Denied - Web Filter" in raised.value.message
    assert "proxy" in raised.value.hint
    after = connected.canvas.request_counts()
    assert after["PUT"] == before["PUT"] and after["DELETE"] == before["DELETE"]
    assert sis_ids_in_canvas(connected.canvas, roster) == 0

    connected.canvas.faults = None
    outcome = connected.sync(source, roster=roster)
    assert outcome.status == "ok"
    assert_converged(connected.canvas, roster, untouched)


@pytest.mark.slow
def test_a_proxy_page_on_every_link_write_fails_those_records_naming_it(
    connected: Connected, school: School
) -> None:
    # Persistent: every attempt at a link answered by the proxy. The people are written,
    # the links fail naming the page, and once the proxy is gone the rerun finishes.
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    faults = Faults(proxy_page_rate=1.0, methods=frozenset({"PUT"}))
    faults.path_pattern = r"/observees/"
    connected.canvas.faults = faults

    first = connected.sync(source, roster=roster)

    assert first.status == "failed_records"
    assert_report_accounts_for_everything(first, roster)
    bad = [o for o in first.result.report.outcomes if o.status is OutcomeStatus.FAILED]
    assert bad and {o.record for o in bad} == {"link"}
    assert all('web page titled "Access Denied - Web Filter"' in o.message for o in bad)
    assert all("proxy" in o.message for o in bad)
    connected.canvas.faults = None
    second = connected.sync(source, roster=roster)
    assert second.status == "ok", failed(second)[:5]
    assert_converged(connected.canvas, roster, untouched)


@pytest.mark.slow
def test_sis_import_failed_with_messages(connected: Connected, school: School) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    message = "Invalid UTF-8 in users.csv"
    connected.canvas.faults = Faults(sis_import_failure=message)

    first = connected.sync(source, roster=roster, method="sis-import")

    (batch,) = connected.canvas.state.sis_imports.values()
    assert batch.workflow_state == "failed_with_messages"
    assert first.status == "failed_records"
    assert_report_accounts_for_everything(first, roster)
    outcomes = first.result.report.outcomes
    assert all(o.status is OutcomeStatus.FAILED for o in outcomes), statuses(first)
    people = [o for o in outcomes if o.record == "person"]
    assert all(message in o.message for o in people)
    assert sis_ids_in_canvas(connected.canvas, roster) == 0

    connected.canvas.faults = None
    second = connected.sync(source, roster=roster, method="sis-import")
    assert second.status == "ok", failed(second)[:5]
    assert_converged(connected.canvas, roster, untouched)


@pytest.mark.slow
def test_a_mix_of_every_retryable_fault_converges_in_one_run(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TokenManager, "REUSE_WINDOW", 0.5)  # see test_faults.py
    tight = ThrottleConfig(high_water_mark=200.0, outflow=1000.0)
    with SandboxCanvas(seed=True, throttle=tight) as canvas:
        from chaos_support import connect

        connected = connect(canvas)
        try:
            source, roster = school(PEOPLE)
            untouched = canvas_fingerprint(canvas, set(roster.people))
            canvas.faults = Faults(
                error_rate=0.02,
                reset_rate=0.01,
                stall_rate=0.003,
                stall_seconds=1.0,
                write_then_fail_rate=0.02,
                expire_tokens_every=1.5,
                path_pattern=r"^(?!.*/reports/provisioning_csv$)",
            )
            outcome = connected.sync(source, roster=roster, timeout=0.4)
            kinds = set(canvas.faults.stats.injected)
            assert {"reset", "stall", "write_then_fail", "token_expiry"} <= kinds
            assert outcome.status == "ok", failed(outcome)[:5]
            assert_report_accounts_for_everything(outcome, roster)
            assert_converged(canvas, roster, untouched)
        finally:
            connected.secrets.forget_all(connected.profile)


def test_a_5xx_when_starting_the_provisioning_report_is_retried(
    connected: Connected, school: School
) -> None:
    source, roster = school(50)
    connected.canvas.faults = Faults(
        error_rate=1.0, error_statuses=(503,), max_faults=1, path_pattern=r"/provisioning_csv$"
    )
    outcome = connected.sync(source, roster=roster)
    assert outcome.status == "ok"
