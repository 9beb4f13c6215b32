"""The result screen says what parents will see, and lists the links whose student is
enrolled in no course (a real preview of the sample export against the sandbox)."""

from __future__ import annotations

from pathlib import Path

from canvas_wizard.core.sync.service import ProfileSync, SyncRequest
from canvas_wizard.core.sync.visibility import EXPLANATION
from canvas_wizard.sandbox.seed import seed_enrolments
from canvas_wizard.ui.sync.plan_table import PlanView
from canvas_wizard.ui.sync.progress_view import ProgressView
from canvas_wizard.ui.sync.results_table import NOT_VISIBLE

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-cloudwork-export.csv"


def test_the_result_screen_says_and_lists_what_parents_will_not_see(qtbot, connected) -> None:
    seed_enrolments(connected.sandbox.state)  # the demo school's courses
    sync = ProfileSync(connected.store.paths, connected.secrets, connected.profile)
    try:
        outcome = sync.run(SyncRequest(source=SAMPLE, dry_run=True))
    finally:
        sync.close()
    report = outcome.result.report
    assert report.links_not_visible, "the sample has students no course holds yet"
    view = ProgressView()
    qtbot.addWidget(view)

    view.show_outcome(outcome)

    text = view.status.text()
    assert f"{report.links_not_visible} of those students are not enrolled" in text
    assert view.status.toolTip() == EXPLANATION  # the longer sentence, on hovering
    combo = view.results.status_combo
    entry = combo.findData(NOT_VISIBLE)
    assert entry >= 0 and combo.itemText(entry).startswith("Parent sees nothing yet (")
    view.results.show_not_visible()
    shown = view.results.visible_outcomes()
    assert shown and all(o.record == "link" for o in shown)
    assert {o.key for o in shown} == report.not_visible
    students = {o.key.split("→")[1] for o in shown}
    assert len(students) == report.links_not_visible
    # Noah Williams (S1002) is linked and enrolled nowhere; Ava (S1001) has a course.
    assert "S1002" in students and "S1001" not in students


def test_the_preview_says_it_explains_it_and_filters_those_links(qtbot, connected) -> None:
    seed_enrolments(connected.sandbox.state)
    sync = ProfileSync(connected.store.paths, connected.secrets, connected.profile)
    try:
        outcome = sync.run(SyncRequest(source=SAMPLE, dry_run=True))
    finally:
        sync.close()
    plan = outcome.result.plan
    assert plan is not None and plan.not_visible == outcome.result.report.not_visible
    view = PlanView()
    qtbot.addWidget(view)

    view.set_plan(plan)

    notes = view.notes_label.text()
    assert "of those students are not enrolled in any course yet" in notes
    assert view.notes_label.toolTip() == EXPLANATION
    entry = view.action_filter.findData(NOT_VISIBLE)
    assert (
        view.action_filter.itemText(entry) == f"Parent sees nothing yet ({len(plan.not_visible)})"
    )
    view.action_filter.setCurrentIndex(entry)
    rows = [view.model.row(r) for r in range(view.model.rowCount())]
    assert {r.sis_id for r in rows} == plan.not_visible
    assert all(r.record == "link" for r in rows)
