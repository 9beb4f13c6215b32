"""Fixtures for sync tests: a seeded sandbox Canvas and signed-in CanvasClients.

Signing in runs the real OAuth flow without a browser: the sandbox approves the
consent page, and ``exchange_code`` trades the code for a token
(``canvas_wizard.sandbox.signin``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.core.roster import Link, Person, Role, Roster
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in as sandbox_sign_in

REDIRECT = "http://127.0.0.1:8765/canvas/authorize"
ALEX, SAM = 1, 2
ROOT = 1

SignIn = Callable[..., CanvasClient]


@pytest.fixture
def canvas() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True, latency=0.0) as sandbox:
        yield sandbox


@pytest.fixture
def sign_in(canvas: SandboxCanvas) -> Iterator[SignIn]:
    """``sign_in(user_id, session=None)`` → a CanvasClient for that Canvas user."""
    key = canvas.add_developer_key(redirect_uris=[REDIRECT])
    made: list[CanvasClient] = []
    http = requests.Session()

    def make(user_id: int = ALEX, session: requests.Session | None = None) -> CanvasClient:
        tokens = sandbox_sign_in(canvas, key, REDIRECT, as_user_id=user_id, session=http)
        client = CanvasClient(
            canvas.url, StaticToken(tokens.access_token), session=session, sleep=lambda _: None
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
    http.close()


@pytest.fixture
def client(sign_in: SignIn) -> CanvasClient:
    """Alex Morgan: root account admin with every permission."""
    return sign_in(ALEX)


def student(sis: str, name: str, username: str, email: str | None = None) -> Person:
    return Person(sis, name, username, Role.STUDENT, email=email)


def parent(sis: str, name: str, email: str) -> Person:
    return Person(sis, name, email, Role.PARENT, email=email)


def seeded_roster() -> Roster:
    """The seeded school's students S1001-S1004 and parents P2001-P2002 as Canvas has them."""
    people = [
        student(
            "S1001", "Ava Thompson", "ava.thompson", "ava.thompson@students.northfield.example"
        ),
        student(
            "S1002", "Noah Williams", "noah.williams", "noah.williams@students.northfield.example"
        ),
        student("S1003", "Mia Johnson", "mia.johnson", "mia.johnson@students.northfield.example"),
        student(
            "S1004", "Oliver Brown", "oliver.brown", "oliver.brown@students.northfield.example"
        ),
        parent("P2001", "Emma Thompson", "emma.thompson@home.example"),
        parent("P2002", "Daniel Johnson", "daniel.johnson@home.example"),
    ]
    links = {Link("P2001", "S1001"), Link("P2001", "S1002"), Link("P2002", "S1003")}
    return Roster(format="cloudwork", people={p.sis_id: p for p in people}, links=links)


def with_new_family(roster: Roster) -> Roster:
    """``roster`` plus a new student S1101 and a new parent P2101 linked to them and S1004."""
    new = [
        student("S1101", "Zara Ahmed", "zara.ahmed", "zara.ahmed@students.northfield.example"),
        parent("P2101", "Omar Ahmed", "omar.ahmed@home.example"),
    ]
    people = dict(roster.people) | {p.sis_id: p for p in new}
    links = set(roster.links) | {Link("P2101", "S1101"), Link("P2101", "S1004")}
    return Roster(format="cloudwork", people=people, links=links)


def writes(counts: dict[str, int]) -> int:
    return counts["POST"] + counts["PUT"] + counts["DELETE"]


class ClaimsSuccess:
    """An applier that reports every write done without writing (and gives no answers):
    the check afterwards must catch it."""

    def apply(self, plan, snapshot, *, progress, cancel):  # type: ignore[no-untyped-def]
        from canvas_wizard.core.sync.model import WRITE_KINDS
        from canvas_wizard.core.sync.outcome import OutcomeStatus
        from canvas_wizard.core.sync.rest_apply import planned_outcome

        out = []
        for action in [*plan.people, *plan.links]:
            o = planned_outcome(action, {})
            if action.kind in WRITE_KINDS:
                o = type(o)(o.record, o.action, o.key, OutcomeStatus.DONE, "claimed")
            out.append(o)
        return out


def reports_on_the_sub_account_only(canvas: SandboxCanvas, sub_account: int) -> None:
    """Alex may run reports on ``sub_account`` but not on the root (everything else kept)."""
    from canvas_wizard.sandbox.state import ALL_PERMISSIONS, AdminRole

    state = canvas.state
    with state.lock:
        state.admins = [r for r in state.admins if r.user_id != ALEX]
        state.admins.append(
            AdminRole(ALEX, 1, "AccountAdmin", frozenset(ALL_PERMISSIONS - {"read_reports"}))
        )
        state.admins.append(
            AdminRole(ALEX, sub_account, "AccountAdmin", frozenset({"read_reports"}))
        )
