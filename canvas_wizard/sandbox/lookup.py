"""Canvas's api_find for the ids in a URL: numbers, ``self``, and SIS ids.

``sis_user_id:X`` finds the user whose live login carries SIS ID ``X`` (a deleted
login still holds its SIS ID but is not found this way — the trap behind many
"SIS ID is already in use" errors). ``hex:sis_user_id:<hex>`` is the same with the
ID hex-encoded, for IDs with characters a URL mangles.
"""

from __future__ import annotations

import binascii

from canvas_wizard.sandbox.http import not_found, unauthorized
from canvas_wizard.sandbox.server import Ctx
from canvas_wizard.sandbox.state import Account, User

DOMAIN_ROOT_ACCOUNT_ID = 1


def _sis_value(ident: str, prefix: str) -> str | None:
    if ident.startswith(prefix + ":"):
        return ident.removeprefix(prefix + ":")
    hex_prefix = f"hex:{prefix}:"
    if ident.startswith(hex_prefix):
        try:
            return binascii.unhexlify(ident.removeprefix(hex_prefix)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise not_found() from None
    return None


def find_user(ctx: Ctx, ident: str) -> User:
    state = ctx.state
    if ident == "self":
        return ctx.user
    sis = _sis_value(ident, "sis_user_id")
    if sis is not None:
        user = state.user_by_sis_id(sis)
    elif (login := _sis_value(ident, "sis_login_id")) is not None:
        user = state.user_by_login(login)
    elif ident.isdigit():
        with state.lock:
            user = state.users.get(int(ident))
    else:
        user = None
    if user is None or user.workflow_state == "deleted":
        raise not_found()
    return user


def find_account(ctx: Ctx, ident: str) -> Account:
    state = ctx.state
    account: Account | None = None
    with state.lock:
        if ident == "self":
            account = state.accounts.get(DOMAIN_ROOT_ACCOUNT_ID)
        elif (sis := _sis_value(ident, "sis_account_id")) is not None:
            account = next((a for a in state.accounts.values() if a.sis_account_id == sis), None)
        elif ident.isdigit():
            account = state.accounts.get(int(ident))
    if account is None or account.workflow_state != "active":
        raise not_found()
    return account


def require(ctx: Ctx, account_id: int, *permissions: str) -> None:
    """Render Canvas's 401 "unauthorized" unless one of ``permissions`` is granted."""
    if not ctx.state.grants(ctx.user_id, account_id, *permissions):
        raise unauthorized()


def require_over_user(ctx: Ctx, user: User, *permissions: str) -> None:
    """Permission over a user comes from an admin role on the user's account (or above)."""
    require(ctx, user.home_account_id, *permissions)
