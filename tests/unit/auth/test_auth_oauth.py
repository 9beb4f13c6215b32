"""The OAuth protocol against Canvas as canvas-facts.md describes it, over `responses`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from canvas_wizard.core.auth import (
    DEFAULT_REDIRECT_PORT,
    OAuthError,
    TokenSet,
    build_authorize_request,
    exchange_code,
    parse_pasted_redirect,
    redirect_uri_for,
    refresh_tokens,
    revoke_token,
)
from canvas_wizard.core.auth.pkce import s256_challenge
from canvas_wizard.core.auth.scopes import API_SCOPES
from canvas_wizard.core.errors import AuthorizationNeeded, UsageError, WizardError

CANVAS = "https://school.instructure.com"
TOKEN_URL = f"{CANVAS}/login/oauth2/token"
CLIENT_ID = "10000000000042"
SECRET = "s3cr3t-CLIENT-secret-value-0123456789abcdef"
CODE = "c0de" * 32
VERIFIER = "v" * 64
REDIRECT = redirect_uri_for(DEFAULT_REDIRECT_PORT)
SECRETS = (SECRET, CODE, VERIFIER)

CANVAS_TOKEN_JSON = {
    "access_token": "1~ACCESS-one",
    "token_type": "Bearer",
    "user": {
        "id": 42,
        "name": "Pat Admin",
        "global_id": "10000000000042",
        "effective_locale": "en",
    },
    "refresh_token": "1~REFRESH-one",
    "expires_in": 3600,
    "canvas_region": "us-east-1",
}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def canvas() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as rsps:
        yield rsps


def form(call: responses.Call) -> dict[str, list[str]]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return parse_qs(text)


def assert_no_secret(exc: BaseException) -> None:
    shown = f"{exc} {exc!r} {getattr(exc, 'hint', '')}"
    for secret in SECRETS:
        assert secret not in shown


def exchange(http: requests.Session) -> TokenSet:
    return exchange_code(http, CANVAS, CLIENT_ID, SECRET, CODE, REDIRECT, VERIFIER)


# --- authorize URL --------------------------------------------------------------------


def test_authorize_url_carries_every_parameter_canvas_needs() -> None:
    request = build_authorize_request(CANVAS + "/login/canvas", CLIENT_ID, REDIRECT)
    url = urlsplit(request.url)
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "school.instructure.com",
        "/login/oauth2/auth",
    )
    query = parse_qs(url.query)
    assert query == {
        "client_id": [CLIENT_ID],
        "response_type": ["code"],
        "redirect_uri": [REDIRECT],
        "state": [request.state],
        "code_challenge": [request.pkce.challenge],
        "code_challenge_method": ["S256"],
        # A key with "Enforce scopes" needs them; a key without ignores them.
        "scope": [" ".join(API_SCOPES)],
    }
    assert request.pkce.challenge == s256_challenge(request.pkce.verifier)
    assert request.redirect_uri == REDIRECT == "http://127.0.0.1:57316/canvas/authorize"


def test_each_authorize_request_is_fresh() -> None:
    one = build_authorize_request(CANVAS, CLIENT_ID, REDIRECT)
    two = build_authorize_request(CANVAS, CLIENT_ID, REDIRECT)
    assert one.state != two.state
    assert one.pkce.verifier != two.pkce.verifier


def test_authorize_url_scopes_and_loopback_sandbox() -> None:
    request = build_authorize_request(
        "http://127.0.0.1:8765", CLIENT_ID, REDIRECT, scopes=["url:GET|/api/v1/accounts"]
    )
    url = urlsplit(request.url)
    assert url.scheme == "http" and url.port == 8765
    assert parse_qs(url.query)["scope"] == ["url:GET|/api/v1/accounts"]


def test_authorize_refuses_plain_http_and_bad_client_id() -> None:
    with pytest.raises(UsageError):
        build_authorize_request("http://school.instructure.com", CLIENT_ID, REDIRECT)
    with pytest.raises(UsageError, match="Client ID"):
        build_authorize_request(CANVAS, "abc-secret-looking", REDIRECT)


def test_auth_request_repr_hides_verifier_and_state() -> None:
    request = build_authorize_request(CANVAS, CLIENT_ID, REDIRECT)
    shown = repr(request) + str(request)
    assert request.pkce.verifier not in shown
    assert request.state not in shown
    assert REDIRECT in shown


# --- code exchange --------------------------------------------------------------------


def test_exchange_sends_canvas_form_and_reads_the_answer(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, json=CANVAS_TOKEN_JSON)
    before = time.time()
    tokens = exchange(http)
    assert form(canvas.calls[0]) == {
        "grant_type": ["authorization_code"],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
        "code": [CODE],
        "redirect_uri": [REDIRECT],
        "code_verifier": [VERIFIER],
    }
    assert canvas.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert tokens.access_token == "1~ACCESS-one"
    assert tokens.refresh_token == "1~REFRESH-one"
    assert tokens.user_id == 42 and tokens.user_name == "Pat Admin"
    assert tokens.expires_at is not None
    assert before + 3600 <= tokens.expires_at <= time.time() + 3600


def test_token_without_expiry_or_user(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, json={"access_token": "1~x"})
    tokens = exchange(http)
    assert (tokens.refresh_token, tokens.expires_at, tokens.user_id) == (None, None, None)


def test_tokenset_repr_and_str_hide_tokens(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, json=CANVAS_TOKEN_JSON)
    tokens = exchange(http)
    for shown in (repr(tokens), str(tokens)):
        assert "ACCESS-one" not in shown and "REFRESH-one" not in shown
        assert "Pat Admin" in shown


def test_invalid_grant(http: requests.Session, canvas: responses.RequestsMock) -> None:
    canvas.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "authorization_code not found"},
    )
    with pytest.raises(OAuthError) as info:
        exchange(http)
    assert info.value.code == "invalid_grant"
    assert "authorization_code not found" in info.value.message
    assert "10 minutes" in info.value.hint
    assert_no_secret(info.value)


def test_invalid_client_401_points_at_the_secret(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(
        TOKEN_URL,
        status=401,
        json={"error": "invalid_client", "error_description": "invalid client"},
        headers={"WWW-Authenticate": "Canvas OAuth 2.0"},
    )
    with pytest.raises(OAuthError) as info:
        exchange(http)
    assert info.value.code == "invalid_client"
    assert "Client Secret" in info.value.message
    assert "Show Key" in info.value.hint
    assert_no_secret(info.value)


def test_unknown_client_points_at_the_client_id(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(
        TOKEN_URL,
        status=401,
        json={"error": "invalid_client", "error_description": "unknown client"},
    )
    with pytest.raises(OAuthError, match="Client ID") as info:
        exchange(http)
    assert info.value.code == "invalid_client"


def test_a_302_answer_is_a_failure_and_is_not_followed(
    http: requests.Session,
) -> None:
    location = f"{REDIRECT}?error=invalid_grant&error_description=authorization_code+not+found"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as canvas:
        canvas.post(TOKEN_URL, status=302, headers={"Location": location})
        canvas.get(REDIRECT, body="must never be fetched")
        with pytest.raises(OAuthError) as info:
            exchange(http)
        assert len(canvas.calls) == 1
    assert info.value.code == "invalid_grant"
    assert "authorization_code not found" in info.value.message
    assert_no_secret(info.value)


def test_a_bare_redirect_is_a_failure_too(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, status=301, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(OAuthError, match="redirect") as info:
        exchange(http)
    assert info.value.code == "bad_response"


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (500, "<html>Oops</html>", "server_error"),
        (200, "<html><title>School portal login</title></html>", "bad_response"),
        (200, '{"token_type": "Bearer"}', "bad_response"),
    ],
)
def test_answers_that_are_not_tokens(
    http: requests.Session, canvas: responses.RequestsMock, status: int, body: str, code: str
) -> None:
    canvas.post(TOKEN_URL, status=status, body=body)
    with pytest.raises(OAuthError) as info:
        exchange(http)
    assert info.value.code == code
    assert_no_secret(info.value)


def test_network_failure_names_the_host_not_the_secret(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, body=requests.ConnectionError(f"refused, body had {SECRET}"))
    with pytest.raises(OAuthError) as info:
        exchange(http)
    assert info.value.code == "network"
    assert "school.instructure.com" in info.value.message
    assert_no_secret(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


# --- refresh --------------------------------------------------------------------------


def test_refresh_keeps_the_old_refresh_token(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(
        TOKEN_URL,
        json={
            "access_token": "1~ACCESS-two",
            "user": {"id": 42, "name": "Pat"},
            "expires_in": 3600,
        },
    )
    tokens = refresh_tokens(http, CANVAS, CLIENT_ID, SECRET, "1~REFRESH-one")
    assert tokens.access_token == "1~ACCESS-two"
    assert tokens.refresh_token == "1~REFRESH-one"
    sent = form(canvas.calls[0])
    assert sent == {
        "grant_type": ["refresh_token"],
        "client_id": [CLIENT_ID],
        "client_secret": [SECRET],
        "refresh_token": ["1~REFRESH-one"],
    }  # and no redirect_uri: Canvas then answers errors as JSON, not with a 302


def test_refresh_takes_a_rotated_refresh_token(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, json={"access_token": "1~ACCESS-two", "refresh_token": "1~REFRESH-two"})
    tokens = refresh_tokens(http, CANVAS, CLIENT_ID, SECRET, "1~REFRESH-one")
    assert tokens.refresh_token == "1~REFRESH-two"


@pytest.mark.parametrize(
    ("status", "error", "description"),
    [
        (400, "invalid_request", "refresh_token not found"),
        (400, "invalid_grant", "incorrect client"),
        (401, "invalid_client", "invalid client"),
    ],
)
def test_refused_refresh_means_sign_in_again(
    http: requests.Session,
    canvas: responses.RequestsMock,
    status: int,
    error: str,
    description: str,
) -> None:
    canvas.post(TOKEN_URL, status=status, json={"error": error, "error_description": description})
    with pytest.raises(AuthorizationNeeded) as info:
        refresh_tokens(http, CANVAS, CLIENT_ID, SECRET, "1~REFRESH-one")
    assert not isinstance(info.value, OAuthError)
    assert "sign in to canvas again" in info.value.hint.lower()
    assert description in info.value.message
    assert "REFRESH-one" not in str(info.value)


def test_refresh_that_could_not_be_asked_is_not_a_sign_out(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.post(TOKEN_URL, status=503, body="Service Unavailable")
    with pytest.raises(OAuthError) as info:
        refresh_tokens(http, CANVAS, CLIENT_ID, SECRET, "1~REFRESH-one")
    assert info.value.code == "server_error"
    assert not isinstance(info.value, AuthorizationNeeded)


# --- revoke ---------------------------------------------------------------------------


def test_revoke_deletes_with_the_bearer_token(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.delete(TOKEN_URL, json={})
    revoke_token(http, CANVAS, "1~ACCESS-one")
    assert canvas.calls[0].request.headers["Authorization"] == "Bearer 1~ACCESS-one"


def test_revoke_with_a_dead_token_and_a_failing_canvas(
    http: requests.Session, canvas: responses.RequestsMock
) -> None:
    canvas.delete(TOKEN_URL, status=401, json={"errors": [{"message": "Invalid access token."}]})
    with pytest.raises(AuthorizationNeeded):
        revoke_token(http, CANVAS, "1~ACCESS-one")
    canvas.delete(TOKEN_URL, status=500, body="boom")
    with pytest.raises(OAuthError) as info:
        revoke_token(http, CANVAS, "1~ACCESS-one")
    assert info.value.code == "revoke_failed"
    assert "Approved Integrations" in info.value.hint
    assert "ACCESS-one" not in str(info.value)


# --- pasted redirect (remote sessions) ------------------------------------------------


def test_pasted_full_redirect_url() -> None:
    pasted = f"  {REDIRECT}?code={CODE}&state=st4te-value \n"
    assert parse_pasted_redirect(pasted, "st4te-value") == CODE


def test_pasted_oob_page_url_and_bare_code() -> None:
    oob = f"{CANVAS}/login/oauth2/auth?code={CODE}&state=abc"
    assert parse_pasted_redirect(oob, "abc") == CODE
    assert parse_pasted_redirect(CODE, "abc") == CODE


def test_pasted_url_from_another_sign_in_is_refused() -> None:
    with pytest.raises(OAuthError) as info:
        parse_pasted_redirect(f"{REDIRECT}?code={CODE}&state=old", "new")
    assert info.value.code == "state_mismatch"
    assert_no_secret(info.value)
    with pytest.raises(OAuthError, match="does not belong"):
        parse_pasted_redirect(f"{REDIRECT}?code={CODE}", "new")  # state cut off
    with pytest.raises(OAuthError, match="does not belong"):
        parse_pasted_redirect(f"{REDIRECT}?code={CODE}&state=n%C3%A9w", "new")


def test_pasted_error_redirect_says_why() -> None:
    with pytest.raises(OAuthError) as info:
        parse_pasted_redirect(f"{REDIRECT}?error=access_denied&state=s", "s")
    assert info.value.code == "access_denied"
    assert "Cancel" in info.value.hint


@pytest.mark.parametrize("text", ["", "   ", "hello world", f"{REDIRECT}?state=s", "code=&state=s"])
def test_pasted_text_without_a_code(text: str) -> None:
    with pytest.raises(OAuthError) as info:
        parse_pasted_redirect(text, "s")
    assert info.value.code == "invalid_paste"


# --- OAuthError -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "invalid_grant",
        "invalid_client",
        "access_denied",
        "unauthorized_client",
        "state_mismatch",
        "timeout",
        "cancelled",
        "port_in_use",
        "invalid_request",
        "invalid_scope",
        "network",
        "revoke_failed",
    ],
)
def test_every_error_code_has_a_message_and_a_hint(code: str) -> None:
    error = OAuthError(code)
    assert isinstance(error, WizardError)
    assert error.code == code
    assert error.message and error.hint
    assert error.message != error.hint
    assert code in repr(error)


def test_oauth_error_keeps_hostile_input_tame() -> None:
    error = OAuthError("<script>", detail="x" * 5000 + "\n\r\x00")
    assert error.code == "unknown_error"
    assert error.detail is not None and len(error.detail) <= 300
    assert "\n" not in error.message
    assert "Canvas refused" in error.message
