"""The API scopes the app asks for: exactly the endpoints it calls.

A developer key with "Enforce scopes" turned on refuses a sign-in that asks for
no scopes, or for one the key lacks, with ``error=invalid_scope``
(lib/canvas/oauth/provider.rb ``valid_scopes?``); the token then reaches only
these endpoints (lib/authentication_methods.rb ``validate_scopes``). A key
without "Enforce scopes" ignores them. Names are Canvas's, as its developer-key
page lists them (``url:METHOD|/api/v1/...`` with the route's parameter names).

A test signs in through a key that enforces exactly these and runs every kind of
sync, so a call the list misses fails there (tests/e2e/sync/test_sync_scopes.py).
"""

from __future__ import annotations

API_SCOPES: tuple[str, ...] = (
    # who is signed in, which accounts, what they may do there
    "url:GET|/api/v1/users/:id",
    "url:GET|/api/v1/accounts",
    "url:GET|/api/v1/manageable_accounts",
    "url:GET|/api/v1/accounts/:id",
    "url:GET|/api/v1/accounts/:account_id/sub_accounts",
    "url:GET|/api/v1/accounts/:account_id/permissions",
    # reading people, logins and parent links
    "url:GET|/api/v1/accounts/:account_id/users",
    "url:GET|/api/v1/users/:user_id/logins",
    "url:GET|/api/v1/users/:user_id/observees",
    "url:POST|/api/v1/accounts/:account_id/reports/:report",
    "url:GET|/api/v1/accounts/:account_id/reports/:report/:id",
    # writing through the API
    "url:POST|/api/v1/accounts/:account_id/users",
    "url:PUT|/api/v1/users/:id",
    "url:PUT|/api/v1/accounts/:account_id/logins/:id",
    "url:PUT|/api/v1/users/:user_id/observees/:observee_id",
    "url:DELETE|/api/v1/users/:user_id/observees/:observee_id",
    # writing by SIS Import
    "url:GET|/api/v1/accounts/:account_id/sis_imports",
    "url:POST|/api/v1/accounts/:account_id/sis_imports",
    "url:GET|/api/v1/accounts/:account_id/sis_imports/:id",
    "url:PUT|/api/v1/accounts/:account_id/sis_imports/:id/abort",
)


def scopes_text() -> str:
    """The list to paste or tick on the developer-key page, one scope a line."""
    return "\n".join(API_SCOPES)
