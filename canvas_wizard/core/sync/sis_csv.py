"""The CSVs of a SIS Import built from a plan: users.csv and user_observers.csv.

Every column in a row is written, so an UPDATE row carries Canvas's current
values for the fields the plan leaves alone; a row without a name is never
written (it would set the user's name to the login id); an email change of a
person already in Canvas is not written here but sent through the API (see
:mod:`canvas_wizard.core.sync.sis_apply`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from canvas_wizard.core.sync.model import (
    LOGIN_SUSPENDED,
    ActionKind,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
)
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome, link_key

USERS_CSV = "users.csv"
OBSERVERS_CSV = "user_observers.csv"
USERS_HEADER = ("user_id", "login_id", "full_name", "short_name", "email", "status")
#: Added when the setup chose a sign-in provider for new logins.
PROVIDER_COLUMN = "authentication_provider_id"
OBSERVERS_HEADER = ("observer_id", "student_id", "status")
_PERSON_KINDS = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.SUSPEND)
_LINK_KINDS = (ActionKind.LINK, ActionKind.UNLINK)
_NOT_WRITTEN = {
    ActionKind.UNCHANGED: OutcomeStatus.UNCHANGED,
    ActionKind.CONFLICT: OutcomeStatus.CONFLICT,
    ActionKind.SKIP: OutcomeStatus.SKIPPED,
}


@dataclass(frozen=True)
class SisRow:
    """One CSV row and the plan record it came from."""

    values: tuple[str, ...]
    record: str  # "person" | "link"
    action: ActionKind
    key: str
    name: str
    canvas_id: int | None
    ids: tuple[str, ...]  # SIS IDs the row names, to place messages Canvas gives without a row
    header: tuple[str, ...] = ()  # users.csv rows: the columns their values fill


def build_rows(
    plan: Plan, snapshot: Snapshot
) -> tuple[list[SisRow], list[SisRow], list[RecordOutcome]]:
    """users.csv rows, user_observers.csv rows, and outcomes of records that write nothing."""
    people: list[SisRow] = []
    links: list[SisRow] = []
    settled: list[RecordOutcome] = []
    for action in plan.people:
        name = action.person.full_name if action.person else ""
        if action.kind in _PERSON_KINDS:
            row = _person_row(action, snapshot, plan.options)
            if row is None:
                continue  # an email change only: sent through the API (see the docstring)
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
                SisRow(
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


def email_changes(plan: Plan) -> dict[str, str]:
    """SIS ID → new email of the people in Canvas whose email the plan changes."""
    return {
        a.sis_id: c.new or ""
        for a in plan.people
        if a.kind is ActionKind.UPDATE and a.canvas_id is not None
        for c in a.changes
        if c.field == "email" and c.new
    }


def _person_row(
    action: PersonAction, snapshot: Snapshot, options: SyncOptions | None = None
) -> SisRow | RecordOutcome | None:
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
        elif change.field == "email" and action.kind is ActionKind.CREATE:
            email = new  # a new user's only channel is the default; updates use the API
        elif change.field == "status":
            status = new
    if (
        action.kind is ActionKind.UPDATE
        and action.canvas_id is not None
        and all(c.field == "email" for c in action.changes)
    ):
        return None
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
    values: tuple[str, ...] = (action.sis_id, login, name, name, email, status)
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
    return SisRow(
        values,
        "person",
        action.kind,
        action.sis_id,
        name,
        action.canvas_id,
        (action.sis_id,),
        header,
    )


def build_zip(people: list[SisRow], links: list[SisRow]) -> bytes:
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
