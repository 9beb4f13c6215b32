"""`canvas-wizard schedule`, `pause` and `resume`: unattended syncing from the OS's scheduler.

Exit status: 0 done; 1 the scheduler refused, or `schedule test` found the
scheduled command cannot reach the keyring, the file or Canvas; 2 usage or
input error (nothing was changed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.manage import Schedules, ScheduleStatus, TrialRun
from canvas_wizard.core.schedule.pause import PauseStore, parse_until
from canvas_wizard.core.schedule.spec import format_days, parse_at, parse_days
from canvas_wizard.core.store import ProfileStore

ACTIONS = ("show", "remove", "test")


def add_schedule_commands(sub: Any) -> None:
    sched = sub.add_parser(
        "schedule",
        help="sync unattended with the OS's scheduler: schedule NAME --source PATH --at HH:MM; "
        "schedule show|remove|test NAME",
        description="schedule NAME --source PATH --at HH:MM [--days mon-fri] "
        "[--method api|sis-import|auto] creates (or replaces) the entry; "
        "schedule show NAME [--json]; schedule remove NAME; schedule test NAME.",
    )
    sched.add_argument("target", nargs="+", metavar="[show|remove|test] NAME")
    sched.add_argument("--source", metavar="PATH", help="the export file, at a fixed path")
    sched.add_argument("--at", metavar="HH:MM", help="time of day (24 h, this computer's time)")
    sched.add_argument("--days", default="mon-fri", help="mon-fri (default), daily, mon,wed,fri")
    sched.add_argument("--method", choices=["api", "sis-import", "auto"], default="auto")
    sched.add_argument("--suspend-missing", action="store_true")
    sched.add_argument("--json", action="store_true")
    pause = sub.add_parser("pause", help="pause syncing (scheduled and manual syncs write nothing)")
    pause.add_argument("name")
    pause.add_argument("--until", metavar="YYYY-MM-DD", help="resume by itself on this day")
    pause.add_argument("--reason", default="", help="shown wherever the pause is shown")
    sub.add_parser("resume", help="resume syncing after a pause").add_argument("name")


def run_schedule_command(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    if args.command == "pause":
        return _pause(args, paths, out)
    if args.command == "resume":
        return _resume(args, paths, out)
    target: list[str] = args.target
    if len(target) == 2 and target[0] in ACTIONS:
        action, name = target
    elif len(target) == 1:
        action, name = "create", target[0]
    else:
        raise UsageError(
            f"Did not understand “schedule {' '.join(target)}”.",
            hint="Use: schedule NAME --source PATH --at HH:MM, or schedule show|remove|test NAME.",
        )
    schedules = Schedules(paths)
    if action == "create":
        return _create(args, schedules, name, out)
    if action == "show":
        status = schedules.require(name)
        _show(status, paths, out, as_json=args.json)
        return 0
    if action == "remove":
        removed = schedules.remove(name)
        if removed is None:
            print(f"{name!r} had no scheduled sync; nothing to remove.", file=out)
        else:
            where = removed.entry.location if removed.entry else "the scheduler"
            print(f"Removed the scheduled sync of {removed.spec.profile!r} from {where}.", file=out)
        return 0
    return _test(schedules, name, out, as_json=args.json)


def _create(args: argparse.Namespace, schedules: Schedules, name: str, out: TextIO) -> int:
    if not args.source or not args.at:
        raise UsageError(
            "A schedule needs the export file and a time.",
            hint=f"For example: canvas-wizard schedule {name} --source /srv/cloudwork.csv --at 06:30",
        )
    status, held = schedules.create(
        name,
        source=Path(args.source).expanduser(),
        at=parse_at(args.at),
        days=parse_days(args.days),
        method=args.method,
        suspend_missing=args.suspend_missing,
    )
    spec, entry = status.spec, status.entry
    assert entry is not None
    if args.json:
        json.dump(_status_json(status, schedules.paths), out, indent=2)
        out.write("\n")
        return 0
    print(f"Scheduled: sync {spec.profile!r} {spec.describe()} ({spec.method}).", file=out)
    print(f"The export holds {held} now.", file=out)
    print(f"Created a {entry.kind_label} in {entry.location}.", file=out)
    print(f"Try it from the scheduler's environment: canvas-wizard schedule test {name}", file=out)
    return 0


def _status_json(status: ScheduleStatus, paths: AppPaths) -> dict[str, Any]:
    spec, entry = status.spec, status.entry
    pause = PauseStore(paths).get(spec.profile)
    return {
        "name": spec.profile,
        "source": str(spec.source),
        "at": spec.at.strftime("%H:%M"),
        "days": format_days(spec.days),
        "method": spec.method,
        "suspend_missing": spec.suspend_missing,
        "command": spec.command(),
        "output_log": str(spec.output_log) if spec.output_log else None,
        "installed": entry is not None,
        "kind": entry.kind if entry else None,
        "location": entry.location if entry else None,
        "entry": entry.text if entry else None,
        "paused": pause.to_json() if pause else None,
    }


def _show(status: ScheduleStatus, paths: AppPaths, out: TextIO, *, as_json: bool) -> None:
    data = _status_json(status, paths)
    if as_json:
        json.dump(data, out, indent=2)
        out.write("\n")
        return
    spec = status.spec
    print(f"{spec.profile}: sync {spec.describe()} from {spec.source} ({spec.method})", file=out)
    if status.entry is None:
        print(
            "Warning: the scheduler's entry is missing (removed by hand?). Create it again "
            f"with: canvas-wizard schedule {spec.profile} --source ... --at ...",
            file=out,
        )
    else:
        print(f"Entry: {status.entry.kind_label} in {status.entry.location}", file=out)
        print(status.entry.text.rstrip(), file=out)
    pause = PauseStore(paths).get(spec.profile)
    if pause is not None:
        print(pause.describe(), file=out)


def _test(schedules: Schedules, name: str, out: TextIO, *, as_json: bool) -> int:
    trial = schedules.try_run(name)
    if as_json:
        json.dump(_trial_json(trial), out, indent=2)
        out.write("\n")
        return 0 if trial.ok else 1
    print(
        "Ran the scheduled command once as a preview (writes nothing), with no terminal and "
        f"only {', '.join(trial.variables)} set:",
        file=out,
    )
    for label, result in (
        ("the export file", trial.source),
        ("the keyring", trial.keyring),
        ("Canvas", trial.canvas),
    ):
        word = {True: "reachable", False: "NOT reachable", None: "not reached"}[result]
        print(f"  {label}: {word}", file=out)
    print(trial.message, file=out)
    if trial.ok:
        print("The scheduled sync can run from there.", file=out)
    else:
        print(
            "The scheduled sync would fail the same way. Fix the above, then test again.",
            file=out,
        )
    return 0 if trial.ok else 1


def _trial_json(trial: TrialRun) -> dict[str, Any]:
    return {
        "ok": trial.ok,
        "exit_status": trial.exit_status,
        "keyring": trial.keyring,
        "source": trial.source,
        "canvas": trial.canvas,
        "message": trial.message,
        "command": trial.command,
        "variables": trial.variables,
    }


def _pause(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    profile = ProfileStore(paths).get(args.name)
    until = parse_until(args.until) if args.until else None
    pause = PauseStore(paths).pause(profile.name, until=until, reason=args.reason)
    print(pause.describe(), file=out)
    print(
        "Scheduled and manual syncs write nothing and end with exit status 5 until then "
        f"(canvas-wizard resume {profile.name}; or sync once with --even-if-paused).",
        file=out,
    )
    return 0


def _resume(args: argparse.Namespace, paths: AppPaths, out: TextIO) -> int:
    profile = ProfileStore(paths).get(args.name)
    if PauseStore(paths).resume(profile.name):
        print(f"Syncing of {profile.name!r} is resumed.", file=out)
    else:
        print(f"Syncing of {profile.name!r} was not paused.", file=out)
    return 0
