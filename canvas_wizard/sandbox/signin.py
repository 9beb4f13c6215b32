"""Signing in to the sandbox without a browser, for tests, benchmarks and scripts.

It is the real authorization-code flow with PKCE — the app's own
``build_authorize_request`` and ``exchange_code`` — with the sandbox approving its
consent page as the chosen user where a person would click Authorize.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

import requests

from canvas_wizard.core.auth import TokenSet, build_authorize_request, exchange_code
from canvas_wizard.sandbox.app import SandboxCanvas
from canvas_wizard.sandbox.models import DeveloperKey


def sign_in(
    canvas: SandboxCanvas,
    key: DeveloperKey,
    redirect_uri: str,
    *,
    as_user_id: int | None = None,
    session: requests.Session | None = None,
    scopes: Sequence[str] | None = None,
) -> TokenSet:
    """Tokens for ``as_user_id`` (the seeded admin by default) through ``key``."""
    if scopes is None:
        request = build_authorize_request(canvas.url, key.client_id, redirect_uri)
    else:
        request = build_authorize_request(canvas.url, key.client_id, redirect_uri, scopes=scopes)
    location = canvas.approve_consent(request.url, as_user_id=as_user_id)
    query = parse_qs(urlsplit(location).query)
    if query.get("state") != [request.state]:
        raise RuntimeError(f"the sandbox redirected without our state: {location!r}")
    http = session if session is not None else requests.Session()
    try:
        return exchange_code(
            http,
            canvas.url,
            key.client_id,
            key.client_secret,
            query["code"][0],
            redirect_uri,
            request.pkce.verifier,
        )
    finally:
        if session is None:
            http.close()
