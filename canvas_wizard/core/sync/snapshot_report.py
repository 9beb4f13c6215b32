"""Reading Canvas with the provisioning report (see :mod:`canvas_wizard.core.sync.snapshot`).

One report with every login and observer link as CSV: a handful of requests however
large the school. A sub-account is read with its root's report plus its own user list
(the report of a sub-account leaves out people Canvas associates with the root only),
or, without reports on the root, with its own report plus lookups (snapshot.py).
:func:`start_report` starts the job on its own, so it can run while the roster is read.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from canvas_wizard.core.canvas import CanvasClient, CanvasError
from canvas_wizard.core.canvas.transport import make_session
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.costs import REPORT, JobTiming
from canvas_wizard.core.sync.model import LOGIN_ACTIVE, CanvasLogin, CanvasPerson, Snapshot
from canvas_wizard.core.sync.outcome import CancelToken, Phase, Progress, ProgressCallback

REPORT_POLL_SECONDS = 0.5  # a finished job is seen at most half a second late
REPORT_TIMEOUT_SECONDS = 30 * 60.0
UNKNOWN_LOGIN_ID = 0  # the user list and the report do not show login ids


class SnapshotCancelled(WizardError):
    """Reading Canvas stopped because the admin cancelled."""

    def __init__(self) -> None:
        super().__init__("Reading Canvas was cancelled.", hint="Nothing was changed in Canvas.")


def _check(cancel: CancelToken) -> None:
    if cancel.cancelled:
        raise SnapshotCancelled


# -- provisioning report -----------------------------------------------------------------


def _read_by_report(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    progress: ProgressCallback,
    cancel: CancelToken,
    poll: float,
    sleep: Callable[[float], None],
    enrollments: bool = False,
    started: StartedReport | None = None,
    *,
    expected: float = 0.0,
) -> Snapshot:
    """``started``: the same report already started (:func:`start_report`), e.g. while
    the roster was read; it is used when it is of this account and asks as much.
    ``expected``: the seconds the report should take (core/sync/costs.py), so polling
    is rare while it surely runs and frequent near its end; 0 when not known."""
    base = f"/api/v1/accounts/{account_id}/reports/provisioning_csv"
    if started is None or started.account_id != account_id or started.enrollments < enrollments:
        started = start_report(client, account_id, enrollments)
    began = started.began
    report_id = int(started.answer["id"])
    status: dict[str, Any] = started.answer
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
        # While the report surely still runs (by its expected time), look half as often
        # as time remains: a few requests instead of one every ``poll``.
        wait = min(poll, 0.05 * 2**polls)
        remaining = expected - (time.monotonic() - began)
        if remaining > 4 * poll:
            wait = min(remaining / 2, 10.0)
        sleep(wait)
        polls += 1
        status = client.get(f"{base}/{report_id}")
    waited = time.monotonic() - began
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
    snapshot = snapshot_from_report(account_id, root_id, users, observers)
    if enrollments:
        snapshot.enrolled_students = enrolled_students(files.get("enrollments", iter(())))
    snapshot.jobs.append(JobTiming(REPORT, len(snapshot.people), waited, account_id))
    return snapshot


@dataclass(frozen=True)
class StartedReport:
    """A provisioning report Canvas has been asked for, not yet waited on."""

    account_id: int
    enrollments: bool
    answer: dict[str, Any]
    began: float


def start_report(client: CanvasClient, account_id: int, enrollments: bool) -> StartedReport:
    """Ask Canvas for the provisioning report the snapshot reads; its job starts now."""
    asked = {"parameters[enrollments]": "true"} if enrollments else {}
    began = time.monotonic()
    # Starting a report twice does no harm, so a 5xx or a lost answer may be retried:
    # a short Canvas hiccup must not stop a nightly sync.
    answer = client.post_idempotent(
        f"/api/v1/accounts/{account_id}/reports/provisioning_csv",
        data={
            "parameters[users]": "true",
            "parameters[user_observers]": "true",
            # Deleted logins keep their SIS IDs in Canvas: the planner must see them to
            # report a conflict instead of planning a create that Canvas will refuse.
            "parameters[include_deleted]": "true",
            # Who is enrolled where: what a linked parent will see (core/sync/visibility.py).
            **asked,
        },
    )
    return StartedReport(account_id, enrollments, dict(answer), began)


def _read_sub_account_by_root_report(
    client: CanvasClient,
    account_id: int,
    root_id: int,
    wanted: set[str],
    progress: ProgressCallback,
    cancel: CancelToken,
    poll: float,
    sleep: Callable[[float], None],
    enrollments: bool = False,
    *,
    expected: float = 0.0,
) -> Snapshot:
    """The sub-account's people (from its list) and the roster's people wherever they are
    in the root (from the root's report), with their logins and parent links."""
    members: set[int] = set()
    emails_visible = True
    for item in client.get_all(
        f"/api/v1/accounts/{account_id}/users", {"include[]": "email", "per_page": 100}
    ):
        members.add(int(item["id"]))
        emails_visible = emails_visible and "email" in item
        if len(members) % 100 == 0:
            _check(cancel)
            progress(Progress(Phase.READ_CANVAS, len(members), 0, "Reading Canvas users"))
    root = _read_by_report(
        client, root_id, root_id, progress, cancel, poll, sleep, enrollments, expected=expected
    )
    people = {
        uid: person
        for uid, person in root.people.items()
        if uid in members or any(lg.sis_user_id in wanted for lg in person.logins)
    }
    links = {(o, s) for o, s in root.links if o in people}
    return Snapshot(
        account_id=account_id,
        root_account_id=root_id,
        people=people,
        links=links,
        source="report",
        emails_visible=emails_visible,
        enrolled_students=root.enrolled_students,
        jobs=root.jobs,
    )


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
        # Canvas recognises its CSVs by header; so do we (enrolments name a user too).
        if "canvas_enrollment_id" in header or "base_role_type" in header:
            out["enrollments"] = reader
        elif "canvas_observer_id" in header:
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


def enrolled_students(rows: Iterable[dict[str, str]]) -> frozenset[int]:
    """Users with an active student enrolment, from the report's enrollments rows
    (columns matched by name: Canvas may add more)."""
    found: set[int] = set()
    for row in rows:
        kind = row.get("base_role_type") or ""
        if kind != "StudentEnrollment" and not (not kind and row.get("role") == "student"):
            continue
        user = (row.get("canvas_user_id") or "").strip()
        if (row.get("status") or "") == "active" and user.isdigit():
            found.add(int(user))
    return frozenset(found)


def _int_or_none(value: Any) -> int | None:
    """A provider id from JSON or a report cell; None for blank or anything else."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None
