"""The sandbox's OAuth2 provider against what canvas-facts.md says Canvas does."""

from __future__ import annotations

import pytest
import requests
from canvas_sandbox_helpers import (
    REDIRECT,
    SAM,
    authorize_url,
    exchange,
    pkce_pair,
    query_of,
    sign_in,
)

from canvas_wizard.sandbox import ConsentError, DeveloperKey, SandboxCanvas


def _self(canvas: SandboxCanvas, token: str) -> requests.Response:
    return requests.get(
        f"{canvas.url}/api/v1/users/self",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_pkce_sign_in_returns_canvas_token_shape_and_the_token_works(canvas, key):
    verifier, challenge = pkce_pair()
    url = authorize_url(canvas, key, code_challenge=challenge, code_challenge_method="S256")
    location = canvas.approve_consent(url)
    assert location.startswith(REDIRECT + "?")
    params = query_of(location)
    assert params["state"] == "st-123"
    response = exchange(canvas, key, params["code"], code_verifier=verifier)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] and body["access_token"] != body["refresh_token"]
    assert body["user"] == {
        "id": 1,
        "name": "Alex Morgan",
        "global_id": "10000000000001",
        "effective_locale": "en-GB",
    }
    me = _self(canvas, body["access_token"])
    assert me.status_code == 200 and me.json()["name"] == "Alex Morgan"


def test_wrong_pkce_verifier_is_invalid_grant_and_burns_the_challenge(canvas, key):
    verifier, challenge = pkce_pair()
    url = authorize_url(canvas, key, code_challenge=challenge, code_challenge_method="S256")
    code = query_of(canvas.approve_consent(url))["code"]
    wrong = exchange(canvas, key, code, code_verifier="not-the-verifier" * 3)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # Canvas deletes the stored challenge when it checks it: the right verifier is too late.
    again = exchange(canvas, key, code, code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_codes_are_single_use(canvas, key):
    code = query_of(canvas.approve_consent(authorize_url(canvas, key)))["code"]
    assert exchange(canvas, key, code).status_code == 200
    reused = exchange(canvas, key, code)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "authorization_code not found",
    }


def test_expired_code_is_invalid_grant(canvas, key):
    code = query_of(canvas.approve_consent(authorize_url(canvas, key)))["code"]
    with canvas.state.lock:
        for record in canvas.state.codes.values():
            record.expires_at -= 601  # codes live ten minutes
    assert exchange(canvas, key, code).json()["error"] == "invalid_grant"


def test_unknown_client_is_json_401_and_no_redirect(canvas, key):
    url = authorize_url(canvas, key, client_id="10000000009999")
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert response.json() == {"error": "invalid_client", "error_description": "unknown client"}
    with pytest.raises(ConsentError) as raised:
        canvas.approve_consent(url)
    assert raised.value.status == 401


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:53683/canvas/authorize",  # another port
        "http://127.0.0.1:53682/canvas/other",  # another path
        "https://127.0.0.1:53682/canvas/authorize",  # another scheme
        "",
    ],
)
def test_redirect_uri_must_match_exactly(canvas, key, redirect_uri):
    url = authorize_url(canvas, key, redirect_uri=redirect_uri)
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "redirect_uri does not match client settings",
    }


def test_legacy_redirect_uri_matches_scheme_and_host_only(canvas):
    key = canvas.add_developer_key(redirect_uris=[], legacy_redirect_uri="http://school.example")

    def allowed(uri: str) -> bool:
        url = authorize_url(canvas, key, redirect_uri=uri)
        return requests.get(url, allow_redirects=False, timeout=10).status_code == 200

    assert allowed("http://school.example:9999/any/path")
    assert allowed("http://sub.school.example/cb")
    assert not allowed("https://school.example/cb")
    assert not allowed("http://evilschool.example/cb")


def test_key_switched_off_redirects_with_unauthorized_client(canvas):
    key = canvas.add_developer_key(redirect_uris=[REDIRECT], enabled=False)
    location = canvas.approve_consent(authorize_url(canvas, key))
    params = query_of(location)
    assert location.startswith(REDIRECT + "?")
    assert params["error"] == "unauthorized_client"
    assert params["error_description"]
    assert params["state"] == "st-123"


def test_cancel_redirects_with_access_denied_and_state(canvas, key):
    location = canvas.approve_consent(authorize_url(canvas, key), cancel=True)
    assert query_of(location) == {"error": "access_denied", "state": "st-123"}


def test_state_is_echoed_only_when_sent_and_ampersand_is_used_after_a_query(canvas):
    with_query = "http://127.0.0.1:53682/cb?profile=school"
    key = canvas.add_developer_key(redirect_uris=[with_query])
    url = authorize_url(canvas, key, redirect_uri=with_query).replace("&state=st-123", "")
    location = canvas.approve_consent(url)
    assert location.startswith(with_query + "&code=")
    assert "state" not in query_of(location)


def test_unsupported_response_type_comes_back_as_an_error(canvas, key):
    location = canvas.approve_consent(authorize_url(canvas, key, response_type="token"))
    assert query_of(location)["error"] == "unsupported_response_type"


def test_out_of_band_sign_in_ends_on_a_canvas_page_showing_the_code(canvas, key):
    url = authorize_url(canvas, key, redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    location = canvas.approve_consent(url)
    assert location.startswith(f"{canvas.url}/login/oauth2/auth?code=")
    code = query_of(location)["code"]
    page = requests.get(location, timeout=10)
    assert page.status_code == 200 and code in page.text
    assert exchange(canvas, key, code).status_code == 200


def test_consent_page_names_the_app_and_offers_authorize_and_cancel(canvas, key):
    page = requests.get(authorize_url(canvas, key), timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "Canvas Sync Wizard is requesting access to your account" in page.text
    assert ">Authorize</button>" in page.text and ">Cancel</button>" in page.text


def test_consent_can_sign_in_as_another_user(canvas, key):
    assert sign_in(canvas, key, SAM)["user"]["name"] == "Sam Patel"


@pytest.mark.parametrize("secret", ["wrong", "sécret-with-accents"])
def test_wrong_secret_is_invalid_client_401(canvas, key, secret):
    code = query_of(canvas.approve_consent(authorize_url(canvas, key)))["code"]
    response = exchange(canvas, key, code, client_secret=secret)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "invalid client"}


def test_refresh_gives_a_new_access_token_and_keeps_the_refresh_token(canvas, key):
    first = sign_in(canvas, key)
    response = requests.post(
        f"{canvas.url}/login/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": key.client_id,
            "client_secret": key.client_secret,
            "refresh_token": first["refresh_token"],
        },
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body
    assert body["access_token"] != first["access_token"]
    assert _self(canvas, body["access_token"]).status_code == 200
    # Canvas regenerates the token on the same record: the old access token is dead.
    assert _self(canvas, first["access_token"]).status_code == 401


def _refresh(canvas: SandboxCanvas, key: DeveloperKey, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{canvas.url}/login/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": key.client_id,
            "client_secret": key.client_secret,
            "refresh_token": refresh_token,
        },
        timeout=10,
    )


def test_revoked_refresh_token_is_refresh_token_not_found(canvas, key):
    tokens = sign_in(canvas, key)
    canvas.revoke_refresh_tokens()
    response = _refresh(canvas, key, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "refresh_token not found",
    }


def test_delete_token_revokes_access_and_refresh(canvas, key):
    tokens = sign_in(canvas, key)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = requests.delete(f"{canvas.url}/login/oauth2/token", headers=headers, timeout=10)
    assert response.status_code == 200 and response.json() == {}
    assert _self(canvas, tokens["access_token"]).status_code == 401
    assert _refresh(canvas, key, tokens["refresh_token"]).status_code == 400


def test_secrets_never_show_in_reprs(canvas, key):
    tokens = sign_in(canvas, key)
    shown = repr(key) + repr(list(canvas.state.tokens.values())) + repr(canvas.state)
    for secret in (key.client_secret, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in shown
