"""A roster and a Canvas snapshot built side by side, for planner tests."""

from __future__ import annotations

import dataclasses

import pytest

from canvas_wizard.core.roster.model import Link, Person, Role, Roster
from canvas_wizard.core.sync import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    Plan,
    Snapshot,
    SyncOptions,
    plan_sync,
)

ROOT = 1


class World:
    """The school's roster on one side, Canvas on the other."""

    def __init__(self) -> None:
        self.roster = Roster("cloudwork")
        self.canvas: dict[int, CanvasPerson] = {}
        self.canvas_links: set[tuple[int, int]] = set()
        self._next_id = 100

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- roster ---------------------------------------------------------------

    def person(
        self,
        sis: str,
        name: str | None = None,
        *,
        username: str | None = None,
        email: str | None = "",
        role: Role = Role.STUDENT,
        active: bool = True,
    ) -> Person:
        name = name if name is not None else f"Person {sis}"
        username = username if username is not None else sis.lower()
        if email == "":
            email = f"{username}@school.example"
        person = Person(sis, name, username, role, email, active)
        self.roster.people[sis] = person
        return person

    def link(self, parent: str, student: str) -> None:
        self.roster.links.add(Link(parent, student))

    # -- Canvas ---------------------------------------------------------------

    def user(
        self,
        name: str,
        *logins: tuple[str, str | None] | tuple[str, str | None, str],
        email: str | None = None,
        state: str = "registered",
        account_id: int = ROOT,
    ) -> CanvasPerson:
        """A Canvas user; each login is (unique_id, sis_user_id[, workflow_state])."""
        user_id = self.next_id()
        made = tuple(
            CanvasLogin(
                self.next_id(),
                login[0],
                login[1],
                login[2] if len(login) == 3 else "active",
                account_id,
            )
            for login in logins
        )
        person = CanvasPerson(user_id, name, email, made, state)
        self.canvas[user_id] = person
        return person

    def mirror(self, person: Person, *, login_state: str = "active") -> CanvasPerson:
        """A Canvas user that already matches the roster person exactly."""
        return self.user(
            person.full_name,
            (person.username, person.sis_id, login_state),
            email=person.email,
        )

    def canvas_link(self, observer: CanvasPerson, student: CanvasPerson) -> None:
        self.canvas_links.add((observer.id, student.id))

    def snapshot(self, *, complete: bool = True) -> Snapshot:
        return Snapshot(ROOT, ROOT, dict(self.canvas), set(self.canvas_links), complete)

    def plan(self, *, complete: bool = True, **options: bool) -> Plan:
        snapshot = self.snapshot(complete=complete)
        return plan_sync(self.roster, snapshot, SyncOptions(**options))

    def apply(self, plan: Plan) -> None:
        """Do here what an applier would do in Canvas, the way Canvas would do it."""
        by_sis: dict[str, int] = {}
        for person in self.canvas.values():
            for login in person.logins:
                if login.sis_user_id:
                    by_sis[login.sis_user_id] = person.id
        for action in plan.people:
            if action.kind is ActionKind.CREATE:
                new = {c.field: c.new for c in action.changes}
                assert new["name"] and new["login"]
                made = self.user(new["name"], (new["login"], action.sis_id), email=new.get("email"))
                by_sis[action.sis_id] = made.id
            elif action.kind in (ActionKind.UPDATE, ActionKind.SUSPEND, ActionKind.ADOPT):
                assert action.canvas_id is not None
                user = self.canvas[action.canvas_id]
                values = {c.field: c.new for c in action.changes}
                if action.kind is ActionKind.SUSPEND:
                    values["status"] = "suspended"
                logins = tuple(
                    dataclasses.replace(
                        login,
                        unique_id=values.get("login") or login.unique_id,
                        sis_user_id=values.get("sis_id") or login.sis_user_id,
                        workflow_state=values.get("status") or login.workflow_state,
                    )
                    if login.id == action.login_id
                    else login
                    for login in user.logins
                )
                self.canvas[user.id] = dataclasses.replace(
                    user,
                    name=values.get("name") or user.name,
                    email=values.get("email") or user.email,
                    logins=logins,
                )
                if action.kind is ActionKind.ADOPT:
                    by_sis[action.sis_id] = user.id
        for link in plan.links:
            if link.kind is ActionKind.LINK:
                self.canvas_links.add((by_sis[link.parent_sis_id], by_sis[link.student_sis_id]))
            elif link.kind is ActionKind.UNLINK:
                assert link.parent_canvas_id is not None and link.student_canvas_id is not None
                self.canvas_links.discard((link.parent_canvas_id, link.student_canvas_id))


@pytest.fixture
def world() -> World:
    return World()
