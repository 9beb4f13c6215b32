"""`canvas-wizard sync` and `canvas-wizard history`: the sync engine for scripts and schedules.

Exit status: 0 success; 1 finished with failed records or conflicts (or cancelled);
2 usage or input error (nothing written); 3 held by a safety limit (nothing
written); 4 sign-in needed (run ``canvas-wizard authorize NAME``); 5 syncing is
paused (nothing read or written; ``canvas-wizard resume NAME``).
Progress goes to stderr: one line per phase change and the counts every few seconds.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from canvas_wizard.core.errors import UsageError, WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.roster import RosterFormat
from canvas_wizard.core.roster.sds import parse_observer_roles
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.core.sync import ActionKind, Plan, SyncOptions
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus, Phase, Progress
from canvas_wizard.core.sync.report import PROBLEMS_CAP, write_report_csv
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome, SyncRequest

EXIT_BY_STATUS = {
    "ok": 0,
    "failed_records": 1,
    "cancelled": 1,
    "input_error": 2,
    "held": 3,
    "paused": 5,
}
EXIT_HELD = 3
EXIT_PAUSED = 5


def add_sync_commands(sub: Any) -> None:
    sync = sub.add_parser("sync", help="make Canvas match the roster (preview with --dry-run)")
    sync.add_argument("name")
    sync.add_argument("--source", required=True, metavar="PATH", help="the roster export")
    sync.add_argument(
        "--format", choices=["auto", *[f.value for f in RosterFormat]], default="auto"
    )
    sync.add_argument(
        "--sds-observer-roles",
        metavar="ROLES",
        help="School Data Sync exports: the relationshipRoles that make a parent link "
        "(comma-separated; default: App → Settings, parent,guardian,relative)",
    )
    sync.add_argument(
        "--oneroster-sis-id",
        choices=["sourcedId", "identifier"],
        default="sourcedId",
        help="OneRoster exports: the column that holds the SIS ID (default sourcedId)",
    )
    sync.add_argument(
        "--integration-id",
        action="store_true",
        help="give new logins the roster's second identifier as their integration_id "
        "(OneRoster sourcedId when the SIS ID is the identifier)",
    )
    sync.add_argument("--dry-run", action="store_true", help="plan and report; write nothing")
    sync.add_argument(
        "--method",
        choices=["api", "sis-import", "auto"],
        default="api",
        help="how to write: the Canvas API (default), a SIS Import (root accounts), or auto: "
        "whichever is quicker for this run (the summary says which and why)",
    )
    sync.add_argument(
        "--approve-limits",
        action="store_true",
        help="approve this run although it goes over a safety limit (after reviewing a --dry-run)",
    )
    sync.add_argument(
        "--approve",
        metavar="FINGERPRINT",
        help="approve only the plan a --dry-run showed with this fingerprint (safest for "
        "a held run: if the plan changed since, it is held again)",
    )
    sync.add_argument(
        "--suspend-missing",
        action="store_true",
        help="suspend Canvas people with an SIS ID who are no longer in the roster",
    )
    sync.add_argument(
        "--adopt",
        action="store_true",
        help="take over Canvas users who clearly are a roster person but lack its SIS ID "
        "(self-registered parents, SIS IDs written differently); API method only",
    )
    sync.add_argument(
        "--skip-bad-rows", action="store_true", help="sync the good rows when some rows have errors"
    )
    sync.add_argument("--json", action="store_true", help="print a summary object on stdout")
    sync.add_argument("--report", metavar="FILE.csv", help="write every record's outcome here")
    sync.add_argument(
        "--scheduled",
        action="store_true",
        help="mark the run as scheduled in the history (the scheduled entry adds this)",
    )
    sync.add_argument(
        "--even-if-paused",
        action="store_true",
        help="sync once although syncing is paused (see: canvas-wizard pause)",
    )
    hist = sub.add_parser("history", help="list past sync runs")
    hist.add_argument("name")
    hist.add_argument("--json", action="store_true")
    hist.add_argument("--limit", type=int, default=50)


class _ProgressPrinter:
    """One line per phase change, and the counts at most every ``interval`` seconds."""

    def __init__(self, err: TextIO, interval: float = 3.0) -> None:
        self.err = err
        self.interval = interval
        self._lock = threading.Lock()
        self._phase: Phase | None = None
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:  # called from worker threads
        with self._lock:
            now = time.monotonic()
            if progress.phase != self._phase:
                self._phase = progress.phase
                self._last = now
                print(f"[{progress.phase.value}] {progress.activity}", file=self.err, flush=True)
            elif now - self._last >= self.interval:
                self._last = now
                counts = ", ".join(f"{k} {v}" for k, v in progress.counts.items() if v)
                total = f"/{progress.total}" if progress.total else ""
                print(
                    f"[{progress.phase.value}] {progress.done}{total} {counts}".rstrip(),
                    file=self.err,
                    flush=True,
                )


def run_sync_command(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    profile = ProfileStore(paths).get(args.name)
    try:
        observer_roles = (
            parse_observer_roles(args.sds_observer_roles) if args.sds_observer_roles else None
        )
    except ValueError as exc:
        raise UsageError(
            f"--sds-observer-roles: {exc}.",
            hint="For example: --sds-observer-roles parent,guardian",
        ) from None
    request = SyncRequest(
        source=Path(args.source),
        format=None if args.format == "auto" else RosterFormat(args.format),
        sds_observer_roles=observer_roles,
        sis_id_field=args.oneroster_sis_id,
        method=args.method,
        dry_run=args.dry_run,
        approve=args.approve or args.approve_limits,
        options=SyncOptions(
            suspend_missing=args.suspend_missing,
            pass_integration_id=args.integration_id,
            adopt=args.adopt,
        ),
        skip_bad_rows=args.skip_bad_rows,
        trigger="scheduled" if args.scheduled else "manual",
        even_if_paused=args.even_if_paused,
    )
    if args.approve_limits and not args.approve and not args.dry_run:
        print(
            "Note: --approve-limits approves whatever this run plans. To approve only the plan "
            "you reviewed, use --approve FINGERPRINT from its --dry-run.",
            file=sys.stderr,
        )
    secrets = SecretStore(session_only=args.session_only)
    sync = ProfileSync(paths, secrets, profile)
    try:
        outcome = _run_in_foreground(sync, request)
    except WizardError:
        if args.scheduled:
            _email_summary(paths, secrets, profile, None)
        raise
    finally:
        sync.close()
    if args.scheduled:
        _email_summary(paths, secrets, profile, outcome.run_id)
    report = outcome.result.report
    report_error = None
    if args.report:
        try:
            write_report_csv(report, Path(args.report))
        except OSError as exc:
            # Canvas was written and the history has the run: say what is missing, and
            # still print the summary (the scheduled task's only other record).
            report_error = (
                f"Could not write the report {args.report}: {exc.strerror or exc}. Free some "
                "space or choose another --report folder; this run's records are in the "
                f"history (canvas-wizard history {args.name})."
            )
            print(report_error, file=sys.stderr)
    _print_result(
        outcome,
        out,
        as_json=args.json,
        report_path=None if report_error else args.report,
        report_error=report_error,
    )
    # The engine's status already counts failed records and conflicts: one truth.
    return EXIT_BY_STATUS.get(outcome.status, 1)


def _email_summary(
    paths: AppPaths, secrets: SecretStore, profile: Profile, run_id: int | None
) -> None:
    from canvas_wizard.core.schedule.notify import notify_scheduled_run

    problem = notify_scheduled_run(paths, secrets, profile, run_id)
    if problem:
        print(f"Warning: {problem}", file=sys.stderr)


def _run_in_foreground(sync: ProfileSync, request: SyncRequest) -> SyncOutcome:
    """Runs the sync on a worker thread so Ctrl-C or SIGTERM can cancel it cleanly.

    Either signal cancels the run as the app's Cancel does: requests in flight
    finish, every record written is recorded, and the run ends "cancelled" (exit 1)
    instead of dying half-recorded. A scheduler that stops a task sends SIGTERM.
    """
    cancel = CancelToken()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = sync.run(request, progress=_ProgressPrinter(sys.stderr), cancel=cancel)
        except BaseException as exc:
            box["error"] = exc

    def stop(signum: int, _frame: object = None) -> None:
        if not cancel.cancelled:
            name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
            print(
                f"Cancelling ({name}): letting the requests in flight finish, then recording "
                "what was written…",
                file=sys.stderr,
                flush=True,
            )
        cancel.cancel()

    worker = threading.Thread(target=work, name="sync", daemon=True)
    # Handlers rather than catching KeyboardInterrupt: with Ctrl-C raised inside
    # Thread.join, the loop saw the worker as finished before it had its result
    # (tests/chaos/test_stopping.py caught it), and the run's end went unreported.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    error = box.get("error")
    if isinstance(error, BaseException):
        raise error
    outcome: SyncOutcome = box["result"]
    return outcome


def _print_result(
    outcome: SyncOutcome,
    out: TextIO,
    *,
    as_json: bool,
    report_path: str | None,
    report_error: str | None = None,
) -> None:
    result, run_id = outcome.result, outcome.run_id
    report = result.report
    warning = outcome.match.format_warning if outcome.match else ""
    # Roster warnings (a bad email, a parent without email or linked to no student…): the
    # people are synced, but the technician should see them, here as in the app's list.
    roster_warnings = [str(p) for p in result.roster.warnings] if result.roster else []
    if as_json:
        problems, problems_total = report.problems()
        summary = {
            "status": result.status,
            "run_id": run_id,
            "dry_run": report.dry_run,
            "method": report.method,
            "method_requested": report.method_requested or report.method,
            "method_reason": report.method_reason,
            "read_with": report.read_with,
            "message": result.message,
            "counts": report.counts_by_status(),
            "actions": report.counts_by_action(),
            "problems": problems,
            "problems_total": problems_total,
            "skipped_rows": report.skipped_rows[:PROBLEMS_CAP],
            "roster_warnings": roster_warnings[:PROBLEMS_CAP],
            "roster_warnings_total": len(roster_warnings),
            "limit_breaches": [str(b) for b in result.breaches],
            "notes": list(report.notes),
            "plan_fingerprint": result.plan.fingerprint() if result.plan else None,
            "report": report_path,
            "report_error": report_error,
            "history_error": outcome.history_error,
            "match": None
            if outcome.match is None
            else {
                "roster_people": outcome.match.roster_people,
                "found_in_canvas": outcome.match.matched,
                "warning": warning,
            },
            "staff_parent_links": _staff_parent_links(result.plan),
            # Linked students enrolled in no course (their parents see nothing yet);
            # information only, never a failure. None: not checked (roster problems, stopped).
            "links_not_visible": report.links_not_visible,
            # HTTP requests per phase ("read Canvas", "plan", "apply", "verify", ...).
            "phase_requests": dict(report.phase_requests),
        }
        json.dump(summary, out, indent=2)
        out.write("\n")
        return
    print(result.message, file=out)
    for note in report.notes:
        print(f"Note: {note}", file=out)
    if outcome.match is not None:
        m = outcome.match
        print(
            f"Found in Canvas by SIS ID: {m.matched} of {m.roster_people} roster people.", file=out
        )
    if warning:
        print(f"Warning: {warning}", file=sys.stderr)
    by_status = ", ".join(f"{k} {v}" for k, v in report.counts_by_status().items() if v)
    print(f"Records: {by_status or 'none'}", file=out)
    for breach in result.breaches:
        print(f"Safety limit: {breach}", file=out)
    if report.skipped_rows and result.status != "input_error":
        for row in report.skipped_rows[:PROBLEMS_CAP]:
            print(f"Left out: {row}", file=out)
    for text in roster_warnings[:PROBLEMS_CAP]:
        print(f"Roster warning: {text}", file=out)
    if len(roster_warnings) > PROBLEMS_CAP:
        print(f"… and {len(roster_warnings) - PROBLEMS_CAP} more roster warnings.", file=out)
    for record in report.outcomes:
        if record.status in (OutcomeStatus.FAILED, OutcomeStatus.CONFLICT):
            print(f"{record.status.value}: {record.key} {record.name}: {record.message}", file=out)
    if result.status == "paused":
        print(
            "Resume with: canvas-wizard resume NAME, or sync once with --even-if-paused.", file=out
        )
    if result.status == "held" and result.plan is not None:
        print(
            "Nothing was written. Review the plan (--dry-run --report FILE.csv), then approve "
            f"exactly this plan with: --approve {result.plan.fingerprint()}",
            file=out,
        )


def _staff_parent_links(plan: Plan | None) -> dict[str, int]:
    """Links to staff members who are parents: how many, and how many wait for Canvas."""
    staff = [a for a in plan.links if a.staff_parent] if plan is not None else []
    waiting = sum(1 for a in staff if a.kind is ActionKind.SKIP and a.parent_canvas_id is None)
    return {"total": len(staff), "staff_not_in_canvas": waiting}


def run_history_command(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    ProfileStore(paths).get(args.name)  # a clear error for a mistyped name
    if not paths.history_db.exists():
        runs = []
    else:
        with HistoryStore(paths.history_db) as history:
            history.mark_interrupted(args.name)
            runs = history.list_runs(args.name, limit=args.limit)
    if args.json:
        json.dump(
            [
                {
                    "id": r.id,
                    "started_at": str(r.started_at),
                    "finished_at": str(r.finished_at) if r.finished_at else None,
                    "status": r.status,
                    "method": r.method,
                    "dry_run": r.dry_run,
                    "who": r.who,
                    "source": r.source,
                    "counts": r.counts,
                    "approved": r.approved,
                    "error": r.error,
                    "trigger": r.trigger.value,
                    "undo_of": r.undo_of,
                }
                for r in runs
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return 0
    if not runs:
        print(f"No sync runs yet for {args.name!r}.", file=out)
    for r in runs:
        kind = "preview" if r.dry_run else "sync"
        if r.undo_of:
            kind += f" (undo of run {r.undo_of})"
        line = f"#{r.id}\t{r.started_at}\t{kind}\t{r.method}\t{r.status}\t{r.who}\t{r.trigger}"
        print(line, file=out)
    return 0


__all__ = [
    "EXIT_HELD",
    "WizardError",
    "add_sync_commands",
    "run_history_command",
    "run_sync_command",
]
