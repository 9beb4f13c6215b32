"""CanvasClient: refresh on 401, permission errors, throttling, 5xx and connection retries."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from canvas_wizard.core.canvas import (
    AuthorizationNeeded,
    CanvasClient,
    CanvasConnectionError,
    CanvasError,
    CanvasNotFound,
    CanvasPermissionError,
    CanvasServerError,
    CanvasThrottled,
    CanvasValidationError,
    ProxyPageError,
    StaticToken,
    ThrottleGate,
)

BASE = "https://canvas.school.test"
TOKEN = "7~SECRETtokenVALUE1234567890"
NEW_TOKEN = "7~FRESHtokenVALUE0987654321"
USERS = f"{BASE}/api/v1/accounts/1/users"
BEARER_401 = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}
THROTTLED_BY_STATUS = {
    # The canvas-lms source (and self-hosted installs).
    403: {
        "status": 403,
        "body": "403 Forbidden (Rate Limit Exceeded)\n",
        "content_type": "text/plain",
        "headers": {"X-Rate-Limit-Remaining": "0.0"},
    },
    # Hosted Canvas since 2025-10-06.
    429: {
        "status": 429,
        "body": "429 Too Many Requests (Rate Limit Exceeded)\n",
        "content_type": "text/plain",
        "headers": {"X-Rate-Limit-Remaining": "0.0"},
    },
}


class RefreshingTokens:
    """A TokenSource whose refresh hands out NEW_TOKEN once."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refresh_access_token(self) -> str:
        self.refreshes += 1
        if self.refreshes > 1:
            raise AuthorizationNeeded("no more refreshes")
        self.token = NEW_TOKEN
        return self.token


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def make_client(session: requests.Session, sleeps: list[float], tokens=None, **kw) -> CanvasClient:
    return CanvasClient(
        BASE,
        tokens if tokens is not None else StaticToken(TOKEN),
        session=session,
        sleep=sleeps.append,
        **kw,
    )


def auth_of(call: responses.Call) -> str:
    return call.request.headers["Authorization"]


# -- 401 and 403 ------------------------------------------------------------------------


def test_401_with_www_authenticate_refreshes_once_and_retries(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    tokens = RefreshingTokens()
    body = {"errors": [{"message": "Invalid access token."}]}
    rsps.get(USERS, status=401, json=body, headers=BEARER_401)
    rsps.get(USERS, json=[{"id": 1}])
    client = make_client(session, sleeps, tokens)
    assert client.get("/api/v1/accounts/1/users") == [{"id": 1}]
    assert tokens.refreshes == 1
    assert [auth_of(c) for c in rsps.calls] == [f"Bearer {TOKEN}", f"Bearer {NEW_TOKEN}"]
    assert client.stats.refreshed == 1
    assert sleeps == []


def test_401_again_after_refresh_means_sign_in_again(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    tokens = RefreshingTokens()
    body = {"errors": [{"message": "Invalid access token."}]}
    rsps.get(USERS, status=401, json=body, headers=BEARER_401)
    rsps.get(USERS, status=401, json=body, headers=BEARER_401)
    client = make_client(session, sleeps, tokens)
    with pytest.raises(AuthorizationNeeded, match="after renewing") as caught:
        client.get("/api/v1/accounts/1/users")
    assert caught.value.exit_status == 4
    assert tokens.refreshes == 1
    assert len(rsps.calls) == 2


def test_static_token_refused_needs_authorization(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, status=401, json={"errors": [{"message": "x"}]}, headers=BEARER_401)
    with pytest.raises(AuthorizationNeeded):
        make_client(session, sleeps).get("/api/v1/accounts/1/users")
    assert len(rsps.calls) == 1


def test_a_token_refreshed_by_another_worker_is_used_without_refreshing_again(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    tokens = RefreshingTokens()

    def refused_while_another_worker_refreshes(request: requests.PreparedRequest):
        tokens.token = NEW_TOKEN  # the other worker's refresh lands meanwhile
        return (401, BEARER_401, "{}")

    rsps.add_callback("GET", USERS, callback=refused_while_another_worker_refreshes)
    rsps.get(USERS, json=[])
    client = make_client(session, sleeps, tokens)
    assert client.get("/api/v1/accounts/1/users") == []
    assert tokens.refreshes == 0
    assert auth_of(rsps.calls[1]) == f"Bearer {NEW_TOKEN}"


@pytest.mark.parametrize("status", [401, 403])
def test_permission_refusal_is_not_refreshed(
    status: int, rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    tokens = RefreshingTokens()
    body = {
        "status": "unauthorized",
        "errors": [{"message": "user not authorized to perform that action"}],
    }
    rsps.post(USERS, status=status, json=body)
    client = make_client(session, sleeps, tokens)
    with pytest.raises(CanvasPermissionError) as caught:
        client.post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    error = caught.value
    assert error.message.startswith("Canvas says your account may not do this:")
    assert "create users in this account" in error.message
    assert error.status == status
    assert error.url == "/api/v1/accounts/1/users"
    assert tokens.refreshes == 0
    assert len(rsps.calls) == 1


def test_web_filter_refusal_page_is_not_blamed_on_canvas_permissions(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    page = "<html><head><title>Access Denied - SchoolFilter</title></head></html>"
    rsps.get(USERS, status=403, body=page, content_type="text/html")
    with pytest.raises(CanvasError) as caught:
        make_client(session, sleeps).get("/api/v1/accounts/1/users")
    assert not isinstance(caught.value, CanvasPermissionError)
    assert "Access Denied - SchoolFilter" in caught.value.message
    assert "canvas.school.test" in caught.value.hint


# -- Other 4xx ---------------------------------------------------------------------------


def test_404_is_not_found(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    body = {"errors": [{"message": "The specified resource does not exist."}]}
    rsps.get(f"{BASE}/api/v1/users/sis_user_id:S1", status=404, json=body)
    with pytest.raises(CanvasNotFound) as caught:
        make_client(session, sleeps).get("/api/v1/users/sis_user_id:S1")
    assert caught.value.status == 404
    assert len(rsps.calls) == 1


def test_taken_login_is_a_validation_error_with_fields(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    body = {
        "errors": {
            "pseudonym": {
                "unique_id": [
                    {
                        "attribute": "unique_id",
                        "type": "taken",
                        "message": "ID already in use for this account and authentication provider",
                    }
                ],
                "sis_user_id": [
                    {
                        "attribute": "sis_user_id",
                        "type": "taken",
                        "message": 'SIS ID "S1" is already in use',
                    }
                ],
            }
        }
    }
    rsps.post(USERS, status=400, json=body)
    with pytest.raises(CanvasValidationError) as caught:
        make_client(session, sleeps).post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    error = caught.value
    assert [(f.field, f.type) for f in error.field_errors] == [
        ("pseudonym.unique_id", "taken"),
        ("pseudonym.sis_user_id", "taken"),
    ]
    assert "ID already in use" in error.message
    assert 'SIS ID "S1" is already in use' in error.message
    assert len(rsps.calls) == 1


# -- Throttling ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_throttled_request_is_retried_for_any_method(
    method: str,
    status: int,
    rsps: responses.RequestsMock,
    session: requests.Session,
    sleeps: list[float],
) -> None:
    rsps.add(method, USERS, **THROTTLED_BY_STATUS[status])
    rsps.add(method, USERS, json={"id": 5}, headers={"X-Rate-Limit-Remaining": "550.0"})
    client = make_client(session, sleeps)
    response = client.request(method, "/api/v1/accounts/1/users")
    assert response.json() == {"id": 5}
    assert client.stats.throttled == 1
    assert client.stats.retries == 1
    assert len(rsps.calls) == 2
    assert sleeps and all(s > 0 for s in sleeps)


@pytest.mark.parametrize("status", [403, 429])
def test_throttled_every_time_gives_up(
    status: int, rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    for _ in range(4):
        rsps.get(USERS, **THROTTLED_BY_STATUS[status])
    gate = ThrottleGate(sleep=lambda s: None)  # its own pauses are tested elsewhere
    client = make_client(session, sleeps, max_attempts=4, gate=gate)
    with pytest.raises(CanvasThrottled, match="tried 4 times") as caught:
        client.get("/api/v1/accounts/1/users")
    assert caught.value.status == status
    assert len(rsps.calls) == 4
    assert client.stats.throttled == 4
    # Backoff grows (with jitter in [0.5, 1] of 1, 2, 4 s) and stays capped.
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and 2.0 <= sleeps[2] <= 4.0
    assert gate.limit == 1  # the gate heard about each throttle


def test_remaining_feeds_the_gate(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, json=[], headers={"X-Rate-Limit-Remaining": "210.5", "X-Request-Cost": "0.3"})
    client = make_client(session, sleeps)
    client.get("/api/v1/accounts/1/users")
    assert client.gate.limit == 3
    assert client.gate.in_flight == 0


# -- 5xx ---------------------------------------------------------------------------------------


def test_server_error_is_retried_for_get(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, status=500, json={"errors": [{"message": "An error occurred."}]})
    rsps.get(USERS, status=503, body="")
    rsps.get(USERS, json=[{"id": 1}])
    client = make_client(session, sleeps)
    assert client.get("/api/v1/accounts/1/users") == [{"id": 1}]
    assert client.stats.retries == 2
    assert len(sleeps) == 2


def test_server_error_is_not_retried_for_post(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.post(
        USERS,
        status=500,
        json={"errors": [{"message": "An error occurred."}], "error_report_id": 4242},
    )
    with pytest.raises(CanvasServerError) as caught:
        make_client(session, sleeps).post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    assert len(rsps.calls) == 1
    assert sleeps == []
    assert "4242" in caught.value.hint
    assert caught.value.status == 500


def test_post_marked_idempotent_is_retried(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.post(USERS, status=502, body="bad gateway")
    rsps.post(USERS, json={"id": 2})
    response = make_client(session, sleeps).request(
        "POST", "/api/v1/accounts/1/users", idempotent=True
    )
    assert response.json() == {"id": 2}


def test_html_502_from_a_load_balancer_after_retries(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    for _ in range(3):
        rsps.get(USERS, status=502, body=page, content_type="text/html")
    with pytest.raises(CanvasServerError) as caught:
        make_client(session, sleeps, max_attempts=3).get("/api/v1/accounts/1/users")
    assert "proxy or load balancer" in caught.value.message
    assert "HTTP 502 Bad Gateway" in caught.value.message
    assert "tried 3 times" in caught.value.message
    assert len(rsps.calls) == 3


PROXY_PAGE = "<html><head><title>Access Denied - Web Filter</title></head></html>"


def test_a_proxy_page_answering_a_read_is_retried(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, status=200, body=PROXY_PAGE, content_type="text/html; charset=utf-8")
    rsps.get(USERS, json=[{"id": 1}])
    client = make_client(session, sleeps)
    assert client.get("/api/v1/accounts/1/users") == [{"id": 1}]
    assert client.stats.proxy_pages == 1 and client.stats.retries == 1


def test_a_proxy_page_answering_a_create_is_a_lost_answer_not_retried_blindly(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.post(USERS, status=200, body=PROXY_PAGE, content_type="text/html")
    with pytest.raises(ProxyPageError) as caught:
        make_client(session, sleeps).post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    assert len(rsps.calls) == 1, "a create is looked up by the caller before it is sent again"
    assert 'a web page titled "Access Denied - Web Filter"' in caught.value.message
    assert "proxy" in caught.value.hint


def test_a_proxy_page_that_persists_names_the_page(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    for _ in range(3):
        rsps.get(USERS, status=200, body=PROXY_PAGE, content_type="text/html")
    with pytest.raises(ProxyPageError) as caught:
        make_client(session, sleeps, max_attempts=3).get("/api/v1/accounts/1/users")
    assert "Access Denied - Web Filter" in caught.value.message
    assert len(rsps.calls) == 3


@pytest.mark.parametrize("value", ["7", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_retry_after_is_honoured(
    value: str, rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, status=503, body="", headers={"Retry-After": value})
    rsps.get(USERS, json=[])
    make_client(session, sleeps).get("/api/v1/accounts/1/users")
    # Seconds are taken as given; a far-off date is cut down to the cap.
    assert sleeps == [7.0] if value == "7" else sleeps == [120.0]


# -- Connections ------------------------------------------------------------------------------


def reset() -> requests.ConnectionError:
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def test_connection_reset_is_retried_for_get(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.get(USERS, body=reset())
    rsps.get(USERS, json=[{"id": 1}])
    client = make_client(session, sleeps)
    assert client.get("/api/v1/accounts/1/users") == [{"id": 1}]
    assert client.stats.retries == 1


def test_connection_reset_is_not_retried_for_post(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    rsps.post(USERS, body=reset())
    with pytest.raises(CanvasConnectionError) as caught:
        make_client(session, sleeps).post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    assert caught.value.reason == "reset"
    assert caught.value.__cause__ is None  # urllib3's text would repeat the query string
    assert len(rsps.calls) == 1


def test_refused_connection_is_retried_then_reported(
    session: requests.Session, sleeps: list[float], unused_port: int
) -> None:
    client = CanvasClient(
        f"http://127.0.0.1:{unused_port}",
        StaticToken(TOKEN),
        session=session,
        sleep=sleeps.append,
        max_attempts=3,
        timeout=2.0,
    )
    # Even a POST: a refused connection never reached Canvas.
    with pytest.raises(CanvasConnectionError) as caught:
        client.post("/api/v1/accounts/1/users", {"user[name]": "Ada"})
    assert caught.value.reason == "refused"
    assert f"refused the connection on port {unused_port}" in caught.value.message
    assert client.stats.requests == 3
    assert len(sleeps) == 2


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- Secrets ---------------------------------------------------------------------------------


def test_token_and_query_never_appear_in_errors(
    rsps: responses.RequestsMock, session: requests.Session, sleeps: list[float]
) -> None:
    secret_query = {"code": "AUTHCODE-should-not-leak", "access_token": "QUERYTOKEN"}
    shapes = [
        dict(status=401, json={"errors": [{"message": "x"}]}, headers=BEARER_401),
        dict(status=403, json={"status": "unauthorized", "errors": [{"message": "no"}]}),
        dict(status=404, json={"errors": [{"message": "gone"}]}),
        dict(status=400, json={"errors": [{"message": "bad"}]}),
        dict(status=418, body="teapot"),
        dict(status=500, body="<html><title>oops</title></html>", content_type="text/html"),
        THROTTLED_BY_STATUS[403],
        THROTTLED_BY_STATUS[429],
        dict(body=reset()),
    ]
    errors: list[CanvasError | AuthorizationNeeded] = []
    for shape in shapes:
        rsps.get(USERS, **shape)
        client = make_client(session, sleeps, max_attempts=1)
        with pytest.raises((CanvasError, AuthorizationNeeded)) as caught:
            client.get("/api/v1/accounts/1/users", secret_query)
        errors.append(caught.value)
        rsps.reset()
    assert len(errors) == len(shapes)
    for error in errors:
        shown = " ".join([str(error), repr(error), error.hint, str(getattr(error, "url", ""))])
        for secret in (TOKEN, "AUTHCODE", "QUERYTOKEN", "access_token=", "code="):
            assert secret not in shown, (type(error).__name__, shown)


def test_static_token_repr_hides_it() -> None:
    assert TOKEN not in repr(StaticToken(TOKEN))
    assert "hidden" in repr(StaticToken(TOKEN))
