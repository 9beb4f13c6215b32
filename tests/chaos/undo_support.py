"""Helpers for the undo tests: a roster that changes every kind of record, and a view of
what Canvas holds that "Canvas equals the state before the sync" compares."""

from __future__ import annotations

from pathlib import Path

from chaos_support import Connected, quick_sleep

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.sync.model import SyncOptions
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome, SyncRequest
from canvas_wizard.core.undo.service import undo
from canvas_wizard.sandbox import SandboxCanvas

HEADER = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"

#: Against the seeded Northfield Canvas, with suspend-missing on, this creates S1101 and
#: P2101, renames S1002, changes S1003's email and username, links P2101 to S1101 and
#: S1004, unlinks P2001 → S1002, and suspends S1005-S1008, P2003 and P2004.
EVERYTHING = HEADER + (
    "S1001,Ava Thompson,ava.thompson@students.northfield.example,ava.thompson,Student,P2001,\n"
    "S1002,Noah Williams-Reid,noah.williams@students.northfield.example,noah.williams,"
    "Student,,\n"
    "S1003,Mia Johnson,mia.j@students.northfield.example,mia.johnson2,Student,P2002,\n"
    "S1004,Oliver Brown,oliver.brown@students.northfield.example,oliver.brown,Student,P2101,\n"
    "S1101,Zara Ahmed,zara.ahmed@students.northfield.example,zara.ahmed,Student,P2101,\n"
    "P2001,Emma Thompson,emma.thompson@home.example,emma.thompson@home.example,Parent,,\n"
    "P2002,Daniel Johnson,daniel.johnson@home.example,daniel.johnson@home.example,Parent,,\n"
    "P2101,Omar Ahmed,omar.ahmed@home.example,omar.ahmed@home.example,Parent,,\n"
)


def write_roster(tmp_path: Path, text: str = EVERYTHING, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def live_canvas(
    canvas: SandboxCanvas,
) -> tuple[dict[str, tuple[object, ...]], set[tuple[int, int]]]:
    """SIS ID → (user id, name, email, username, login state) of every live login; live links."""
    state = canvas.state
    with state.lock:
        people = {
            login.sis_user_id: (
                login.user_id,
                state.users[login.user_id].name,
                state.email_of(login.user_id),
                login.unique_id,
                login.workflow_state,
            )
            for login in state.logins.values()
            if login.sis_user_id and login.workflow_state != "deleted"
        }
        links = {
            (link.observer_id, link.student_id)
            for link in state.observer_links.values()
            if link.workflow_state == "active"
        }
    return people, links


def profile_sync(connected: Connected) -> ProfileSync:
    def client(url: str, tokens: TokenManager, http: object) -> CanvasClient:
        return CanvasClient(url, tokens, session=http, sleep=quick_sleep)  # type: ignore[arg-type]

    return ProfileSync(connected.paths, connected.secrets, connected.profile, client_factory=client)


def sync(
    connected: Connected, source: Path, *, suspend_missing: bool = True, method: str = "api"
) -> SyncOutcome:
    ps = profile_sync(connected)
    try:
        request = SyncRequest(
            source=source,
            dry_run=False,
            approve=True,
            method=method,
            options=SyncOptions(suspend_missing=suspend_missing),
        )
        return ps.run(request)
    finally:
        ps.close()


def run_undo(
    connected: Connected, run_id: int, *, dry_run: bool = False, approve: bool | str = True
) -> SyncOutcome:
    ps = profile_sync(connected)
    try:
        return undo(ps, run_id, dry_run=dry_run, approve=approve)
    finally:
        ps.close()
