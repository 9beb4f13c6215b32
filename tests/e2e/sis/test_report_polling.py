"""A report expected to take seconds is polled rarely while it surely runs, and often
near its end: a few requests, and its end seen soon (core/sync/snapshot_report.py)."""

from __future__ import annotations

import time

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.sync.snapshot import read_snapshot
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.jobs import JobCost


def test_an_expected_report_is_polled_a_few_times_and_seen_soon_after_it_ends(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    canvas.report_cost = JobCost(4.0, 0.0)
    before = canvas.request_counts()["GET"]
    started = time.monotonic()
    snapshot = read_snapshot(client, 1, 1, prefer_report=True, report_expected=4.0)
    took = time.monotonic() - started
    polls = canvas.request_counts()["GET"] - before - 1  # less the download
    assert snapshot.source == "report" and snapshot.people
    # Backing off from 50 ms to every 0.5 s would take 11 polls over 4 s.
    assert polls <= 7, polls
    assert took < 4.0 + 0.8, took  # seen done within one short poll of its end
