"""Which way of reading and writing Canvas is quickest for this run, in estimated seconds.

Two choices hang on it:

* **How to read Canvas.** Page by page costs one request per 100 listed users (one
  after another: each page names the next) plus one per person whose logins are read
  and one per parent whose links are read, :data:`IN_FLIGHT` at a time. A provisioning
  report costs a few requests however large the school, but Canvas runs it as a
  background job that takes seconds for a small school and minutes for a district
  (canvas-facts.md). So a large roster reads by report, a small resync in a big
  district page by page.
* **How to write** (``--method auto``). The API writes :data:`IN_FLIGHT` records at a
  time; a SIS Import uploads one file and waits for Canvas's job.

Job times are learned: each report and SIS Import a run waits for is kept in the
history (profile, kind, size, seconds; store/history_jobs.py). An estimate scales
:data:`DEFAULT_JOB` (5 s + 1 s per 1,000, the benchmark's assumption) by how much
slower or faster this profile's Canvas was than that, the median of the latest few
runs: a district whose reports queue behind others learns to read by pages sooner.

Latency is the mean time of the run's first requests (the permission check), so a
school far from its Canvas, or a slow Canvas, is seen as such.

Every estimate is a figure with its reason, for the report's notes: the admin sees
which way was chosen and why.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

#: Requests in flight the throttle allows on an empty bucket (canvas-facts.md Throttling:
#: about 11–12 at the up-front cost of 50 under the high-water mark of 600).
IN_FLIGHT = 11
#: Reads in flight on the paged path (snapshot.READ_WORKERS).
READ_IN_FLIGHT = 8
#: A report is chosen unless pages are quicker by more than this: for about the same time
#: it costs a handful of requests instead of one per person (the school's rate budget).
REPORT_PREFERENCE = 1.25
PAGE_SIZE = 100
#: Seconds per request when nothing was measured yet (a hosted Canvas, seen from a school).
DEFAULT_LATENCY = 0.15
#: A job's wait is seen by polling: about one poll interval is lost on average.
POLL_SLACK = 0.5
#: Latest timings the estimate learns from.
LEARN_FROM = 5

REPORT = "report"
SIS_IMPORT = "sis_import"


@dataclass(frozen=True)
class JobCost:
    """Seconds a Canvas background job takes: ``base`` + ``per_1000`` per 1,000 of size."""

    base: float
    per_1000: float

    def seconds(self, size: int) -> float:
        return self.base + self.per_1000 * max(0, size) / 1000


#: Until a profile has its own timings: what the benchmark assumes (README, Performance).
DEFAULT_JOB = JobCost(5.0, 1.0)


@dataclass(frozen=True)
class JobTiming:
    """One job a run waited for: ``kind`` (report / sis_import), its size, its seconds."""

    kind: str
    size: int
    seconds: float
    account_id: int = 0


@dataclass(frozen=True)
class Estimate:
    seconds: float
    why: str


def job_seconds(kind: str, size: int, timings: list[JobTiming]) -> Estimate:
    """How long a ``kind`` job of ``size`` should take, learned from ``timings`` (newest first)."""
    usable = [t for t in timings if t.seconds > 0]
    # Without timings of its own kind, the other kind's: both queue on Canvas's job servers.
    mine = [t for t in usable if t.kind == kind][:LEARN_FROM] or usable[:LEARN_FROM]
    model = DEFAULT_JOB.seconds(size)
    if not mine:
        return Estimate(model, "no earlier timing yet, so 5 s plus 1 s per 1,000 is assumed")
    factor = statistics.median(t.seconds / DEFAULT_JOB.seconds(t.size) for t in mine)
    return Estimate(
        model * factor, f"learned from this setup's last {len(mine)} {_kind_words(kind, mine)}"
    )


def _kind_words(kind: str, mine: list[JobTiming]) -> str:
    kinds = {t.kind for t in mine}
    if len(kinds) > 1:
        return "reports and SIS Imports"
    word = "report" if kinds == {REPORT} else "SIS Import"
    return word + ("s" if len(mine) > 1 else "")


def account_size(account_id: int, timings: list[JobTiming], fallback: int) -> int:
    """Users in the account as its last report listed them, or ``fallback`` (the roster)."""
    for t in timings:
        if t.kind == REPORT and t.account_id == account_id:
            return max(t.size, fallback)
    return fallback


@dataclass(frozen=True)
class ReadChoice:
    by_report: bool
    pages: Estimate
    report: Estimate

    def note(self) -> str:
        chosen, other = (self.report, self.pages) if self.by_report else (self.pages, self.report)
        how = "with the provisioning report" if self.by_report else "page by page"
        not_how = "page by page" if self.by_report else "with the provisioning report"
        close = (
            " (about as quick, with far fewer requests)" if chosen.seconds > other.seconds else ""
        )
        return (
            f"Canvas was read {how}: about {_secs(chosen.seconds)} ({chosen.why}), against "
            f"{_secs(other.seconds)} {not_how} ({other.why}){close}."
        )


def choose_read(
    *,
    account_users: int,
    logins_to_read: int,
    links_to_read: int,
    lookups: int,
    latency: float,
    report_users: int,
    timings: list[JobTiming],
    sub_account_pages: int = 0,
) -> ReadChoice:
    """Pages or report for this run.

    ``account_users``: users the account's list pages through; ``logins_to_read`` /
    ``links_to_read`` / ``lookups``: per-person requests on the paged path;
    ``report_users``: the users the report lists (on a sub-account, the root's);
    ``sub_account_pages``: list pages the report path reads too (a sub-account's list).
    """
    pages = max(1, math.ceil(account_users / PAGE_SIZE))
    per_person = logins_to_read + links_to_read + lookups
    paged = pages * latency + per_person * latency / READ_IN_FLIGHT
    paged_why = f"{pages} page(s) and {per_person:,} per-person read(s) at {_ms(latency)}"
    job = job_seconds(REPORT, report_users, timings)
    # Starting, polling and downloading: a few requests, plus the sub-account's list.
    report = job.seconds + POLL_SLACK + (3 + sub_account_pages) * latency
    report_why = f"{report_users:,} users; {job.why}"
    by_report = report <= paged * REPORT_PREFERENCE
    return ReadChoice(by_report, Estimate(paged, paged_why), Estimate(report, report_why))


@dataclass(frozen=True)
class WriteChoice:
    sis_import: bool
    api: Estimate
    import_: Estimate

    @property
    def method(self) -> str:
        return "sis-import" if self.sis_import else "api"

    def reason(self) -> str:
        if self.sis_import:
            return (
                f"Fastest for this run: a SIS Import, about {_secs(self.import_.seconds)} "
                f"({self.import_.why}), against {_secs(self.api.seconds)} through the Canvas "
                f"API ({self.api.why})."
            )
        return (
            f"Fastest for this run: the Canvas API, about {_secs(self.api.seconds)} "
            f"({self.api.why}), against {_secs(self.import_.seconds)} for a SIS Import "
            f"({self.import_.why})."
        )


def api_write_seconds(writes: int, latency: float) -> Estimate:
    seconds = writes * latency / IN_FLIGHT
    return Estimate(seconds, f"{writes:,} write(s), {IN_FLIGHT} at a time at {_ms(latency)}")


def choose_write(
    *, writes: int, import_rows: int, latency: float, timings: list[JobTiming]
) -> WriteChoice:
    """API or SIS Import for a plan of ``writes`` records (``import_rows`` in the files).

    A SIS Import is checked afterwards by reading back what it wrote (one request a
    record, :data:`IN_FLIGHT` at a time, or one report for many), the API mostly from
    Canvas's own answers: that is part of the import's cost.
    """
    api = api_write_seconds(writes, latency)
    job = job_seconds(SIS_IMPORT, import_rows, timings)
    check = min(writes * latency / IN_FLIGHT, job_seconds(REPORT, writes, timings).seconds)
    upload = 3 * latency + POLL_SLACK
    imported = Estimate(
        job.seconds + upload + check, f"{import_rows:,} row(s); {job.why}; then a check"
    )
    return WriteChoice(imported.seconds < api.seconds, api, imported)


def _secs(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _ms(latency: float) -> str:
    return f"{latency * 1000:.0f} ms a request"


__all__ = [
    "DEFAULT_JOB",
    "IN_FLIGHT",
    "REPORT",
    "SIS_IMPORT",
    "Estimate",
    "JobCost",
    "JobTiming",
    "ReadChoice",
    "WriteChoice",
    "account_size",
    "api_write_seconds",
    "choose_read",
    "choose_write",
    "job_seconds",
]
