"""Permissions Canvas checks that a sync depends on, checked before the sync.

Each is modelled in the sandbox as Canvas has it: starting a SIS Import needs
``import_sis`` and the account's "SIS imports" setting (sis_imports_api_controller.rb);
the provisioning report needs ``read_reports`` (account_reports_controller.rb);
user listings show emails only with ``read_email_addresses`` (lib/api/v1/user.rb);
``skip_confirmation`` counts only with ``manage_students`` on the root
(users_controller.rb). Without one, the sync says what it costs and works around it.
"""

from __future__ import annotations

from sync_support import ALEX, SignIn, seeded_roster, with_new_family, writes

from canvas_wizard.core.canvas import Account, check_sync_permissions
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.state import ALL_PERMISSIONS, AdminRole

ROOT_JSON = {"id": 1, "name": "Northfield Academy Trust", "parent_account_id": None}


def _alex_without(canvas: SandboxCanvas, *names: str) -> None:
    state = canvas.state
    with state.lock:
        state.admins = [r for r in state.admins if r.user_id != ALEX]
        state.admins.append(
            AdminRole(ALEX, 1, "AccountAdmin", frozenset(ALL_PERMISSIONS - set(names)))
        )


def test_sis_import_without_import_sis_is_written_through_the_api(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "import_sis")  # manage_sis alone does not start an import
    client = sign_in()
    applier = SisImportApplier(client, 1, poll_interval=0.01)

    result = run_sync(with_new_family(seeded_roster()), client, 1, 1, applier=applier)

    assert result.status == "ok", result.message
    assert canvas.state.user_by_sis_id("S1101") is not None
    assert not canvas.state.sis_imports
    assert any("import_sis" in n and "API" in n for n in result.report.notes), result.report.notes
    assert result.report.method == "api"


def test_sis_imports_switched_off_are_written_through_the_api(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    canvas.state.accounts[1].allow_sis_import = False
    client = sign_in()
    applier = SisImportApplier(client, 1, poll_interval=0.01)

    result = run_sync(with_new_family(seeded_roster()), client, 1, 1, applier=applier)

    assert result.status == "ok", result.message
    assert canvas.state.user_by_sis_id("P2101") is not None
    assert any("switched off" in n for n in result.report.notes), result.report.notes


def test_without_read_email_addresses_emails_are_not_planned_again_and_again(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "read_email_addresses")
    client = sign_in()
    before = canvas.request_counts()

    result = run_sync(seeded_roster(), client, 1, 1)

    assert result.status == "ok", result.message
    assert result.plan is not None and result.plan.writes() == 0, result.plan.people
    assert writes(canvas.request_counts()) == writes(before)
    assert any("read_email_addresses" in n for n in result.report.notes), result.report.notes


def test_without_read_reports_canvas_is_read_page_by_page(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "read_reports")
    client = sign_in()

    result = run_sync(seeded_roster(), client, 1, 1, prefer_report=True)

    assert result.status == "ok", result.message
    assert result.snapshot is not None and result.snapshot.source == "api"
    assert any("read_reports" in n for n in result.report.notes), result.report.notes


def test_the_permission_check_names_each_permission_and_what_it_costs(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "import_sis", "read_reports", "read_email_addresses", "manage_students")
    report = check_sync_permissions(sign_in(), Account.from_json(ROOT_JSON))

    text = "\n".join(report.explanation)
    for name in ("import_sis", "read_reports", "read_email_addresses", "manage_students"):
        assert name in text, text
    assert "confirm" in text  # what manage_students costs
    assert len(report.costs) == 4 and all(c in report.explanation for c in report.costs)
    assert not report.sis_import_allowed
    assert report.ok  # none of these stops a sync through the API


def test_new_peoples_addresses_stay_unconfirmed_without_manage_students(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "manage_students")
    client = sign_in()

    result = run_sync(with_new_family(seeded_roster()), client, 1, 1)

    assert result.status == "ok", result.message
    omar = canvas.state.user_by_sis_id("P2101")
    assert omar is not None
    (channel,) = canvas.state.channels_of(omar.id)
    assert channel.workflow_state == "unconfirmed"
    assert any("manage_students" in n for n in result.report.notes), result.report.notes


def test_a_sub_account_sync_without_reports_on_the_root_looks_people_up(
    canvas: SandboxCanvas, sign_in: SignIn
) -> None:
    _alex_without(canvas, "read_reports")
    client = sign_in()
    roster = with_new_family(seeded_roster())

    result = run_sync(roster, client, 2, 1, prefer_report=True)

    assert result.status == "ok", result.message
    assert result.snapshot is not None and result.snapshot.source == "api"
    again = run_sync(roster, client, 2, 1, prefer_report=True, dry_run=True)
    assert again.plan is not None and again.plan.writes() == 0
