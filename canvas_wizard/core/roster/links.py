"""Turning link claims from rows into parent → student links, or into problems.

A claim says "these two SIS IDs are related" and where it was read. Cloudwork
parent columns, relationships.csv and Canvas user_observers.csv rows say which
end is the parent (directed); OneRoster agentSourcedIds only say the two are
related, on either person's row or both, so roles decide the direction.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import NamedTuple

from canvas_wizard.core.roster.model import Link, Person, Problem, Role, Roster, Severity


class Claim(NamedTuple):
    """Two SIS IDs a row says are related (a NamedTuple: one is built per link)."""

    file: str
    row: int
    column: str
    a: str  # directed: the parent; undirected: the person on the row
    b: str  # directed: the student; undirected: the agent named
    directed: bool
    origin: str = ""  # SIS ID of the person whose row made the claim, if any


def resolve_links(
    claims: Iterable[Claim],
    roster: Roster,
    *,
    excluded: Mapping[str, tuple[str, int]],
    others: Mapping[str, tuple[str, str, int]],
    guardian_staff: Container[str] = frozenset(),
) -> tuple[set[Link], set[Link], list[Problem]]:
    """Links from ``claims`` between people of ``roster``; a problem for every other claim.

    ``excluded`` holds SIS IDs whose rows were left out (row problems), ``others``
    SIS IDs of people with roles we skip (teachers…), for clearer messages.
    Returns the links, the links whose parent is a staff member, and the problems.

    A staff member is the parent in a link when a row says so in a parent column
    (a directed claim: Cloudwork's Parent SIS ID, relationships.csv, SDS
    relationships) or, for an undirected OneRoster agent, when they also hold a
    parent role (``guardian_staff``: a secondary ``guardian`` role in roles.csv).
    """
    links: set[Link] = set()
    staff_links: set[Link] = set()
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    people = roster.people

    def report(claim: Claim, message: str, severity: Severity, hint: str = "") -> None:
        problems.append(Problem(claim.file, claim.row, claim.column, message, severity, hint))

    for claim in claims:
        a, b = claim.a, claim.b
        pa, pb = people.get(a), people.get(b)
        if pa is not None and pb is not None and pa.role is not pb.role:
            # The usual case, kept short: a parent and a student.
            if pa.role is Role.PARENT:
                links.add(Link(a, b))
                continue
            if not claim.directed:
                links.add(Link(b, a))
                continue
        # The same pair named twice (Parent 1 and Parent 2, or on both OneRoster
        # rows) is one link and, if wrong, one problem.
        key = (a, b) if claim.directed or a < b else (b, a)
        if key in seen:
            continue
        seen.add(key)
        if a == b:
            report(
                claim,
                f"{a!r} is linked to themselves; a link joins a parent to a different person, "
                "a student.",
                Severity.ERROR,
                "Correct the SIS ID in this cell.",
            )
            continue
        missing = [sis for sis, person in ((a, pa), (b, pb)) if person is None]
        if len(missing) == 1:
            staff = missing[0]
            child = pb if staff == a else pa
            parent_by_row = claim.directed and staff == a
            if (
                staff in others
                and staff not in excluded
                and child is not None
                and child.role is Role.STUDENT
                and (parent_by_row or (not claim.directed and staff in guardian_staff))
            ):
                staff_links.add(Link(staff, child.sis_id))
                continue
        if missing:
            for sis in missing:
                if sis == claim.origin and sis in excluded:
                    continue  # that row's own problem already says it is left out
                severity, message, hint = _why_missing(sis, roster, excluded, others, claim)
                report(claim, message, severity, hint)
            continue
        assert pa is not None and pb is not None
        link = _orient(pa, pb, claim)
        if isinstance(link, Link):
            links.add(link)
        else:
            report(claim, link, Severity.ERROR, "Correct the SIS ID, or the person's role.")
    return links, staff_links, problems


def _orient(pa: Person, pb: Person, claim: Claim) -> Link | str:
    """The link between two known people, or why there can be none."""
    if pa.role is pb.role:
        kind = "students" if pa.role is Role.STUDENT else "parents"
        return (
            f"{pa.sis_id!r} and {pb.sis_id!r} are both {kind}; a link must join a parent "
            "to a student."
        )
    if pa.role is Role.PARENT:
        return Link(pa.sis_id, pb.sis_id)
    if not claim.directed:
        return Link(pb.sis_id, pa.sis_id)
    return (
        f"The link is the wrong way round: {pa.sis_id!r} is a student and {pb.sis_id!r} a "
        "parent. Only a student's row names parents."
    )


def _why_missing(
    sis: str,
    roster: Roster,
    excluded: Mapping[str, tuple[str, int]],
    others: Mapping[str, tuple[str, str, int]],
    claim: Claim,
) -> tuple[Severity, str, str]:
    if sis in excluded:
        file, row = excluded[sis]
        where = f"row {row}" if file == claim.file else f"{file} row {row}"
        return (
            Severity.WARNING,
            f"The link with {sis!r} is left out because that person's {where} has a problem.",
            "Fix that row; the link will follow.",
        )
    if sis in others:
        role, file, row = others[sis]
        return (
            Severity.WARNING,
            f"{sis!r} is a {role} (skipped), not a parent or student; the link with them is "
            "left out.",
            "If they are also this student's parent, give them a guardian role as well "
            "(a secondary role in roles.csv), or name them in a parent column.",
        )
    if sis in roster.removed:
        return (
            Severity.WARNING,
            f"{sis!r} is marked as deleted in this export; the link with them is left out.",
            "",
        )
    if not roster.complete:
        return (
            Severity.WARNING,
            f"{sis!r} is not in this delta export, so the wizard cannot check whether they "
            "are a parent or a student; the link is left out.",
            "Run a full (bulk) export to sync this link.",
        )
    return (
        Severity.ERROR,
        f"{sis!r} is not in the file, so this link cannot be made.",
        "Check the SIS ID for typos, or add that person to the export.",
    )
