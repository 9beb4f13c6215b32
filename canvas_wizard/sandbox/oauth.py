"""Canvas's OAuth2 provider: authorize, consent, token, refresh, revoke.

Follows app/controllers/oauth2_provider_controller.rb and lib/canvas/oauth/*:
an unknown client or a redirect_uri the key does not allow is answered with JSON
right there (Canvas never redirects to an address it does not trust); a key
that is not switched on, a Cancel, or a wrong response_type come back to the
redirect_uri as ``error=...``. Redirect parameters are appended with ``?`` or
``&`` and sorted by name (Ruby's ``Hash#to_query``); ``state`` only when sent.

The sandbox has no login page: the consent page stands for a signed-in admin
and lets the tester pick who that is ("Signed in as").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import secrets
import string
import time
from urllib.parse import urlencode, urlsplit

from canvas_wizard.sandbox.http import ApiError, Response
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import (
    AccessToken,
    AuthorizationCode,
    DeveloperKey,
    PendingConsent,
    secret_hash,
)
from canvas_wizard.sandbox.views import token_user_json

OOB_URI = "urn:ietf:wg:oauth:2.0:oob"
NOT_ENABLED = "Client does not have access to the specified Canvas account."
CODE_MISSING = "You must provide the code parameter when using the authorization_code grant type"
REFRESH_MISSING = (
    "You must provide the refresh_token parameter when using the refresh_token grant type"
)
#: Canvas's oath_token_request_timeout: codes (and PKCE challenges) live 10 minutes.
CODE_TTL = 600.0
CONSENT_TTL = 600.0
_ALNUM = string.ascii_letters + string.digits
INVALID_SCOPE = (
    "A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the "
    "resource owner."
)


def redirect_allowed(key: DeveloperKey, redirect_uri: str) -> bool:
    """DeveloperKey#redirect_domain_matches?, plus the out-of-band URI."""
    if redirect_uri == OOB_URI or redirect_uri in key.redirect_uris:
        return True
    if not key.legacy_redirect_uri:
        return False
    legacy, wanted = urlsplit(key.legacy_redirect_uri), urlsplit(redirect_uri)
    if not legacy.hostname or not wanted.hostname or legacy.scheme != wanted.scheme:
        return False
    return wanted.hostname == legacy.hostname or wanted.hostname.endswith("." + legacy.hostname)


def final_redirect(base_url: str, redirect_uri: str, params: dict[str, str]) -> str:
    """Canvas::OAuth::Provider.final_redirect."""
    query = urlencode(sorted(params.items()))
    if redirect_uri == OOB_URI:
        return f"{base_url}/login/oauth2/auth?{query}"
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + query


def oauth_error(error: str, description: str, status: int = 400) -> ApiError:
    """Canvas::OAuth::RequestError#to_render_data, with its 401 challenge."""
    headers = [("WWW-Authenticate", "Canvas OAuth 2.0")] if status == 401 else []
    return ApiError(
        Response.json({"error": error, "error_description": description}, status, headers)
    )


def _random_token() -> str:
    """Canvas-looking token: "<shard>~<64 characters>"."""
    return "1~" + "".join(secrets.choice(_ALNUM) for _ in range(64))


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# -- authorize and consent ----------------------------------------------------


def authorize(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    if req.has("code") or req.has("error"):
        return _oob_page(ctx)
    with state.lock:
        key = state.developer_keys.get(req.param("client_id") or "")
    if key is None:
        raise oauth_error("invalid_client", "unknown client", 401)
    redirect_uri = req.param("redirect_uri") or ""
    if not redirect_allowed(key, redirect_uri):
        raise oauth_error("invalid_request", "redirect_uri does not match client settings")
    sent_state = req.param("state") if req.has("state") else None
    extra = {"state": sent_state} if sent_state is not None else {}
    if not key.enabled:
        return Response.redirect(
            final_redirect(
                ctx.base_url,
                redirect_uri,
                {
                    "error": "unauthorized_client",
                    "error_description": NOT_ENABLED,
                    **extra,
                },
            )
        )
    if req.param("response_type") != "code":
        return Response.redirect(
            final_redirect(
                ctx.base_url,
                redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "Only response_type=code is permitted",
                    **extra,
                },
            )
        )
    scopes = (req.param("scope") or req.param("scopes") or "").split()
    missing = [s for s in scopes if s not in key.scopes]
    if key.require_scopes and (not scopes or missing):
        # lib/canvas/oauth/provider.rb ``valid_scopes?``: scopes asked for, all on the key.
        return Response.redirect(
            final_redirect(
                ctx.base_url,
                redirect_uri,
                {
                    "error": "invalid_scope",
                    "error_description": INVALID_SCOPE
                    + (
                        " The following scopes were requested, but not granted: "
                        + ", ".join(missing)
                        if missing
                        else ""
                    ),
                    **extra,
                },
            )
        )
    challenge = None
    if req.param("code_challenge") and req.param("code_challenge_method") == "S256":
        challenge = req.param("code_challenge")
    consent_id = secrets.token_urlsafe(24)
    with state.lock:
        state.consents[consent_id] = PendingConsent(
            client_id=key.client_id,
            redirect_uri=redirect_uri,
            state=sent_state,
            scopes=scopes,
            code_challenge=challenge,
            expires_at=time.time() + CONSENT_TTL,
        )
    return Response.html(_consent_page(ctx, key, consent_id))


def _signed_in_choices(ctx: Ctx) -> list[tuple[int, str]]:
    """Admins first (the people who would run this wizard), then everyone else."""
    state = ctx.state
    with state.lock:
        admin_ids = {r.user_id for r in state.admins}
        users = [u for u in state.users.values() if state.is_listed(u)]
    users.sort(key=lambda u: (u.id not in admin_ids, u.id))
    return [(u.id, u.name) for u in users]


def _consent_page(ctx: Ctx, key: DeveloperKey, consent_id: str) -> str:
    name = html.escape(key.name)
    options = "".join(
        f'<option value="{uid}">{html.escape(label)}</option>'
        for uid, label in _signed_in_choices(ctx)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {name}</title></head>
<body>
<h1>{name} is requesting access to your account</h1>
<p>{name} would like to access your Canvas account. It will be able to act as you,
including reading and changing data your account can reach.</p>
<form method="post" action="/login/oauth2/confirm" id="oauth2_accept_form">
<input type="hidden" name="consent_id" value="{consent_id}">
<p><label>Signed in as <select name="as_user_id">{options}</select></label></p>
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>
</body></html>
"""


def confirm(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    with state.lock:
        consent = state.consents.pop(req.param("consent_id") or "", None)
    if consent is None or consent.expires_at < time.time():
        return Response.text("Invalid or missing session for oauth", 400)
    extra = {"state": consent.state} if consent.state is not None else {}
    if req.param("decision") != "authorize":
        return Response.redirect(
            final_redirect(ctx.base_url, consent.redirect_uri, {"error": "access_denied", **extra})
        )
    choices = [uid for uid, _ in _signed_in_choices(ctx)]
    raw = req.param("as_user_id")
    user_id = int(raw) if raw and raw.isdigit() else (choices[0] if choices else 0)
    if user_id not in choices:
        return Response.text("No such user can sign in to this Canvas", 400)
    code = secrets.token_hex(64)
    with state.lock:
        state.codes[secret_hash(code)] = AuthorizationCode(
            client_id=consent.client_id,
            user_id=user_id,
            redirect_uri=consent.redirect_uri,
            expires_at=time.time() + CODE_TTL,
            code_challenge=consent.code_challenge,
            scopes=list(consent.scopes),
        )
    return Response.redirect(
        final_redirect(ctx.base_url, consent.redirect_uri, {"code": code, **extra})
    )


def _oob_page(ctx: Ctx) -> Response:
    """Where an out-of-band sign-in ends: the code (or error) is in this page's URL."""
    req = ctx.request
    if req.has("error"):
        error = html.escape(req.param("error") or "")
        body = f"<h1>Authorization failed</h1><p id='error'>{error}</p>"
    else:
        code = html.escape(req.param("code") or "")
        body = (
            "<h1>Authorization complete</h1>"
            "<p>Copy this code back into the application that asked for it:</p>"
            f"<pre id='code'>{code}</pre>"
        )
    return Response.html(f"<!DOCTYPE html><html><body>{body}</body></html>")


# -- token endpoint -------------------------------------------------------------


def _client_credentials(ctx: Ctx) -> tuple[str, str]:
    req = ctx.request
    basic_user = basic_pass = ""
    header = req.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        basic_user, _, basic_pass = decoded.partition(":")
    return (req.param("client_id") or basic_user), (req.param("client_secret") or basic_pass)


def issue_token(
    ctx: Ctx,
    token: AccessToken | None,
    user_id: int,
    client_id: str,
    scopes: list[str] | None = None,
) -> tuple[str, str | None]:
    """A new access token (and, for a new grant, a refresh token); returns the clear values."""
    state, ttl = ctx.state, ctx.app.access_token_ttl
    access = _random_token()
    expires_at = time.time() + ttl if ttl > 0 else None
    with state.lock:
        if token is None:
            refresh = _random_token()
            token = AccessToken(
                id=state.next_id("token"),
                user_id=user_id,
                client_id=client_id,
                access_hash=secret_hash(access),
                refresh_hash=secret_hash(refresh),
                expires_at=expires_at,
                scopes=list(scopes or ()),
            )
            state.tokens[token.id] = token
            return access, refresh
        # Canvas regenerates the access token on the same record: the old one stops working.
        token.access_hash = secret_hash(access)
        token.expires_at = expires_at
        return access, None


def token(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    client_id, secret = _client_credentials(ctx)
    grant_type = req.param("grant_type") or ("authorization_code" if req.has("code") else "")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise oauth_error(
            "unsupported_grant_type", "The grant_type you requested is not currently supported"
        )
    with state.lock:
        key = state.developer_keys.get(client_id)
    if key is None:
        raise oauth_error("invalid_client", "unknown client", 401)
    uses_pkce = grant_type == "authorization_code" and req.has("code_verifier")
    # PKCE clients may be public (no secret); a secret that is sent must be right.
    if (secret or not uses_pkce) and not _same(secret, key.client_secret):
        raise oauth_error("invalid_client", "invalid client", 401)
    if grant_type == "authorization_code":
        record = _redeem_code(ctx, key, uses_pkce)
        access, refresh = issue_token(ctx, None, record.user_id, key.client_id, record.scopes)
        user_id = record.user_id
    else:
        raw = req.param("refresh_token")
        if not raw:
            raise oauth_error("invalid_request", REFRESH_MISSING)
        existing = state.token_by_refresh(raw)
        if existing is None:
            raise oauth_error("invalid_request", "refresh_token not found")
        if existing.client_id != key.client_id:
            raise oauth_error("invalid_grant", "incorrect client")
        access, refresh = issue_token(ctx, existing, existing.user_id, key.client_id)
        user_id = existing.user_id
    with state.lock:
        user = state.users[user_id]
    body: dict[str, object] = {
        "access_token": access,
        "token_type": "Bearer",
        "user": token_user_json(user),
        "canvas_region": "local",
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    if ctx.app.access_token_ttl > 0:
        body["expires_in"] = int(ctx.app.access_token_ttl)
    return Response.json(body)


def _redeem_code(ctx: Ctx, key: DeveloperKey, uses_pkce: bool) -> AuthorizationCode:
    req, state = ctx.request, ctx.state
    code = req.param("code")
    if not code:
        raise oauth_error("invalid_request", CODE_MISSING)
    digest = secret_hash(code)
    with state.lock:
        record = state.codes.get(digest)
        if record is not None and record.expires_at < time.time():
            del state.codes[digest]
            record = None
        if uses_pkce:
            # Canvas deletes the stored challenge when it checks it: one try per code.
            challenge = record.code_challenge if record else None
            if record is not None:
                record.code_challenge = None
            verifier = req.param("code_verifier") or ""
            if not challenge or not _same(s256(verifier), challenge):
                raise oauth_error("invalid_grant", "The code_verifier is not valid for this code")
        if record is None:
            raise oauth_error("invalid_grant", "authorization_code not found")
        if record.client_id != key.client_id:
            raise oauth_error("invalid_grant", "incorrect client")
        del state.codes[digest]
        return record


def revoke(ctx: Ctx) -> Response:
    """DELETE /login/oauth2/token: forget the token pair the request is made with."""
    if ctx.token is None:
        return Response.json(
            {"message": "can't delete OAuth access token when not using an OAuth access token"},
            400,
        )
    with ctx.state.lock:
        ctx.state.tokens.pop(ctx.token.id, None)
    return Response.json({})


ROUTES: list[Route] = [
    route("GET", "/login/oauth2/auth", authorize, api=False),
    route("POST", "/login/oauth2/confirm", confirm, api=False),
    route("POST", "/login/oauth2/token", token, api=False),
    route("DELETE", "/login/oauth2/token", revoke, needs_user=False),
]
