"""Fixtures for the SIS Import applier: a seeded sandbox and a signed-in CanvasClient.

The token comes from the real OAuth flow without a browser: the sandbox approves
the consent page as the admin, and the app's own exchange_code() gets the token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.canvas.tokens import StaticToken
from canvas_wizard.core.sync.model import CanvasLogin, CanvasPerson, Snapshot
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in

REDIRECT = "http://127.0.0.1:57316/canvas/authorize"
ALEX, SAM = 1, 2


@pytest.fixture
def canvas() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True) as sandbox:
        yield sandbox


def _client(canvas: SandboxCanvas, user_id: int) -> CanvasClient:
    key = canvas.add_developer_key(redirect_uris=[REDIRECT])
    tokens = sign_in(canvas, key, REDIRECT, as_user_id=user_id)
    return CanvasClient(canvas.url, StaticToken(tokens.access_token))


@pytest.fixture
def client(canvas: SandboxCanvas) -> Iterator[CanvasClient]:
    """Alex Morgan: root account admin with every permission."""
    with _client(canvas, ALEX) as c:
        yield c


@pytest.fixture
def sam_client(canvas: SandboxCanvas) -> Iterator[CanvasClient]:
    """Sam Patel: admin of the Northfield Secondary sub-account only."""
    with _client(canvas, SAM) as c:
        yield c


def snapshot_of(canvas: SandboxCanvas) -> Snapshot:
    """Canvas as a sync would read it, built straight from the sandbox's state."""
    state = canvas.state
    with state.lock:
        people = {
            user.id: CanvasPerson(
                id=user.id,
                name=user.name,
                email=state.email_of(user.id),
                logins=tuple(
                    CanvasLogin(g.id, g.unique_id, g.sis_user_id, g.workflow_state, g.account_id)
                    for g in state.logins.values()
                    if g.user_id == user.id
                ),
                workflow_state=user.workflow_state,
            )
            for user in state.users.values()
        }
        links = {
            (link.observer_id, link.student_id)
            for link in state.observer_links.values()
            if link.workflow_state == "active"
        }
    # Deleted logins included, as the provisioning report shows them: "report".
    return Snapshot(account_id=1, root_account_id=1, people=people, links=links, source="report")


@pytest.fixture
def snapshot(canvas: SandboxCanvas) -> Snapshot:
    return snapshot_of(canvas)


@pytest.fixture
def reread(canvas: SandboxCanvas) -> Callable[[], Snapshot]:
    """Reads the sandbox again (after an import) as a new Snapshot."""
    return lambda: snapshot_of(canvas)
