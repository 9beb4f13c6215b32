"""Read Canvas into a :class:`Snapshot`: REST pages, or the provisioning report.

Two paths give the same Snapshot (a test compares them):

* **REST** — the account's user list (100 a page, with email), every login of
  the users the roster cares about (``sis_ids``), and the observees of the
  parents (``observer_sis_ids``). Logins are read per user because the list
  shows one login only and not whether it is suspended.
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

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from canvas_wizard.core.canvas import CanvasClient, CanvasError, CanvasNotFound
from canvas_wizard.core.canvas.transport import make_session
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.model import LOGIN_ACTIVE, CanvasLogin, CanvasPerson, Snapshot
from canvas_wizard.core.sync.outcome import CancelToken, Phase, Progress, ProgressCallback

READ_WORKERS = 8
REPORT_POLL_SECONDS = 1.0
REPORT_TIMEOUT_SECONDS = 30 * 60.0
UNKNOWN_LOGIN_ID = 0  # the user list and the report do not show login ids


class SnapshotCancelled(WizardError):
    """Reading Canvas stopped because the admin cancelled."""

    def __init__(self) -> None:
        super().__init__("Reading Canvas was cancelled.", hint="Nothing was changed in Canvas.")


def _no_progress(_: Progress) -> None:
    return None


def read_snapshot(
    client: CanvasClient,
    account_id: int,
    root_account_id: int,
    *,
    sis_ids: set[str] | None = None,
    observer_sis_ids: set[str] | None = None,
    prefer_report: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    report_poll: float = REPORT_POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Snapshot:
    """Canvas's people, logins and observer links of ``account_id``.

    ``sis_ids``: whose logins to read in full on the REST path (None: everyone's).
    ``observer_sis_ids``: whose observees to read (None: those of ``sis_ids``).
    The report path reads everything regardless. Raises :class:`SnapshotCancelled`
    when ``cancel`` is set, and Canvas errors as the client raises them.
    """
    report = progress or _no_progress
    token = cancel or CancelToken()
    if prefer_report and account_id == root_account_id:
        return _read_by_report(
            client, account_id, root_account_id, report, token, report_poll, sleep
        )
    return _read_by_rest(
        client, account_id, root_account_id, sis_ids, observer_sis_ids, report, token
    )


def _check(cancel: CancelToken) -> None:
    if cancel.cancelled:
        raise SnapshotCancelled


# -- REST -----------------------------------------------------------------------------


def _read_by_rest(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    sis_ids: set[str] | None,
    observer_sis_ids: set[str] | None,
    progress: ProgressCallback,
    cancel: CancelToken,
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

    people: dict[int, CanvasPerson] = {}
    to_read: list[dict[str, Any]] = []
    for item in listed:
        sis = item.get("sis_user_id")
        if sis_ids is None or (sis and sis in sis_ids):
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
        account_id=account_id, root_account_id=root_id, people=people, links=links, source="api"
    )


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


# -- provisioning report -----------------------------------------------------------------


def _read_by_report(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    progress: ProgressCallback,
    cancel: CancelToken,
    poll: float,
    sleep: Callable[[float], None],
) -> Snapshot:
    base = f"/api/v1/accounts/{account_id}/reports/provisioning_csv"
    # Starting a report twice does no harm, so a 5xx or a lost answer may be retried:
    # a short Canvas hiccup must not stop a nightly sync.
    started = client.post_idempotent(
        base,
        data={
            "parameters[users]": "true",
            "parameters[user_observers]": "true",
            # Deleted logins keep their SIS IDs in Canvas: the planner must see them to
            # report a conflict instead of planning a create that Canvas will refuse.
            "parameters[include_deleted]": "true",
        },
    )
    report_id = int(started["id"])
    status: dict[str, Any] = started
    deadline = time.monotonic() + REPORT_TIMEOUT_SECONDS
    polls = 0
    while status.get("status") not in ("complete", "error", "aborted", "deleted"):
        _check(cancel)
        if time.monotonic() > deadline:
            raise CanvasError(
                "Canvas's provisioning report did not finish within 30 minutes.",
                hint="Canvas may be busy; try again later, or turn off "
                '"read Canvas with the provisioning report" to read page by page.',
            )
        progress(
            Progress(
                Phase.READ_CANVAS,
                int(status.get("progress") or 0),
                100,
                "Waiting for Canvas's provisioning report",
            )
        )
        # Small reports finish in moments: look again soon, then back off to ``poll``.
        sleep(min(poll, 0.05 * 2**polls))
        polls += 1
        status = client.get(f"{base}/{report_id}")
    attachment = status.get("attachment") or {}
    url = attachment.get("url") or status.get("file_url")
    if status.get("status") != "complete" or not url:
        extra = (status.get("parameters") or {}).get("extra_text") or ""
        raise CanvasError(
            f"Canvas's provisioning report ended with status {status.get('status')!r}. {extra}".strip(),
            hint="Try again; if it keeps failing, turn off the report option to read page by page.",
        )
    _check(cancel)
    progress(Progress(Phase.READ_CANVAS, 100, 100, "Downloading the provisioning report"))
    files = _csv_files(_download(client, str(url)))
    users = files.get("users", iter(()))
    observers = files.get("user_observers", iter(()))
    return snapshot_from_report(account_id, root_id, users, observers)


def _download(client: CanvasClient, url: str) -> bytes:
    """The attachment's bytes. Its URL carries a verifier, so no token is needed.

    Canvas may hand out a files-domain URL: the client refuses to send the token
    to another host (rightly), so such a URL is fetched without one.
    """
    if urlsplit(url).hostname == urlsplit(client.base_url).hostname:
        return client.request("GET", url).content
    with make_session() as session, session.get(url, timeout=(10.0, 300.0)) as response:
        if response.status_code >= 400:
            raise CanvasError(
                f"The provisioning report could not be downloaded (HTTP {response.status_code}).",
                hint="Try again; the download link may have expired.",
            )
        return response.content


def _csv_files(data: bytes) -> dict[str, Iterator[dict[str, str]]]:
    """Rows of each CSV in the download, keyed "users" / "user_observers" by header.

    The rows are read lazily, as the snapshot is built: a district's report held
    as dicts all at once took about 190 MB for 100,000 people, more than the
    snapshot made from it (tests/benchmarks, planning at district scale).
    """
    blobs: list[bytes] = []
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            blobs = [archive.read(name) for name in archive.namelist() if name.endswith(".csv")]
    else:
        blobs = [data]
    out: dict[str, Iterator[dict[str, str]]] = {}
    for blob in blobs:
        reader = csv.DictReader(io.StringIO(blob.decode("utf-8-sig")))
        header = set(reader.fieldnames or ())
        # Canvas recognises its CSVs by header; so do we.
        if "canvas_observer_id" in header:
            out["user_observers"] = reader
        elif "canvas_user_id" in header:
            out["users"] = reader
    return out


def snapshot_from_report(
    account_id: int,
    root_id: int,
    users: Iterable[dict[str, str]],
    observers: Iterable[dict[str, str]],
) -> Snapshot:
    """A Snapshot from the provisioning report's users and user_observers rows."""
    names: dict[int, tuple[str, str | None]] = {}
    logins: dict[int, list[CanvasLogin]] = {}
    for row in users:
        raw_id = (row.get("canvas_user_id") or "").strip()
        if not raw_id.isdigit():
            continue
        user_id = int(raw_id)
        names.setdefault(user_id, (row.get("full_name") or "", row.get("email") or None))
        login_id = row.get("login_id") or ""
        if login_id:
            logins.setdefault(user_id, []).append(
                CanvasLogin(
                    id=UNKNOWN_LOGIN_ID,
                    unique_id=login_id,
                    sis_user_id=row.get("user_id") or None,
                    workflow_state=row.get("status") or LOGIN_ACTIVE,
                    account_id=root_id,
                    authentication_provider_id=_int_or_none(row.get("authentication_provider_id")),
                )
            )
    people = {
        uid: CanvasPerson(uid, name, email, tuple(logins.get(uid, ())), "registered")
        for uid, (name, email) in names.items()
    }
    links: set[tuple[int, int]] = set()
    for row in observers:
        if (row.get("status") or "active") != "active":
            continue
        observer, student = row.get("canvas_observer_id", ""), row.get("canvas_student_id", "")
        if observer.isdigit() and student.isdigit():
            links.add((int(observer), int(student)))
    return Snapshot(
        account_id=account_id, root_account_id=root_id, people=people, links=links, source="report"
    )


def _int_or_none(value: Any) -> int | None:
    """A provider id from JSON or a report cell; None for blank or anything else."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None
