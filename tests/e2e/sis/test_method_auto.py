"""``method="auto"``: a large initial sync on a root account goes by SIS Import, a small
change through the API, and the run says which it chose and why (core/sync/costs.py)."""

from __future__ import annotations

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.roster import Link, Person, Role, Roster
from canvas_wizard.core.sync.costs import REPORT, SIS_IMPORT, JobTiming
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.model import SyncOptions
from canvas_wizard.sandbox import SandboxCanvas

# What this fast sandbox's report took last time (the history hands it to the run).
LEARNED = [JobTiming(REPORT, 30, 0.08, 1)]


def _school(families: int, renamed: str = "") -> Roster:
    people: list[Person] = []
    links: set[Link] = set()
    for n in range(families):
        name = renamed if (renamed and n == 0) else f"Student {n}"
        people.append(Person(f"AS{n}", name, f"auto.s{n}", Role.STUDENT, f"s{n}@x.example"))
        people.append(
            Person(f"AP{n}", f"Parent {n}", f"p{n}@x.example", Role.PARENT, f"p{n}@x.example")
        )
        links.add(Link(f"AP{n}", f"AS{n}"))
    return Roster(format="cloudwork", people={p.sis_id: p for p in people}, links=links)


def _run(client: CanvasClient, roster: Roster, **kw: object):
    return SyncRun(
        roster,
        client,
        1,
        1,
        method="auto",
        prefer_report="auto",
        job_timings=LEARNED,
        approve_limits=True,
        options=SyncOptions(),
        **kw,  # type: ignore[arg-type]
    ).run()


def test_auto_writes_a_large_initial_sync_by_sis_import_and_a_small_change_by_api(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    canvas.latency = 0.03  # API writes cost real time, as over any network
    first = _run(client, _school(150))
    assert first.status == "ok", first.message
    report = first.report
    assert (report.method_requested, report.method) == ("auto", "sis-import")
    assert report.read_with == "report"  # a SIS Import needs the deleted logins it shows
    assert report.method_reason.startswith("Fastest for this run: a SIS Import")
    assert report.method_reason in report.notes  # the preview and the summary show it
    assert {t.kind for t in report.job_timings} == {REPORT, SIS_IMPORT}
    assert canvas.state.user_by_sis_id("AS149") is not None

    second = _run(client, _school(150, renamed="Student Zero"))
    assert second.status == "ok", second.message
    assert (second.report.method_requested, second.report.method) == ("auto", "api")
    assert "the Canvas API" in second.report.method_reason
    assert canvas.state.user_by_sis_id("AS0").name == "Student Zero"


def test_a_preview_says_which_method_auto_would_use(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    canvas.latency = 0.03
    preview = _run(client, _school(150), dry_run=True)
    assert preview.report.method == "sis-import"
    assert any(n.startswith("Fastest for this run: a SIS Import") for n in preview.report.notes)
    assert canvas.state.user_by_sis_id("AS0") is None  # a preview writes nothing


def test_auto_on_a_sub_account_uses_the_api_and_says_why(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    result = SyncRun(
        _school(3), client, 3, 1, method="auto", approve_limits=True, dry_run=True
    ).run()
    assert result.report.method == "api"
    assert "SIS Imports run only on a root account" in result.report.method_reason
