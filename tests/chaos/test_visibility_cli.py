"""`canvas-wizard sync --json` says how many linked students are enrolled in no course
(`links_not_visible`), in a real process against the sandbox; information, never a failure."""

from __future__ import annotations

import json
from pathlib import Path

from chaos_support import HEADER, Connected, cli

from canvas_wizard.core.sync.visibility import visibility_note

# The seeded Northfield family as Canvas holds it, plus a link Canvas lacks (P2002 → S1004).
EXPORT = HEADER + (
    "S1001,Ava Thompson,ava.thompson@students.northfield.example,ava.thompson,Student,P2001,\n"
    "S1002,Noah Williams,noah.williams@students.northfield.example,noah.williams,Student,P2001,\n"
    "S1003,Mia Johnson,mia.johnson@students.northfield.example,mia.johnson,Student,P2002,\n"
    "S1004,Oliver Brown,oliver.brown@students.northfield.example,oliver.brown,Student,P2002,\n"
    "P2001,Emma Thompson,emma.thompson@home.example,emma.thompson@home.example,Parent,,\n"
    "P2002,Daniel Johnson,daniel.johnson@home.example,daniel.johnson@home.example,Parent,,\n"
)


def test_sync_json_counts_linked_students_with_no_course_and_exits_0(
    connected: Connected, tmp_path: Path
) -> None:
    state = connected.canvas.state
    for sis in ("S1001", "S1003"):  # Noah (S1002) and Oliver (S1004) are enrolled nowhere
        user = state.user_by_sis_id(sis)
        assert user is not None
        state.enroll(user.id, 101)
    source = tmp_path / "export.csv"
    source.write_text(EXPORT, encoding="utf-8")

    preview = cli("sync", "school", "--source", str(source), "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    planned = json.loads(preview.stdout)
    assert planned["links_not_visible"] == 2
    assert visibility_note(4, 2, preview=True) in planned["notes"]

    report = tmp_path / "report.csv"
    done = cli("sync", "school", "--source", str(source), "--json", "--report", str(report))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "ok"
    assert summary["links_not_visible"] == 2
    assert visibility_note(4, 2, preview=False) in summary["notes"]
    assert ",no" in report.read_text(encoding="utf-8-sig")
    oliver = state.user_by_sis_id("S1004")
    daniel = state.user_by_sis_id("P2002")
    assert oliver is not None and daniel is not None
    assert oliver.id in state.observee_ids(daniel.id)  # the link was made all the same

    text = cli("sync", "school", "--source", str(source), "--dry-run")
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("2 of those students are not enrolled in any course yet") == 1
