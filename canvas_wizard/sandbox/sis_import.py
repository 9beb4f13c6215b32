"""SIS Imports (sis_imports_api_controller.rb, app/models/sis_batch.rb).

Root accounts only. The upload is processed in a background thread, one row at
a time, so a client polling ``GET .../sis_imports/:id`` sees ``created`` →
``importing`` with ``progress`` rising → ``imported`` (or
``imported_with_messages`` when rows were skipped, ``failed_with_messages``
when a file was refused, ``aborted`` after ``PUT .../abort``).
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from canvas_wizard.sandbox import files, sis_csv, sis_rows
from canvas_wizard.sandbox.http import ApiError, Response, bad_request, not_found
from canvas_wizard.sandbox.jobs import JobCost, Pacer
from canvas_wizard.sandbox.lookup import find_account, require
from canvas_wizard.sandbox.paging import paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import SandboxState, SisImport, SisMessage, now_iso

#: Canvas caps each message list in the JSON at this many entries: the first ones, then
#: one ["", "There were N more warnings"] line (app/models/sis_batch.rb
#: ``limit_size_of_messages``); the errors CSV has them all.
MAX_MESSAGES_IN_JSON = 25
RUNNING = ("initializing", "created", "importing")
COUNT_KEYS = (
    "accounts",
    "terms",
    "abstract_courses",
    "courses",
    "sections",
    "xlists",
    "users",
    "logins",
    "enrollments",
    "admins",
    "groups",
    "group_categories",
    "group_memberships",
    "grade_publishing_results",
    "user_observers",
    "change_sis_ids",
    "batch_courses_deleted",
    "batch_sections_deleted",
    "batch_enrollments_deleted",
    "error_count",
    "warning_count",
)
EXTENSION_TYPES = {"csv": "text/csv", "zip": "application/zip"}


def sis_import_json(state: SandboxState, base_url: str, batch: SisImport) -> dict[str, Any]:
    opts = batch.options
    with state.lock:
        uploader = state.users.get(batch.user_id)
        upload = state.files.get(batch.attachment_id)
        errors_file = state.files.get(batch.errors_attachment_id or -1)
    data: dict[str, Any] = {
        "id": batch.id,
        "created_at": batch.created_at,
        "updated_at": batch.updated_at,
        "ended_at": batch.ended_at,
        "workflow_state": batch.workflow_state,
        "progress": batch.progress,
        "data": {
            "import_type": "instructure_csv",
            "supplied_batches": list(batch.supplied_batches),
            "counts": dict(batch.counts),
        },
        "batch_mode": opts.get("batch_mode"),
        "batch_mode_term_id": None,
        "multi_term_batch_mode": False,
        "skip_deletes": opts.get("skip_deletes", False),
        "override_sis_stickiness": opts.get("override_sis_stickiness"),
        "add_sis_stickiness": opts.get("add_sis_stickiness"),
        "clear_sis_stickiness": opts.get("clear_sis_stickiness"),
        "diffing_data_set_identifier": opts.get("diffing_data_set_identifier"),
        "diffed_against_import_id": batch.diffed_against_import_id,
        "diffing_drop_status": opts.get("diffing_drop_status"),
        "change_threshold": opts.get("change_threshold"),
        "diffing_threshold_exceeded": batch.diffing_threshold_exceeded,
        "csv_attachments": [files.attachment_json(base_url, upload)] if upload else [],
    }
    if uploader is not None:
        data["user"] = {
            "id": uploader.id,
            "name": uploader.name,
            "sortable_name": uploader.sortable_name,
            "short_name": uploader.short_name,
            "created_at": uploader.created_at,
        }
    if batch.warnings:
        data["processing_warnings"] = _capped(batch.warnings, "warnings")
    if batch.errors:
        data["processing_errors"] = _capped(batch.errors, "errors")
    if errors_file is not None:
        data["errors_attachment"] = files.attachment_json(base_url, errors_file)
    return data


def _capped(messages: list[SisMessage], kind: str) -> list[list[str]]:
    pairs = [[m.file, m.message] for m in messages]
    if len(pairs) <= MAX_MESSAGES_IN_JSON:
        return pairs
    more = len(pairs) - MAX_MESSAGES_IN_JSON + 1
    return [*pairs[: MAX_MESSAGES_IN_JSON - 1], ["", f"There were {more} more {kind}"]]


def _root_account(ctx: Ctx, *permissions: str) -> int:
    """sis_imports_api_controller.rb ``check_account`` then ``authorized_action``:
    root only (400), SIS imports switched on (403), then the permission (401).
    Starting an import needs import_sis; reading or aborting one import_sis or manage_sis."""
    account = find_account(ctx, ctx.args["account_id"])
    if not ctx.state.is_root(account.id):
        raise bad_request({"errors": ["SIS imports can only be executed on root accounts"]})
    if not account.allow_sis_import:
        raise ApiError(
            Response.json({"errors": ["SIS imports are not enabled for this account"]}, 403)
        )
    require(ctx, account.id, *(permissions or ("manage_sis", "import_sis")))
    return account.id


def _options(ctx: Ctx) -> dict[str, Any]:
    req = ctx.request
    opts: dict[str, Any] = {
        "batch_mode": req.flag("batch_mode") if req.has("batch_mode") else None,
        "skip_deletes": req.flag("skip_deletes"),
        "override_sis_stickiness": req.flag("override_sis_stickiness") or None,
        "add_sis_stickiness": req.flag("add_sis_stickiness") or None,
        "clear_sis_stickiness": req.flag("clear_sis_stickiness") or None,
        "diffing_data_set_identifier": req.param("diffing_data_set_identifier") or None,
        "diffing_drop_status": req.param("diffing_drop_status") or None,
        "change_threshold": None,
    }
    raw = req.param("change_threshold")
    if raw:
        try:
            threshold = int(raw)
        except ValueError:
            threshold = -1
        if not 1 <= threshold <= 100:
            raise bad_request({"errors": ["change_threshold must be between 1 and 100"]})
        opts["change_threshold"] = threshold
    return opts


def _upload(ctx: Ctx) -> tuple[str, str, bytes]:
    req = ctx.request
    uploaded = req.files.get("attachment")
    if uploaded is not None:
        return uploaded.filename or "sis_import.zip", uploaded.content_type, uploaded.data
    if not req.body:
        raise bad_request({"errors": ["No SIS data: send a file as 'attachment' or as the body"]})
    extension = (req.param("extension") or "").lower()
    if not extension:
        content_type = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
        extension = "csv" if content_type in ("text/csv", "text/plain") else "zip"
    return f"sis_import.{extension}", EXTENSION_TYPES.get(extension, "application/zip"), req.body


def create_import(ctx: Ctx) -> Response:
    state = ctx.state
    account_id = _root_account(ctx, "import_sis")
    if (ctx.request.param("import_type") or "instructure_csv") != "instructure_csv":
        raise bad_request({"errors": ["invalid import_type parameter"]})
    options = _options(ctx)
    filename, content_type, data = _upload(ctx)
    stored = files.store(state, filename, content_type, data)
    with state.lock:
        batch = SisImport(
            id=state.next_id("sis_import"),
            account_id=account_id,
            user_id=ctx.user_id,
            attachment_id=stored.id,
            options=options,
            counts=dict.fromkeys(COUNT_KEYS, 0),
        )
        state.sis_imports[batch.id] = batch
    # The answer shows the import as it was accepted, before the job can touch it.
    body = sis_import_json(state, ctx.base_url, batch)
    ctx.app.start_job(
        run_import,
        ctx.app.state,
        ctx.base_url,
        batch.id,
        ctx.app.job_step_delay,
        ctx.app.sis_import_cost,
    )
    return Response.json(body)


def _find_import(ctx: Ctx, account_id: int) -> SisImport:
    raw = ctx.args["import_id"]
    with ctx.state.lock:
        batch = ctx.state.sis_imports.get(int(raw)) if raw.isdigit() else None
    if batch is None or batch.account_id != account_id:
        raise not_found()
    return batch


def show_import(ctx: Ctx) -> Response:
    batch = _find_import(ctx, _root_account(ctx))
    return Response.json(sis_import_json(ctx.state, ctx.base_url, batch))


def list_imports(ctx: Ctx) -> Response:
    account_id = _root_account(ctx)
    with ctx.state.lock:
        batches = [b for b in ctx.state.sis_imports.values() if b.account_id == account_id]
    batches.sort(key=lambda b: -b.id)
    chunk, link = paginate(batches, ctx.request, ctx.base_url, with_last=False)
    body = {"sis_imports": [sis_import_json(ctx.state, ctx.base_url, b) for b in chunk]}
    return Response.json(body, headers=[("Link", link)])


def abort_import(ctx: Ctx) -> Response:
    """Abort an import that has not finished; a finished one is not found (404), as
    sis_imports_api_controller.rb ``abort`` looks it up in ``sis_batches.not_completed``."""
    batch = _find_import(ctx, _root_account(ctx))
    with ctx.state.lock:
        if batch.workflow_state not in RUNNING:
            raise not_found()
        batch.abort_requested = True
        if batch.workflow_state != "importing":
            batch.workflow_state = "aborted"
            batch.ended_at = batch.updated_at = now_iso()
    return Response.json(sis_import_json(ctx.state, ctx.base_url, batch))


# -- the background job -----------------------------------------------------------


def _previous_import(state: SandboxState, batch: SisImport) -> SisImport | None:
    identifier = batch.options.get("diffing_data_set_identifier")
    if not identifier:
        return None
    done = [
        b
        for b in state.sis_imports.values()
        if b.id < batch.id
        and b.account_id == batch.account_id
        and b.options.get("diffing_data_set_identifier") == identifier
        and b.workflow_state in ("imported", "imported_with_messages")
    ]
    return max(done, key=lambda b: b.id) if done else None


def _plan_rows(
    state: SandboxState, batch: SisImport, parsed: list[sis_csv.CsvFile]
) -> list[tuple[str, sis_csv.CsvRow]]:
    by_kind: dict[str, list[sis_csv.CsvRow]] = {}
    for csv_file in parsed:
        by_kind.setdefault(csv_file.kind, []).extend(csv_file.rows)
    batch.rows = {kind: [dict(r.values) for r in rows] for kind, rows in by_kind.items()}
    with state.lock:
        previous = _previous_import(state, batch)
    if previous is not None:
        batch.diffed_against_import_id = previous.id
        threshold = batch.options.get("change_threshold")
        for kind, rows in list(by_kind.items()):
            old = previous.rows.get(kind, [])
            if threshold and old and abs(len(rows) - len(old)) * 100 / len(old) > threshold:
                batch.diffing_threshold_exceeded = True
                continue
            by_kind[kind] = sis_csv.diff_rows(kind, old, rows)
    plan: list[tuple[str, sis_csv.CsvRow]] = []
    for kind in sis_csv.IMPORT_ORDER:
        for row in by_kind.get(kind, []):
            if (
                batch.options.get("skip_deletes")
                and row.values.get("status", "").lower() == "deleted"
            ):
                continue
            plan.append((kind, row))
    return plan


def run_import(
    state: SandboxState,
    base_url: str,
    batch_id: int,
    step_delay: float,
    cost: JobCost | None = None,
) -> None:
    """Import the rows, taking ``cost`` for the rows uploaded (sandbox/jobs.py), plus
    ``step_delay`` per row (the demo's pace, so progress can be watched)."""
    with state.lock:
        batch = state.sis_imports[batch_id]
        if batch.workflow_state != "created":
            return
        batch.workflow_state = "importing"
        batch.updated_at = now_iso()
        upload = state.files[batch.attachment_id]
    try:
        parsed, file_errors = sis_csv.read_upload(upload.filename, upload.data)
        plan = _plan_rows(state, batch, parsed)
        pacer = Pacer(
            (cost or JobCost()).seconds(sum(len(f.rows) for f in parsed)),
            stop=lambda: batch.abort_requested,
        )
        with state.lock:
            batch.errors.extend(file_errors)
            names = [sis_csv.BATCH_NAMES[f.kind] for f in parsed]
            batch.supplied_batches = list(dict.fromkeys(names))
        for done, (kind, row) in enumerate(plan, start=1):
            if batch.abort_requested:
                break
            with state.lock:
                apply = sis_rows.apply_user if kind == sis_csv.USERS else sis_rows.apply_observer
                warning = apply(state, batch, row.values)
                if warning is None:
                    batch.counts[kind] += 1
                else:
                    batch.warnings.append(SisMessage(row.file, warning, row.line))
                batch.progress = min(99, int(done * 100 / len(plan)))
                batch.updated_at = now_iso()
            if step_delay > 0:
                time.sleep(step_delay)
            pacer.step(done, len(plan))
        pacer.step(1, 1)  # an import with nothing to change still waits its turn
    except Exception as exc:  # a bug, not bad data: Canvas says "failed"
        with state.lock:
            batch.errors.append(SisMessage("", f"Something went wrong: {exc}"))
            batch.workflow_state = "failed"
    _finish(state, base_url, batch)


def _finish(state: SandboxState, base_url: str, batch: SisImport) -> None:
    with state.lock:
        batch.counts["error_count"] = len(batch.errors)
        batch.counts["warning_count"] = len(batch.warnings)
        if batch.errors or batch.warnings:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["sis_import_id", "file", "message", "row"])
            for message in [*batch.errors, *batch.warnings]:
                row = "" if message.row is None else str(message.row)
                writer.writerow([batch.id, message.file, message.message, row])
            stored = files.store(
                state, f"sis_errors_attachment_{batch.id}.csv", "text/csv", out.getvalue().encode()
            )
            batch.errors_attachment_id = stored.id
        if batch.abort_requested:
            batch.workflow_state = "aborted"
        elif batch.workflow_state != "failed":
            batch.progress = 100
            if batch.errors:
                batch.workflow_state = "failed_with_messages"
            elif batch.warnings:
                batch.workflow_state = "imported_with_messages"
            else:
                batch.workflow_state = "imported"
        batch.ended_at = batch.updated_at = now_iso()


ROUTES: list[Route] = [
    route("GET", "/api/v1/accounts/:account_id/sis_imports", list_imports),
    route("POST", "/api/v1/accounts/:account_id/sis_imports", create_import),
    route("GET", "/api/v1/accounts/:account_id/sis_imports/:import_id", show_import),
    route("PUT", "/api/v1/accounts/:account_id/sis_imports/:import_id/abort", abort_import),
]
