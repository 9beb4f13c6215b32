"""How API calls fail: no token, bad or expired token, no permission, not found."""

from __future__ import annotations

import re

import requests
from canvas_sandbox_helpers import sign_in, wait_for


def test_no_token_is_unauthenticated_with_a_bearer_challenge(canvas):
    response = requests.get(f"{canvas.url}/api/v1/users/self", timeout=10)
    assert response.status_code == 401
    assert response.json() == {
        "status": "unauthenticated",
        "errors": [{"message": "user authorization required"}],
    }
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_unknown_token_is_invalid_access_token(canvas):
    headers = {"Authorization": "Bearer 1~not-a-real-token"}
    response = requests.get(f"{canvas.url}/api/v1/accounts", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Invalid access token."}]}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'


def test_expired_token_is_invalid_until_refreshed(canvas, key, alex):
    assert alex.get("/api/v1/users/self").status_code == 200
    canvas.expire_access_tokens()
    expired = alex.get("/api/v1/users/self")
    assert expired.status_code == 401
    assert expired.json() == {"errors": [{"message": "Invalid access token."}]}
    assert "WWW-Authenticate" in expired.headers


def test_tokens_expire_after_the_access_token_ttl(canvas, key):
    canvas.access_token_ttl = 0.05
    token = sign_in(canvas, key)
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    def rejected() -> bool:
        url = f"{canvas.url}/api/v1/users/self"
        return requests.get(url, headers=headers, timeout=10).status_code == 401

    wait_for(rejected, timeout=2)


def test_no_permission_is_unauthorized_without_a_challenge(sam):
    response = sam.get("/api/v1/accounts/1/users")
    assert response.status_code == 401
    assert response.json() == {
        "status": "unauthorized",
        "errors": [{"message": "user not authorized to perform that action"}],
    }
    assert "WWW-Authenticate" not in response.headers


def test_missing_things_are_404_with_canvas_body(alex):
    for path in ("/api/v1/users/99999", "/api/v1/accounts/77", "/api/v1/no/such/route"):
        response = alex.get(path)
        assert response.status_code == 404, path
        assert response.json() == {
            "errors": [{"message": "The specified resource does not exist."}]
        }


def test_every_api_response_carries_throttle_headers_as_floats(canvas, alex):
    number = re.compile(r"^-?\d+\.\d+$")
    for response in (
        alex.get("/api/v1/users/self"),
        alex.get("/api/v1/users/99999"),
        requests.get(f"{canvas.url}/api/v1/users/self", timeout=10),
    ):
        assert number.match(response.headers["X-Request-Cost"]), response.headers
        assert number.match(response.headers["X-Rate-Limit-Remaining"]), response.headers
    ok = alex.get("/api/v1/users/self")
    assert float(ok.headers["X-Request-Cost"]) == 1.0
    assert 540 < float(ok.headers["X-Rate-Limit-Remaining"]) <= 600


def test_a_user_whose_login_was_deleted_cannot_use_its_token(canvas, key, sam):
    with canvas.state.lock:
        for login in canvas.state.logins_of(2):
            login.workflow_state = "deleted"
    response = sam.get("/api/v1/users/self")
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Invalid access token."}]}
