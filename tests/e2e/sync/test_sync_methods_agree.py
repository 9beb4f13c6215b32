"""Both write methods — REST calls and one SIS Import — leave Canvas in the same state."""

from __future__ import annotations

from pathlib import Path

from canvas_wizard.core.canvas import CanvasClient, StaticToken
from canvas_wizard.core.roster import read_roster
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas
from canvas_wizard.sandbox.signin import sign_in

SAMPLE = Path(__file__).resolve().parents[3] / "resources" / "sample-cloudwork-export.csv"
REDIRECT = "http://127.0.0.1:8765/canvas/authorize"


def _client(canvas: SandboxCanvas) -> CanvasClient:
    key = canvas.add_developer_key(redirect_uris=[REDIRECT])
    tokens = sign_in(canvas, key, REDIRECT)
    return CanvasClient(canvas.url, StaticToken(tokens.access_token), sleep=lambda _: None)


def _state(canvas: SandboxCanvas, roster) -> dict[str, object]:
    """What an admin would compare: per SIS ID the name, login and email; links by SIS ID.

    Emails are compared where the roster gives one: without one, Canvas's user API makes
    the login the email when it looks like an address, and a SIS Import does not.
    """
    state = canvas.state
    sis_ids = set(roster.people)
    people = {}
    for sis in sorted(sis_ids):
        user = state.user_by_sis_id(sis)
        if user is None:
            continue
        login = state.login_by_sis_id(sis, include_deleted=False)
        email = state.email_of(user.id) if roster.people[sis].email else None
        people[sis] = (user.name, login.unique_id if login else None, email)
    links = set()
    for link in state.observer_links.values():
        if link.workflow_state != "active":
            continue
        parent, student = state.sis_id_of(link.observer_id), state.sis_id_of(link.student_id)
        if parent in sis_ids or student in sis_ids:
            links.add((parent, student))
    return {"people": people, "links": sorted(links, key=str)}


def test_api_and_sis_import_reach_the_same_canvas():
    roster = read_roster(SAMPLE)
    results = {}
    states = {}
    for method in ("api", "sis-import"):
        with SandboxCanvas(seed=True) as canvas:
            client = _client(canvas)
            applier = SisImportApplier(client, 1, poll_interval=0.01) if method != "api" else None
            run = SyncRun(roster, client, 1, 1, applier=applier, method=method, approve_limits=True)
            results[method] = run.run()
            states[method] = _state(canvas, roster)
            held = canvas.state.login_by_sis_id("S1099")
            assert held is not None and held.workflow_state == "deleted", method
            client.close()
    assert results["api"].status == results["sis-import"].status, (
        results["api"].message,
        results["sis-import"].message,
    )
    assert states["api"] == states["sis-import"]
    people = states["api"]["people"]
    assert isinstance(people, dict) and len(people) >= 60
    assert people["S1005"][0] == "Isla Davies-Okafor"  # the sample's one rename
    assert "S1099" not in people, "the deleted login holding S1099 is left alone"
    assert all("S1099" not in link for link in states["api"]["links"])
