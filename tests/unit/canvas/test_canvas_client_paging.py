"""CanvasClient basics: headers, URLs, JSON, and paging by Link headers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from canvas_wizard.core.canvas import CanvasClient, CanvasError, NotCanvasError, StaticToken
from canvas_wizard.core.canvas.transport import make_session

BASE = "https://canvas.school.test"
TOKEN = "7~SECRETtokenVALUE1234567890"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> Iterator[CanvasClient]:
    session = make_session()
    yield CanvasClient(BASE, StaticToken(TOKEN), session=session, sleep=lambda s: None)
    session.close()


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def test_sends_bearer_token_accept_and_user_agent(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(f"{BASE}/api/v1/users/self", json={"id": 1, "name": "Admin"})
    assert client.get("/api/v1/users/self") == {"id": 1, "name": "Admin"}
    headers = rsps.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("CanvasSyncWizard/")
    assert client.stats.requests == 1
    assert client.stats.by_method == {"GET": 1}


def test_base_url_is_normalized() -> None:
    with CanvasClient("School.Instructure.com/login/canvas/", None) as client:
        assert client.base_url == "https://school.instructure.com"


def test_post_put_delete_send_form_data(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.post(
        f"{BASE}/api/v1/accounts/1/users",
        json={"id": 9},
        match=[matchers.urlencoded_params_matcher({"user[name]": "Ada"})],
    )
    rsps.put(f"{BASE}/api/v1/users/9/observees/10", json={"id": 10})
    rsps.delete(f"{BASE}/api/v1/users/9/observees/10", body="", status=200)
    assert client.post("/api/v1/accounts/1/users", {"user[name]": "Ada"}) == {"id": 9}
    assert client.put("/api/v1/users/9/observees/10") == {"id": 10}
    assert client.delete("/api/v1/users/9/observees/10") is None
    assert client.stats.by_method == {"POST": 1, "PUT": 1, "DELETE": 1}


def test_html_where_json_was_expected_is_not_canvas(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(
        f"{BASE}/api/v1/users/self",
        body="<html><head><title>Network Login Required</title></head></html>",
        content_type="text/html",
    )
    with pytest.raises(NotCanvasError, match="Network Login Required"):
        client.get("/api/v1/users/self")


def test_while_one_prefix_is_stripped(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(
        f"{BASE}/api/v1/users/self", body='while(1);{"id": 3}', content_type="application/json"
    )
    assert client.get("/api/v1/users/self") == {"id": 3}


def test_paging_follows_next_until_absent(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    first = f"{BASE}/api/v1/accounts/1/users?page=1&per_page=100"
    second = f"{BASE}/api/v1/accounts/1/users?page=bookmark:WzE1MF0&per_page=100"
    third = f"{BASE}/api/v1/accounts/1/users?page=bookmark:WzMwMF0&per_page=100"
    rsps.get(
        f"{BASE}/api/v1/accounts/1/users",
        json=[{"id": 1}, {"id": 2}],
        # Canvas joins links with a comma and no space.
        headers={"Link": f'<{first}>; rel="current",<{second}>; rel="next",<{first}>; rel="first"'},
        match=[matchers.query_param_matcher({"per_page": "100", "include[]": "email"})],
    )
    rsps.get(
        second,
        json=[{"id": 3}],
        headers={"Link": f'<{second}>; rel="current",<{third}>; rel="next"'},
        match=[matchers.query_string_matcher("page=bookmark:WzE1MF0&per_page=100")],
    )
    rsps.get(
        third,
        json=[{"id": 4}],
        headers={"Link": f'<{third}>; rel="current",<{first}>; rel="first"'},
        match=[matchers.query_string_matcher("page=bookmark:WzMwMF0&per_page=100")],
    )
    items = list(client.get_all("/api/v1/accounts/1/users", {"include[]": "email"}))
    assert [i["id"] for i in items] == [1, 2, 3, 4]
    assert len(rsps.calls) == 3
    # The bookmark is used exactly as given, never re-numbered.
    assert query(rsps.calls[1])["page"] == ["bookmark:WzE1MF0"]


def test_paging_keeps_a_caller_per_page(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(
        f"{BASE}/api/v1/accounts",
        json=[],
        match=[matchers.query_param_matcher({"per_page": "10"})],
    )
    assert list(client.get_all("/api/v1/accounts", {"per_page": 10})) == []


def test_paging_refuses_a_next_link_to_another_host(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(
        f"{BASE}/api/v1/accounts",
        json=[{"id": 1}],
        headers={"Link": '<https://evil.example/api/v1/accounts?page=2>; rel="next"'},
    )
    items = client.get_all("/api/v1/accounts")
    assert next(items) == {"id": 1}
    with pytest.raises(CanvasError, match="another server") as caught:
        next(items)
    assert "evil.example" in caught.value.message
    assert len(rsps.calls) == 1  # nothing was sent there


def test_paging_upgrades_an_http_next_link_on_the_same_host(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(
        f"{BASE}/api/v1/accounts",
        json=[{"id": 1}],
        headers={"Link": '<http://canvas.school.test/api/v1/accounts?page=2>; rel="next"'},
        match=[matchers.query_param_matcher({"per_page": "100"})],
    )
    rsps.get(
        f"{BASE}/api/v1/accounts", json=[{"id": 2}], match=[matchers.query_string_matcher("page=2")]
    )
    assert [a["id"] for a in client.get_all("/api/v1/accounts")] == [1, 2]
    assert rsps.calls[1].request.url.startswith("https://")


def test_paging_stops_on_a_link_loop(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    url = f"{BASE}/api/v1/accounts?per_page=100"
    rsps.get(f"{BASE}/api/v1/accounts", json=[{"id": 1}], headers={"Link": f'<{url}>; rel="next"'})
    assert list(client.get_all("/api/v1/accounts")) == [{"id": 1}]


def test_paging_a_non_list_is_an_error(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(f"{BASE}/api/v1/accounts", json={"accounts": []})
    with pytest.raises(CanvasError, match="list"):
        list(client.get_all("/api/v1/accounts"))


def test_absolute_url_on_another_host_is_never_sent(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    with pytest.raises(CanvasError, match="another server"):
        client.get("https://files.other.test/download?verifier=x")
    with pytest.raises(CanvasError, match="another server"):
        client.get("https://canvas.school.test:8443/api/v1/users/self")
    assert len(rsps.calls) == 0


def test_absolute_url_on_the_same_host_is_fine(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(f"{BASE}/files/5/download", json={"ok": True})
    assert client.get(f"{BASE}/files/5/download") == {"ok": True}


def test_files_are_rewound_before_a_retry(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/v1/accounts/1/sis_imports", status=503, body="busy")
    rsps.post(f"{BASE}/api/v1/accounts/1/sis_imports", json={"id": 77})
    sent: list[bytes] = []
    with requests.Session() as session:
        client = CanvasClient(BASE, StaticToken(TOKEN), session=session, sleep=lambda s: None)
        upload = io.BytesIO(b"user_id,login_id,status\n")
        response = client.request(
            "POST",
            "/api/v1/accounts/1/sis_imports",
            files={"attachment": ("users.csv", upload, "text/csv")},
            idempotent=True,
        )
    assert response.json() == {"id": 77}
    for call in rsps.calls:
        body = call.request.body
        sent.append(body if isinstance(body, bytes) else str(body).encode())
    assert all(b"user_id,login_id,status" in body for body in sent)
