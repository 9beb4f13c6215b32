"""The SIS ID match rate shown before a first sync."""

from __future__ import annotations

from canvas_wizard.core.roster.model import Person, Role, Roster
from canvas_wizard.core.sync.match import match_report
from canvas_wizard.core.sync.model import CanvasLogin, CanvasPerson, Snapshot


def _roster(*ids: str) -> Roster:
    roster = Roster(format="cloudwork")
    for i, sis in enumerate(ids):
        roster.people[sis] = Person(sis, f"Person {i}", f"user{i}", Role.STUDENT)
    return roster


def _snapshot(*ids: str) -> Snapshot:
    people = {
        n: CanvasPerson(
            n, f"P{n}", None, (CanvasLogin(n, f"u{n}", sis, "active", 1),), "registered"
        )
        for n, sis in enumerate(ids, start=1)
    }
    return Snapshot(account_id=1, root_account_id=1, people=people)


def test_exact_matches_are_counted():
    report = match_report(_roster("S1", "S2", "S3"), _snapshot("S1", "S2", "T9"))
    assert (report.matched, report.roster_people, report.canvas_sis_ids) == (2, 3, 3)
    assert report.format_warning == ""


def test_leading_zeros_are_named_as_a_format_difference():
    report = match_report(_roster("01001", "01002"), _snapshot("1001", "1002"))
    assert report.matched == 0
    assert report.near_misses == [("01001", "1001"), ("01002", "1002")]
    assert 'roster "01001" and Canvas "1001"' in report.format_warning


def test_low_match_with_many_canvas_ids_warns():
    canvas = [f"C{n}" for n in range(20)]
    report = match_report(_roster(*[f"S{n}" for n in range(10)]), _snapshot(*canvas))
    assert report.share == 0
    assert "may differ" in report.format_warning


def test_a_new_canvas_with_few_ids_does_not_warn():
    report = match_report(_roster("S1", "S2"), _snapshot("T1"))
    assert report.format_warning == ""


def test_a_first_sync_into_a_canvas_with_a_few_ids_does_not_warn():
    """The demo: 71 roster people, 14 SIS IDs in Canvas, 12 of them matching."""
    roster = _roster(*[f"S{n}" for n in range(71)])
    report = match_report(roster, _snapshot(*[f"S{n}" for n in range(12)], "T1", "T2"))
    assert report.matched == 12
    assert report.format_warning == ""
