"""The inverse of a run's writes, against Canvas as it is now: a pure function.

For each record the run set out to write, undo compares three values: what
Canvas had before the run (recorded), what the run wrote (recorded), and what
Canvas has now (a fresh snapshot):

* now == what the run wrote → write the before-value back;
* now == before → nothing to do (never written, or already undone);
* anything else → someone changed it since: a conflict naming both values,
  never an overwrite.

So undo of a run that was killed half-way undoes exactly what it wrote, and a
second undo writes nothing. Records a later run wrote again are conflicts
(undo that run first); an undo of this same run is no obstacle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from canvas_wizard.core.roster.model import Person, Role
from canvas_wizard.core.sync.model import (
    WRITE_KINDS,
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    FieldChange,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
    email_key,
    login_key,
    normalise_name,
)
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.sync.snapshot_report import UNKNOWN_LOGIN_ID
from canvas_wizard.core.undo.records import WrittenRecord

_FIELD_WORDS = {"name": "name", "email": "email", "login": "username", "status": "login status"}


@dataclass(frozen=True, slots=True)
class LaterRun:
    """The latest later run (not an undo of this one) that wrote a record again."""

    run_id: int


@dataclass
class UndoInput:
    """What the history knows about the run being undone."""

    run_id: int
    writes: list[WrittenRecord]
    #: SIS ID → Canvas id of the user the run created (from its outcomes; absent when
    #: the run was interrupted before its outcomes were saved).
    created_ids: dict[str, int] = field(default_factory=dict)
    later: dict[str, LaterRun] = field(default_factory=dict)
    #: Outcomes of writes the history has no before-state for (runs made before
    #: before-states were recorded): listed as "cannot undo".
    unrecorded: list[RecordOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the undo's report


def undo_inputs_from_outcomes(
    writes: list[WrittenRecord], outcomes: Iterable[RecordOutcome]
) -> tuple[dict[str, int], list[RecordOutcome]]:
    """(created ids, outcomes written without a before-state) from a run's outcomes."""
    recorded = {(w.record, w.key) for w in writes}
    created: dict[str, int] = {}
    unrecorded: list[RecordOutcome] = []
    for o in outcomes:
        if o.status is not OutcomeStatus.DONE or o.action not in WRITE_KINDS:
            continue
        if o.action is ActionKind.CREATE and o.canvas_id is not None:
            created[o.key] = o.canvas_id
        if (o.record, o.key) not in recorded:
            unrecorded.append(o)
    return created, unrecorded


def removal_candidates(data: UndoInput, snapshot: Snapshot) -> list[int]:
    """Canvas ids of users undo may remove: ask Canvas whether they were used since."""
    out: list[int] = []
    for w in data.writes:
        if w.record == "person" and w.action is ActionKind.CREATE and w.key not in data.later:
            holder = snapshot.by_sis_id.get(w.key)
            if holder is not None and not holder.deleted:
                out.append(holder.person.id)
    return out


def plan_undo(
    data: UndoInput, snapshot: Snapshot, used_since: dict[int, str] | None = None
) -> Plan:
    """The plan that reverses run ``data.run_id``'s writes (see the module docstring).

    ``used_since``: Canvas id → why that created user must not be removed (signed
    in, enrolled): they are suspended instead.
    """
    planner = _Planner(data, snapshot, used_since or {})
    people = [planner.person(w) for w in data.writes if w.record == "person"]
    links = [planner.link(w) for w in data.writes if w.record == "link"]
    for o in data.unrecorded:
        why = (
            f"Cannot undo: run {data.run_id} was made before this version recorded what "
            f"Canvas held before each change, so the earlier {o.record} state is unknown. "
            "Check this record in Canvas by hand."
        )
        if o.record == "person":
            people.append(PersonAction(ActionKind.SKIP, o.key, None, o.canvas_id, reason=why))
        else:
            parent, _, student = o.key.partition("→")
            links.append(LinkAction(ActionKind.SKIP, parent, student, None, None, why))
    people.sort(key=lambda a: a.sis_id)
    links.sort(key=lambda a: (a.parent_sis_id, a.student_sis_id))
    return Plan(people, links, SyncOptions(), notes=[*data.notes, *planner.notes])


def _same(field_name: str, a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if field_name == "email":
        return email_key(a) == email_key(b)
    if field_name == "login":
        return login_key(a) == login_key(b)
    if field_name == "name":
        return normalise_name(a) == normalise_name(b)
    return a == b


class _Planner:
    def __init__(self, data: UndoInput, snapshot: Snapshot, used_since: dict[int, str]) -> None:
        self.data = data
        self.snapshot = snapshot
        self.used_since = used_since
        self.run = data.run_id
        self.notes: list[str] = []

    # -- people ---------------------------------------------------------------------------

    def person(self, w: WrittenRecord) -> PersonAction:
        later = self.data.later.get(w.key)
        if later is not None:
            return self._act(
                ActionKind.CONFLICT,
                w,
                f"Run {later.run_id} wrote this person again after run {self.run}: undo run "
                f"{later.run_id} first, or check this person in Canvas by hand.",
            )
        if w.action is ActionKind.CREATE:
            return self._undo_create(w)
        if w.action is ActionKind.REMOVE:
            return self._undo_remove(w)
        if w.action is ActionKind.ADOPT:
            # Giving the old SIS ID back (and so untying the roster person again) is not
            # built yet: say so rather than treat the SIS ID as an ordinary field.
            sis = next((c for c in w.changes if c.field == "sis_id"), None)
            was = f" (SIS ID {sis.old!r} before)" if sis is not None and sis.old else ""
            return self._act(
                ActionKind.SKIP,
                w,
                f"Cannot undo yet: run {self.run} took this existing Canvas user over{was}. "
                "Undo does not give SIS IDs back; change this person in Canvas by hand if "
                "the takeover was wrong.",
            )
        current = self._current(w)
        if current is None:
            return self._act(
                ActionKind.SKIP,
                w,
                f"Cannot undo: {w.key} is no longer in this Canvas account (deleted or moved "
                "since), so there is nothing to put back.",
            )
        person, login = current
        if w.action is ActionKind.SUSPEND:
            return self._undo_suspend(w, person, login)
        return self._undo_update(w, person, login)

    def _act(
        self,
        kind: ActionKind,
        w: WrittenRecord,
        reason: str,
        *,
        ids: tuple[int | None, int | None] = (None, None),
        changes: tuple[FieldChange, ...] = (),
        person: Person | None = None,
    ) -> PersonAction:
        canvas_id, login_id = ids
        role = Role(w.role) if w.role in {r.value for r in Role} else None
        if person is None and role is not None and w.name:
            # For the preview and the report: who this is (the roster's person is not at hand).
            person = Person(w.key, w.name, w.username, role)
        return PersonAction(
            kind,
            w.key,
            person,
            canvas_id if canvas_id is not None else w.canvas_id,
            changes,
            reason,
            role,
            login_id if login_id is not None else w.login_id,
        )

    def _current(self, w: WrittenRecord) -> tuple[CanvasPerson, CanvasLogin | None] | None:
        person = self.snapshot.people.get(w.canvas_id) if w.canvas_id is not None else None
        if person is None:
            holder = self.snapshot.by_sis_id.get(w.key)
            if holder is None or holder.deleted:
                return None
            return holder.person, holder.login
        if person.workflow_state == "deleted":
            return None
        for login in person.logins:
            # Read by report, a login's id is not known (0): the SIS ID finds it. The sync
            # and its undo may have read Canvas in different ways (core/sync/costs.py).
            unknown = w.login_id is None or login.id == UNKNOWN_LOGIN_ID
            if login.id == w.login_id or (unknown and login.sis_user_id == w.key):
                return person, login
        return person, None

    def _undo_create(self, w: WrittenRecord) -> PersonAction:
        holder = self.snapshot.by_sis_id.get(w.key)
        if holder is None or holder.deleted:
            return self._act(ActionKind.UNCHANGED, w, "Not in Canvas: nothing to remove.")
        created = self.data.created_ids.get(w.key)
        person = holder.person
        if created is not None and created != person.id:
            return self._act(
                ActionKind.CONFLICT,
                w,
                f"SIS ID {w.key} is now held by Canvas user {person.id} ({person.name}), not by "
                f"user {created} whom run {self.run} created: left alone.",
                ids=(person.id, None),
            )
        why = self.used_since.get(person.id)
        ids: tuple[int | None, int | None] = (person.id, holder.login.id)
        role = Role(w.role) if w.role in {r.value for r in Role} else Role.STUDENT
        # What removing them loses, so an undo of this undo can bring them back.
        gone = Person(w.key, person.name, holder.login.unique_id, role, email=person.email)
        if why:
            if holder.suspended:
                return self._act(
                    ActionKind.UNCHANGED, w, f"Already suspended (not removed: {why}).", ids=ids
                )
            return self._act(
                ActionKind.SUSPEND,
                w,
                f"Suspended instead of removed: {why}. Remove them in Canvas by hand if they "
                "really should go.",
                changes=(FieldChange("status", "active", "suspended"),),
                ids=ids,
            )
        return self._act(
            ActionKind.REMOVE,
            w,
            f"Created by run {self.run}: removed from the account again.",
            person=gone,
            ids=ids,
        )

    def _undo_remove(self, w: WrittenRecord) -> PersonAction:
        holder = self.snapshot.by_sis_id.get(w.key)
        if holder is not None and not holder.deleted:
            if holder.person.id == w.canvas_id:
                return self._act(ActionKind.UNCHANGED, w, "Already back in Canvas.")
            return self._act(
                ActionKind.CONFLICT,
                w,
                f"SIS ID {w.key} is now held by Canvas user {holder.person.id} "
                f"({holder.person.name}): cannot bring back user {w.canvas_id}.",
            )
        before = {c.field: c.old for c in w.changes}
        name, username = before.get("name") or w.name, before.get("login") or w.username
        if not username:
            return self._act(
                ActionKind.SKIP, w, "Cannot undo: the removed login's username was not recorded."
            )
        role = Role(w.role) if w.role in {r.value for r in Role} else Role.STUDENT
        email = before.get("email")
        person = Person(w.key, name, username, role, email=email)
        changes = [FieldChange("name", None, name), FieldChange("login", None, username)]
        if email:
            changes.insert(1, FieldChange("email", None, email))
        return self._act(
            ActionKind.CREATE,
            w,
            f"Removed by run {self.run}: brought back (same Canvas user, login revived).",
            changes=tuple(changes),
            person=person,
        )

    def _undo_suspend(
        self, w: WrittenRecord, person: CanvasPerson, login: CanvasLogin | None
    ) -> PersonAction:
        state = login.workflow_state if login is not None else None
        if login is None or state == "deleted":
            return self._act(
                ActionKind.SKIP, w, "Cannot reactivate: the login was deleted in Canvas since."
            )
        ids: tuple[int | None, int | None] = (person.id, login.id)
        if state == "suspended":
            return self._act(
                ActionKind.UPDATE,
                w,
                f"Suspended by run {self.run}: reactivated.",
                changes=(FieldChange("status", "suspended", "active"),),
                ids=ids,
            )
        return self._act(ActionKind.UNCHANGED, w, "Already active.", ids=ids)

    def _value(self, name: str, person: CanvasPerson, login: CanvasLogin | None) -> str | None:
        if name == "name":
            return person.name
        if name == "email":
            return person.email
        if login is None:
            return None
        return login.unique_id if name == "login" else login.workflow_state

    def _undo_update(
        self, w: WrittenRecord, person: CanvasPerson, login: CanvasLogin | None
    ) -> PersonAction:
        back: list[FieldChange] = []
        clashes: list[str] = []
        cannot: list[str] = []
        for c in w.changes:
            now = self._value(c.field, person, login)
            word = _FIELD_WORDS.get(c.field, c.field)
            if _same(c.field, now, c.old):
                continue
            if not _same(c.field, now, c.new):
                clashes.append(
                    f"{word}: run {self.run} changed {c.old!r} to {c.new!r}, and Canvas now has "
                    f"{now!r}"
                )
            elif c.old is None or (c.field in ("login", "status") and login is None):
                cannot.append(f"{word} (there was none before, and Canvas cannot clear it)")
            else:
                back.append(FieldChange(c.field, now, c.old))
        ids = (person.id, login.id if login else None)
        if clashes:
            return self._act(
                ActionKind.CONFLICT,
                w,
                "Changed in Canvas since; nothing was put back for this person: "
                + "; ".join(clashes)
                + ". Fix it in Canvas by hand if the old value is right.",
                ids=ids,
            )
        if back:
            what = ", ".join(
                f"{_FIELD_WORDS.get(c.field, c.field)} back to {c.new!r}" for c in back
            )
            extra = f" Cannot undo: {'; '.join(cannot)}." if cannot else ""
            return self._act(
                ActionKind.UPDATE, w, f"Restored {what}.{extra}", changes=tuple(back), ids=ids
            )
        if cannot:
            return self._act(ActionKind.SKIP, w, f"Cannot undo: {'; '.join(cannot)}.", ids=ids)
        return self._act(ActionKind.UNCHANGED, w, f"Already as before run {self.run}.", ids=ids)

    # -- links ----------------------------------------------------------------------------

    def _live_id(self, sis: str, known: int | None) -> int | None:
        holder = self.snapshot.by_sis_id.get(sis)
        if holder is not None and not holder.deleted:
            return holder.person.id
        if known is not None:
            person = self.snapshot.people.get(known)
            if person is not None and person.workflow_state != "deleted":
                return known
        return None

    def link(self, w: WrittenRecord) -> LinkAction:
        p_sis, s_sis = w.parent_sis_id, w.student_sis_id
        later = self.data.later.get(w.key)
        if later is not None:
            why = (
                f"Run {later.run_id} wrote this link again after run {self.run}: undo run "
                f"{later.run_id} first."
            )
            return LinkAction(ActionKind.SKIP, p_sis, s_sis, None, None, why)
        parent = self._live_id(p_sis, w.parent_canvas_id)
        student = self._live_id(s_sis, w.student_canvas_id)
        linked = (
            parent is not None
            and student is not None
            and (parent, student) in (self.snapshot.links)
        )
        if w.action is ActionKind.LINK:
            if linked:
                why = f"Linked by run {self.run}: unlinked."
                return LinkAction(ActionKind.UNLINK, p_sis, s_sis, parent, student, why)
            why = "Not linked in Canvas: nothing to remove."
            return LinkAction(ActionKind.UNCHANGED, p_sis, s_sis, parent, student, why)
        # UNLINK: restore the link.
        if linked:
            why = "Linked in Canvas already."
            return LinkAction(ActionKind.UNCHANGED, p_sis, s_sis, parent, student, why)
        if parent is None or student is None:
            gone = p_sis if parent is None else s_sis
            why = f"Cannot restore the link: {gone} is no longer in this Canvas account."
            return LinkAction(ActionKind.SKIP, p_sis, s_sis, parent, student, why)
        why = f"Unlinked by run {self.run}: linked again."
        return LinkAction(ActionKind.LINK, p_sis, s_sis, parent, student, why)
