"""Apply a plan with Canvas's REST API: people and parent links on one pool.

Writes run on one thread pool as large as Canvas's bucket allows in flight
(:data:`~canvas_wizard.core.canvas.throttle.MAX_IN_FLIGHT`); the client's
:class:`ThrottleGate` lowers that when the bucket fills. A link starts as soon as
both its ends exist: at once when both are in Canvas already, else right after the
create (or takeover) of its last end, ahead of the people still waiting, so the
pool never drains between people and links. Every plan record gets exactly one
:class:`RecordOutcome`, returned in plan order (people, then links).

* **Canvas's answers are kept** (:attr:`RestApplier.answers`): for each write, the
  values Canvas's answer showed as stored, so the check afterwards
  (core/sync/verify.py) re-reads only what no answer showed.

* **Idempotent create.** A create whose answer is lost (connection reset after
  Canvas wrote it, or a 5xx) is never simply sent again: the SIS ID is looked up
  first, and a user found there counts as created. The client does not retry
  POSTs by itself; that is on purpose.
* **Verify the SIS ID.** Canvas drops ``pseudonym[sis_user_id]`` without a word
  when the signed-in account may not manage SIS data, so a create is confirmed
  by reading back the SIS ID.
* **Adopt** (take over an existing user) first gives the user's login the roster's
  SIS ID (``PUT /api/v1/accounts/:root/logins/:id``, ``login[sis_user_id]``), then
  updates the rest as for an update. Run again, it finds the login already holding
  the SIS ID and does not write it twice; the next run matches the user exactly.
* **Cancel** stops new records from starting; those in flight finish; the rest
  are NOT_RUN.

``progress`` is called from worker threads.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from canvas_wizard.core.canvas import (
    CanvasClient,
    CanvasConnectionError,
    CanvasError,
    CanvasNotFound,
    CanvasServerError,
    CanvasValidationError,
    ProxyPageError,
)
from canvas_wizard.core.canvas.throttle import MAX_IN_FLIGHT
from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.sync.model import (
    WRITE_KINDS,
    ActionKind,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    login_key,
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

_PLAIN_SIS = re.compile(r"[A-Za-z0-9_\-]+")
_COUNT_WORDS = {
    ActionKind.CREATE: "created",
    ActionKind.ADOPT: "taken over",
    ActionKind.UPDATE: "updated",
    ActionKind.SUSPEND: "suspended",
    ActionKind.LINK: "linked",
    ActionKind.UNLINK: "unlinked",
    ActionKind.REMOVE: "removed",
}


def sis_path(sis_id: str) -> str:
    """``/api/v1/users/sis_user_id:X``, hex-encoded when X has characters a URL mangles."""
    if _PLAIN_SIS.fullmatch(sis_id):
        return f"/api/v1/users/sis_user_id:{sis_id}"
    return f"/api/v1/users/hex:sis_user_id:{sis_id.encode('utf-8').hex()}"


def planned_outcome(action: PersonAction | LinkAction, names: dict[int, str]) -> RecordOutcome:
    """The outcome of a record that writes nothing: unchanged, conflict or skip."""
    status = {
        ActionKind.UNCHANGED: OutcomeStatus.UNCHANGED,
        ActionKind.CONFLICT: OutcomeStatus.CONFLICT,
    }.get(action.kind, OutcomeStatus.SKIPPED)
    if isinstance(action, PersonAction):
        return person_outcome(action, status, action.reason, names)
    return RecordOutcome(
        "link",
        action.kind,
        link_key(action.parent_sis_id, action.student_sis_id),
        status,
        action.reason,
    )


def person_outcome(
    action: PersonAction,
    status: OutcomeStatus,
    message: str,
    names: dict[int, str],
    canvas_id: int | None = None,
) -> RecordOutcome:
    cid = canvas_id if canvas_id is not None else action.canvas_id
    if action.person is not None:
        name = action.person.full_name
    else:
        name = names.get(action.canvas_id or -1, "")
    return RecordOutcome("person", action.kind, action.sis_id, status, message, cid, name)


class RestApplier:
    """Writes a :class:`Plan` to Canvas with REST calls (see the module docstring)."""

    def __init__(
        self,
        client: CanvasClient,
        account_id: int,
        root_account_id: int,
        *,
        concurrency: int = MAX_IN_FLIGHT,
        reactivate_deleted: bool = False,
        create_attempts: int = 5,
    ) -> None:
        self.client = client
        self.account_id = account_id
        self.root_account_id = root_account_id
        self.concurrency = max(1, concurrency)
        #: Send ``enable_sis_reactivation``: a create whose SIS ID sits on a deleted
        #: login then revives that login (and its old user) instead of failing. Off by
        #: default: the planner treats such an SIS ID as a conflict for the admin.
        self.reactivate_deleted = reactivate_deleted
        # Each failed attempt is followed by a SIS ID lookup (retried with back-off by the
        # client), so five attempts ride out a few seconds of a flaky Canvas: at a 5 % error
        # rate, three left about one create in 8,000 failing (seen in tests/chaos).
        self.create_attempts = max(1, create_attempts)
        #: What Canvas's answers showed as stored, per record of the last :meth:`apply`:
        #: ``("person", sis)`` → {"name", "email", "login", "sis_id", "status" → value},
        #: only the fields an answer carried; ``("link", "P→S")`` → {"linked": "yes"|"no"}.
        self.answers: dict[tuple[str, str], dict[str, str | None]] = {}
        #: Set when the last :meth:`apply` stopped because Canvas asked to sign in again
        #: (the records not reached are NOT_RUN); the engine raises it after keeping them.
        self.stopped_by: AuthorizationNeeded | None = None

    def apply(
        self, plan: Plan, snapshot: Snapshot, *, progress: ProgressCallback, cancel: CancelToken
    ) -> list[RecordOutcome]:
        names = {p.id: p.name for p in snapshot.people.values()}
        run = _Run(self, plan, names, progress, cancel)
        self.answers = run.answers
        self.stopped_by = None
        return run.go()


class _Run:
    """The state of one apply: ids of people created, counts, and the outcomes."""

    def __init__(
        self,
        applier: RestApplier,
        plan: Plan,
        names: dict[int, str],
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> None:
        self.applier = applier
        self.client = applier.client
        self.plan = plan
        self.names = names
        self.progress = progress
        self.cancel = cancel
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}  # SIS ID → Canvas id, for people written in this run
        self.not_ready: dict[str, str] = {}  # SIS ID → why its links cannot be made
        # People to take over: their links wait until the takeover is done.
        self.adopting = {a.sis_id for a in plan.people if a.kind is ActionKind.ADOPT}
        self.total = plan.writes()
        self.done = 0
        self.counts: dict[str, int] = {}
        self.answers: dict[tuple[str, str], dict[str, str | None]] = {}

    def go(self) -> list[RecordOutcome]:
        people, links = self.plan.people, self.plan.links
        out_p: list[RecordOutcome | None] = [None] * len(people)
        out_l: list[RecordOutcome | None] = [None] * len(links)
        # People whose links must wait for their write: their Canvas id comes from it
        # (create), or the link must follow it (takeover, removal).
        gating = {
            a.sis_id
            for a in people
            if a.kind in (ActionKind.CREATE, ActionKind.ADOPT, ActionKind.REMOVE)
        }
        waiting: dict[str, list[int]] = {}  # SIS ID → links waiting for that person
        ends_left: dict[int, int] = {}  # link index → its ends still being written
        queue_p: deque[int] = deque()
        queue_l: deque[int] = deque()
        for i, person in enumerate(people):
            if person.kind in WRITE_KINDS:
                queue_p.append(i)
            else:
                out_p[i] = planned_outcome(person, self.names)
        for i, link in enumerate(links):
            if link.kind not in WRITE_KINDS:
                out_l[i] = planned_outcome(link, self.names)
                continue
            ends = {link.parent_sis_id, link.student_sis_id} & gating
            if ends:
                ends_left[i] = len(ends)
                for sis in ends:
                    waiting.setdefault(sis, []).append(i)
            else:
                queue_l.append(i)
        jobs = len(queue_p) + len(queue_l) + len(ends_left)
        if jobs:
            state = _Queue(queue_p, queue_l, waiting, ends_left, jobs)
            workers = [
                threading.Thread(
                    target=self._work,
                    args=(state, out_p, out_l),
                    name=f"cw-apply-{n}",
                    daemon=True,
                )
                for n in range(min(self.applier.concurrency, jobs))
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if state.error is not None:
                raise state.error
        return [o for o in out_p if o is not None] + [o for o in out_l if o is not None]

    def _work(
        self,
        state: _Queue,
        out_p: list[RecordOutcome | None],
        out_l: list[RecordOutcome | None],
    ) -> None:
        """One worker: ready links first (their ends exist), then the next person."""
        people, links = self.plan.people, self.plan.links
        while True:
            job = state.take()
            if job is None:
                return
            is_link, i = job
            try:
                if is_link:
                    out_l[i] = self._one(links[i], self._link)
                else:
                    out_p[i] = self._one(people[i], self._person)
            except BaseException as exc:  # a progress callback's: the run must still end
                state.fail(exc)
            finally:
                state.finished(None if is_link else people[i].sis_id)

    def _one(self, action: Any, write: Callable[[Any], RecordOutcome]) -> RecordOutcome:
        if self.cancel.cancelled or self.applier.stopped_by is not None:
            outcome = self._not_run(action)
        else:
            try:
                outcome = write(action)
            except AuthorizationNeeded as exc:
                # Canvas no longer takes the token and it cannot be refreshed: no later
                # record can be written either. Stop; the engine asks to sign in again.
                with self.lock:
                    if self.applier.stopped_by is None:
                        self.applier.stopped_by = exc
                outcome = self._failed(action, f"Not written: {exc.message}")
            except CanvasError as exc:
                text = f"{exc.message} {exc.hint}".strip()
                outcome = self._failed(action, text)
            except Exception as exc:  # one record's bug must not lose the others
                outcome = self._failed(action, f"Unexpected error: {type(exc).__name__}: {exc}")
        self._tick(action, outcome)
        return outcome

    def _not_run(self, action: Any) -> RecordOutcome:
        msg = "Cancelled before this record's turn; run the sync again to finish."
        if not self.cancel.cancelled:
            msg = (
                "Not run: Canvas asked to sign in again before this record's turn; sign in "
                "and run the sync again to finish."
            )
        if isinstance(action, PersonAction):
            self._block(action.sis_id, "was not written (cancelled)")
            return person_outcome(action, OutcomeStatus.NOT_RUN, msg, self.names)
        key = link_key(action.parent_sis_id, action.student_sis_id)
        return RecordOutcome("link", action.kind, key, OutcomeStatus.NOT_RUN, msg)

    def _failed(self, action: Any, message: str) -> RecordOutcome:
        if isinstance(action, PersonAction):
            self._block(action.sis_id, "could not be written")
            return person_outcome(action, OutcomeStatus.FAILED, message, self.names)
        key = link_key(action.parent_sis_id, action.student_sis_id)
        return RecordOutcome("link", action.kind, key, OutcomeStatus.FAILED, message)

    def _block(self, sis: str, why: str) -> None:
        with self.lock:
            self.not_ready[sis] = why

    def _saw(self, record: str, key: str, values: dict[str, str | None]) -> None:
        """Keep what Canvas's answer showed as stored for ``record`` ``key``."""
        with self.lock:
            self.answers.setdefault((record, key), {}).update(values)

    def _saw_user(self, sis: str, body: Any, fields: tuple[str, ...]) -> None:
        """The ``fields`` a user JSON shows (a key it leaves out shows nothing)."""
        if not isinstance(body, dict):
            return
        keys = {"name": "name", "email": "email", "login": "login_id", "sis_id": "sis_user_id"}
        seen = {f: _text(body[keys[f]]) for f in fields if keys[f] in body}
        self._saw("person", sis, seen)

    def _saw_login(self, sis: str, body: Any, fields: tuple[str, ...]) -> None:
        """The ``fields`` a login JSON shows: unique_id, sis_user_id, workflow_state."""
        if not isinstance(body, dict):
            return
        keys = {"login": "unique_id", "sis_id": "sis_user_id", "status": "workflow_state"}
        seen = {f: _text(body[keys[f]]) for f in fields if f in keys and keys[f] in body}
        self._saw("person", sis, seen)

    def _tick(self, action: Any, outcome: RecordOutcome) -> None:
        if outcome.status is OutcomeStatus.DONE:
            word = _COUNT_WORDS.get(action.kind, "done")
        else:
            word = str(outcome.status.value)
        with self.lock:
            self.done += 1
            self.counts[word] = self.counts.get(word, 0) + 1
            snapshot = Progress(
                Phase.APPLY, self.done, self.total, _activity(action), dict(self.counts)
            )
        self.progress(snapshot)

    # -- people -------------------------------------------------------------------------

    def _person(self, action: PersonAction) -> RecordOutcome:
        if action.kind is ActionKind.CREATE:
            outcome = self._create(action)
        elif action.kind is ActionKind.ADOPT:
            outcome = self._adopt(action)
        elif action.kind is ActionKind.UPDATE:
            outcome = self._update(action)
        elif action.kind is ActionKind.REMOVE:
            outcome = self._remove(action)
        else:
            outcome = self._suspend(action)
        if outcome.status is OutcomeStatus.DONE and outcome.canvas_id is not None:
            with self.lock:
                self.ids[action.sis_id] = outcome.canvas_id
        elif outcome.status is not OutcomeStatus.DONE:
            self._block(action.sis_id, f"was not {_COUNT_WORDS[action.kind]} ({outcome.status})")
        return outcome

    def lookup(self, sis: str) -> dict[str, Any] | None:
        """The user holding SIS ID ``sis`` on a live login, or None."""
        try:
            found = self.client.get(sis_path(sis))
        except CanvasNotFound:
            return None
        return found if isinstance(found, dict) else None

    def _outcome(
        self, action: PersonAction, status: OutcomeStatus, message: str, cid: int | None = None
    ) -> RecordOutcome:
        return person_outcome(action, status, message, self.names, cid)

    def _create(self, action: PersonAction) -> RecordOutcome:
        person, sis = action.person, action.sis_id
        assert person is not None  # the planner creates only roster people
        new = {c.field: c.new or "" for c in action.changes}
        name = new.get("name") or person.full_name
        data = {
            "user[name]": name,
            "user[short_name]": name,
            "user[sortable_name]": sortable_name(name),
            "user[skip_registration]": "true",
            "pseudonym[unique_id]": person.username,
            "pseudonym[sis_user_id]": sis,
            "pseudonym[send_confirmation]": "false",
        }
        if new.get("email"):
            data["communication_channel[type]"] = "email"
            data["communication_channel[address]"] = new["email"]
            data["communication_channel[skip_confirmation]"] = "true"
        if self.plan.options.pass_integration_id and person.integration_id:
            data["pseudonym[integration_id]"] = person.integration_id
        if self.plan.options.login_provider:
            # The school's sign-in: a login without it may not be found by that provider.
            data["pseudonym[authentication_provider_id]"] = self.plan.options.login_provider
        if self.applier.reactivate_deleted:
            data["enable_sis_reactivation"] = "true"
        path = f"/api/v1/accounts/{self.applier.account_id}/users"
        note = ""
        body: dict[str, Any] | None = None
        for attempt in range(1, self.applier.create_attempts + 1):
            try:
                body = self.client.post(path, data=data)
                break
            except CanvasValidationError as exc:
                return self._create_refused(action, exc)
            except (CanvasConnectionError, CanvasServerError, ProxyPageError) as exc:
                # The answer is lost, but Canvas may have written the user: look before
                # sending the create again, so no one is created twice.
                body = self.lookup(sis)
                if body is not None:
                    note = " (Canvas's answer was lost; the user was found by SIS ID)"
                    break
                if attempt == self.applier.create_attempts:
                    raise exc from None
        assert body is not None
        canvas_id = int(body["id"])
        # A create's answer carries the name, SIS ID and login (users_controller.rb
        # create_user renders user_json with "locale" only); a lookup's carries the email too.
        self._saw_user(sis, body, ("name", "login", "sis_id", "email"))
        if body.get("sis_user_id") != sis:
            found = self.lookup(sis)
            if found is not None and int(found["id"]) == canvas_id:
                self._saw_user(sis, found, ("name", "login", "sis_id", "email"))
            if found is None or int(found["id"]) != canvas_id:
                return self._outcome(
                    action,
                    OutcomeStatus.FAILED,
                    f'Canvas created user {canvas_id} with username "{person.username}" but did '
                    f'not store the SIS ID {sis}: the signed-in account lacks the "Manage SIS '
                    'data" permission on the root account, so Canvas dropped it without a word. '
                    "Ask a Canvas administrator for that permission, then give this user the SIS "
                    f"ID {sis} in Canvas (or delete the user) and run the sync again.",
                    canvas_id,
                )
        return self._outcome(action, OutcomeStatus.DONE, f"Created{note}.", canvas_id)

    def _create_refused(self, action: PersonAction, exc: CanvasValidationError) -> RecordOutcome:
        assert action.person is not None
        taken = {e.field.rsplit(".", 1)[-1] for e in exc.field_errors if e.type == "taken"}
        parts = []
        if "unique_id" in taken:
            parts.append(
                f'Username "{action.person.username}" is already in use in Canvas, by a login '
                "this app could not see (another account, or a second login of a user). Find "
                "it in Canvas (Admin > People), then change the username in Cloudwork or free "
                "it in Canvas."
            )
        if "sis_user_id" in taken:
            parts.append(
                f"SIS ID {action.sis_id} is already in use in Canvas by a login this app could "
                "not see: a user in another sub-account of your school, or a deleted login "
                "(Canvas keeps SIS IDs on deleted logins). Search the root account for it (Admin "
                "> People, or SIS Import history). If it is the same person, restore or move "
                "that user; if not, remove the SIS ID from the other login."
            )
        if parts:
            parts.append("Nothing was changed for this person; run the sync again afterwards.")
            return self._outcome(action, OutcomeStatus.CONFLICT, " ".join(parts))
        said = "; ".join(e.message for e in exc.field_errors) or exc.message
        return self._outcome(action, OutcomeStatus.FAILED, f"Canvas refused the new user: {said}")

    def _login_id(self, action: PersonAction) -> int:
        """The id of the login holding the SIS ID (snapshots from lists do not carry it)."""
        if action.login_id:
            return action.login_id
        for login in self.client.get_all(f"/api/v1/users/{action.canvas_id}/logins"):
            if login.get("sis_user_id") == action.sis_id:
                return int(login["id"])
        raise CanvasNotFound(
            f"Canvas user {action.canvas_id} no longer has a login with SIS ID {action.sis_id}.",
            hint="It was changed in Canvas since it was read; run the sync again.",
        )

    def _edit_login(self, action: PersonAction, fields: dict[str, str]) -> None:
        login_id = self._login_id(action)
        data = {f"login[{k}]": v for k, v in fields.items()}
        path = f"/api/v1/accounts/{self.applier.root_account_id}/logins/{login_id}"
        body = self.client.put(path, data)
        wrote = {"unique_id": "login", "workflow_state": "status", "sis_user_id": "sis_id"}
        self._saw_login(action.sis_id, body, tuple(wrote[k] for k in fields if k in wrote))

    def _update(self, action: PersonAction) -> RecordOutcome:
        new = {c.field: c.new or "" for c in action.changes}
        user: dict[str, str] = {}
        if "name" in new:
            user.update(
                {
                    "user[name]": new["name"],
                    "user[short_name]": new["name"],
                    "user[sortable_name]": sortable_name(new["name"]),
                }
            )
        if "email" in new:
            user["user[email]"] = new["email"]
        done: list[str] = []
        if user:
            body = self.client.put(f"/api/v1/users/{action.canvas_id}", data=user)
            # users_controller.rb update renders user_json with "email" among its includes.
            self._saw_user(action.sis_id, body, tuple(f for f in ("name", "email") if f in new))
            done += [f for f in ("name", "email") if f in new]
        login: dict[str, str] = {}
        if "login" in new:
            login["unique_id"] = new["login"]
        if "status" in new:
            login["workflow_state"] = new["status"]
        if login:
            try:
                self._edit_login(action, login)
            except CanvasValidationError as exc:
                if any(e.type == "taken" for e in exc.field_errors):
                    saved = f" ({', '.join(done)} updated)" if done else ""
                    return self._outcome(
                        action,
                        OutcomeStatus.CONFLICT,
                        f'Username "{new.get("login")}" is already in use in Canvas by a login '
                        f"this app could not see{saved}. Change it in Cloudwork or free it in "
                        "Canvas, then run the sync again.",
                    )
                raise
            done += ["username" if k == "unique_id" else "status" for k in login]
        return self._outcome(action, OutcomeStatus.DONE, f"Updated {', '.join(done)}.")

    def _adopt_login(self, action: PersonAction, old_sis: str | None) -> dict[str, Any]:
        """The login to take over, read afresh: the one with the roster's SIS ID already
        (an earlier attempt got through), with the old SIS ID, or the one without any."""
        assert action.person is not None
        root = self.applier.root_account_id
        logins: list[dict[str, Any]] = [
            lg
            for lg in self.client.get_all(f"/api/v1/users/{action.canvas_id}/logins")
            if int(lg.get("account_id") or root) == root
        ]
        for wanted in (action.sis_id, old_sis):
            found: list[dict[str, Any]] = [
                lg for lg in logins if wanted and lg.get("sis_user_id") == wanted
            ]
            if found:
                return found[0]
        bare: list[dict[str, Any]] = [lg for lg in logins if not lg.get("sis_user_id")]
        if action.login_id:
            bare = [lg for lg in bare if int(lg["id"]) == action.login_id] or bare
        if len(bare) > 1:
            keys = {login_key(action.person.username), login_key(action.person.email or "")}
            bare = [lg for lg in bare if login_key(str(lg.get("unique_id") or "")) in keys]
        if len(bare) != 1:
            raise CanvasNotFound(
                f"Canvas user {action.canvas_id} no longer has exactly one login to take over "
                f"(SIS ID {old_sis or 'none'}).",
                hint="It was changed in Canvas since it was read; run the sync again.",
            )
        return bare[0]

    def _adopt(self, action: PersonAction) -> RecordOutcome:
        sis = action.sis_id
        old_sis = next((c.old for c in action.changes if c.field == "sis_id"), None)
        login = self._adopt_login(action, old_sis)
        login_id = int(login["id"])
        if login.get("sis_user_id") == sis:
            self._saw("person", sis, {"sis_id": sis})  # an earlier attempt got through
        else:
            path = f"/api/v1/accounts/{self.applier.root_account_id}/logins/{login_id}"
            try:
                self.client.put(path, {"login[sis_user_id]": sis})
            except CanvasValidationError as exc:
                if any(e.type == "taken" for e in exc.field_errors):
                    return self._outcome(
                        action,
                        OutcomeStatus.CONFLICT,
                        f"Not taken over: SIS ID {sis} is already in use in Canvas by a login "
                        "this app could not see (another sub-account, or a deleted login). "
                        "Find it in Canvas (Admin > People, or SIS Import history) and free it, "
                        "then run the sync again. Nothing was changed for this person.",
                    )
                raise
            found = self.lookup(sis)
            if found is not None and int(found["id"]) == action.canvas_id:
                self._saw_user(sis, found, ("sis_id",))
            if found is None or int(found["id"]) != action.canvas_id:
                return self._outcome(
                    action,
                    OutcomeStatus.FAILED,
                    f"Canvas did not store the SIS ID {sis} on user {action.canvas_id}'s login: "
                    'the signed-in account may lack the "Manage SIS data" permission on the '
                    "root account. Ask a Canvas administrator for it, then run the sync again.",
                )
        rest = tuple(c for c in action.changes if c.field != "sis_id")
        how = f"Took over Canvas user {action.canvas_id} (SIS ID {old_sis or 'none'} → {sis})"
        if not rest:
            return self._outcome(action, OutcomeStatus.DONE, f"{how}.")
        update = PersonAction(
            ActionKind.UPDATE, sis, action.person, action.canvas_id, rest, "", action.role, login_id
        )
        after = self._update(update)
        return RecordOutcome(
            "person",
            ActionKind.ADOPT,
            sis,
            after.status,
            f"{how}. {after.message}",
            action.canvas_id,
            after.name,
        )

    def _suspend(self, action: PersonAction) -> RecordOutcome:
        self._edit_login(action, {"workflow_state": "suspended"})
        return self._outcome(action, OutcomeStatus.DONE, action.reason or "Suspended.")

    def _remove(self, action: PersonAction) -> RecordOutcome:
        # Only undo plans this. Canvas's remove_user (accounts_controller.rb) works on a root
        # account only: it soft-deletes the user's logins there (their SIS IDs stay), drops
        # that root's enrolments and the user's observer links; the user record stays.
        path = f"/api/v1/accounts/{self.applier.root_account_id}/users/{action.canvas_id}"
        try:
            self.client.delete(path)
        except CanvasNotFound:
            self._saw("person", action.sis_id, {"removed": "yes"})
            return self._outcome(action, OutcomeStatus.DONE, "Already removed in Canvas.")
        # Canvas answers with the user, not the logins it deleted: its 200 is the answer.
        self._saw("person", action.sis_id, {"removed": "yes"})
        return self._outcome(action, OutcomeStatus.DONE, action.reason or "Removed.")

    # -- links --------------------------------------------------------------------------

    def _canvas_id(self, sis: str, known: int | None) -> tuple[int | None, str]:
        if sis in self.adopting:
            with self.lock:
                why = self.not_ready.get(sis)
            if why is not None:
                return None, f"{sis} {why}; the link follows on a later run."
        if known is not None:
            return known, ""
        with self.lock:
            if sis in self.ids:
                return self.ids[sis], ""
            why = self.not_ready.get(sis)
        if why is not None:
            return None, f"{sis} {why}; the link follows on a later run."
        found = self.lookup(sis)
        if found is None:
            return None, f"{sis} is not in Canvas; the link follows once it is."
        return int(found["id"]), ""

    def _link(self, action: LinkAction) -> RecordOutcome:
        key = link_key(action.parent_sis_id, action.student_sis_id)
        if action.kind is ActionKind.UNLINK:
            path = f"/api/v1/users/{action.parent_canvas_id}/observees/{action.student_canvas_id}"
            try:
                self.client.delete(path)
            except CanvasNotFound:
                # Canvas's 404: there is no live link (user_observees_controller.rb destroy).
                self._saw("link", key, {"linked": "no"})
                return RecordOutcome(
                    "link", action.kind, key, OutcomeStatus.DONE, "Already removed in Canvas."
                )
            self._saw("link", key, {"linked": "no"})
            return RecordOutcome("link", action.kind, key, OutcomeStatus.DONE, action.reason)
        parent, why_p = self._canvas_id(action.parent_sis_id, action.parent_canvas_id)
        student, why_s = self._canvas_id(action.student_sis_id, action.student_canvas_id)
        if parent is None or student is None:
            message = "Not linked: " + " ".join(w for w in (why_p, why_s) if w)
            return RecordOutcome("link", action.kind, key, OutcomeStatus.SKIPPED, message)
        try:
            body = self.client.put(f"/api/v1/users/{parent}/observees/{student}")
        except CanvasValidationError as exc:
            said = "; ".join(e.message for e in exc.field_errors) or exc.message
            return RecordOutcome(
                "link", action.kind, key, OutcomeStatus.FAILED, f"Canvas refused the link: {said}"
            )
        # Canvas answers with the observed student and the link's root accounts.
        if isinstance(body, dict) and str(body.get("id")) == str(student):
            self._saw("link", key, {"linked": "yes"})
        return RecordOutcome("link", action.kind, key, OutcomeStatus.DONE, "Linked.")


class _Queue:
    """The write jobs of one apply: people in plan order, links once their ends exist.

    ``take`` hands a worker a ready link before the next person, so a link starts as
    soon as the create of its last end finished; it returns None when every job is
    done (workers then end), and waits while the only jobs left are links waiting
    for people still being written.
    """

    def __init__(
        self,
        people: deque[int],
        links: deque[int],
        waiting: dict[str, list[int]],
        ends_left: dict[int, int],
        jobs: int,
    ) -> None:
        self.people = people
        self.links = links
        self.waiting = waiting
        self.ends_left = ends_left
        self.left = jobs  # jobs not finished yet
        self.cond = threading.Condition()
        self.error: BaseException | None = None  # the first error out of a job, if any

    def fail(self, exc: BaseException) -> None:
        with self.cond:
            if self.error is None:
                self.error = exc

    def take(self) -> tuple[bool, int] | None:
        with self.cond:
            while True:
                if self.links:
                    return True, self.links.popleft()
                if self.people:
                    return False, self.people.popleft()
                if self.left == 0:
                    return None
                self.cond.wait()

    def finished(self, person_sis: str | None) -> None:
        """One job done; a person's links whose ends all exist now become ready."""
        with self.cond:
            self.left -= 1
            for i in self.waiting.pop(person_sis, ()) if person_sis is not None else ():
                self.ends_left[i] -= 1
                if self.ends_left[i] == 0:
                    del self.ends_left[i]
                    self.links.append(i)
            self.cond.notify_all()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _activity(action: Any) -> str:
    if isinstance(action, PersonAction):
        who = action.person.full_name if action.person else "Canvas user"
        return f"{_COUNT_WORDS.get(action.kind, 'writing').capitalize()} {who} ({action.sis_id})"
    verb = "Unlinked" if action.kind is ActionKind.UNLINK else "Linked"
    return f"{verb} {action.parent_sis_id} → {action.student_sis_id}"


#: Canvas's name suffixes (app/models/user.rb ``SUFFIXES``).
_SUFFIX = re.compile(r"(Sn?r\.?|Senior|Jn?r\.?|Junior|II|III|IV|V|VI|Esq\.?|Esquire)", re.I)


def sortable_name(name: str) -> str:
    """Canvas's default sortable name for ``name`` (app/models/user.rb ``name_parts`` and
    ``last_name_first``): "Last, First Middle", a suffix kept after the given names
    ("John Smith Jr." → "Smith, John Jr."), a name with a comma taken as already
    "Last, First", one word as it is."""
    surname, given, suffix = ([*(p.strip() for p in name.strip().split(",", 2)), None, None])[:3]
    if suffix is not None and not _SUFFIX.fullmatch(suffix):
        given, suffix = f"{given} {suffix}", None
    if given is None:
        given, surname = name.strip(), None
    elif suffix is None and surname and " " in surname and _SUFFIX.fullmatch(given):
        given, surname, suffix = surname, None, given  # "John Doe, Sr."
    parts = given.split()
    if suffix is None and len(parts) > 1 and _SUFFIX.fullmatch(parts[-1]):
        suffix = parts.pop()
    if surname is None and len(parts) > 1:
        surname = parts.pop()
    first = " ".join([*parts, *([suffix] if suffix else [])])
    # "Last, First" is one character longer than a 255-character name: Canvas's limit.
    return (f"{surname}, {first}".strip() if surname else first)[:255]
