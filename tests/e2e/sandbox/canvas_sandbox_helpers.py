"""Helpers for the sandbox tests: OAuth steps, a signed-in API client, waiting.

A module of its own (not conftest) so tests can import it by a unique name.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas

REDIRECT = "http://127.0.0.1:53682/canvas/authorize"
ALEX, SAM = 1, 2


def authorize_url(canvas: SandboxCanvas, key: DeveloperKey, **params: str) -> str:
    query = {
        "client_id": key.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "st-123",
        **params,
    }
    return f"{canvas.url}/login/oauth2/auth?{urlencode(query)}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def exchange(
    canvas: SandboxCanvas, key: DeveloperKey, code: str, **extra: str
) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": key.client_id,
        "client_secret": key.client_secret,
        "code": code,
        "redirect_uri": REDIRECT,
        **extra,
    }
    return requests.post(f"{canvas.url}/login/oauth2/token", data=data, timeout=10)


def sign_in(canvas: SandboxCanvas, key: DeveloperKey, user_id: int = ALEX) -> dict[str, Any]:
    """The whole OAuth flow with PKCE; returns the token response."""
    verifier, challenge = pkce_pair()
    url = authorize_url(canvas, key, code_challenge=challenge, code_challenge_method="S256")
    location = canvas.approve_consent(url, as_user_id=user_id)
    response = exchange(canvas, key, query_of(location)["code"], code_verifier=verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Api:
    """A signed-in API client: ``api.get("/api/v1/users/self")``."""

    def __init__(self, session: requests.Session, base: str, token: str) -> None:
        self.session, self.base, self.token = session, base, token

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.session.request(method, url, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def all_pages(self, path: str, **kwargs: Any) -> list[Any]:
        """Follow rel="next" until Canvas stops sending it."""
        items: list[Any] = []
        url: str | None = path
        while url:
            response = self.get(url, **kwargs)
            assert response.status_code == 200, response.text
            items.extend(response.json())
            url = response.links.get("next", {}).get("url")
            kwargs.pop("params", None)  # the next link carries them
        return items


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
