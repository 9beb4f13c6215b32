"""Scoped tokens: what a developer key with "Enforce scopes" lets a token reach.

lib/authentication_methods.rb ``validate_scopes``: when the token's key requires
scopes, an API request must match one of the token's ``url:METHOD|/api/v1/...``
scopes (HEAD counts as GET; ``:name`` segments match any one path segment), else
401 "Insufficient scopes on access token." without ``WWW-Authenticate``
(refreshing does not help). Unless the key allows include parameters,
``include[]`` is dropped from the request.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from canvas_wizard.sandbox.http import ApiError, Response

if TYPE_CHECKING:
    from canvas_wizard.sandbox.server import Ctx

INSUFFICIENT = {"errors": [{"message": "Insufficient scopes on access token."}]}
_SEGMENT = re.compile(r":[A-Za-z_]+")


def scope_pattern(scope: str) -> tuple[str, re.Pattern[str]] | None:
    """("GET", compiled path) for ``url:GET|/api/v1/...``; None for anything else."""
    if not scope.startswith("url:") or "|" not in scope:
        return None
    method, path = scope.removeprefix("url:").split("|", 1)
    regex = _SEGMENT.sub("[^/]+", re.escape(path).replace(r"\:", ":"))
    return method.upper(), re.compile(rf"{regex}(\.json)?")


def allows(scopes: list[str], method: str, path: str) -> bool:
    wanted = "GET" if method.upper() == "HEAD" else method.upper()
    for scope in scopes:
        found = scope_pattern(scope)
        if found and found[0] == wanted and found[1].fullmatch(path):
            return True
    return False


def enforce(ctx: Ctx) -> None:
    """Raise the 401 for a scoped token outside its scopes; drop include[] when not allowed."""
    token = ctx.token
    if token is None or not ctx.request.path.startswith("/api/"):
        return
    with ctx.state.lock:
        key = ctx.state.developer_keys.get(token.client_id)
    if key is None or not key.require_scopes:
        return
    if not allows(token.scopes, ctx.request.method, ctx.request.path):
        raise ApiError(Response.json(INSUFFICIENT, 401))
    if not key.allow_includes:
        for source in (ctx.request.query, ctx.request.form):
            for name in ("include[]", "include", "includes[]", "includes"):
                source.pop(name, None)
