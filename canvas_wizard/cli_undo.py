"""`canvas-wizard undo NAME RUN_ID`: put Canvas back the way a run found it.

Exit statuses as for ``sync``: 0 undone (or previewed); 1 finished with failed
records or conflicts (or cancelled); 2 usage error, e.g. a run id that does not
exist or belongs to another setup (nothing written); 3 held by a safety limit
(nothing written); 4 sign-in needed. ``--json`` prints what ``sync --json`` prints,
plus ``"undo_of": RUN_ID``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from canvas_wizard.cli_sync import EXIT_BY_STATUS, _print_result, _ProgressPrinter
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.store import ProfileStore, SecretStore
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus
from canvas_wizard.core.sync.report import write_report_csv
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome
from canvas_wizard.core.undo.service import undo


def add_undo_command(sub: Any) -> None:
    cmd = sub.add_parser(
        "undo", help="put Canvas back the way a sync run found it (preview with --dry-run)"
    )
    cmd.add_argument("name")
    cmd.add_argument("run_id", type=int, metavar="RUN_ID", help="the run's number in `history`")
    cmd.add_argument("--dry-run", action="store_true", help="plan and report; write nothing")
    cmd.add_argument(
        "--approve-limits",
        action="store_true",
        help="approve this undo although it goes over a safety limit",
    )
    cmd.add_argument(
        "--approve",
        metavar="FINGERPRINT",
        help="approve only the undo plan a --dry-run showed with this fingerprint",
    )
    cmd.add_argument("--json", action="store_true", help="print a summary object on stdout")
    cmd.add_argument("--report", metavar="FILE.csv", help="write every record's outcome here")


def run_undo_command(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    profile = ProfileStore(paths).get(args.name)
    sync = ProfileSync(paths, SecretStore(session_only=args.session_only), profile)
    try:
        outcome = _run_in_foreground(
            sync, args.run_id, dry_run=args.dry_run, approve=args.approve or args.approve_limits
        )
    finally:
        sync.close()
    report = outcome.result.report
    if args.report:
        write_report_csv(report, Path(args.report))
    if args.json:
        buffer = io.StringIO()
        _print_result(outcome, buffer, as_json=True, report_path=args.report)
        summary = json.loads(buffer.getvalue())
        summary["undo_of"] = args.run_id
        json.dump(summary, out, indent=2)
        out.write("\n")
    else:
        print(f"Undo of run {args.run_id} (recorded as run {outcome.run_id}).", file=out)
        _print_result(outcome, out, as_json=False, report_path=args.report)
    status = EXIT_BY_STATUS.get(outcome.status, 1)
    if status == 0 and any(
        o.status in (OutcomeStatus.FAILED, OutcomeStatus.CONFLICT) for o in report.outcomes
    ):
        status = 1
    return status


def _run_in_foreground(
    sync: ProfileSync, run_id: int, *, dry_run: bool, approve: bool | str
) -> SyncOutcome:
    """Runs the undo on a worker thread so Ctrl-C can cancel it cleanly."""
    cancel = CancelToken()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = undo(
                sync,
                run_id,
                dry_run=dry_run,
                approve=approve,
                progress=_ProgressPrinter(sys.stderr),
                cancel=cancel,
            )
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, name="undo", daemon=True)
    worker.start()
    while worker.is_alive():
        try:
            worker.join(0.2)
        except KeyboardInterrupt:
            print("Cancelling: letting the requests in flight finish…", file=sys.stderr)
            cancel.cancel()
    error = box.get("error")
    if isinstance(error, BaseException):
        raise error
    outcome: SyncOutcome = box["result"]
    return outcome
