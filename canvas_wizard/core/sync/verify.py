"""The check after a sync: confirm what was written, reading back only what must be read.

Most writes are confirmed by Canvas's own answer to them, which shows the values
Canvas stored (the REST applier keeps them: ``RestApplier.answers``). A record is
re-read only when no answer showed a value it wrote; a SIS Import gives no answer
per record, so everything it wrote is re-read. A value that differs from the plan,
in an answer or read back, makes the record FAILED ("Canvas reported success, but
reading it back shows this is not done ...").

What confirms each field (checked against canvas-lms, lib/api/v1/user.rb and the
controllers named):

* **Create** (``POST /api/v1/accounts/:id/users``, users_controller.rb
  ``create_user``): the answer is ``user_json`` with ``id, name, sortable_name,
  short_name``, ``sis_user_id`` (for an admin who may read SIS data) and
  ``login_id``: it confirms the name, the SIS ID and the username. It carries **no
  email** (its includes are "locale" only). Canvas makes the address given an email
  channel of the new user unless its ``EmailAddressValidator`` refuses it, and then
  drops it without a word; so the email of a create is **trusted when the address
  has the shape Canvas accepts** (``roster.validate.is_email``, the roster's own,
  stricter check), and re-read otherwise. A create whose answer was lost is
  confirmed by the SIS ID lookup the applier makes, whose answer carries the email.
* **Update** (``PUT /api/v1/users/:id``, users_controller.rb ``update``): the
  answer is ``user_json`` with "email" among its includes: name and email.
* **Login edit** (``PUT /api/v1/accounts/:id/logins/:id``, pseudonyms_controller.rb):
  the login's ``unique_id``, ``sis_user_id`` and ``workflow_state``: username,
  SIS ID (takeover) and suspension or reactivation.
* **Link** (``PUT /api/v1/users/:parent/observees/:student``,
  user_observees_controller.rb): a 200 with the student's JSON means the link is
  there. **Unlink** (``DELETE`` likewise): a 200, or a 404 (no live link), means
  it is gone. **Remove** (undo): the 200, or a 404, of ``DELETE .../users/:id``.
* A field an answer leaves out (the admin may not see it) is re-read; a field a
  read-back still does not show cannot be checked and does not fail the record.

Re-reading, per record: ``GET /api/v1/users/:id`` (or ``sis_user_id:X`` when the
Canvas id is not known) for name, email, username and SIS ID, plus the user's
logins when a login's state was written; ``GET /api/v1/users/:parent/observees/:student``
for a link. That is one request per record (two for a state change).

When many records need re-reading and the run may read Canvas with the provisioning
report, the engine reads one report instead when that is quicker by the cost model
(core/sync/costs.py: the report's learned job time against the reads one by one, about
11 in flight): a handful of requests, but a background job's wait (seconds to minutes).
At most a tenth of :data:`ONE_BY_ONE_MAX` records are always read one by one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from canvas_wizard.core.canvas import CanvasClient, CanvasNotFound
from canvas_wizard.core.canvas.throttle import MAX_IN_FLIGHT
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.roster.validate import is_email
from canvas_wizard.core.sync.model import (
    WRITE_KINDS,
    ActionKind,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    email_key,
    login_key,
    normalise_name,
)
from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
    link_key,
)
from canvas_wizard.core.sync.rest_apply import sis_path

#: A tenth of this many records to re-read or fewer are always read one by one.
ONE_BY_ONE_MAX = 500

Answers = dict[tuple[str, str], dict[str, str | None]]


def wanted_values(action: PersonAction | LinkAction) -> dict[str, str]:
    """What ``action`` means Canvas to hold afterwards, field by field."""
    if isinstance(action, LinkAction):
        return {"linked": "no" if action.kind is ActionKind.UNLINK else "yes"}
    if action.kind is ActionKind.SUSPEND:
        return {"status": "suspended"}
    if action.kind is ActionKind.REMOVE:
        return {"removed": "yes"}
    out = {c.field: c.new for c in action.changes if c.new is not None}
    if action.kind in (ActionKind.CREATE, ActionKind.ADOPT):
        out["sis_id"] = action.sis_id
    return out


def same(field_name: str, stored: str | None, wanted: str) -> bool:
    """Whether Canvas's ``stored`` value is the ``wanted`` one, compared as the planner does."""
    if stored is None:
        return False
    if field_name == "name":
        return normalise_name(stored) == normalise_name(wanted)
    if field_name == "email":
        return email_key(stored) == email_key(wanted)
    if field_name == "login":
        return login_key(stored) == login_key(wanted)
    return stored == wanted


def _trusted(action: PersonAction | LinkAction, field_name: str, wanted: str) -> bool:
    """A value confirmed without an answer showing it (the module docstring's rule)."""
    return (
        isinstance(action, PersonAction)
        and action.kind is ActionKind.CREATE
        and field_name == "email"
        and is_email(wanted)
    )


def not_done(o: RecordOutcome, still: str) -> RecordOutcome:
    return RecordOutcome(
        o.record,
        o.action,
        o.key,
        OutcomeStatus.FAILED,
        f"Canvas reported success, but reading it back shows this is not done "
        f"(still to {still}). Check this record in Canvas; run the sync again.",
        o.canvas_id,
        o.name,
    )


@dataclass
class WriteCheck:
    """The check of one run's outcomes against its plan (see the module docstring)."""

    plan: Plan
    snapshot: Snapshot
    outcomes: list[RecordOutcome]
    answers: Answers = field(default_factory=dict)
    #: Indexes into ``outcomes`` of the records no answer confirmed: to re-read.
    to_reread: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actions: dict[tuple[str, str], PersonAction | LinkAction] = {}
        for p in self.plan.people:
            self.actions[("person", p.sis_id)] = p
        for a in self.plan.links:
            self.actions[("link", link_key(a.parent_sis_id, a.student_sis_id))] = a

    def written(self) -> int:
        return sum(1 for o in self.outcomes if _written(o))

    def from_answers(self) -> list[RecordOutcome]:
        """Outcomes with every write an answer contradicts FAILED; ``to_reread`` filled."""
        out = list(self.outcomes)
        self.to_reread = []
        for i, o in enumerate(out):
            action = self.actions.get((o.record, o.key))
            if not _written(o) or action is None:
                continue
            seen = self.answers.get((o.record, o.key), {})
            wanted = wanted_values(action)
            differs = {f: v for f, v in wanted.items() if f in seen and not same(f, seen[f], v)}
            if differs:
                out[i] = not_done(o, _still(action, differs, seen))
            elif any(f not in seen and not _trusted(action, f, v) for f, v in wanted.items()):
                self.to_reread.append(i)
        self.outcomes = out
        return out

    def keys_to_reread(self) -> set[tuple[str, str]]:
        return {(self.outcomes[i].record, self.outcomes[i].key) for i in self.to_reread}

    def reread(
        self,
        client: CanvasClient,
        progress: ProgressCallback,
        cancel: CancelToken,
        workers: int = MAX_IN_FLIGHT,
    ) -> list[RecordOutcome]:
        """Read back the records in ``to_reread`` one by one; raises the first Canvas error
        (the outcomes stay as they were), or returns early when ``cancel`` is set."""
        reader = _Reader(client, self.snapshot, self.outcomes, cancel)
        people = [i for i in self.to_reread if self.outcomes[i].record == "person"]
        links = [i for i in self.to_reread if self.outcomes[i].record == "link"]
        total, done = len(self.to_reread), 0
        out = list(self.outcomes)
        lock = threading.Lock()

        def check(i: int) -> None:
            nonlocal done
            o = out[i]
            action = self.actions[(o.record, o.key)]
            stored = reader.read(action, o, set(wanted_values(action)))
            if stored is None:
                return  # stopped
            wanted = wanted_values(action)
            if stored.get("found") == "no":
                differs = wanted  # not in Canvas at all: nothing of it is there
            else:
                # A field the read-back does not show (no permission) cannot be checked.
                differs = {
                    f: v for f, v in wanted.items() if f in stored and not same(f, stored[f], v)
                }
            with lock:
                if differs:
                    out[i] = not_done(o, _still(action, differs, stored))
                done += 1
                snapshot = Progress(Phase.VERIFY, done, total, "Reading back what was written")
            progress(snapshot)

        # People first: a link's ends may be people this run created.
        for batch in (people, links):
            reader.run(check, batch, workers)
        self.outcomes = out
        return out


def _written(o: RecordOutcome) -> bool:
    return o.status is OutcomeStatus.DONE and o.action in WRITE_KINDS


def _still(
    action: PersonAction | LinkAction, differs: dict[str, str], stored: dict[str, str | None]
) -> str:
    """What is still to do, as the plan would say it: "update name 'A' → 'B'"."""
    if isinstance(action, LinkAction):
        return "unlink" if action.kind is ActionKind.UNLINK else "link"
    if stored.get("found") == "no":
        kind = "create" if action.kind is ActionKind.CREATE else "find this user"
        if action.kind is ActionKind.REMOVE:
            kind = "remove"
    elif action.kind is ActionKind.SUSPEND:
        kind = "suspend"
    else:
        kind = "update"
    what = ", ".join(f"{f} {stored.get(f)!r} → {v!r}" for f, v in differs.items())
    return f"{kind} {what}".strip()


class _Reader:
    """Reads back single records, stopping everyone at the first Canvas error."""

    def __init__(
        self,
        client: CanvasClient,
        snapshot: Snapshot,
        outcomes: list[RecordOutcome],
        cancel: CancelToken,
    ) -> None:
        self.client = client
        self.snapshot = snapshot
        self.cancel = cancel
        self.stop = threading.Event()
        self.error: WizardError | None = None
        self.lock = threading.Lock()
        # Canvas ids of people: those written in this run (creates carry theirs), then
        # those read before the run.
        self.ids: dict[str, int] = {
            sis: holder.person.id for sis, holder in snapshot.by_sis_id.items()
        }
        for o in outcomes:
            if o.record == "person" and o.canvas_id is not None:
                self.ids[o.key] = o.canvas_id
        self.missing: set[str] = set()  # SIS IDs read back and not found

    def run(self, check: Any, indexes: Iterable[int], workers: int) -> None:
        def one(i: int) -> None:
            if self.stop.is_set() or self.cancel.cancelled:
                return
            try:
                check(i)
            except WizardError as exc:
                with self.lock:
                    if self.error is None:
                        self.error = exc
                self.stop.set()

        batch = list(indexes)
        if batch:
            with ThreadPoolExecutor(
                min(workers, len(batch)), thread_name_prefix="cw-check"
            ) as pool:
                list(pool.map(one, batch))
        if self.error is not None:
            raise self.error

    def read(
        self, action: PersonAction | LinkAction, o: RecordOutcome, fields: set[str]
    ) -> dict[str, str | None] | None:
        if self.stop.is_set() or self.cancel.cancelled:
            return None
        if isinstance(action, LinkAction):
            return {"linked": self._linked(action)}
        return self._person(action, o, fields)

    def _person(
        self, action: PersonAction, o: RecordOutcome, fields: set[str]
    ) -> dict[str, str | None]:
        sis = action.sis_id
        cid = o.canvas_id if o.canvas_id is not None else action.canvas_id
        user: Any
        try:
            user = self.client.get(f"/api/v1/users/{cid}" if cid else sis_path(sis))
        except CanvasNotFound:
            user = None
        if isinstance(user, dict) and "id" in user and action.kind is not ActionKind.REMOVE:
            # A user found by id must still hold the SIS ID (a takeover, a create).
            shown = user.get("sis_user_id", sis)
            if cid is None or shown == sis:
                self.ids[sis] = int(user["id"])
        if action.kind is ActionKind.REMOVE:
            gone = user is None or self._sis_gone(sis)
            return {"removed": "yes" if gone else "no", "found": "yes"}
        if not isinstance(user, dict):
            self.missing.add(sis)
            return {"found": "no"}
        stored: dict[str, str | None] = {"found": "yes"}
        keys = {"name": "name", "email": "email", "login": "login_id", "sis_id": "sis_user_id"}
        for name, key in keys.items():
            if key in user:
                stored[name] = None if user[key] is None else str(user[key])
        if "status" in fields:
            for login in self.client.get_all(f"/api/v1/users/{int(user['id'])}/logins"):
                if login.get("sis_user_id") == sis:
                    stored["status"] = str(login.get("workflow_state") or "active")
                    stored["login"] = str(login.get("unique_id") or "")
                    break
        return stored

    def _sis_gone(self, sis: str) -> bool:
        try:
            self.client.get(sis_path(sis))
        except CanvasNotFound:
            return True
        return False

    def _linked(self, action: LinkAction) -> str:
        parent = action.parent_canvas_id or self._id_of(action.parent_sis_id)
        student = action.student_canvas_id or self._id_of(action.student_sis_id)
        if parent is None or student is None:
            return "no"  # an end is not in Canvas: there is no link between them
        try:
            self.client.get(f"/api/v1/users/{parent}/observees/{student}")
        except CanvasNotFound:
            return "no"
        return "yes"

    def _id_of(self, sis: str) -> int | None:
        if sis in self.ids:
            return self.ids[sis]
        if sis in self.missing:
            return None
        try:
            found = self.client.get(sis_path(sis))
        except CanvasNotFound:
            return None
        return int(found["id"]) if isinstance(found, dict) and "id" in found else None


__all__ = ["ONE_BY_ONE_MAX", "WriteCheck", "not_done", "same", "wanted_values"]
