"""The benchmark (tests/benchmarks/run.py) at tiny sizes, so it cannot rot unnoticed.

The real benchmark is run on purpose (``.venv/bin/python tests/benchmarks/run.py``);
here every item runs once at the ``--smoke`` sizes with the sandbox in-process
and no latency, and the figures it reports are checked for what they must say
whatever the machine: nothing failed, an unchanged resync writes nothing, a 1 %
change writes exactly the changed records, the window shows, the core has no Qt.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_items import SMOKE  # noqa: E402
from bench_targets import render  # noqa: E402
from school import change_school, generate_school, synced_snapshot  # noqa: E402

from canvas_wizard.core.sync.model import SyncOptions  # noqa: E402
from canvas_wizard.core.sync.plan import plan_sync  # noqa: E402
from canvas_wizard.core.sync.snapshot import _csv_files, snapshot_from_report  # noqa: E402


def _load_run() -> ModuleType:
    # By path: a module called plain "run" on sys.path could shadow or be shadowed.
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path: Path, *items: str) -> dict[str, Any]:
    out = tmp_path / "latest.json"
    results: dict[str, Any] = _load_run().run(SMOKE, list(items), out, quiet=True)
    assert json.loads(out.read_text(encoding="utf-8"))["sizes"] == "smoke"
    assert render(results)  # the table renders from what was measured
    return results


def _target(results: dict[str, Any], what: str) -> dict[str, Any]:
    return next(t for t in results["targets"] if t["what"].startswith(what))


def test_generated_school_has_the_asked_sizes_and_every_parent_has_a_child() -> None:
    school = generate_school(20, 30, 40)
    assert len(school.students) == 20 and len(school.parents) == 30
    assert len(set(school.links)) == len(school.links) == 40
    assert {p for p, _ in school.links} == {p.sis_id for p in school.parents}
    roster = school.roster()
    assert len(roster.people) == 50 and len(roster.links) == 40


def test_a_one_percent_change_plans_exactly_the_changed_records() -> None:
    school = generate_school(200, 300, 400)
    today, changes = change_school(school, 0.01)
    plan = plan_sync(today.roster(), synced_snapshot(school), SyncOptions())
    assert changes.records == 10
    assert plan.writes() == changes.records
    assert plan_sync(school.roster(), synced_snapshot(school), SyncOptions()).writes() == 0


def test_sync_items_report_a_clean_sync_and_exact_resyncs(tmp_path: Path) -> None:
    results = _run(tmp_path, "sync")
    sync = results["sync"]
    initial = sync["initial_api"]
    assert initial["status"] == "ok" and initial["records_failed"] == 0
    assert initial["writes"] == initial["planned_writes"] == 90  # 50 people + 40 links
    assert initial["holdings_after"] == {"sis_logins": 50, "links": 40}
    assert sync["initial_api_concurrency_1"]["records_failed"] == 0
    assert sync["initial_api_concurrency_1"]["writes"] == 90  # the sample, scaled back up
    assert sync["initial_sis_import"]["status"] == "ok"
    assert sync["initial_sis_import"]["records_failed"] == 0
    assert sync["resync_unchanged"]["writes"] == 0
    assert sync["resync_unchanged_sub_account"]["writes"] == 0
    assert sync["resync_unchanged_sub_account"]["status"] == "ok"
    assert _target(results, "resync 1 % changed")["met"] is True
    assert sync["resync_changed"]["writes"] == sync["resync_changed"]["changed_records"] == 10
    # --method auto: ran, wrote everything, and its target row compares it with the others.
    auto = sync["initial_auto"]
    assert auto["status"] == "ok" and auto["method"] in ("api", "sis-import")
    assert auto["method_reason"].startswith("Fastest for this run")
    assert _target(results, "--method auto")["figure"].endswith(f"({auto['method']})")
    assert sync["resync_unchanged_sub_account_pages"]["writes"] == 0
    assert sync["resync_unchanged_sub_account_pages"]["read_with"] == "api"
    for row in ("resync unchanged, sub-account", "resync 1 % changed: time", "verify requests"):
        assert _target(results, row)  # every target of the issue has its row


def test_small_school_item_compares_with_a_one_call_at_a_time_script(tmp_path: Path) -> None:
    results = _run(tmp_path, "small")
    small = results["small"]
    assert small["ours"]["status"] == "ok" and small["ours"]["records_failed"] == 0
    # The script makes a lookup and a create per person and a call per link.
    assert small["script"]["requests"] == 2 * 22 + 15
    assert _target(results, "370 people")["figure"].startswith("1/")


def test_planning_item_reads_and_plans_the_district(tmp_path: Path) -> None:
    plan = _run(tmp_path, "plan")["plan"]
    assert plan["roster_errors"] == 0
    assert plan["people"] == 501 and plan["links"] == 752
    assert plan["planned_writes"] == plan["changed_records"]
    assert plan["peak_rss_mb"] > 0


@pytest.mark.slow
def test_ui_and_startup_items_see_the_real_window(tmp_path: Path) -> None:
    results = _run(tmp_path, "ui", "startup")
    ui = results["ui"]
    assert ui["status"] == "ok" and ui["records_failed"] == 0
    assert ui["window"].startswith("MainWindow"), ui["fallback_reason"]
    assert ui["ticks"] > 0 and ui["progress_signals"] > 0
    startup = results["startup"]
    assert startup["first_window"]  # the demo's wizard was exposed
    assert startup["qt_modules_loaded_by_core"] == []
    assert startup["core_modules_imported"] > 20


def test_report_rows_are_streamed_and_a_header_only_file_is_still_recognised() -> None:
    users = "canvas_user_id,user_id,login_id,full_name,email,status\n"
    users += "7,S1,ava,Ava T,ava@x.example,active\n8,P1,pat@x.example,Pat T,pat@x.example,active\n"
    observers = "canvas_observer_id,observer_id,canvas_student_id,student_id,status\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", users)
        archive.writestr("user_observers.csv", observers)
    files = _csv_files(buffer.getvalue())
    assert set(files) == {"users", "user_observers"}  # found by header, rows or not
    assert iter(files["users"]) is files["users"]  # read as the snapshot is built
    snapshot = snapshot_from_report(1, 1, files["users"], files["user_observers"])
    assert sorted(snapshot.by_sis_id) == ["P1", "S1"]
    assert snapshot.links == set()
