"""Logins (Canvas's pseudonyms) and email communication channels of a user.

Editing a login (``PUT /api/v1/accounts/:id/logins/:login_id``) works through any
account of the login's root: pseudonyms_controller.rb checks for a root account
only when a login is *created* (``context_is_root_account?``), and an edit needs
login rights over the login itself, which lives in the root.
"""

from __future__ import annotations

from canvas_wizard.sandbox.http import Response, bad_request, not_found, unauthorized
from canvas_wizard.sandbox.limits import login_errors
from canvas_wizard.sandbox.lookup import find_account, find_user, require, require_over_user
from canvas_wizard.sandbox.paging import bookmark_paginate, paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import Login
from canvas_wizard.sandbox.views import channel_json, login_json, model_error

UNIQUE_ID_TAKEN = "ID already in use for this account and authentication provider"


def list_logins(ctx: Ctx) -> Response:
    user = find_user(ctx, ctx.args["user_id"])
    if user.id != ctx.user_id:
        require_over_user(ctx, user, "view_user_logins", "manage_user_logins")
    logins = ctx.state.logins_of(user.id)
    chunk, link = bookmark_paginate(logins, ctx.request, ctx.base_url, key=lambda lg: lg.id)
    body = [login_json(ctx.state, lg, ctx.user_id) for lg in chunk]
    return Response.json(body, headers=[("Link", link)])


def _find_login(ctx: Ctx, account_id: int, raw: str) -> Login:
    with ctx.state.lock:
        login = ctx.state.logins.get(int(raw)) if raw.isdigit() else None
    if login is None or login.account_id != account_id or login.workflow_state == "deleted":
        raise not_found()
    return login


def update_login(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    root_id = state.root_of(account.id)
    login = _find_login(ctx, root_id, ctx.args["login_id"])
    require(ctx, root_id, "manage_user_logins")
    unique_id = req.param("login[unique_id]")
    sis_given = req.has("login[sis_user_id]")
    sis_id = (req.param("login[sis_user_id]") or "").strip() or None
    if sis_given and not state.grants(ctx.user_id, root_id, "manage_sis"):
        raise unauthorized()
    workflow = req.param("login[workflow_state]")
    errors: dict[str, list[dict[str, str]]] = {}
    with state.lock:
        if unique_id is not None:
            unique_id = unique_id.strip()
            taken = state.login_by_unique_id(unique_id) if unique_id else None
            if not unique_id:
                errors["unique_id"] = [model_error("unique_id", "blank", "can't be blank")]
            elif limits := login_errors(unique_id, None):
                errors |= limits
            elif taken is not None and taken is not login:
                errors["unique_id"] = [model_error("unique_id", "taken", UNIQUE_ID_TAKEN)]
        if sis_given and sis_id and (limits := login_errors(None, sis_id)):
            errors |= limits
        elif sis_given and sis_id:
            holder = state.login_by_sis_id(sis_id)
            if holder is not None and holder is not login:
                message = f'SIS ID "{sis_id}" is already in use'
                errors["sis_user_id"] = [model_error("sis_user_id", "taken", message)]
        if workflow is not None and workflow not in ("active", "suspended"):
            errors["workflow_state"] = [model_error("workflow_state", "invalid", "is invalid")]
        if errors:
            raise bad_request({"errors": errors})
        if unique_id:
            login.unique_id = unique_id
        if sis_given:
            login.sis_user_id = sis_id
        if req.has("login[integration_id]"):
            login.integration_id = (req.param("login[integration_id]") or "").strip() or None
        if workflow is not None:
            login.workflow_state = workflow
    return Response.json(login_json(state, login, ctx.user_id))


def delete_login(ctx: Ctx) -> Response:
    state = ctx.state
    user = find_user(ctx, ctx.args["user_id"])
    with state.lock:
        raw = ctx.args["login_id"]
        login = state.logins.get(int(raw)) if raw.isdigit() else None
    if login is None or login.user_id != user.id or login.workflow_state == "deleted":
        raise not_found()
    require(ctx, login.account_id, "manage_user_logins")
    with state.lock:
        login.workflow_state = "deleted"
    return Response.json(login_json(state, login, ctx.user_id))


def list_channels(ctx: Ctx) -> Response:
    user = find_user(ctx, ctx.args["user_id"])
    if user.id != ctx.user_id:
        require_over_user(ctx, user, "read_roster")
    channels = ctx.state.channels_of(user.id)
    chunk, link = paginate(channels, ctx.request, ctx.base_url, with_last=True)
    return Response.json([channel_json(c) for c in chunk], headers=[("Link", link)])


def create_channel(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    user = find_user(ctx, ctx.args["user_id"])
    is_admin = state.grants(ctx.user_id, user.home_account_id, "manage_user_logins")
    if user.id != ctx.user_id and not is_admin:
        raise unauthorized()
    kind = req.param("communication_channel[type]") or ""
    address = (req.param("communication_channel[address]") or "").strip()
    if kind != "email":
        raise bad_request({"errors": {"type": "Invalid communication type"}})
    if "@" not in address:
        raise bad_request({"errors": {"path": [model_error("path", "invalid", "is invalid")]}})
    with state.lock:
        if any(c.address.casefold() == address.casefold() for c in state.channels_of(user.id)):
            raise bad_request({"errors": {"path": [model_error("path", "unique!", "unique!")]}})
        # Only an admin may skip the confirmation email.
        confirmed = is_admin and (
            req.flag("skip_confirmation") or req.flag("communication_channel[skip_confirmation]")
        )
        channel = state.add_channel(user.id, address, confirmed=confirmed)
    return Response.json(channel_json(channel))


ROUTES: list[Route] = [
    route("GET", "/api/v1/users/:user_id/logins", list_logins),
    route("DELETE", "/api/v1/users/:user_id/logins/:login_id", delete_login),
    route("PUT", "/api/v1/accounts/:account_id/logins/:login_id", update_login),
    route("GET", "/api/v1/users/:user_id/communication_channels", list_channels),
    route("POST", "/api/v1/users/:user_id/communication_channels", create_channel),
]
