"""Accounts: the admin's accounts, sub-account trees, and permission checks.

``/api/v1/accounts`` lists accounts where the caller holds an admin role itself
(bookmark pages); ``/manageable_accounts`` adds everything below those;
``/accounts/:id/permissions`` answers each asked-for permission with a boolean,
as accounts_controller#permissions does, for whoever asks.
``/accounts/:id/authentication_providers`` is a plain array (no paging), for admins
who manage the root account only (``require_root_account_management``).
"""

from __future__ import annotations

from canvas_wizard.sandbox.http import Response, unauthorized
from canvas_wizard.sandbox.lookup import find_account, require
from canvas_wizard.sandbox.paging import bookmark_paginate, paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import Account
from canvas_wizard.sandbox.views import account_json, auth_provider_json


def _page_json(
    ctx: Ctx, accounts: list[Account], *, bookmark: bool, with_last: bool = False
) -> Response:
    if bookmark:
        chunk, link = bookmark_paginate(accounts, ctx.request, ctx.base_url, key=lambda a: a.id)
    else:
        chunk, link = paginate(accounts, ctx.request, ctx.base_url, with_last=with_last)
    body = [account_json(ctx.state, a, ctx.user_id) for a in chunk]
    return Response.json(body, headers=[("Link", link)])


def list_accounts(ctx: Ctx) -> Response:
    state, me = ctx.state, ctx.user_id
    with state.lock:
        ids = {r.account_id for r in state.admins if r.user_id == me}
        accounts = [state.accounts[i] for i in ids if state.accounts[i].workflow_state == "active"]
    return _page_json(ctx, accounts, bookmark=True)


def manageable_accounts(ctx: Ctx) -> Response:
    state, me = ctx.state, ctx.user_id
    with state.lock:
        roots = sorted({r.account_id for r in state.admins if r.user_id == me})
        ids: set[int] = set()
        for account_id in roots:
            ids.update(state.subtree(account_id))
        accounts = [state.accounts[i] for i in ids]
    return _page_json(ctx, accounts, bookmark=True)


def show_account(ctx: Ctx) -> Response:
    account = find_account(ctx, ctx.args["account_id"])
    if not ctx.state.is_admin(ctx.user_id, account.id):
        require(ctx, account.id, "read_roster")
    return Response.json(account_json(ctx.state, account, ctx.user_id))


def sub_accounts(ctx: Ctx) -> Response:
    state = ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    if not state.is_admin(ctx.user_id, account.id):
        require(ctx, account.id, "read_roster")
    recursive = ctx.request.flag("recursive")
    with state.lock:
        if recursive:
            ids = state.subtree(account.id)[1:]
        else:
            ids = [
                a.id
                for a in sorted(state.accounts.values(), key=lambda a: a.id)
                if a.parent_account_id == account.id and a.workflow_state == "active"
            ]
        accounts = [state.accounts[i] for i in ids]
    # Canvas does not count a recursive listing, so no rel="last" then.
    return _page_json(ctx, accounts, bookmark=False, with_last=not recursive)


def permissions(ctx: Ctx) -> Response:
    account = find_account(ctx, ctx.args["account_id"])
    have = ctx.state.permissions_for(ctx.user_id, account.id)
    asked = ctx.request.params("permissions[]")
    return Response.json({name: name in have for name in asked})


def authentication_providers(ctx: Ctx) -> Response:
    state = ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    if account.parent_account_id is not None:
        raise unauthorized()  # providers belong to root accounts
    require(ctx, account.id, "manage_account_settings")
    with state.lock:
        mine = [p for p in state.auth_providers.values() if p.account_id == account.id]
    mine.sort(key=lambda p: p.position)
    return Response.json([auth_provider_json(p) for p in mine])


ROUTES: list[Route] = [
    route("GET", "/api/v1/accounts", list_accounts),
    route("GET", "/api/v1/manageable_accounts", manageable_accounts),
    route("GET", "/api/v1/accounts/:account_id", show_account),
    route("GET", "/api/v1/accounts/:account_id/sub_accounts", sub_accounts),
    route("GET", "/api/v1/accounts/:account_id/permissions", permissions),
    route("GET", "/api/v1/accounts/:account_id/authentication_providers", authentication_providers),
]
