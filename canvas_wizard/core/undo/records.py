"""What a run is about to write, kept in the history so the run can be undone.

One :class:`WrittenRecord` per write of the plan (create, update, suspend, remove,
link, unlink), with the Canvas ids the plan used and each changed field's value
before and after. They are recorded *before* the applier starts, so a run that is
killed half-way still leaves what undo needs: undo compares each record with what
Canvas holds now, so records that were never written are simply found "as before".

Nothing secret is in here: names, emails, usernames, SIS ids and Canvas ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from canvas_wizard.core.sync.model import (
    WRITE_KINDS,
    ActionKind,
    FieldChange,
    LinkAction,
    PersonAction,
    Plan,
)
from canvas_wizard.core.sync.outcome import link_key


@dataclass(frozen=True, slots=True)
class WrittenRecord:
    """One write of a run: enough to find the record again and to reverse it."""

    record: str  # "person" | "link"
    action: ActionKind
    key: str  # SIS ID, or "PARENT→STUDENT" for a link
    canvas_id: int | None = None  # the person's Canvas id (None: created by the run)
    login_id: int | None = None  # the login holding the SIS ID, when known
    changes: tuple[FieldChange, ...] = ()  # old → new per field (CREATE: new values)
    name: str = ""  # the person's name (for the report)
    username: str = ""  # CREATE/REMOVE: the login's username
    role: str = ""  # "student" | "parent" | ""
    parent_sis_id: str = ""
    student_sis_id: str = ""
    parent_canvas_id: int | None = None
    student_canvas_id: int | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "canvas_id": self.canvas_id,
            "login_id": self.login_id,
            "changes": [[c.field, c.old, c.new] for c in self.changes],
            "name": self.name,
            "username": self.username,
            "role": self.role,
        }
        if self.record == "link":
            data = {
                "parent_sis_id": self.parent_sis_id,
                "student_sis_id": self.student_sis_id,
                "parent_canvas_id": self.parent_canvas_id,
                "student_canvas_id": self.student_canvas_id,
            }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_row(cls, record: str, action: str, key: str, data: str) -> WrittenRecord:
        d = json.loads(data)
        if record == "link":
            return cls(
                record,
                ActionKind(action),
                key,
                parent_sis_id=d["parent_sis_id"],
                student_sis_id=d["student_sis_id"],
                parent_canvas_id=d.get("parent_canvas_id"),
                student_canvas_id=d.get("student_canvas_id"),
            )
        return cls(
            record,
            ActionKind(action),
            key,
            canvas_id=d.get("canvas_id"),
            login_id=d.get("login_id"),
            changes=tuple(FieldChange(f, o, n) for f, o, n in d.get("changes", [])),
            name=d.get("name", ""),
            username=d.get("username", ""),
            role=d.get("role", ""),
        )


def person_record(action: PersonAction, name: str = "") -> WrittenRecord:
    person = action.person
    username = person.username if person is not None else ""
    if not username:
        username = next((c.new or "" for c in action.changes if c.field == "login"), "")
    changes = action.changes
    if action.kind is ActionKind.REMOVE and person is not None:
        # Removing a user loses these: kept so the removal itself can be undone.
        changes = (
            FieldChange("name", person.full_name, None),
            FieldChange("email", person.email, None),
            FieldChange("login", person.username, None),
        )
    return WrittenRecord(
        "person",
        action.kind,
        action.sis_id,
        canvas_id=action.canvas_id,
        login_id=action.login_id,
        changes=changes,
        name=person.full_name if person is not None else name,
        username=username,
        role=action.role.value if action.role is not None else "",
    )


def link_record(action: LinkAction) -> WrittenRecord:
    return WrittenRecord(
        "link",
        action.kind,
        link_key(action.parent_sis_id, action.student_sis_id),
        parent_sis_id=action.parent_sis_id,
        student_sis_id=action.student_sis_id,
        parent_canvas_id=action.parent_canvas_id,
        student_canvas_id=action.student_canvas_id,
    )


def records_from_plan(plan: Plan, names: dict[int, str] | None = None) -> list[WrittenRecord]:
    """Every write of ``plan``, in plan order (people, then links)."""
    known = names or {}
    out = [
        person_record(a, known.get(a.canvas_id or -1, ""))
        for a in plan.people
        if a.kind in WRITE_KINDS
    ]
    out += [link_record(a) for a in plan.links if a.kind in WRITE_KINDS]
    return out
