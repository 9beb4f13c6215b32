"""Signing in to Canvas: OAuth2 with PKCE, the loopback redirect catcher, token upkeep."""

from canvas_wizard.core.auth.loopback import LoopbackRedirect, RedirectResult
from canvas_wizard.core.auth.oauth import (
    DEFAULT_REDIRECT_PORT,
    OOB_REDIRECT,
    REDIRECT_PATH,
    AuthRequest,
    OAuthError,
    TokenSet,
    build_authorize_request,
    exchange_code,
    parse_pasted_redirect,
    redirect_uri_for,
    refresh_tokens,
    revoke_token,
)
from canvas_wizard.core.auth.pkce import PkcePair, new_pkce, new_state
from canvas_wizard.core.auth.session import TokenManager

__all__ = [
    "DEFAULT_REDIRECT_PORT",
    "OOB_REDIRECT",
    "REDIRECT_PATH",
    "AuthRequest",
    "LoopbackRedirect",
    "OAuthError",
    "PkcePair",
    "RedirectResult",
    "TokenManager",
    "TokenSet",
    "build_authorize_request",
    "exchange_code",
    "new_pkce",
    "new_state",
    "parse_pasted_redirect",
    "redirect_uri_for",
    "refresh_tokens",
    "revoke_token",
]
