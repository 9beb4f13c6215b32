"""Reports and SIS Imports are background jobs that take time, growing with their size,
as in Canvas (canvas-facts.md: "Plan around their latency"); the sandbox must not make
them free, or strategies that wait for them look better than they are."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from canvas_sandbox_helpers import wait_for

from canvas_wizard.sandbox.jobs import JobCost

USERS_HEADER = "user_id,login_id,full_name,email,status\n"


def _report(api, account_id: int = 1) -> tuple[float, list[int]]:
    """Seconds from the start to complete, and the progress values seen while running."""
    started = time.monotonic()
    body = api.post(
        f"/api/v1/accounts/{account_id}/reports/provisioning_csv",
        data={"parameters[users]": "true"},
    ).json()
    seen: list[int] = []

    def complete():
        now = api.get(f"/api/v1/accounts/{account_id}/reports/provisioning_csv/{body['id']}").json()
        if now["status"] == "running":
            seen.append(now["progress"])
        return now["status"] == "complete"

    wait_for(complete, timeout=30)
    return time.monotonic() - started, seen


def test_a_report_takes_its_base_time_plus_time_per_user(canvas, alex):
    users = len(canvas.state.users_in_account(1))
    canvas.report_cost = JobCost(0.3, 20.0)  # 20 ms a user: ~1 s for the seeded school
    expected = 0.3 + 0.02 * users
    took, seen = _report(alex)
    assert expected * 0.9 <= took <= expected + 1.5, (took, expected)
    # While it runs Canvas says so, with progress growing (not 0 then 100).
    assert any(0 < p < 100 for p in seen), seen
    assert seen == sorted(seen)


def test_a_smaller_account_gets_its_report_sooner(canvas, alex):
    root = len(canvas.state.users_in_account(1))
    sub = len(canvas.state.users_in_account(3))
    assert 0 < sub < root
    canvas.report_cost = JobCost(0.1, 40.0)
    took_root, _ = _report(alex, 1)
    took_sub, _ = _report(alex, 3)
    assert took_sub < took_root
    assert took_root - took_sub == pytest.approx(0.04 * (root - sub), abs=0.6)


def _zip_users(rows: int) -> bytes:
    lines = "".join(f"JT{n},jt{n},Job Tester {n},,active\n" for n in range(rows))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", USERS_HEADER + lines)
    return buffer.getvalue()


def _import(api, data: bytes) -> int:
    answer = api.post(
        "/api/v1/accounts/1/sis_imports",
        params={"import_type": "instructure_csv"},
        files={"attachment": ("sync.zip", data, "application/zip")},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def _state(api, import_id: int) -> str:
    return str(api.get(f"/api/v1/accounts/1/sis_imports/{import_id}").json()["workflow_state"])


def test_a_sis_import_takes_time_by_its_rows_and_abort_ends_it_early(canvas, alex):
    canvas.sis_import_cost = JobCost(0.2, 1000.0)  # 1 s a row
    started = time.monotonic()
    small = _import(alex, _zip_users(1))
    wait_for(lambda: _state(alex, small) == "imported", timeout=10)
    took = time.monotonic() - started
    assert 1.0 <= took <= 3.0, took

    big = _import(alex, _zip_users(30))  # would take 30 s
    time.sleep(0.5)
    assert _state(alex, big) in ("created", "importing")
    started = time.monotonic()
    assert alex.put(f"/api/v1/accounts/1/sis_imports/{big}/abort").status_code == 200
    wait_for(lambda: _state(alex, big) == "aborted", timeout=5)
    assert time.monotonic() - started < 3


def test_job_times_parse_from_the_command_line_form():
    assert JobCost.parse("5+1") == JobCost(5.0, 1.0)
    assert JobCost.parse("2.5") == JobCost(2.5, 0.0)
    assert JobCost.parse("5+1").seconds(2500) == pytest.approx(7.5)
    with pytest.raises(ValueError, match="SECONDS"):
        JobCost.parse("soon")
    with pytest.raises(ValueError, match="negative"):
        JobCost.parse("-1")
