"""A sync into a sub-account, where Canvas associates API-created people with the root only.

``POST /api/v1/accounts/:sub/users`` makes the login in the root account, and the
new user is not listed by ``GET /accounts/:sub/users`` until enrolled there —
parents usually never are (users_controller.rb ``create``; user_account_associations
come from logins and enrolments). The sync must still find them, by SIS ID in the root.
"""

from __future__ import annotations

from sync_support import (
    SignIn,
    reports_on_the_sub_account_only,
    seeded_roster,
    with_new_family,
    writes,
)

from canvas_wizard.core.sync import ActionKind
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.model import Snapshot
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.snapshot import read_snapshot
from canvas_wizard.sandbox import SandboxCanvas

PRIMARY = 2


def test_people_created_in_a_sub_account_are_confirmed_and_not_created_again(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    client = sign_in()
    roster = with_new_family(seeded_roster())

    first = run_sync(roster, client, PRIMARY, 1)

    assert first.status == "ok", first.message
    created = {o.key: o.status for o in first.report.outcomes if o.action is ActionKind.CREATE}
    # The seeded parents live in the root: found by SIS ID, not created again.
    assert created == {"S1101": OutcomeStatus.DONE, "P2101": OutcomeStatus.DONE}
    omar = canvas.state.user_by_sis_id("P2101")
    assert omar is not None
    # As in Canvas: the new parent is not listed in the sub-account.
    assert omar.id not in {u.id for u in canvas.state.users_in_account(PRIMARY)}
    before = canvas.request_counts()

    again = run_sync(roster, client, PRIMARY, 1)

    assert again.status == "ok", again.message
    assert again.plan is not None and again.plan.writes() == 0
    assert writes(canvas.request_counts()) == writes(before)


def test_a_sub_account_read_with_the_roots_report_matches_the_page_by_page_read(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    client = sign_in()
    roster = with_new_family(seeded_roster())
    assert run_sync(roster, client, PRIMARY, 1).status == "ok"
    by_pages = run_sync(roster, client, PRIMARY, 1, dry_run=True)
    gets = canvas.request_counts()["GET"]

    by_report = run_sync(roster, client, PRIMARY, 1, dry_run=True, prefer_report=True)

    assert by_report.snapshot is not None and by_report.snapshot.source == "report"
    assert by_report.plan is not None and by_report.plan.writes() == 0
    assert by_pages.snapshot is not None
    assert set(by_report.snapshot.people) == set(by_pages.snapshot.people)
    assert by_report.snapshot.links == by_pages.snapshot.links
    # Logins too: the page-by-page read builds matching people from their list row.
    for uid, person in by_pages.snapshot.people.items():
        assert {(lg.sis_user_id, lg.unique_id, lg.workflow_state) for lg in person.logins} == {
            (lg.sis_user_id, lg.unique_id, lg.workflow_state)
            for lg in by_report.snapshot.people[uid].logins
        }
    assert canvas.request_counts()["GET"] - gets < 15  # pages, polls and the download


def test_a_sub_account_admin_without_root_reports_reads_the_sub_accounts_own_report(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    # Reports on the sub-account only: Canvas scopes that report to the users associated
    # with it (report_helper add_user_sub_account_scope), so the roster's people it
    # leaves out (API-created, root-only) are looked up in the root, one by one.
    reports_on_the_sub_account_only(canvas, PRIMARY)
    client = sign_in()
    roster = with_new_family(seeded_roster())
    assert run_sync(roster, client, PRIMARY, 1).status == "ok"
    parents = {link.parent_sis_id for link in roster.links}
    wanted = set(roster.people)

    def read(prefer_report: bool) -> Snapshot:
        return read_snapshot(
            client,
            PRIMARY,
            1,
            sis_ids=wanted,
            observer_sis_ids=parents,
            lookup_sis_ids=wanted | parents,
            prefer_report=prefer_report,
            report_poll=0.01,
        )

    by_pages = read(False)
    before = canvas.request_counts()

    by_report = read(True)

    assert by_report.source == "report"
    assert set(by_report.people) == set(by_pages.people)
    assert by_report.links == by_pages.links
    for uid, person in by_pages.people.items():
        assert {lg.sis_user_id for lg in by_report.people[uid].logins} == {
            lg.sis_user_id for lg in person.logins
        }
    # The root refuses its report; the sub-account's own report is started once.
    assert canvas.request_counts()["POST"] - before["POST"] == 2


def test_a_sync_reads_by_the_sub_accounts_own_report_when_only_that_is_allowed(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    # The pre-flight asks for reports on the sub-account too: without the root's, the run
    # still reads in bulk (before, it fell back to reading page by page).
    reports_on_the_sub_account_only(canvas, PRIMARY)
    client = sign_in()
    roster = with_new_family(seeded_roster())
    first = run_sync(roster, client, PRIMARY, 1, prefer_report=True)
    assert first.status == "ok", first.message
    assert first.report.read_with == "report"
    again = run_sync(roster, client, PRIMARY, 1, prefer_report=True)
    assert again.status == "ok" and again.report.read_with == "report"
    assert again.plan is not None and again.plan.writes() == 0
