"""The cost model that picks how to read and write Canvas (core/sync/costs.py)."""

from __future__ import annotations

import pytest

from canvas_wizard.core.sync.costs import (
    REPORT,
    SIS_IMPORT,
    JobTiming,
    account_size,
    choose_read,
    choose_write,
    job_seconds,
)


def test_an_unlearned_job_takes_five_seconds_and_one_more_per_thousand():
    estimate = job_seconds(REPORT, 2_000, [])
    assert estimate.seconds == pytest.approx(7.0)
    assert "assumed" in estimate.why


def test_a_job_estimate_learns_from_this_canvas_being_slower():
    # This Canvas took 3× the model twice, and once (an outlier) 1×: the median is 3×.
    timings = [
        JobTiming(REPORT, 1_000, 18.0),
        JobTiming(REPORT, 1_000, 6.0),
        JobTiming(REPORT, 2_000, 21.0),
    ]
    estimate = job_seconds(REPORT, 4_000, timings)
    assert estimate.seconds == pytest.approx(27.0)
    assert "last 3 reports" in estimate.why


def test_without_timings_of_its_own_a_job_learns_from_the_other_kind():
    # Reports and SIS Imports queue on the same Canvas job servers.
    fast = [JobTiming(REPORT, 1_000, 0.6)]
    assert job_seconds(SIS_IMPORT, 1_000, fast).seconds == pytest.approx(0.6)


def _read(**kw):
    base = dict(
        account_users=370,
        logins_to_read=370,
        links_to_read=220,
        lookups=0,
        latency=0.06,
        report_users=370,
        timings=[],
    )
    return choose_read(**(base | kw))


def test_a_small_school_near_canvas_reads_page_by_page():
    # 4 pages + 590 reads / 11 at 60 ms ≈ 3.5 s against a 5.4 s report.
    choice = _read()
    assert not choice.by_report
    assert "page by page" in choice.note().split(":")[0]


def test_a_large_school_reads_by_report():
    choice = _read(
        account_users=5_000, logins_to_read=5_000, links_to_read=3_000, report_users=5_000
    )
    assert choice.by_report
    assert choice.note().startswith("Canvas was read with the provisioning report")


def test_a_small_roster_in_a_district_reads_page_by_page_when_its_report_is_slow():
    # The district's report lists 60,000 users; the roster is 40 people in a sub-account.
    choice = _read(
        account_users=400,
        logins_to_read=40,
        links_to_read=20,
        lookups=20,
        report_users=60_000,
        sub_account_pages=4,
    )
    assert not choice.by_report
    assert "60,000 users" in choice.note()


def test_the_account_size_comes_from_its_last_report():
    timings = [JobTiming(REPORT, 9_000, 14.0, account_id=1), JobTiming(REPORT, 300, 5.0, 7)]
    assert account_size(1, timings, fallback=500) == 9_000
    assert account_size(7, timings, fallback=500) == 500  # never less than the roster
    assert account_size(2, timings, fallback=500) == 500


def test_a_large_initial_sync_is_written_by_sis_import_and_a_small_change_by_the_api():
    big = choose_write(writes=9_000, import_rows=9_000, latency=0.1, timings=[])
    assert big.sis_import and big.method == "sis-import"
    assert big.reason().startswith("Fastest for this run: a SIS Import")
    small = choose_write(writes=90, import_rows=90, latency=0.1, timings=[])
    assert not small.sis_import and small.method == "api"
    assert "Canvas API" in small.reason() and "90 write(s)" in small.reason()


def test_about_as_quick_the_report_wins_for_its_far_fewer_requests():
    # 250 people in a sub-account: ~6.9 s page by page (8 reads in flight) against a
    # 6.3 s report of the root: the report, and the note says why.
    choice = _read(
        account_users=250,
        logins_to_read=250,
        links_to_read=150,
        lookups=150,
        latency=0.1,
        report_users=250,
        sub_account_pages=3,
    )
    assert choice.by_report
    assert choice.report.seconds > choice.pages.seconds * 0.8
    # Slower by more than a quarter, the report loses.
    assert not _read(latency=0.1, account_users=250, logins_to_read=60, links_to_read=0).by_report
