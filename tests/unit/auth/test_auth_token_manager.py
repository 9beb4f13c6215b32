"""TokenManager: the Canvas client's TokenSource over the keyring and the token endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import responses

from canvas_wizard.core.auth import OAuthError, TokenManager, TokenSet
from canvas_wizard.core.canvas.tokens import TokenSource
from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.store import Profile, SecretKind, SecretStore

CANVAS = "https://school.instructure.com"
TOKEN_URL = f"{CANVAS}/login/oauth2/token"


@pytest.fixture
def profile() -> Profile:
    return Profile(name="Main school", canvas_url=CANVAS, client_id="10000000000042")


@pytest.fixture
def secrets(profile: Profile) -> Iterator[SecretStore]:
    store = SecretStore(session_only=True)
    store.set(profile, SecretKind.CLIENT_SECRET, "the-client-secret")
    yield store
    store.forget_all(profile)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def canvas() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as rsps:
        yield rsps


def signed_in(
    profile: Profile,
    secrets: SecretStore,
    http: requests.Session,
    *,
    expires_in: float | None = 3600.0,
    refresh: str | None = "1~REFRESH",
) -> TokenManager:
    manager = TokenManager(profile, secrets, http)
    expires_at = None if expires_in is None else time.time() + expires_in
    manager.store(TokenSet("1~OLD", refresh, expires_at, 42, "Pat"))
    return manager


def refreshed(body: dict[str, Any] | None = None) -> dict[str, Any]:
    return body or {"access_token": "1~NEW", "expires_in": 3600, "user": {"id": 42, "name": "Pat"}}


def test_satisfies_the_clients_token_source(
    profile: Profile, secrets: SecretStore, http: requests.Session
) -> None:
    assert isinstance(TokenManager(profile, secrets, http), TokenSource)


def test_valid_token_comes_from_memory_without_asking_canvas(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    assert manager.access_token() == "1~OLD"
    assert manager.access_token() == "1~OLD"
    assert len(canvas.calls) == 0


def test_stored_tokens_survive_a_new_manager(
    profile: Profile, secrets: SecretStore, http: requests.Session
) -> None:
    signed_in(profile, secrets, http)
    assert TokenManager(profile, secrets, http).access_token() == "1~OLD"
    assert secrets.get(profile, SecretKind.REFRESH_TOKEN) == "1~REFRESH"
    entry = json.loads(secrets.get(profile, SecretKind.ACCESS_TOKEN) or "")
    assert entry["access_token"] == "1~OLD" and entry["expires_at"] > time.time()


def test_refreshes_proactively_within_a_minute_of_expiry(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http, expires_in=30)
    canvas.post(TOKEN_URL, json=refreshed())
    assert manager.access_token() == "1~NEW"
    assert manager.access_token() == "1~NEW"
    assert len(canvas.calls) == 1
    # The old refresh token is kept (Canvas sends none) and the new access token saved.
    assert secrets.get(profile, SecretKind.REFRESH_TOKEN) == "1~REFRESH"
    assert TokenManager(profile, secrets, http).access_token() == "1~NEW"


def test_no_refresh_while_more_than_a_minute_is_left(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http, expires_in=90)
    assert manager.access_token() == "1~OLD"
    assert len(canvas.calls) == 0


def test_a_rotated_refresh_token_is_stored(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    canvas.post(TOKEN_URL, json={"access_token": "1~NEW", "refresh_token": "1~REFRESH-2"})
    assert manager.refresh_access_token() == "1~NEW"
    assert secrets.get(profile, SecretKind.REFRESH_TOKEN) == "1~REFRESH-2"


def test_eight_threads_asking_at_once_cause_one_refresh(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    calls = 0
    count_lock = threading.Lock()

    def slow_canvas(request: Any) -> tuple[int, dict[str, str], str]:
        nonlocal calls
        with count_lock:
            calls += 1
        time.sleep(0.05)  # a real round trip: the other threads pile up meanwhile
        return 200, {}, json.dumps(refreshed())

    canvas.add_callback(responses.POST, TOKEN_URL, callback=slow_canvas)
    start = threading.Barrier(8)

    def after_401() -> str:
        start.wait()
        return manager.refresh_access_token()

    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = list(pool.map(lambda _: after_401(), range(8)))
    assert tokens == ["1~NEW"] * 8
    assert calls == 1


def test_a_late_401_from_the_old_token_does_not_refresh_again(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    canvas.post(TOKEN_URL, json=refreshed())
    assert manager.refresh_access_token() == "1~NEW"
    assert manager.refresh_access_token() == "1~NEW"
    assert len(canvas.calls) == 1


def test_no_tokens_means_authorization_needed(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = TokenManager(profile, secrets, http)
    with pytest.raises(AuthorizationNeeded, match="not signed in") as info:
        manager.access_token()
    assert "canvas-wizard authorize" in info.value.hint
    with pytest.raises(AuthorizationNeeded):
        manager.refresh_access_token()
    assert len(canvas.calls) == 0


def test_missing_client_secret_means_authorization_needed(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    secrets.delete(profile, SecretKind.CLIENT_SECRET)
    with pytest.raises(AuthorizationNeeded, match="Client Secret"):
        manager.refresh_access_token()


def test_revoked_refresh_token_is_reported_once_then_remembered(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http, expires_in=10)
    canvas.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_request", "error_description": "refresh_token not found"},
    )
    with pytest.raises(AuthorizationNeeded, match="refresh_token not found"):
        manager.access_token()
    with pytest.raises(AuthorizationNeeded):
        manager.access_token()
    with pytest.raises(AuthorizationNeeded):
        manager.refresh_access_token()
    assert len(canvas.calls) == 1
    # Signing in again clears it.
    manager.store(TokenSet("1~FRESH", "1~R2", time.time() + 3600, 42, "Pat"))
    assert manager.access_token() == "1~FRESH"


def test_early_refresh_failing_on_the_network_keeps_the_live_token(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http, expires_in=30)
    canvas.post(TOKEN_URL, body=requests.ConnectionError("down"))
    assert manager.access_token() == "1~OLD"
    with pytest.raises(OAuthError) as info:
        manager.refresh_access_token()
    assert info.value.code == "network"


def test_expired_token_and_canvas_unreachable_is_an_error(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http, expires_in=-5)
    canvas.post(TOKEN_URL, body=requests.ConnectionError("down"))
    with pytest.raises(OAuthError):
        manager.access_token()


def test_disconnect_revokes_then_forgets_everything(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    canvas.delete(TOKEN_URL, json={})
    manager.disconnect()
    assert canvas.calls[0].request.headers["Authorization"] == "Bearer 1~OLD"
    for kind in SecretKind:
        assert secrets.get(profile, kind) is None
    with pytest.raises(AuthorizationNeeded, match="disconnected"):
        manager.access_token()


def test_disconnect_with_an_expired_token_refreshes_first(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    # Canvas cannot revoke with an expired token, and the refresh token would live on.
    manager = signed_in(profile, secrets, http, expires_in=-5)
    canvas.post(TOKEN_URL, json=refreshed())
    canvas.delete(TOKEN_URL, json={})
    manager.disconnect()
    assert [c.request.method for c in canvas.calls] == ["POST", "DELETE"]
    assert canvas.calls[1].request.headers["Authorization"] == "Bearer 1~NEW"


def test_disconnect_reports_a_failed_revoke_after_forgetting(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    canvas.delete(TOKEN_URL, body=requests.ConnectionError("offline"))
    with pytest.raises(OAuthError) as info:
        manager.disconnect()
    assert info.value.code == "revoke_failed"
    assert "Approved Integrations" in info.value.hint
    assert "school.instructure.com" in info.value.message
    for kind in SecretKind:
        assert secrets.get(profile, kind) is None


def test_disconnect_when_canvas_already_dropped_the_sign_in(
    profile: Profile, secrets: SecretStore, http: requests.Session, canvas: responses.RequestsMock
) -> None:
    manager = signed_in(profile, secrets, http)
    canvas.delete(TOKEN_URL, status=401, json={"errors": [{"message": "Invalid access token."}]})
    canvas.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_request", "error_description": "refresh_token not found"},
    )
    manager.disconnect()  # nothing left at Canvas: not an error
    assert secrets.get(profile, SecretKind.REFRESH_TOKEN) is None
