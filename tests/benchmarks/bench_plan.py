"""Item 4: planning at district scale — parse the roster, read the snapshot, plan; peak memory.

Run as its own process (``python bench_plan.py prepare|measure ...``) so that the
peak resident memory it reports is planning's, not the benchmark's:

* ``prepare DIR --students N --parents M --links L`` writes the district's
  Cloudwork export (after a 1 % change) and the provisioning report Canvas would
  give for the district as synced yesterday (users.csv + user_observers.csv);
* ``measure DIR`` reads them exactly as the app does and prints JSON figures.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import resource
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from school import change_school, generate_school

from canvas_wizard.sandbox.reports import OBSERVER_COLUMNS, USER_COLUMNS

ROSTER = "district.csv"
USERS = "provisioning_users.csv"
OBSERVERS = "provisioning_observers.csv"


def prepare(directory: Path, students: int, parents: int, links: int) -> dict[str, Any]:
    directory.mkdir(parents=True, exist_ok=True)
    synced = generate_school(students, parents, links)
    today, changes = change_school(synced, 0.01)
    today.write_csv(directory / ROSTER)
    ids: dict[str, int] = {}
    with (directory / USERS).open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(USER_COLUMNS)
        for n, p in enumerate(synced.people, start=1000):
            ids[p.sis_id] = n
            first, _, last = p.full_name.partition(" ")
            out.writerow(
                [
                    n,
                    p.sis_id,
                    "",
                    "",
                    p.username,
                    first,
                    last,
                    p.full_name,
                    f"{last}, {first}",
                    p.full_name,
                    p.email,
                    "active",
                    "true",
                ]
            )
    with (directory / OBSERVERS).open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(OBSERVER_COLUMNS)
        for parent, student in synced.links:
            out.writerow([ids[parent], parent, ids[student], student, "active", "false"])
    return {
        "people": len(today.people),
        "links": len(today.links),
        "changed_records": changes.records,
        "roster_bytes": (directory / ROSTER).stat().st_size,
    }


def _zipped(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(directory / USERS, "users.csv")
        archive.write(directory / OBSERVERS, "user_observers.csv")
    return buffer.getvalue()


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(directory: Path) -> dict[str, Any]:
    """Parse, read the report into a Snapshot, plan: each timed, as the app does them."""
    from canvas_wizard.core.roster import read_roster
    from canvas_wizard.core.sync.model import SyncOptions
    from canvas_wizard.core.sync.plan import plan_sync
    from canvas_wizard.core.sync.snapshot import _csv_files, snapshot_from_report

    gc.collect()
    base_rss = peak_rss_mb()
    start = time.perf_counter()
    roster = read_roster(directory / ROSTER)
    parse_s = time.perf_counter() - start

    # The report arrives as one zip; the app reads it with snapshot.py's own helper.
    download = _zipped(directory)
    start = time.perf_counter()
    files = _csv_files(download)
    snapshot = snapshot_from_report(1, 1, files["users"], files["user_observers"])
    del files, download
    snapshot_s = time.perf_counter() - start

    start = time.perf_counter()
    plan = plan_sync(roster, snapshot, SyncOptions())
    plan_s = time.perf_counter() - start
    return {
        "people": len(roster.people),
        "links": len(roster.links),
        "roster_errors": len(roster.errors),
        "parse_s": round(parse_s, 2),
        "snapshot_from_report_s": round(snapshot_s, 2),
        "plan_s": round(plan_s, 2),
        "planned_writes": plan.writes(),
        "peak_rss_mb": peak_rss_mb(),
        "rss_after_imports_mb": base_rss,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=("prepare", "measure"))
    parser.add_argument("directory", type=Path)
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--parents", type=int, default=40_000)
    parser.add_argument("--links", type=int, default=150_000)
    args = parser.parse_args(argv)
    if args.step == "prepare":
        figures = prepare(args.directory, args.students, args.parents, args.links)
    else:
        figures = measure(args.directory)
    json.dump(figures, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
