"""The provisioning account report: every login and observer link, as CSV.

``POST /api/v1/accounts/:id/reports/provisioning_csv`` with
``parameters[users]=true`` and/or ``parameters[user_observers]=true`` starts it;
``GET .../provisioning_csv/:id`` shows ``status`` and ``progress`` and, once
``complete``, an ``attachment`` whose ``url`` downloads one CSV, or a zip when
several were asked for. Unlike ``sis_export_csv`` it includes links made through
the API and users without SIS IDs.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

from canvas_wizard.sandbox import files
from canvas_wizard.sandbox.http import Response, not_found
from canvas_wizard.sandbox.jobs import JobCost, Pacer
from canvas_wizard.sandbox.lookup import find_account, require
from canvas_wizard.sandbox.paging import paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import AccountReport, SandboxState, first_last_from, now_iso

REPORT = "provisioning_csv"
USER_COLUMNS = [
    "canvas_user_id",
    "user_id",
    "integration_id",
    "authentication_provider_id",
    "login_id",
    "first_name",
    "last_name",
    "full_name",
    "sortable_name",
    "short_name",
    "email",
    "status",
    "created_by_sis",
]
OBSERVER_COLUMNS = [
    "canvas_observer_id",
    "observer_id",
    "canvas_student_id",
    "student_id",
    "status",
    "created_by_sis",
]
#: account_reports' provisioning enrollments.csv (non-SIS format), in Canvas's order.
ENROLLMENT_COLUMNS = [
    "canvas_course_id",
    "course_id",
    "canvas_user_id",
    "user_id",
    "role",
    "role_id",
    "canvas_section_id",
    "section_id",
    "status",
    "canvas_associated_user_id",
    "associated_user_id",
    "created_by_sis",
    "base_role_type",
    "limit_section_privileges",
    "canvas_enrollment_id",
]
_BASE_ROLES = {
    "StudentEnrollment": ("student", 1),
    "TeacherEnrollment": ("teacher", 2),
    "TaEnrollment": ("ta", 3),
    "DesignerEnrollment": ("designer", 4),
    "ObserverEnrollment": ("observer", 5),
}
#: The report's status words for an enrolment's workflow_state.
_ENROLLMENT_STATUS = {"completed": "concluded"}
TRUE_VALUES = ("1", "true", "t", "yes", "on")
FALSE_VALUES = ("0", "false", "f", "no", "off")


def _param_value(raw: str) -> bool | str:
    low = raw.strip().lower()
    if low in TRUE_VALUES:
        return True
    if low in FALSE_VALUES:
        return False
    return raw


def report_json(state: SandboxState, base_url: str, report: AccountReport) -> dict[str, Any]:
    with state.lock:
        stored = state.files.get(report.attachment_id or -1)
    data: dict[str, Any] = {
        "id": report.id,
        "report": report.report,
        "file_url": files.download_url(base_url, stored) if stored else None,
        "status": report.status,
        "created_at": report.created_at,
        "started_at": report.started_at,
        "ended_at": report.ended_at,
        "parameters": dict(report.parameters),
        "progress": report.progress,
        "current_line": None,
    }
    if stored is not None:
        data["attachment"] = files.attachment_json(base_url, stored)
    if report.message:
        data["parameters"]["extra_text"] = report.message
    return data


def start_report(ctx: Ctx) -> Response:
    state = ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    require(ctx, account.id, "read_reports")
    if ctx.args["report"] != REPORT:
        raise not_found()
    params: dict[str, Any] = {}
    for key, values in {**ctx.request.query, **ctx.request.form}.items():
        if key.startswith("parameters[") and key.endswith("]") and values:
            params[key[len("parameters[") : -1]] = _param_value(values[-1])
    with state.lock:
        report = AccountReport(
            id=state.next_id("report"),
            account_id=account.id,
            user_id=ctx.user_id,
            report=REPORT,
            parameters=params,
        )
        state.reports[report.id] = report
    body = report_json(state, ctx.base_url, report)
    ctx.app.start_job(run_report, state, report.id, ctx.app.job_step_delay, ctx.app.report_cost)
    return Response.json(body)


def _find(ctx: Ctx) -> AccountReport:
    account = find_account(ctx, ctx.args["account_id"])
    require(ctx, account.id, "read_reports")
    raw = ctx.args["report_id"]
    with ctx.state.lock:
        report = ctx.state.reports.get(int(raw)) if raw.isdigit() else None
    if report is None or report.account_id != account.id or report.report != ctx.args["report"]:
        raise not_found()
    return report


def show_report(ctx: Ctx) -> Response:
    return Response.json(report_json(ctx.state, ctx.base_url, _find(ctx)))


def list_reports(ctx: Ctx) -> Response:
    account = find_account(ctx, ctx.args["account_id"])
    require(ctx, account.id, "read_reports")
    if ctx.args["report"] != REPORT:
        raise not_found()
    with ctx.state.lock:
        found = [
            r
            for r in ctx.state.reports.values()
            if r.account_id == account.id and r.report == ctx.args["report"]
        ]
    found.sort(key=lambda r: -r.id)
    chunk, link = paginate(found, ctx.request, ctx.base_url, with_last=False)
    body = [report_json(ctx.state, ctx.base_url, r) for r in chunk]
    return Response.json(body, headers=[("Link", link)])


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def users_csv(state: SandboxState, account_id: int, include_deleted: bool = False) -> bytes:
    """Canvas's provisioning users.csv; ``include_deleted`` adds deleted logins (status deleted)
    that have a SIS ID, as the report's "Include Deleted Objects" option does
    (account_reports' sis_exporter/provisioning users: deleted logins only where
    ``sis_user_id IS NOT NULL``)."""
    rows: list[list[str]] = []
    with state.lock:
        if include_deleted:
            scope = set(state.subtree(account_id))
            users = [u for u in state.users.values() if u.home_account_id in scope]
        else:
            users = state.users_in_account(account_id)
        for user in sorted(users, key=lambda u: u.id):
            for login in state.logins_of(user.id, include_deleted=include_deleted):
                if login.workflow_state == "deleted" and not login.sis_user_id:
                    continue
                first, last = first_last_from(user.sortable_name)
                rows.append(
                    [
                        str(user.id),
                        login.sis_user_id or "",
                        login.integration_id or "",
                        str(login.authentication_provider_id or ""),
                        login.unique_id,
                        first,
                        last,
                        user.name,
                        user.sortable_name,
                        user.short_name,
                        state.email_of(user.id) or "",
                        login.workflow_state,
                        "true" if login.sis_batch_id is not None else "false",
                    ]
                )
    return _csv(USER_COLUMNS, rows)


def observers_csv(state: SandboxState, account_id: int, include_deleted: bool = False) -> bytes:
    # Deleted links are left out either way: nothing we do reads them.
    rows: list[list[str]] = []
    with state.lock:
        in_scope = {u.id for u in state.users_in_account(account_id)}
        for link in sorted(state.observer_links.values(), key=lambda lk: lk.id):
            if link.workflow_state != "active" or link.student_id not in in_scope:
                continue
            rows.append(
                [
                    str(link.observer_id),
                    state.sis_id_of(link.observer_id) or "",
                    str(link.student_id),
                    state.sis_id_of(link.student_id) or "",
                    "active",
                    "true" if link.sis_batch_id is not None else "false",
                ]
            )
    return _csv(OBSERVER_COLUMNS, rows)


def enrollments_csv(state: SandboxState, account_id: int, include_deleted: bool = False) -> bytes:
    """Canvas's provisioning enrollments.csv: the account's users' enrolments, observer
    ones naming the student they follow (``canvas_associated_user_id``)."""
    rows: list[list[str]] = []
    with state.lock:
        in_scope = {u.id for u in state.users_in_account(account_id)}
        for e in sorted(state.enrollments.values(), key=lambda e: e.id):
            if e.user_id not in in_scope:
                continue
            if e.workflow_state == "deleted" and not include_deleted:
                continue
            role, role_id = _BASE_ROLES.get(e.type, ("student", 1))
            associated = e.associated_user_id
            rows.append(
                [
                    str(e.course_id),
                    "",
                    str(e.user_id),
                    state.sis_id_of(e.user_id) or "",
                    role,
                    str(role_id),
                    "",
                    "",
                    _ENROLLMENT_STATUS.get(e.workflow_state, e.workflow_state),
                    "" if associated is None else str(associated),
                    (state.sis_id_of(associated) or "") if associated is not None else "",
                    "false",
                    e.type,
                    "false",
                    str(e.id),
                ]
            )
    return _csv(ENROLLMENT_COLUMNS, rows)


#: Progress steps a report shows while it runs.
_PROGRESS_STEPS = 20


def run_report(
    state: SandboxState, report_id: int, step_delay: float, cost: JobCost | None = None
) -> None:
    """Build the report, taking ``cost`` for the users in its scope (sandbox/jobs.py)."""
    with state.lock:
        report = state.reports[report_id]
        report.status = "running"
        report.started_at = now_iso()
        size = len(state.users_in_account(report.account_id))
    pacer = Pacer((cost or JobCost()).seconds(size))
    wanted = [
        (name, build)
        for name, build in (
            ("users", users_csv),
            ("user_observers", observers_csv),
            ("enrollments", enrollments_csv),
        )
        if report.parameters.get(name) is True
    ]
    if not wanted:
        with state.lock:
            report.status = "error"
            report.message = "No reports selected: pass parameters[users]=true and the like."
            report.ended_at = now_iso()
        return
    outputs: list[tuple[str, bytes]] = []
    for done, (name, build) in enumerate(wanted, start=1):
        include_deleted = report.parameters.get("include_deleted") is True
        outputs.append((f"{name}.csv", build(state, report.account_id, include_deleted)))
        with state.lock:
            report.progress = int(done * 90 / len(wanted))
        if step_delay > 0:
            time.sleep(step_delay)
    # Canvas's job takes its time whatever the CSVs hold: progress grows while it runs.
    first = report.progress
    for step in range(1, _PROGRESS_STEPS + 1):
        pacer.step(step, _PROGRESS_STEPS)
        with state.lock:
            report.progress = max(first, min(99, int(step * 100 / _PROGRESS_STEPS)))
    stamp = time.strftime("%d_%b_%Y", time.gmtime())
    if len(outputs) == 1:
        stored = files.store(state, f"provisioning_csv_{stamp}.csv", "text/csv", outputs[0][1])
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in outputs:
                archive.writestr(name, data)
        stored = files.store(
            state, f"provisioning_csv_{stamp}.zip", "application/zip", buffer.getvalue()
        )
    with state.lock:
        report.attachment_id = stored.id
        report.status = "complete"
        report.progress = 100
        report.ended_at = now_iso()


ROUTES: list[Route] = [
    route("POST", "/api/v1/accounts/:account_id/reports/:report", start_report),
    route("GET", "/api/v1/accounts/:account_id/reports/:report", list_reports),
    route("GET", "/api/v1/accounts/:account_id/reports/:report/:report_id", show_report),
]
