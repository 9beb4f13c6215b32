"""Read Canvas into a :class:`Snapshot`: REST pages, or the provisioning report.

Two paths give the same Snapshot (a test compares them):

* **REST** — the account's user list (100 a page, with email), the logins of
  the users the roster cares about (``sis_ids``) where the list cannot answer,
  and the observees of the parents (``observer_sis_ids``).

  *List-level comparison.* A list row shows the user's name, email, and one
  login (its SIS ID and username) — not a second login, not whether the login is
  suspended, not its id or sign-in provider, and no links. The rule
  (``listed_logins``): a roster person whose row shows their SIS ID with the
  username the roster wants is built from the row; everyone else the roster
  cares about has their logins read. Name and email differences need no login
  read (the row carries them, and the user is edited by user id). So a no-change
  resync reads the list and the parents' observees only. What this gives up, and
  why it is safe:

  - a *suspended* login of a matching person is taken as active. The engine
    passes no ``listed_logins`` when suspending leavers (then every login is read,
    since state decides the action), so a run that suspends also sees who is
    suspended; a login suspended by hand, or by an earlier run when this one does
    not suspend, is not reactivated by a page-by-page read (the report sees it);
  - a *second* login of a matching person (another user's roster SIS ID, or a
    username the roster wants for someone else) is not seen: the create or rename
    it would collide with is refused by Canvas (SIS IDs and usernames are unique
    per root), and the applier reports the refusal — nothing wrong is written.
    A person whose wanted username differs from the row's is read in full, so
    "already another login of this user" is still found;
  - links are never guessed: every parent's observees are read.
* **Sub-accounts** — Canvas associates a user created through the API with the
  root account only (the login lives there), so the sub-account's list leaves out
  such people until they are enrolled there — parents usually never are
  (users_controller.rb ``create``; account reports and user lists go through
  user_account_associations). The roster's SIS IDs the list does not show
  (``lookup_sis_ids``) are looked up in the root (``sis_user_id:X``), one request
  each, so what was created is found again by the check afterwards and next run.
  With ``prefer_report`` (and the right to run reports on the root), the root's
  provisioning report is read instead, plus the sub-account's list to know who is
  in it: a handful of requests however many people the root holds. An admin who
  may run reports on the sub-account but not on the root reads the sub-account's
  own report — Canvas scopes its users to those associated with the sub-account
  and its observer links to those whose *student* is (account_reports
  report_helper ``add_user_sub_account_scope``, sis_exporter
  ``user_observer_query_options``) — plus the root lookups above for the roster's
  SIS IDs it does not show, with those people's logins and parents' observees.
* **Provisioning report** (root accounts, ``prefer_report=True``) — one report
  with every login and observer link as CSV: a handful of requests however
  large the school, which keeps a no-change resync cheap.

Neither path shows the id of a login read from the user list or the report
(Canvas does not put it there): such logins carry ``id=0`` ("not read"), and
the applier looks the id up on the few logins it edits.

A login that is *deleted* is not visible on either path (the user list and the
report leave it out, ``sis_user_id:X`` lookups 404). Canvas still refuses its
SIS ID to anyone else, so such a conflict surfaces when the create is refused;
the applier reports it then.

``progress`` may be called from worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from canvas_wizard.core.canvas import (
    CanvasClient,
    CanvasNotFound,
    CanvasPermissionError,
)
from canvas_wizard.core.sync.costs import READ_IN_FLIGHT
from canvas_wizard.core.sync.model import (
    LOGIN_ACTIVE,
    CanvasLogin,
    CanvasPerson,
    Snapshot,
    login_key,
)
from canvas_wizard.core.sync.outcome import CancelToken, Phase, Progress, ProgressCallback
from canvas_wizard.core.sync.rest_apply import sis_path
from canvas_wizard.core.sync.snapshot_report import (
    REPORT_POLL_SECONDS,
    UNKNOWN_LOGIN_ID,
    SnapshotCancelled,
    StartedReport,
    _check,
    _csv_files,
    _int_or_none,
    _read_by_report,
    _read_sub_account_by_root_report,
    snapshot_from_report,
    start_report,
)

READ_WORKERS = READ_IN_FLIGHT  # the cost model counts on it


def _no_progress(_: Progress) -> None:
    return None


def read_snapshot(
    client: CanvasClient,
    account_id: int,
    root_account_id: int,
    *,
    sis_ids: set[str] | None = None,
    observer_sis_ids: set[str] | None = None,
    lookup_sis_ids: set[str] | None = None,
    listed_logins: Mapping[str, str] | None = None,
    prefer_report: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    report_poll: float = REPORT_POLL_SECONDS,
    report_expected: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
    enrollments: bool = False,
    started_report: StartedReport | None = None,
) -> Snapshot:
    """Canvas's people, logins and observer links of ``account_id``.

    ``sis_ids``: whose logins to read in full on the REST path (None: everyone's).
    ``observer_sis_ids``: whose observees to read (None: those of ``sis_ids``).
    ``lookup_sis_ids``: on a sub-account, SIS IDs to look up in the root when the
    account's list does not show them (see the module docstring).
    ``listed_logins``: roster SIS ID -> the username the roster wants. On the REST path
    a user whose list row shows that SIS ID with that username is built from the row,
    without reading their logins (list-level comparison; see the module docstring).
    The report path reads everything regardless; ``enrollments`` asks it for the
    enrolments too (``Snapshot.enrolled_students``; the REST path leaves that None).
    ``started_report``: the root's report, already started (:func:`start_report`) while
    the roster was read; waited on instead of starting another. Raises :class:`SnapshotCancelled`
    when ``cancel`` is set, and Canvas errors as the client raises them.
    """
    report = progress or _no_progress
    token = cancel or CancelToken()
    if prefer_report and account_id == root_account_id:
        return _read_by_report(
            client,
            account_id,
            root_account_id,
            report,
            token,
            report_poll,
            sleep,
            enrollments,
            started_report,
            expected=report_expected,
        )
    if prefer_report and lookup_sis_ids is not None and account_id != root_account_id:
        try:
            return _read_sub_account_by_root_report(
                client,
                account_id,
                root_account_id,
                lookup_sis_ids,
                report,
                token,
                report_poll,
                sleep,
                enrollments,
                expected=report_expected,
            )
        except CanvasPermissionError:
            pass  # no reports on the root for this admin: perhaps on the sub-account
        try:
            return _read_sub_account_by_own_report(
                client,
                account_id,
                root_account_id,
                lookup_sis_ids,
                observer_sis_ids if observer_sis_ids is not None else sis_ids,
                report,
                token,
                report_poll,
                sleep,
                enrollments,
            )
        except CanvasPermissionError:
            pass  # no reports here either: read page by page, looking people up one by one
    return _read_by_rest(
        client,
        account_id,
        root_account_id,
        sis_ids,
        observer_sis_ids,
        lookup_sis_ids if account_id != root_account_id else None,
        report,
        token,
        listed_logins,
    )


# -- REST -----------------------------------------------------------------------------


def _read_by_rest(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    sis_ids: set[str] | None,
    observer_sis_ids: set[str] | None,
    lookup_sis_ids: set[str] | None,
    progress: ProgressCallback,
    cancel: CancelToken,
    listed_logins: Mapping[str, str] | None = None,
) -> Snapshot:
    listed: list[dict[str, Any]] = []
    for item in client.get_all(
        f"/api/v1/accounts/{account_id}/users", {"include[]": "email", "per_page": 100}
    ):
        listed.append(item)
        if len(listed) % 100 == 0:
            _check(cancel)
            progress(Progress(Phase.READ_CANVAS, len(listed), 0, "Reading Canvas users"))
    _check(cancel)
    if lookup_sis_ids:
        listed += _look_up_in_root(client, listed, lookup_sis_ids, progress, cancel)

    people: dict[int, CanvasPerson] = {}
    to_read: list[dict[str, Any]] = []
    for item in listed:
        sis = item.get("sis_user_id")
        if (sis_ids is None or (sis and sis in sis_ids)) and not _row_matches(item, listed_logins):
            to_read.append(item)
        else:
            people[int(item["id"])] = _person_from_listing(item, root_id)

    watched = observer_sis_ids if observer_sis_ids is not None else sis_ids
    observers = [
        int(item["id"])
        for item in listed
        if watched is None or (item.get("sis_user_id") and item["sis_user_id"] in watched)
    ]
    total = len(to_read) + len(observers)
    done = 0

    def step(activity: str) -> None:
        nonlocal done
        done += 1  # only read for a progress bar: a lost update under threads is harmless
        progress(Progress(Phase.READ_CANVAS, done, total, activity))

    def read_person(item: dict[str, Any]) -> CanvasPerson | None:
        if cancel.cancelled:
            return None
        person = _person_with_logins(client, item, root_id)
        step(f"Reading logins of {person.name}")
        return person

    def read_observees(user_id: int) -> list[tuple[int, int]] | None:
        if cancel.cancelled:
            return None
        try:
            found = [
                (user_id, int(s["id"]))
                for s in client.get_all(f"/api/v1/users/{user_id}/observees")
            ]
        except CanvasNotFound:
            found = []  # the user went away between the pages: no links to know of
        step("Reading parent links")
        return found

    links: set[tuple[int, int]] = set()
    with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="cw-read") as pool:
        for person in pool.map(read_person, to_read):
            if person is not None:
                people[person.id] = person
        for pairs in pool.map(read_observees, observers):
            if pairs:
                links.update(pairs)
    _check(cancel)
    return Snapshot(
        account_id=account_id,
        root_account_id=root_id,
        people=people,
        links=links,
        source="api",
        # Canvas leaves the key out for those who may not read emails (lib/api/v1/user.rb).
        emails_visible=all("email" in item for item in listed),
    )


def _read_sub_account_by_own_report(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    wanted: set[str],
    parents: set[str] | None,
    progress: ProgressCallback,
    cancel: CancelToken,
    poll: float,
    sleep: Callable[[float], None],
    enrollments: bool,
) -> Snapshot:
    """The sub-account's own report, plus the roster's SIS IDs it does not show looked
    up in the root (with their logins, and the observees of the parents among them).

    Canvas scopes a sub-account's report to the users associated with it
    (account_reports report_helper ``add_user_sub_account_scope``) and its observer
    links to those whose *student* is (``user_observer_query_options``): a parent the
    sub-account does not hold still shows with links to its students, but not in
    users.csv, so such a parent is looked up like anyone else the report leaves out.
    """
    own = _read_by_report(client, account_id, root_id, progress, cancel, poll, sleep, enrollments)
    shown = [
        {"id": uid, "sis_user_id": lg.sis_user_id}
        for uid, person in own.people.items()
        for lg in person.logins
        if lg.sis_user_id and lg.workflow_state != "deleted"
    ]
    found = _look_up_in_root(client, shown, wanted, progress, cancel)
    found = [item for item in found if int(item["id"]) not in own.people]
    read_links = [
        int(item["id"])
        for item in found
        if parents is None or (item.get("sis_user_id") and item["sis_user_id"] in parents)
    ]

    def read_observees(user_id: int) -> list[tuple[int, int]]:
        try:
            return [
                (user_id, int(s["id"]))
                for s in client.get_all(f"/api/v1/users/{user_id}/observees")
            ]
        except CanvasNotFound:
            return []

    people = dict(own.people)
    links = set(own.links)
    with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="cw-lookup") as pool:
        for person in pool.map(lambda item: _person_with_logins(client, item, root_id), found):
            people[person.id] = person
        for pairs in pool.map(read_observees, read_links):
            links.update(pairs)
    _check(cancel)
    own.people = people
    # A link shows for a student here even when its parent is not ours and not wanted.
    own.links = {(o, st) for o, st in links if o in people}
    own.reindex()
    return own


def _look_up_in_root(
    client: CanvasClient,
    listed: list[dict[str, Any]],
    wanted: set[str],
    progress: ProgressCallback,
    cancel: CancelToken,
) -> list[dict[str, Any]]:
    """Users holding ``wanted`` SIS IDs in the root that the sub-account's list left out."""
    seen_ids = {int(item["id"]) for item in listed}
    seen_sis = {str(item["sis_user_id"]) for item in listed if item.get("sis_user_id")}
    missing = sorted(wanted - seen_sis)
    done = 0

    def look(sis: str) -> dict[str, Any] | None:
        nonlocal done
        if cancel.cancelled:
            return None
        try:
            found = client.get(sis_path(sis))
        except (CanvasNotFound, CanvasPermissionError):
            # Not in Canvas, or held where the signed-in admin may not look: a create
            # is then refused with "SIS ID already in use", which the applier explains.
            found = None
        done += 1  # only read for a progress bar
        progress(Progress(Phase.READ_CANVAS, done, len(missing), "Looking up people in the root"))
        return found if isinstance(found, dict) else None

    out: list[dict[str, Any]] = []
    with ThreadPoolExecutor(READ_WORKERS, thread_name_prefix="cw-lookup") as pool:
        for found in pool.map(look, missing):
            if found is not None and int(found["id"]) not in seen_ids:
                seen_ids.add(int(found["id"]))
                out.append(found)
    _check(cancel)
    return out


def _row_matches(item: dict[str, Any], listed_logins: Mapping[str, str] | None) -> bool:
    """True when the list row already shows the login the roster wants for its SIS ID."""
    if not listed_logins:
        return False
    sis, login = item.get("sis_user_id"), item.get("login_id")
    wanted = listed_logins.get(str(sis)) if sis else None
    return bool(wanted and login and login_key(str(login)) == login_key(wanted))


def _person_from_listing(item: dict[str, Any], root_id: int) -> CanvasPerson:
    logins: tuple[CanvasLogin, ...] = ()
    if item.get("login_id"):
        logins = (
            CanvasLogin(
                id=UNKNOWN_LOGIN_ID,
                unique_id=str(item["login_id"]),
                sis_user_id=item.get("sis_user_id") or None,
                workflow_state=LOGIN_ACTIVE,  # the list does not say; only read for leavers
                account_id=root_id,
            ),
        )
    return CanvasPerson(
        id=int(item["id"]),
        name=str(item.get("name") or ""),
        email=item.get("email") or None,
        logins=logins,
        workflow_state="registered",
    )


def _person_with_logins(client: CanvasClient, item: dict[str, Any], root_id: int) -> CanvasPerson:
    user_id = int(item["id"])
    try:
        raw = list(client.get_all(f"/api/v1/users/{user_id}/logins"))
    except CanvasNotFound:
        return _person_from_listing(item, root_id)
    logins = tuple(
        CanvasLogin(
            id=int(lg["id"]),
            unique_id=str(lg.get("unique_id") or ""),
            sis_user_id=lg.get("sis_user_id") or None,
            workflow_state=str(lg.get("workflow_state") or LOGIN_ACTIVE),
            account_id=int(lg.get("account_id") or root_id),
            authentication_provider_id=_int_or_none(lg.get("authentication_provider_id")),
        )
        for lg in raw
    )
    base = _person_from_listing(item, root_id)
    return CanvasPerson(base.id, base.name, base.email, logins, base.workflow_state)


__all__ = [
    "REPORT_POLL_SECONDS",
    "UNKNOWN_LOGIN_ID",
    "SnapshotCancelled",
    "StartedReport",
    "_csv_files",
    "read_snapshot",
    "snapshot_from_report",
    "start_report",
]
