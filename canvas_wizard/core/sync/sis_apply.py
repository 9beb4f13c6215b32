"""Apply a plan as one SIS Import: a zip of users.csv and user_observers.csv.

For root accounts only (Canvas refuses SIS Imports anywhere else). The applier
builds the CSVs from the plan, remembering which row holds which record, uploads
them as one zip, polls the import for progress and maps Canvas's messages (the
errors attachment has file and row) back to the records they belong to.

Two SIS Import behaviours the CSV has to respect (doc/api/sis_csv.md,
lib/sis/user_importer.rb):

* every column in a row is written, so an UPDATE row carries Canvas's current
  values for the fields the plan leaves alone (names the admin chose not to
  sync, a login that stays suspended), never the roster's;
* a row without a name sets the user's name to the login id, so such a row is
  never written.

A login with the row's login_id but no SIS ID is *adopted* by a SIS Import,
where the REST API would refuse it as taken. The planner reports such people
as CONFLICT, and conflicts never reach the CSV.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.canvas.errors import CanvasError
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.model import (
    LOGIN_SUSPENDED,
    ActionKind,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
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

log = logging.getLogger(__name__)

USERS_CSV = "users.csv"
OBSERVERS_CSV = "user_observers.csv"
USERS_HEADER = ("user_id", "login_id", "full_name", "email", "status")
#: Added when the setup chose a sign-in provider for new logins.
PROVIDER_COLUMN = "authentication_provider_id"
OBSERVERS_HEADER = ("observer_id", "student_id", "status")
RUNNING_STATES = frozenset({"initializing", "created", "importing", "cleanup_batch", "restoring"})
_PERSON_KINDS = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.SUSPEND)
_LINK_KINDS = (ActionKind.LINK, ActionKind.UNLINK)
_NOT_WRITTEN = {
    ActionKind.UNCHANGED: OutcomeStatus.UNCHANGED,
    ActionKind.CONFLICT: OutcomeStatus.CONFLICT,
    ActionKind.SKIP: OutcomeStatus.SKIPPED,
}


def root_only_error() -> WizardError:
    return WizardError(
        "SIS Imports can only run on a root account, and the connected account is a sub-account.",
        hint="Choose the API method for this profile, or connect the root account.",
    )


@dataclass(frozen=True)
class _Row:
    """One CSV row and the plan record it came from."""

    values: tuple[str, ...]
    record: str  # "person" | "link"
    action: ActionKind
    key: str
    name: str
    canvas_id: int | None
    ids: tuple[str, ...]  # SIS IDs the row names, to place messages Canvas gives without a row
    header: tuple[str, ...] = ()  # users.csv rows: the columns their values fill


@dataclass(frozen=True)
class SisMessage:
    file: str
    message: str
    row: int | None
    #: About the file as a whole (e.g. "Invalid UTF-8"), not one row of it.
    file_level: bool = False


def build_rows(
    plan: Plan, snapshot: Snapshot
) -> tuple[list[_Row], list[_Row], list[RecordOutcome]]:
    """users.csv rows, user_observers.csv rows, and outcomes of records that write nothing."""
    people: list[_Row] = []
    links: list[_Row] = []
    settled: list[RecordOutcome] = []
    for action in plan.people:
        name = action.person.full_name if action.person else ""
        if action.kind in _PERSON_KINDS:
            row = _person_row(action, snapshot, plan.options)
            if isinstance(row, RecordOutcome):
                settled.append(row)
            else:
                people.append(row)
        else:
            settled.append(
                RecordOutcome(
                    "person",
                    action.kind,
                    action.sis_id,
                    _NOT_WRITTEN.get(action.kind, OutcomeStatus.SKIPPED),
                    action.reason,
                    action.canvas_id,
                    name,
                )
            )
    for link in plan.links:
        key = link_key(link.parent_sis_id, link.student_sis_id)
        if link.kind in _LINK_KINDS:
            status = "active" if link.kind is ActionKind.LINK else "deleted"
            links.append(
                _Row(
                    (link.parent_sis_id, link.student_sis_id, status),
                    "link",
                    link.kind,
                    key,
                    "",
                    link.student_canvas_id,
                    (link.parent_sis_id, link.student_sis_id),
                )
            )
        else:
            outcome = _NOT_WRITTEN.get(link.kind, OutcomeStatus.SKIPPED)
            settled.append(
                RecordOutcome("link", link.kind, key, outcome, link.reason, link.student_canvas_id)
            )
    return people, links, settled


def _person_row(
    action: PersonAction, snapshot: Snapshot, options: SyncOptions | None = None
) -> _Row | RecordOutcome:
    holder = snapshot.by_sis_id.get(action.sis_id) if action.kind is not ActionKind.CREATE else None
    # Start from Canvas as it is; the plan's changes (or, for a new person, the roster) go on top.
    name = holder.person.name if holder else ""
    login = holder.login.unique_id if holder else ""
    status = holder.login.workflow_state if holder else "active"
    email = ""  # blank leaves the user's email addresses alone
    # A person not in Canvas (or, defensively, missing from the snapshot) comes from the roster.
    if (action.kind is ActionKind.CREATE or holder is None) and action.person is not None:
        name, login, email = (
            action.person.full_name,
            action.person.username,
            action.person.email or "",
        )
    for change in action.changes:
        new = change.new or ""
        if change.field == "name":
            name = new
        elif change.field == "login":
            login = new
        elif change.field == "email":
            email = new
        elif change.field == "status":
            status = new
    if action.kind is ActionKind.SUSPEND:
        status = LOGIN_SUSPENDED
    elif status not in ("active", LOGIN_SUSPENDED):
        status = "active"
    name = " ".join(name.split())
    shown = name or (action.person.full_name if action.person else "")
    if not name or not login:
        missing = "name" if not name else "username"
        return RecordOutcome(
            "person",
            action.kind,
            action.sis_id,
            OutcomeStatus.FAILED,
            f"Not sent to Canvas: there is no {missing} for {action.sis_id}, and a SIS Import "
            "row without one would set the user's name to their username. Fill it in and sync again.",
            action.canvas_id,
            shown,
        )
    values: tuple[str, ...] = (action.sis_id, login, name, email, status)
    header: tuple[str, ...] = USERS_HEADER
    if options is not None and options.login_provider:
        # New logins get the chosen provider; an existing login keeps its own (a blank
        # cell could untie it from its provider), so its current one is written back.
        if holder is None:
            values += (options.login_provider,)
        else:
            current = holder.login.authentication_provider_id
            values += ("" if current is None else str(current),)
        header += (PROVIDER_COLUMN,)
    if options is not None and options.pass_integration_id:
        # New logins only, as with the API; a blank cell leaves a login's own alone.
        given = action.person.integration_id if action.person and holder is None else None
        values += (given or "",)
        header += ("integration_id",)
    return _Row(
        values,
        "person",
        action.kind,
        action.sis_id,
        name,
        action.canvas_id,
        (action.sis_id,),
        header,
    )


def build_zip(people: list[_Row], links: list[_Row]) -> bytes:
    """The upload: users.csv first (Canvas imports users before observers either way)."""
    buffer = io.BytesIO()
    users_header = people[0].header if people and people[0].header else USERS_HEADER
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in (
            (USERS_CSV, users_header, people),
            (OBSERVERS_CSV, OBSERVERS_HEADER, links),
        ):
            if rows:
                archive.writestr(name, _csv_text(header, (r.values for r in rows)))
    return buffer.getvalue()


def _csv_text(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


class SisImportApplier:
    """Writes a plan to a root account as one SIS Import (see the module docstring)."""

    def __init__(
        self,
        client: CanvasClient,
        root_account_id: int,
        *,
        poll_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._account = root_account_id
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._base = f"/api/v1/accounts/{root_account_id}/sis_imports"

    def apply(
        self, plan: Plan, snapshot: Snapshot, *, progress: ProgressCallback, cancel: CancelToken
    ) -> list[RecordOutcome]:
        if snapshot.source != "report":
            # Only the provisioning report shows deleted logins; without them a row could
            # revive a deleted login that holds a roster SIS ID and rename its user.
            raise WizardError(
                "A SIS Import needs Canvas read with the provisioning report, which shows "
                "deleted logins; this run read Canvas page by page.",
                hint="This is a bug in the app: please save a support bundle and report it.",
            )
        people, links, settled = build_rows(plan, snapshot)
        rows = people + links
        if not rows:
            return settled
        self._require_root()
        if cancel.cancelled:
            return settled + [_outcome(r, OutcomeStatus.NOT_RUN, _CANCELLED) for r in rows]
        progress(Progress(Phase.APPLY, 0, 100, _uploading(len(people), len(links))))
        started = self._upload(build_zip(people, links))
        final = self._wait(started, progress, cancel)
        messages = self._messages(final)
        return settled + self._outcomes(final, people, links, messages)

    # -- talking to Canvas ----------------------------------------------------------

    def _require_root(self) -> None:
        account = self._client.get(f"/api/v1/accounts/{self._account}")
        if account.get("parent_account_id") is not None or account.get("root_account_id"):
            raise root_only_error()

    def _upload(self, data: bytes) -> dict[str, Any]:
        try:
            body: dict[str, Any] = self._client.post(
                self._base,
                data={
                    "import_type": "instructure_csv",
                    "extension": "zip",
                    # Fields an admin edited in Canvas become "sticky" and a SIS Import
                    # skips them; the plan already decided these changes, so they apply.
                    "override_sis_stickiness": "true",
                },
                files={"attachment": ("canvas-wizard-sync.zip", data, "application/zip")},
            )
        except CanvasError as exc:
            if "root account" in str(exc):
                raise root_only_error() from exc
            raise
        return body

    def _wait(
        self, batch: dict[str, Any], progress: ProgressCallback, cancel: CancelToken
    ) -> dict[str, Any]:
        url = f"{self._base}/{batch['id']}"
        aborted = False
        while batch.get("workflow_state") in RUNNING_STATES:
            if cancel.cancelled and not aborted:
                batch = self._client.put(f"{url}/abort")
                aborted = True
                continue
            done = int(batch.get("progress") or 0)
            activity = (
                f"Stopping the SIS Import ({done}%)"
                if aborted
                else f"Canvas is importing ({done}%)"
            )
            progress(Progress(Phase.APPLY, done, 100, activity, _counts(batch)))
            self._sleep(self._poll_interval)
            batch = self._client.get(url)
        state = batch.get("workflow_state")
        done = (
            100
            if state in ("imported", "imported_with_messages")
            else int(batch.get("progress") or 0)
        )
        progress(Progress(Phase.APPLY, done, 100, f"SIS Import {state}", _counts(batch)))
        return batch

    def _messages(self, batch: dict[str, Any]) -> list[SisMessage]:
        """Every message of the import, with rows when the errors file could be read."""
        attachment = batch.get("errors_attachment") or {}
        url = attachment.get("url")
        if url:
            try:
                response = self._client.request("GET", url)
                text = response.content.decode("utf-8-sig", errors="replace")
                return _parse_errors_csv(text)
            except CanvasError as exc:
                log.warning("Could not read the SIS Import's errors file: %s", exc.message)
        # The JSON lists have no rows: errors stop a file, warnings skip a row we must guess.
        return [
            SisMessage(str(pair[0]), str(pair[1]), None, file_level=key == "processing_errors")
            for key in ("processing_errors", "processing_warnings")
            for pair in batch.get(key) or []
            if len(pair) >= 2
        ]

    # -- mapping back ---------------------------------------------------------------

    def _outcomes(
        self,
        batch: dict[str, Any],
        people: list[_Row],
        links: list[_Row],
        messages: list[SisMessage],
    ) -> list[RecordOutcome]:
        state = str(batch.get("workflow_state"))
        by_row: dict[tuple[str, int], str] = {}
        file_level: dict[str, str] = {}
        loose: list[str] = []
        unplaced: list[str] = []
        for m in messages:
            file = _file_name(m.file)
            if m.row is not None:
                by_row.setdefault((file, m.row), m.message)
            elif not m.file_level:
                unplaced.append(m.message)
            elif file in (USERS_CSV, OBSERVERS_CSV):
                file_level.setdefault(file, m.message)
            else:
                loose.append(m.message)
        results: list[RecordOutcome] = []
        for file, rows in ((USERS_CSV, people), (OBSERVERS_CSV, links)):
            for line, row in enumerate(rows, start=2):  # line 1 is the header
                results.append(
                    self._one(
                        state, row, by_row.get((file, line)), file_level.get(file), loose, unplaced
                    )
                )
        return results

    @staticmethod
    def _one(
        state: str,
        row: _Row,
        row_message: str | None,
        file_message: str | None,
        loose: list[str],
        unplaced: list[str],
    ) -> RecordOutcome:
        if row_message is not None:
            return _outcome(row, OutcomeStatus.FAILED, f"Canvas skipped this row: {row_message}")
        if file_message is not None:
            return _outcome(row, OutcomeStatus.FAILED, f"Canvas refused the file: {file_message}")
        # Messages without a row (the errors file could not be read): Canvas names the
        # SIS IDs in them, so a message naming this record's IDs is taken as its own.
        for message in unplaced:
            if any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", message) for i in row.ids):
                return _outcome(row, OutcomeStatus.FAILED, f"Canvas said: {message}")
        if state == "aborted":
            return _outcome(row, OutcomeStatus.NOT_RUN, _ABORTED)
        if state in ("failed", "failed_with_messages"):
            # Canvas's sis_batch.rb: both mean the import did not finish.
            why = "; ".join(loose) or "no reason given"
            return _outcome(
                row, OutcomeStatus.FAILED, f"The SIS Import failed in Canvas ({why}). {_MAYBE}"
            )
        if state in ("imported", "imported_with_messages"):
            return _outcome(row, OutcomeStatus.DONE, _DONE[row.action])
        return _outcome(row, OutcomeStatus.FAILED, f"The SIS Import ended as '{state}'. {_MAYBE}")


_CANCELLED = "Cancelled before the SIS Import was sent: nothing was written."
_MAYBE = "This record may or may not have been written; check Canvas, then sync again."
_ABORTED = f"The SIS Import was stopped before it finished. {_MAYBE}"
_DONE = {
    ActionKind.CREATE: "Created by SIS Import",
    ActionKind.UPDATE: "Updated by SIS Import",
    ActionKind.SUSPEND: "Login suspended by SIS Import",
    ActionKind.LINK: "Linked by SIS Import",
    ActionKind.UNLINK: "Unlinked by SIS Import",
}


def _outcome(row: _Row, status: OutcomeStatus, message: str) -> RecordOutcome:
    return RecordOutcome(row.record, row.action, row.key, status, message, row.canvas_id, row.name)


def _uploading(people: int, links: int) -> str:
    return f"Uploading a SIS Import of {people} people and {links} links"


def _counts(batch: dict[str, Any]) -> dict[str, int]:
    counts = (batch.get("data") or {}).get("counts") or {}
    return {k: int(v) for k, v in counts.items() if isinstance(v, int | float)}


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _parse_errors_csv(text: str) -> list[SisMessage]:
    """Canvas's errors file: ``sis_import_id,file,message,row`` (row may be blank)."""
    messages = []
    for record in csv.DictReader(io.StringIO(text, newline="")):
        raw_row = (record.get("row") or "").strip()
        row = int(raw_row) if raw_row.isdigit() else None
        messages.append(
            SisMessage(record.get("file") or "", record.get("message") or "", row, row is None)
        )
    return messages
