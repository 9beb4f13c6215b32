"""A developer key with "Enforce scopes": the app asks for exactly the scopes it uses.

The sandbox enforces them as Canvas does (lib/canvas/oauth/provider.rb at sign-in,
lib/authentication_methods.rb on each API call), so every kind of sync run here
through a key holding only API_SCOPES proves the list misses nothing.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sync_support import REDIRECT, seeded_roster, with_new_family

from canvas_wizard.core.auth.oauth import OAuthError, build_authorize_request
from canvas_wizard.core.auth.scopes import API_SCOPES
from canvas_wizard.core.canvas import (
    Account,
    CanvasClient,
    CanvasPermissionError,
    StaticToken,
    check_sync_permissions,
    current_user,
    list_account_tree,
)
from canvas_wizard.core.sync.engine import run_sync
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in


def _client(canvas: SandboxCanvas, **key_options: object) -> CanvasClient:
    key = canvas.add_developer_key(redirect_uris=[REDIRECT], require_scopes=True, **key_options)  # type: ignore[arg-type]
    tokens = sign_in(canvas, key, REDIRECT)
    return CanvasClient(canvas.url, StaticToken(tokens.access_token), sleep=lambda _: None)


def test_every_kind_of_sync_works_through_a_key_with_exactly_the_apps_scopes(
    canvas: SandboxCanvas,
) -> None:
    client = _client(canvas, scopes=list(API_SCOPES), allow_includes=True)
    roster = with_new_family(seeded_roster())
    people = dict(roster.people)
    people["S1001"] = dataclasses.replace(people["S1001"], email="ava.t@students.example")
    roster = dataclasses.replace(roster, people=people)

    assert current_user(client).id == 1
    assert list_account_tree(client)
    report = check_sync_permissions(
        client, Account.from_json({"id": 1, "name": "Northfield", "parent_account_id": None})
    )
    assert report.ok and report.sis_import_allowed
    sub = run_sync(roster, client, 2, 1)  # a sub-account: looks people up in the root
    assert sub.status == "ok", sub.message
    by_report = run_sync(roster, client, 1, 1, prefer_report=True)
    assert by_report.status == "ok", by_report.message
    shrunk = dataclasses.replace(roster, links=set())  # unlinks
    sis_writer = SisImportApplier(client, 1, poll_interval=0.01)
    sis = run_sync(shrunk, client, 1, 1, applier=sis_writer, approve_limits=True)
    assert sis.status == "ok", sis.message
    assert canvas.state.sis_imports
    assert not any(o.status is OutcomeStatus.FAILED for o in sis.report.outcomes)
    api = run_sync(roster, client, 1, 1)  # links again, through the API
    assert api.status == "ok", api.message


def test_a_call_outside_the_tokens_scopes_is_refused_as_canvas_does(
    canvas: SandboxCanvas,
) -> None:
    key = canvas.add_developer_key(
        redirect_uris=[REDIRECT],
        require_scopes=True,
        scopes=[s for s in API_SCOPES if "permissions" not in s],
    )
    token = sign_in(canvas, key, REDIRECT, scopes=[s for s in API_SCOPES if "permissions" not in s])
    response = requests.get(
        f"{canvas.url}/api/v1/accounts/1/permissions",
        headers={"Authorization": f"Bearer {token.access_token}"},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": "Insufficient scopes on access token."}]}
    assert "WWW-Authenticate" not in response.headers  # refreshing would not help
    client = CanvasClient(canvas.url, StaticToken(token.access_token))
    with client, pytest.raises(CanvasPermissionError):
        client.get("/api/v1/accounts/1/permissions")


def test_a_key_lacking_a_scope_refuses_sign_in_with_invalid_scope_explained(
    canvas: SandboxCanvas,
) -> None:
    key = canvas.add_developer_key(
        redirect_uris=[REDIRECT],
        require_scopes=True,
        scopes=[s for s in API_SCOPES if "sis_imports" not in s],
    )
    request = build_authorize_request(canvas.url, key.client_id, REDIRECT)
    location = requests.get(request.url, allow_redirects=False, timeout=5).headers["Location"]

    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_scope"]
    assert "url:POST|/api/v1/accounts/:account_id/sis_imports" in query["error_description"][0]
    error = OAuthError("invalid_scope", detail=query["error_description"][0])
    assert "Enforce Scopes" in error.message and "Copy scopes" in error.hint


def test_a_scoped_key_without_include_parameters_leaves_emails_alone_and_says_why(
    canvas: SandboxCanvas,
) -> None:
    client = _client(canvas, scopes=list(API_SCOPES), allow_includes=False)
    before = len(canvas.state.channels)

    result = run_sync(seeded_roster(), client, 1, 1)

    assert result.status == "ok", result.message
    assert result.plan is not None and result.plan.writes() == 0
    assert len(canvas.state.channels) == before
    assert any("Allow Include Parameters" in n for n in result.report.notes)
