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

Email changes of people already in Canvas go through the API (``PUT
/api/v1/users/:id`` with ``user[email]``, which makes the address the default),
after the import: a changed ``email`` in users.csv only edits the login's SIS
channel or adds a channel at the bottom, never the default (lib/sis/user_importer.rb),
so every run would plan the change again. ``short_name`` is in users.csv because
Canvas sets it only when the column is there.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.canvas.errors import CanvasError, CanvasNotFound
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.sync.costs import SIS_IMPORT, JobTiming
from canvas_wizard.core.sync.model import ActionKind, PersonAction, Plan, Snapshot
from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
)
from canvas_wizard.core.sync.sis_csv import (
    OBSERVERS_CSV,
    USERS_CSV,
    SisRow,
    build_rows,
    build_zip,
    email_changes,
)

log = logging.getLogger(__name__)

RUNNING_STATES = frozenset({"initializing", "created", "importing", "cleanup_batch", "restoring"})


def root_only_error() -> WizardError:
    return WizardError(
        "SIS Imports can only run on a root account, and the connected account is a sub-account.",
        hint="Choose the API method for this profile, or connect the root account.",
    )


@dataclass(frozen=True)
class SisMessage:
    file: str
    message: str
    row: int | None
    #: About the file as a whole (e.g. "Invalid UTF-8"), not one row of it.
    file_level: bool = False


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
        #: The imports this applier waited for, timed (core/sync/costs.py learns from them).
        self.jobs: list[JobTiming] = []
        #: What Canvas's answers showed as stored, per record of the last :meth:`apply`
        #: (as ``RestApplier.answers``): only the emails sent through the API have an
        #: answer; the import's rows have none, so the check reads them back.
        self.answers: dict[tuple[str, str], dict[str, str | None]] = {}

    def apply(
        self, plan: Plan, snapshot: Snapshot, *, progress: ProgressCallback, cancel: CancelToken
    ) -> list[RecordOutcome]:
        self.answers = {}
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
        emails = email_changes(plan)
        if not rows and not emails:
            return settled
        self._require_root()
        if cancel.cancelled:
            return (
                settled
                + [_outcome(r, OutcomeStatus.NOT_RUN, _CANCELLED) for r in rows]
                + _emails_not_run(plan, emails, {r.key for r in people})
            )
        imported: list[RecordOutcome] = []
        if rows:
            progress(
                Progress(Phase.APPLY, 0, 100, _uploading(len(people), len(links)), percent=True)
            )
            began = time.monotonic()
            started = self._upload(build_zip(people, links))
            final = self._wait(started, progress, cancel)
            if final.get("workflow_state") in ("imported", "imported_with_messages"):
                took = time.monotonic() - began
                self.jobs.append(JobTiming(SIS_IMPORT, len(rows), took, self._account))
            imported = self._outcomes(final, people, links, self._messages(final))
        return settled + self._send_emails(plan, emails, imported, cancel)

    def _send_emails(
        self,
        plan: Plan,
        emails: dict[str, str],
        imported: list[RecordOutcome],
        cancel: CancelToken,
    ) -> list[RecordOutcome]:
        """``imported`` with the email changes made through the API (see the docstring)."""
        by_key = {(o.record, o.key): i for i, o in enumerate(imported)}
        out = list(imported)
        for action in plan.people:
            if action.sis_id not in emails:
                continue
            i = by_key.get(("person", action.sis_id))
            row = out[i] if i is not None else None
            if row is not None and row.status is not OutcomeStatus.DONE:
                continue  # the row's own outcome says what went wrong; the email waits
            if cancel.cancelled:
                result = RecordOutcome(
                    "person",
                    action.kind,
                    action.sis_id,
                    OutcomeStatus.NOT_RUN,
                    "Cancelled before the email change was sent; run the sync again to finish.",
                    action.canvas_id,
                    action.person.full_name if action.person else "",
                )
            else:
                result = self._send_email(action, emails[action.sis_id], row)
            if i is None:
                out.append(result)
            else:
                out[i] = result
        return out

    def _send_email(
        self, action: PersonAction, email: str, row: RecordOutcome | None
    ) -> RecordOutcome:
        name = action.person.full_name if action.person else ""
        try:
            body = self._client.put(
                f"/api/v1/users/{action.canvas_id}", data={"user[email]": email}
            )
        except CanvasError as exc:
            done = f"{row.message}; " if row is not None else ""
            return RecordOutcome(
                "person",
                action.kind,
                action.sis_id,
                OutcomeStatus.FAILED,
                f"{done}the email change to {email} failed: {exc.message} {exc.hint}".strip(),
                action.canvas_id,
                name,
            )
        if isinstance(body, dict) and "email" in body:
            # users_controller.rb update answers with the user's email (core/sync/verify.py).
            shown = body["email"]
            self.answers[("person", action.sis_id)] = {
                "email": None if shown is None else str(shown)
            }
        said = f"{row.message}; email updated through the API" if row else "Updated email"
        return RecordOutcome(
            "person",
            action.kind,
            action.sis_id,
            OutcomeStatus.DONE,
            f"{said} (a SIS Import would not make it the default address).",
            action.canvas_id,
            name,
        )

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
        polls = 0
        while batch.get("workflow_state") in RUNNING_STATES:
            if cancel.cancelled and not aborted:
                aborted = True
                try:
                    batch = self._client.put(f"{url}/abort")
                except CanvasNotFound:
                    # Canvas only aborts an import that has not finished
                    # (sis_imports_api_controller.rb ``abort`` finds it among
                    # ``not_completed``): it has just ended. Read its real result.
                    batch = self._client.get(url)
                continue
            done = int(batch.get("progress") or 0)
            activity = (
                f"Stopping the SIS Import ({done}%)"
                if aborted
                else f"Canvas is importing ({done}%)"
            )
            progress(Progress(Phase.APPLY, done, 100, activity, _counts(batch), percent=True))
            # Small imports finish in moments: look again soon, then back off.
            self._sleep(min(self._poll_interval, 0.05 * 2**polls))
            polls += 1
            batch = self._client.get(url)
        state = batch.get("workflow_state")
        done = (
            100
            if state in ("imported", "imported_with_messages")
            else int(batch.get("progress") or 0)
        )
        progress(
            Progress(Phase.APPLY, done, 100, f"SIS Import {state}", _counts(batch), percent=True)
        )
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
        people: list[SisRow],
        links: list[SisRow],
        messages: list[SisMessage],
    ) -> list[RecordOutcome]:
        state = str(batch.get("workflow_state"))
        by_row: dict[tuple[str, int], str] = {}
        file_level: dict[str, str] = {}
        loose: list[str] = []
        unplaced: list[str] = []
        hidden = ""
        for m in messages:
            file = _file_name(m.file)
            if m.row is None and _MORE.fullmatch(m.message.strip()):
                # Canvas lists only its first 24 messages in the JSON, then this line
                # (app/models/sis_batch.rb ``limit_size_of_messages``).
                hidden = f"{hidden} {m.message.strip()}.".strip()
            elif m.row is not None:
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
                outcome = self._one(
                    state, row, by_row.get((file, line)), file_level.get(file), loose, unplaced
                )
                if hidden and outcome.status is OutcomeStatus.DONE:
                    outcome = _outcome(
                        row,
                        OutcomeStatus.DONE,
                        f"{outcome.message}, not confirmed: Canvas's errors file could not be "
                        f"read and its list of messages stops after 24 ({hidden}). The check "
                        "afterwards reads Canvas to confirm it.",
                    )
                results.append(outcome)
        return results

    @staticmethod
    def _one(
        state: str,
        row: SisRow,
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


_MORE = re.compile(r"There were \d+ more (warnings|errors)")
_CANCELLED = "Cancelled before the SIS Import was sent: nothing was written."
_MAYBE = "This record may or may not have been written; check Canvas, then sync again."
_ABORTED = f"The SIS Import was stopped before it finished. {_MAYBE}"
_DONE = {
    ActionKind.CREATE: "Created by SIS Import",
    ActionKind.ADOPT: "Taken over by SIS Import",
    ActionKind.UPDATE: "Updated by SIS Import",
    ActionKind.SUSPEND: "Login suspended by SIS Import",
    ActionKind.LINK: "Linked by SIS Import",
    ActionKind.UNLINK: "Unlinked by SIS Import",
}


def _emails_not_run(plan: Plan, emails: dict[str, str], in_rows: set[str]) -> list[RecordOutcome]:
    return [
        RecordOutcome(
            "person",
            a.kind,
            a.sis_id,
            OutcomeStatus.NOT_RUN,
            _CANCELLED,
            a.canvas_id,
            a.person.full_name if a.person else "",
        )
        for a in plan.people
        if a.sis_id in emails and a.sis_id not in in_rows
    ]


def _outcome(row: SisRow, status: OutcomeStatus, message: str) -> RecordOutcome:
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
