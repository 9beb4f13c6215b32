"""Sanity checks on guardians once the whole roster is known (every input format).

None of these makes the data ambiguous, so each is a WARNING: the person is still
synced, and the report says what looks wrong and what to do. What would be
ambiguous is already an ERROR elsewhere and is not repeated here:
- one SIS ID on a parent row and a student row (builder: duplicate SIS ID), since
  Canvas matches people by SIS ID and could not tell which row is meant;
- one username on a parent row and a student row (builder: a username used by two
  people), since Canvas logins are unique and one of the two could not be created.
"The same person" is therefore judged here only by address: a parent whose email
or username is a student's email or username (case-insensitive, as Canvas compares
logins). Names alone never count: a parent and child can share a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from canvas_wizard.core.roster.links import Claim
from canvas_wizard.core.roster.model import Link, Person, Problem, Role, Roster, Severity

#: More guardians than this on one student is worth a look (Canvas allows any number).
MAX_GUARDIANS = 4


class Columns(Protocol):
    """Where a person's row keeps its SIS ID and username (the builder's row entry)."""

    @property
    def sis_column(self) -> str: ...

    @property
    def username_column(self) -> str: ...


def check_guardians(
    roster: Roster,
    claims: Iterable[Claim],
    columns: Mapping[str, Columns],
    email_columns: Mapping[str, str],
) -> list[Problem]:
    """Warnings about the roster's parents; ``email_columns`` maps file -> email column."""
    problems: list[Problem] = []
    people = roster.people
    claims = list(claims)
    problems += _too_many_guardians(roster, claims)
    students = [p for p in people.values() if p.role is Role.STUDENT]
    parents = [p for p in people.values() if p.role is Role.PARENT]
    if not parents:
        return problems
    by_email = {s.email.lower(): s for s in students if s.email}
    by_login = {s.username.lower(): s for s in students}
    linked = {link.parent_sis_id for link in roster.links}
    named = {sis for claim in claims for sis in (claim.a, claim.b)}
    no_email_column: dict[str, int] = {}
    # A cell that already has a problem (an email that is not an address) is not re-reported.
    flagged = {(p.file, p.row, p.column) for p in roster.problems}
    for parent in parents:
        where = columns.get(parent.sis_id)
        email_column = email_columns.get(parent.source)
        if parent.email:
            student = by_email.get(parent.email.lower())
            if student is not None:
                problems.append(_shared_email(parent, student, email_column))
            else:
                student = by_login.get(parent.email.lower())
                if student is not None:
                    problems.append(
                        _warn(
                            parent,
                            email_column,
                            f"This parent's email {parent.email!r} is the username of student "
                            f"{_who(student)}; this may be the student listed again as a "
                            "parent.",
                            "Check that the parent row is a different person with their own email.",
                        )
                    )
        # (The same username on a student is a builder error: logins are unique.)
        student = by_email.get(parent.username.lower())
        if student is not None:
            problems.append(
                _warn(
                    parent,
                    where.username_column if where is not None else None,
                    f"This parent's username {parent.username!r} is the email of student "
                    f"{_who(student)}; this may be the student listed again as a parent.",
                    "Check that the parent row is a different person with their own login.",
                )
            )
        if not parent.active:
            continue  # not created, so neither notifications nor links matter yet
        if not parent.email:
            if email_column is None:
                no_email_column[parent.source] = no_email_column.get(parent.source, 0) + 1
            elif (parent.source, parent.row, email_column) not in flagged:
                problems.append(
                    _warn(
                        parent,
                        email_column,
                        "This parent has no email, so Canvas cannot send them notifications "
                        "(the person is still synced).",
                        "Add the parent's email in your school system and export again.",
                    )
                )
        # A parent some link named but could not be made already has that link's problem;
        # a delta export lists only changes, so a parent without links there is normal.
        if roster.complete and parent.sis_id not in linked and parent.sis_id not in named:
            problems.append(
                _warn(
                    parent,
                    where.sis_column if where is not None else None,
                    f"Parent {parent.sis_id!r} is linked to no student in this roster, so "
                    "they will see nothing in Canvas (the person is still synced).",
                    "Link them to their child in your school system, or remove the parent "
                    "if they no longer have a child at the school.",
                )
            )
    for file, count in no_email_column.items():
        problems.append(
            Problem(
                file,
                None,
                None,
                f"This file has no email column, so its parent{'s' if count > 1 else ''} "
                f"({count}) cannot get Canvas notifications.",
                Severity.WARNING,
                "Export the parents' email addresses too, or choose the email column in "
                "the column mapping.",
            )
        )
    return problems


def _too_many_guardians(roster: Roster, claims: list[Claim]) -> list[Problem]:
    """One warning per student with more than MAX_GUARDIANS, where the one too many was read."""
    links = roster.links
    guardians: dict[str, set[str]] = {}
    problems: list[Problem] = []
    for claim in claims:
        if Link(claim.a, claim.b) in links:
            parent, student = claim.a, claim.b
        elif not claim.directed and Link(claim.b, claim.a) in links:
            parent, student = claim.b, claim.a
        else:
            continue
        found = guardians.setdefault(student, set())
        if parent in found:
            continue
        found.add(parent)
        if len(found) == MAX_GUARDIANS + 1:
            total = sum(1 for link in links if link.student_sis_id == student)
            problems.append(
                Problem(
                    claim.file,
                    claim.row,
                    claim.column,
                    f"Student {_who(roster.people[student])} has {total} guardians; more than "
                    f"{MAX_GUARDIANS} is unusual and often means old or mistyped links "
                    "(all are still synced).",
                    Severity.WARNING,
                    "Check the student's parents in your school system.",
                )
            )
    return problems


def _shared_email(parent: Person, student: Person, column: str | None) -> Problem:
    same_name = " ".join(parent.full_name.lower().split()) == " ".join(
        student.full_name.lower().split()
    )
    also = (
        " and the same name; this looks like one person listed as both parent and student"
        if same_name
        else "; the parent's Canvas notifications would go to the student's mailbox"
    )
    return _warn(
        parent,
        column,
        f"This parent's email {parent.email!r} is also the email of student {_who(student)}{also}.",
        "Give the parent their own email in your school system.",
    )


def _who(person: Person) -> str:
    return f"{person.sis_id!r} ({person.full_name}, {person.source} row {person.row})"


def _warn(person: Person, column: str | None, message: str, hint: str) -> Problem:
    return Problem(person.source, person.row, column, message, Severity.WARNING, hint)
