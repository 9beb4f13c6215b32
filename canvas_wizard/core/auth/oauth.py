"""OAuth2 with Canvas: the authorize URL, the token calls, revoke, and what their errors mean.

This module is the protocol only; presenting the URL and catching the redirect
are :mod:`.loopback`'s job (the split google-auth-oauthlib's flow.py makes).
Canvas's behaviour is in /work/shared/canvas-facts.md ("OAuth2"); the source
behind it is canvas-lms app/controllers/oauth2_provider_controller.rb and
lib/canvas/oauth/.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import WebApplicationClient

from canvas_wizard.core.auth.pkce import PkcePair, new_pkce, new_state
from canvas_wizard.core.auth.scopes import API_SCOPES
from canvas_wizard.core.canvas import normalize_canvas_url
from canvas_wizard.core.errors import AuthorizationNeeded, WizardError
from canvas_wizard.core.store.profiles import (
    DEFAULT_REDIRECT_PORT as DEFAULT_REDIRECT_PORT,  # re-exported: Profile's default port
)
from canvas_wizard.core.store.profiles import validate_client_id

log = logging.getLogger(__name__)

REDIRECT_PATH = "/canvas/authorize"
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
AUTHORIZE_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 (a URL path, not a password)


#: What an authorization code may look like (Canvas makes 128 hex digits); used
#: to refuse junk before it is sent anywhere.
AUTH_CODE_PATTERN = re.compile(r"[A-Za-z0-9._~-]{8,512}")


def redirect_uri_for(port: int) -> str:
    return f"http://127.0.0.1:{port}{REDIRECT_PATH}"


# --- errors --------------------------------------------------------------------------

_KEY_PAGE = "Admin → Developer Keys"
_TEXTS: dict[str, tuple[str, str]] = {
    "access_denied": (
        "Sign-in was cancelled on the Canvas page.",
        "Someone clicked Cancel on Canvas's authorize page. Start the sign-in again and "
        "click Authorize.",
    ),
    "unauthorized_client": (
        "Canvas does not allow this developer key for this school's Canvas account.",
        f"In Canvas open {_KEY_PAGE}, find the key and switch its State to ON, then sign in "
        "again. A key inherited from Site Admin is OFF until an admin turns it on here.",
    ),
    "invalid_client": (
        "Canvas did not accept the Client ID and Client Secret.",
        f"In {_KEY_PAGE} check that the key is switched ON and that the Client ID is the number "
        "in the Details column, then click Show Key and copy the Client Secret again, whole.",
    ),
    "invalid_grant": (
        "Canvas did not accept the sign-in code.",
        "A code works once, for 10 minutes, with the Client ID and browser sign-in that made "
        "it. Start the sign-in again and finish it within a few minutes.",
    ),
    "invalid_request": (
        "Canvas rejected the sign-in request.",
        "Check the developer key's Redirect URIs: the one the app shows must be listed "
        "exactly (http, 127.0.0.1, the port and /canvas/authorize). Then sign in again.",
    ),
    "invalid_scope": (
        'The developer key has "Enforce Scopes" on, and it lacks scopes this app needs.',
        f"In {_KEY_PAGE} edit the key and tick every scope the app lists on its "
        'developer-key page (the "Copy scopes" button copies them; Canvas names any missing '
        'one in its message), switch on "Allow Include Parameters", save, then sign in again. '
        "Or turn off Enforce Scopes.",
    ),
    "state_mismatch": (
        "The answer from Canvas does not belong to this sign-in.",
        "Start the sign-in again and finish it in the browser tab the app opens; an older "
        "Canvas tab belongs to an older sign-in.",
    ),
    "timeout": (
        "Canvas did not send the browser back to the app in time.",
        "If the browser shows a Canvas error page, fix what it names: 'redirect_uri does not "
        "match client settings' means the redirect URI is not registered on the developer key "
        "exactly as the app shows it; 'unknown client' means the Client ID is wrong or the key "
        "is deleted. Then sign in again.",
    ),
    "cancelled": ("Sign-in was stopped before Canvas answered.", "Start it again when ready."),
    "port_in_use": (
        "The sign-in port on this computer is already in use.",
        "Close the program using it (perhaps another Canvas Sync Wizard), or choose another "
        "port in the profile and register the new redirect URI on the developer key.",
    ),
    "network": (
        "Could not reach Canvas.",
        "Check the Canvas address, this computer's network connection and proxy settings.",
    ),
    "server_error": (
        "Canvas answered the sign-in request with a server error.",
        "Canvas may be busy or under maintenance. Try again in a few minutes.",
    ),
    "bad_response": (
        "Canvas's answer was not what a Canvas sign-in sends.",
        "Check that the Canvas address is your school's Canvas itself (for example "
        "https://school.instructure.com), not a portal or proxy page in front of it.",
    ),
    "invalid_paste": (
        "That text does not contain a sign-in code.",
        "Paste the whole address from the browser's address bar after clicking Authorize, "
        "or just the code Canvas shows.",
    ),
    "revoke_failed": (
        "Canvas could not be told to end the app's sign-in.",
        "The app has forgotten its tokens anyway. To be sure, remove the app in Canvas "
        "under Account → Settings → Approved Integrations.",
    ),
}
# Canvas uses one error code for several causes; its description tells them apart
# (canvas-lms lib/canvas/oauth/request_error.rb).
_DETAIL_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("invalid_client", "unknown client"): (
        "Canvas does not know this Client ID.",
        f"Copy the Client ID again from the Details column in {_KEY_PAGE}; if the key was "
        "deleted, make a new one.",
    ),
    ("invalid_client", "invalid client"): (
        "Canvas did not accept the Client Secret.",
        f"In {_KEY_PAGE} click Show Key, copy the whole secret again (no spaces) and enter it.",
    ),
    ("invalid_grant", "incorrect client"): (
        "The sign-in code was made for a different developer key.",
        "Check that the Client ID and Client Secret belong to the same key, then sign in again.",
    ),
}


def _clean(text: object, limit: int) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.split())[:limit]
    return cleaned or None


class OAuthError(WizardError):
    """Sign-in failed. ``code`` says why (Canvas's error code or one of ours above)."""

    def __init__(
        self,
        code: str,
        *,
        detail: str | None = None,
        message: str | None = None,
        hint: str | None = None,
    ) -> None:
        # ``code`` and ``detail`` may come from a browser or Canvas: keep them short and tame.
        code = code if re.fullmatch(r"[a-z_]{1,40}", code or "") else "unknown_error"
        detail = _clean(detail, 300)
        default = _DETAIL_TEXTS.get((code, detail or "")) or _TEXTS.get(code)
        if default is None:
            default = (
                f"Canvas refused the sign-in ({code}).",
                f"Start the sign-in again; if it keeps failing, check the developer key in "
                f"{_KEY_PAGE}.",
            )
        text = message or default[0]
        if detail and detail not in text:
            text = f"{text} Canvas said: “{detail}”."
        super().__init__(text, hint=default[1] if hint is None else hint)
        self.code = code
        self.detail = detail

    def __repr__(self) -> str:
        return f"OAuthError(code={self.code!r}, message={self.message!r})"


# --- the authorize step --------------------------------------------------------------


@dataclass(frozen=True)
class AuthRequest:
    """One sign-in: the URL to open, and what to check the answer against."""

    # The state is what keeps a stray local process from finishing or cancelling
    # this sign-in, so neither it nor the URL carrying it is shown in a repr.
    url: str = field(repr=False)
    state: str = field(repr=False)
    pkce: PkcePair
    redirect_uri: str


def build_authorize_request(
    canvas_url: str, client_id: str, redirect_uri: str, *, scopes: Sequence[str] = API_SCOPES
) -> AuthRequest:
    """The authorize URL. It asks for the app's scopes (core/auth/scopes.py): a key
    with "Enforce scopes" needs them, and a key without ignores them."""
    # oauthlib's prepare_grant_uri refuses http:// outright, which would rule out
    # the loopback sandbox; add_params_to_uri is the same encoding without that check.
    base = normalize_canvas_url(canvas_url)
    state, pkce = new_state(), new_pkce()
    params = [
        ("client_id", validate_client_id(client_id)),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge", pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
    if scopes:
        params.append(("scope", " ".join(scopes)))
    url = add_params_to_uri(base + AUTHORIZE_PATH, params)
    return AuthRequest(url=url, state=state, pkce=pkce, redirect_uri=redirect_uri)


def parse_pasted_redirect(text: str, expected_state: str) -> str:
    """The code from what the admin pasted: the redirected address, or the bare code.

    For remote sessions where the browser cannot reach this computer's loopback
    port (or the OOB flow, whose Canvas page URL is /login/oauth2/auth?code=...).
    """
    raw = text.strip().strip("'\"<>").strip()
    if not raw:
        raise OAuthError("invalid_paste")
    if "=" not in raw and "?" not in raw:
        if AUTH_CODE_PATTERN.fullmatch(raw):
            return raw
        raise OAuthError("invalid_paste")
    query = raw.split("?", 1)[1] if "?" in raw else raw
    params = parse_qs(query.split("#", 1)[0], keep_blank_values=True)
    state = params.get("state", [None])[-1]
    if state is None or not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise OAuthError(
            "state_mismatch",
            hint="Paste the address from the browser tab that this sign-in opened (the newest "
            "one), or just the code on its own.",
        )
    error = params.get("error", [None])[-1]
    if error:
        raise OAuthError(error, detail=params.get("error_description", [None])[-1])
    code = params.get("code", [""])[-1]
    if not AUTH_CODE_PATTERN.fullmatch(code):
        raise OAuthError("invalid_paste")
    return code


# --- the token endpoint --------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None  # time.time() seconds; None when Canvas gave no expiry
    user_id: int | None
    user_name: str | None


def exchange_code(
    session: requests.Session,
    canvas_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    *,
    timeout: float = 30.0,
) -> TokenSet:
    body = WebApplicationClient(client_id).prepare_request_body(
        code=code,
        redirect_uri=redirect_uri,
        include_client_id=True,
        code_verifier=code_verifier,
        client_secret=client_secret,
    )
    payload = _token_call(session, normalize_canvas_url(canvas_url) + TOKEN_PATH, body, timeout)
    return _token_set(payload, previous_refresh=None)


def refresh_tokens(
    session: requests.Session,
    canvas_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    timeout: float = 30.0,
) -> TokenSet:
    """A new access token. Canvas keeps the refresh token unless it sends a new one.

    Raises AuthorizationNeeded when Canvas will not refresh (revoked or expired
    refresh token, changed secret); OAuthError when it could not be asked.
    """
    # No redirect_uri here on purpose: without one, Canvas answers errors as JSON
    # rather than with a 302 (old_silly_behavior in oauth2_provider_controller.rb).
    body = WebApplicationClient(client_id).prepare_refresh_body(
        refresh_token=refresh_token, client_id=client_id, client_secret=client_secret
    )
    try:
        payload = _token_call(session, normalize_canvas_url(canvas_url) + TOKEN_PATH, body, timeout)
    except OAuthError as exc:
        if exc.code == "invalid_client":
            raise AuthorizationNeeded(
                "Canvas no longer accepts the Client ID and Client Secret saved for this profile."
                + (f" Canvas said: “{exc.detail}”." if exc.detail else ""),
                hint="If the key's secret was regenerated, or the key deleted or switched off, "
                "enter the current Client ID and Client Secret, then sign in to Canvas again.",
            ) from None
        if exc.code in ("invalid_grant", "invalid_request"):
            raise AuthorizationNeeded(
                "Canvas no longer accepts this app's sign-in (the refresh token was revoked "
                "or has expired)." + (f" Canvas said: “{exc.detail}”." if exc.detail else ""),
                hint="Sign in to Canvas again (the app's sign-in step, or run "
                "`canvas-wizard authorize <profile>`). This happens when the app is removed "
                "under Approved Integrations or the developer key is deleted.",
            ) from None
        raise
    return _token_set(payload, previous_refresh=refresh_token)


def revoke_token(
    session: requests.Session, canvas_url: str, access_token: str, *, timeout: float = 15.0
) -> None:
    """End this token's sign-in at Canvas (the refresh token goes with it).

    Raises AuthorizationNeeded when Canvas no longer accepts the token (revoked
    or expired: it cannot revoke with it), OAuthError("revoke_failed") otherwise.
    """
    url = normalize_canvas_url(canvas_url) + TOKEN_PATH
    try:
        response = session.delete(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        reason = _network_error(url, exc, timeout).message
        raise OAuthError(
            "revoke_failed", message=f"{reason} The sign-in could not be ended at Canvas."
        ) from None
    with response:
        status = response.status_code
    if status == 401:
        raise AuthorizationNeeded(
            "Canvas no longer accepts this access token, so it cannot be used to sign out.",
            hint="Refresh the token and try again, or sign in again.",
        )
    if not 200 <= status < 300:
        raise OAuthError(
            "revoke_failed", message=f"Canvas refused to end the app's sign-in (HTTP {status})."
        )


def _token_call(session: requests.Session, url: str, body: str, timeout: float) -> dict[str, Any]:
    try:
        response = session.post(
            url,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            timeout=timeout,
            # Some Canvas installs answer a token error with a 302 to the redirect
            # URI: following it would GET our own loopback (or worse, a stranger's).
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise _network_error(url, exc, timeout) from None
    with response:
        status = response.status_code
        if 300 <= status < 400:
            raise _redirect_error(status, response.headers.get("Location", ""))
        try:
            payload: object = response.json()
        except ValueError:
            payload = None
    if status == 200 and isinstance(payload, dict):
        token = payload.get("access_token")
        if isinstance(token, str) and token:
            return payload
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        raise OAuthError(payload["error"], detail=payload.get("error_description"))
    log.warning("Token endpoint %s answered HTTP %s without a usable body", url, status)
    if status >= 500:
        raise OAuthError("server_error", message=f"Canvas answered HTTP {status}.")
    raise OAuthError("bad_response", message=f"Canvas's answer (HTTP {status}) had no token in it.")


def _redirect_error(status: int, location: str) -> OAuthError:
    # The Location is Canvas's "redirect_uri?error=...&error_description=..."; it
    # carries no secret, and its error is the real reason.
    params = parse_qs(urlsplit(location).query)
    error = params.get("error", [None])[-1]
    if error:
        return OAuthError(error, detail=params.get("error_description", [None])[-1])
    return OAuthError(
        "bad_response",
        message=f"Canvas answered the token request with a redirect (HTTP {status}) "
        "instead of tokens.",
    )


def _network_error(url: str, exc: requests.RequestException, timeout: float) -> OAuthError:
    host = urlsplit(url).hostname or url
    if isinstance(exc, requests.exceptions.SSLError):
        return OAuthError(
            "network",
            message=f"Could not make a secure connection to {host}.",
            hint="Check the Canvas address. If the school inspects HTTPS traffic, its root "
            "certificate must be installed in this computer's certificate store.",
        )
    if isinstance(exc, requests.Timeout):
        return OAuthError("network", message=f"{host} did not answer within {timeout:g} seconds.")
    return OAuthError("network", message=f"Could not reach Canvas at {host}.")


def _token_set(payload: dict[str, Any], previous_refresh: str | None) -> TokenSet:
    refresh = payload.get("refresh_token")
    expires_in = payload.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        expires_at = time.time() + float(expires_in)
    user = payload.get("user")
    user_id = user_name = None
    if isinstance(user, dict):
        raw_id = user.get("id")
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            user_id = raw_id
        elif isinstance(raw_id, str) and raw_id.isdigit():
            user_id = int(raw_id)
        user_name = _clean(user.get("name"), 200)
    return TokenSet(
        access_token=str(payload["access_token"]),
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
        expires_at=expires_at,
        user_id=user_id,
        user_name=user_name,
    )
