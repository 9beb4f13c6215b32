"""The report CSV: opens in Excel as UTF-8, and no cell runs as a formula."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from canvas_wizard.core.sync import ActionKind
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.sync.report import CSV_COLUMNS, SyncReport, neutralise, write_report_csv


def _report(*outcomes: RecordOutcome) -> SyncReport:
    return SyncReport(run_id="r1", started=datetime.now(UTC), outcomes=list(outcomes))


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_leads_are_neutralised(lead: str) -> None:
    assert neutralise(f"{lead}cmd") == f"'{lead}cmd"


def test_plain_cells_are_left_alone() -> None:
    assert neutralise("Zoë O'Brien") == "Zoë O'Brien"
    assert neutralise("") == ""


def test_csv_has_bom_columns_and_neutralised_cells(tmp_path: Path) -> None:
    evil = RecordOutcome(
        "person",
        ActionKind.CREATE,
        "S1",
        OutcomeStatus.DONE,
        "-2+3",
        canvas_id=42,
        name='=HYPERLINK("http://x","Zoë")',
    )
    plain = RecordOutcome("link", ActionKind.LINK, "P1→S1", OutcomeStatus.FAILED, "refused")
    path = tmp_path / "report.csv"

    write_report_csv(_report(evil, plain), path)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == CSV_COLUMNS
    assert rows[1] == [
        "person",
        "create",
        "S1",
        '\'=HYPERLINK("http://x","Zoë")',
        "done",
        "'-2+3",
        "42",
        "",  # parent_sees_courses: people never have one
    ]
    # Visibility not checked: the cell stays blank rather than guessing.
    assert rows[2] == ["link", "link", "P1→S1", "", "failed", "refused", "", ""]


def test_counts_by_status_and_action() -> None:
    report = _report(
        RecordOutcome("person", ActionKind.CREATE, "S1", OutcomeStatus.DONE),
        RecordOutcome("person", ActionKind.CREATE, "S2", OutcomeStatus.FAILED),
        RecordOutcome("link", ActionKind.LINK, "P→S", OutcomeStatus.DONE),
    )
    assert report.counts_by_status()["done"] == 2
    assert report.counts_by_status()["failed"] == 1
    assert report.counts_by_status()["not run"] == 0
    assert report.counts_by_action() == {"create": 2, "link": 1}
    assert [o.key for o in report.failed()] == ["S2"]


def test_problems_name_each_record_failed_first_and_are_capped_with_the_total() -> None:
    outcomes = [
        RecordOutcome("person", ActionKind.CREATE, f"S{i}", OutcomeStatus.DONE) for i in range(5)
    ]
    outcomes += [
        RecordOutcome("person", ActionKind.CONFLICT, f"C{i}", OutcomeStatus.CONFLICT, "taken")
        for i in range(250)
    ]
    outcomes.append(
        RecordOutcome("link", ActionKind.LINK, "P1→S1", OutcomeStatus.FAILED, "Canvas said no")
    )
    report = SyncReport(run_id="r", started=datetime.now(UTC), outcomes=outcomes)
    problems, total = report.problems()
    assert total == 251 and len(problems) == 200
    assert problems[0] == {
        "record": "link",
        "sis_id": None,
        "parent_sis_id": "P1",
        "student_sis_id": "S1",
        "status": "failed",
        "message": "Canvas said no",
    }
    assert problems[1] == {
        "record": "person",
        "sis_id": "C0",
        "status": "conflict",
        "message": "taken",
    }
