"""What one sync did, for the run history and for the admin's spreadsheet.

:func:`write_report_csv` writes UTF-8 with a BOM (so Excel opens it as UTF-8)
and neutralises any cell that a spreadsheet would run as a formula: a roster is
outside data, and a name like ``=HYPERLINK(...)`` must stay text.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome

#: How many records ``problems`` lists at most (``problems_total`` has them all).
PROBLEMS_CAP = 200
_PROBLEM_STATUSES = (OutcomeStatus.FAILED, OutcomeStatus.CONFLICT, OutcomeStatus.SKIPPED)
#: A run's status (engine and history) in a technician's words, for the app and the log.
STATUS_WORDS = {
    "ok": "ok",
    "failed_records": "finished with problems",
    "held": "held by a safety limit (nothing written)",
    "cancelled": "cancelled",
    "input_error": "roster problems (nothing written)",
    "error": "stopped by an error",
    "interrupted": "interrupted",
    "running": "running",
}

CSV_COLUMNS = [
    "record",
    "action",
    "key",
    "name",
    "status",
    "message",
    "canvas_id",
    # Link rows: "no" when the student is enrolled in no course (the parent sees nothing
    # yet), "yes" otherwise; blank for people, and when it was not checked.
    "parent_sees_courses",
]
# OWASP "CSV injection": these lead characters start a formula in Excel/LibreOffice.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class SyncReport:
    run_id: str
    started: datetime
    finished: datetime | None = None
    method: str = "api"  # "api" | "sis_import" | any applier's name
    options: dict[str, str] = field(default_factory=dict)  # a readable summary
    outcomes: list[RecordOutcome] = field(default_factory=list)
    approval: str = ""  # "" | "not needed" | "approved <fingerprint>"
    cancelled: bool = False
    dry_run: bool = False
    limit_breaches: list[str] = field(default_factory=list)
    skipped_rows: list[str] = field(default_factory=list)  # roster rows left out, and why
    notes: list[str] = field(default_factory=list)
    #: Observer visibility (core/sync/visibility.py); None when not checked.
    links_in_place: int | None = None
    #: How many linked students are enrolled in no course: their parents see nothing yet.
    links_not_visible: int | None = None
    not_visible: set[str] = field(default_factory=set)  # those links' keys
    #: What the admin asked for ("auto", "api", "sis-import"); ``method`` is what ran.
    method_requested: str = ""
    #: Why ``method`` was chosen, when the app chose it ("auto"): one sentence.
    method_reason: str = ""
    #: How Canvas was read: "report" (the provisioning report) or "api" (page by page).
    read_with: str = ""
    #: Canvas's background jobs this run waited for, timed (the history learns from them).
    job_timings: list[Any] = field(default_factory=list)
    #: HTTP requests sent in each phase (keys: outcome.Phase values, "read Canvas",
    #: "apply", "verify", ...; retries included), from the client's RequestStats.
    phase_requests: dict[str, int] = field(default_factory=dict)

    def parent_sees(self, o: RecordOutcome) -> str:
        """The report's "parent_sees_courses" cell for ``o``."""
        if o.record != "link" or self.links_not_visible is None:
            return ""
        if o.action.value not in ("link", "unchanged"):
            return ""
        if o.status not in (OutcomeStatus.DONE, OutcomeStatus.UNCHANGED, OutcomeStatus.NOT_RUN):
            return ""
        return "no" if o.key in self.not_visible else "yes"

    def counts_by_status(self) -> dict[str, int]:
        counts = Counter(o.status for o in self.outcomes)
        return {status.value: counts[status] for status in OutcomeStatus}

    def counts_by_action(self) -> dict[str, int]:
        counts = Counter(o.action.value for o in self.outcomes)
        return dict(sorted(counts.items()))

    def failed(self) -> list[RecordOutcome]:
        return [o for o in self.outcomes if o.status is OutcomeStatus.FAILED]

    def problems(self, cap: int = PROBLEMS_CAP) -> tuple[list[dict[str, Any]], int]:
        """The records that need the admin (conflict, failed, skipped), at most ``cap``,
        failed first; and how many there are in all. The ``sync --json`` contract."""
        order = {status: i for i, status in enumerate(_PROBLEM_STATUSES)}
        picked = sorted(
            (o for o in self.outcomes if o.status in order), key=lambda o: order[o.status]
        )
        return [_problem(o) for o in picked[:cap]], len(picked)


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def _problem(o: RecordOutcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"record": o.record, "sis_id": None}
    if o.record == "link":
        parent, _, student = o.key.partition("→")
        entry |= {"parent_sis_id": parent, "student_sis_id": student}
    else:
        entry["sis_id"] = o.key
    return entry | {"status": o.status.value, "message": o.message}


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a formula lead gets a quote before it."""
    return "'" + cell if cell.startswith(_FORMULA_LEADS) else cell


def write_report_csv(report: SyncReport, path: Path) -> None:
    """Every outcome of ``report`` as one CSV row (columns: :data:`CSV_COLUMNS`)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for o in report.outcomes:
            cells = [
                o.record,
                o.action.value,
                o.key,
                o.name,
                o.status.value,
                o.message,
                "" if o.canvas_id is None else str(o.canvas_id),
                report.parent_sees(o),
            ]
            writer.writerow([neutralise(c) for c in cells])
