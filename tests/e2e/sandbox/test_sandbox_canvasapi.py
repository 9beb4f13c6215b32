"""The third-party ``canvasapi`` client (PyPI) drives the sandbox over real HTTP.

canvasapi was written against real Canvas, not against our sandbox: where the two
disagree, one of them is not Canvas. Each test here exercises a behaviour issue 16
corrected in the sandbox, through canvasapi's own calls and exceptions.
"""

from __future__ import annotations

import io
import time

import pytest
from canvas_sandbox_helpers import ALEX, REDIRECT
from canvasapi import Canvas
from canvasapi.exceptions import ResourceDoesNotExist, Unauthorized

from canvas_wizard.core.auth.scopes import API_SCOPES
from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in

# canvasapi warns about http:// URLs; the sandbox lives on loopback http.
pytestmark = pytest.mark.filterwarnings("ignore:Canvas may respond unexpectedly:UserWarning")


@pytest.fixture
def api(canvas: SandboxCanvas, key: DeveloperKey) -> Canvas:
    return Canvas(canvas.url, sign_in(canvas, key, REDIRECT, as_user_id=ALEX).access_token)


def test_a_user_created_in_a_sub_account_is_found_by_sis_id_not_in_the_sub_accounts_list(
    api: Canvas,
) -> None:
    primary = api.get_account(2)
    created = primary.create_user(
        pseudonym={"unique_id": "kai.jones", "sis_user_id": "S1201"},
        user={"name": "Kai Jones Jr.", "skip_registration": True},
        communication_channel={"type": "email", "address": "kai@students.example"},
    )
    assert created.sortable_name == "Jones, Kai Jr."  # Canvas's suffix rule
    assert created.id not in [u.id for u in primary.get_users()]
    assert api.get_user("S1201", "sis_user_id").id == created.id
    assert created.id in [u.id for u in api.get_account(1).get_users(search_term="Kai")]


def test_an_abort_of_a_finished_sis_import_is_not_found(api: Canvas) -> None:
    root = api.get_account(1)
    upload = io.BytesIO(b"user_id,login_id,full_name,status\nS1202,mo.li,Mo Li,active\n")
    upload.name = "users.csv"
    batch = root.create_sis_import(upload, extension="csv")
    deadline = time.monotonic() + 10
    while batch.workflow_state not in ("imported", "imported_with_messages"):
        assert time.monotonic() < deadline, batch.workflow_state
        time.sleep(0.02)
        batch = root.get_sis_import(batch.id)
    with pytest.raises(ResourceDoesNotExist):
        batch.abort()


def test_a_scoped_token_outside_its_scopes_is_unauthorized_not_invalid(
    canvas: SandboxCanvas,
) -> None:
    key = canvas.add_developer_key(
        redirect_uris=[REDIRECT], require_scopes=True, scopes=list(API_SCOPES)
    )
    api = Canvas(canvas.url, sign_in(canvas, key, REDIRECT).access_token)
    assert api.get_account(1).name == "Northfield Academy Trust"
    # Courses are outside the app's scopes. No WWW-Authenticate on the 401: canvasapi
    # raises Unauthorized, not InvalidAccessToken (refreshing the token would not help).
    with pytest.raises(Unauthorized):
        list(api.get_account(1).get_courses())
