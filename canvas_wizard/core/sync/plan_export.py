"""A plan as rows of text: what the preview table shows and the preview CSV holds.

The app's preview table and the exported CSV are built from the same
:func:`plan_rows`, so what the admin reviewed on screen is exactly what the
spreadsheet says. :func:`write_plan_csv` writes UTF-8 with a BOM (Excel opens it
as UTF-8) and neutralises every cell a spreadsheet would run as a formula:
names come from the roster and from Canvas, both outside data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from canvas_wizard.core.sync.model import ActionKind, FieldChange, LinkAction, PersonAction, Plan
from canvas_wizard.core.sync.outcome import link_key
from canvas_wizard.core.sync.report import neutralise

PLAN_CSV_COLUMNS = ["record", "action", "sis_id", "name", "role", "changes", "reason"]

RECORD_PERSON = "person"
RECORD_LINK = "link"


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One action of a plan, in words; ``kind`` is kept for filtering."""

    record: str  # "person" | "link"
    kind: ActionKind
    sis_id: str  # a person's SIS ID, or "PARENT→STUDENT" for a link
    name: str  # a person's name, or "Parent name → Student name" for a link
    role: str  # "student" | "parent" | "" (links, Canvas people not in the roster)
    changes: str  # "name: old → new; email: old → new"
    reason: str


def describe_change(change: FieldChange) -> str:
    """``name: Old → New``; a value being set for the first time shows only the new one."""
    new = change.new if change.new is not None else "(none)"
    if change.field == "sis_id":  # a takeover: the old value (often none) matters
        return f"SIS ID: {change.old or '(none)'} → {new}"
    if change.old is None:
        return f"{change.field}: {new}"
    return f"{change.field}: {change.old} → {new}"


def describe_changes(changes: Iterable[FieldChange]) -> str:
    return "; ".join(describe_change(c) for c in changes)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_totals(plan: Plan) -> str:
    """``58 to create, 1 to update, 55 links to add, 2 conflicts, 3 skipped — 114 changes``."""
    people, links = plan.person_totals(), plan.link_totals()
    parts = [
        (people[ActionKind.CREATE], "{} to create"),
        (people[ActionKind.ADOPT], "{} to take over"),
        (people[ActionKind.UPDATE], "{} to update"),
        (people[ActionKind.SUSPEND], "{} to suspend"),
        (people[ActionKind.REMOVE], "{} to remove from the account"),
        (
            links[ActionKind.LINK],
            "{} link to add" if links[ActionKind.LINK] == 1 else "{} links to add",
        ),
        (
            links[ActionKind.UNLINK],
            "{} link to remove" if links[ActionKind.UNLINK] == 1 else "{} links to remove",
        ),
        (
            people[ActionKind.CONFLICT],
            "{} conflict" if people[ActionKind.CONFLICT] == 1 else "{} conflicts",
        ),
        (people[ActionKind.SKIP] + links[ActionKind.SKIP], "{} skipped"),
        (people[ActionKind.UNCHANGED] + links[ActionKind.UNCHANGED], "{} unchanged"),
    ]
    text = ", ".join(template.format(n) for n, template in parts if n) or "nothing in the roster"
    writes = plan.writes()
    return f"{text} — {_count(writes, 'change', 'changes') if writes else 'nothing to change'}"


def person_names(plan: Plan) -> dict[str, str]:
    """SIS ID → full name of every roster person in ``plan``, to name the two ends of a link."""
    return {a.sis_id: a.person.full_name for a in plan.people if a.person is not None}


def person_row(action: PersonAction) -> PlanRow:
    person = action.person
    return PlanRow(
        RECORD_PERSON,
        action.kind,
        action.sis_id,
        person.full_name if person is not None else "",
        action.role.value if action.role is not None else "",
        describe_changes(action.changes) if action.changes else "",
        action.reason,
    )


def link_row(link: LinkAction, names: Mapping[str, str]) -> PlanRow:
    """``names`` (from :func:`person_names`) turns each end's SIS ID into a name where known."""
    parent = names.get(link.parent_sis_id, "")
    student = names.get(link.student_sis_id, "")
    name = (
        f"{parent or link.parent_sis_id} → {student or link.student_sis_id}"
        if parent or student
        else ""
    )
    key = link_key(link.parent_sis_id, link.student_sis_id)
    return PlanRow(RECORD_LINK, link.kind, key, name, "", "", link.reason)


def plan_rows(plan: Plan) -> Iterator[PlanRow]:
    """Every action of ``plan`` as a row: people first, then links, in plan order."""
    names = person_names(plan)
    for action in plan.people:
        yield person_row(action)
    for link in plan.links:
        yield link_row(link, names)


def write_plan_csv(plan: Plan, path: Path) -> None:
    """Every action of ``plan`` as one CSV row (columns: :data:`PLAN_CSV_COLUMNS`)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PLAN_CSV_COLUMNS)
        for row in plan_rows(plan):
            cells = [
                row.record,
                row.kind.value,
                row.sis_id,
                row.name,
                row.role,
                row.changes,
                row.reason,
            ]
            writer.writerow([neutralise(c) for c in cells])
