"""A generated school for the benchmark: N students, M parents, L parent→student links.

Everything is deterministic (same sizes and seed → same school, byte for byte), so
two runs of the benchmark sync the same data. The school comes out as a Cloudwork
accounts export (one row per person, "Parent k SIS ID" columns on student rows), as
a :class:`Roster`, or as the :class:`Snapshot` Canvas would hold once the school
is synced (for planning at district scale without a Canvas).

Links are spread so that every parent has at least one child when L >= M, no
student has the same parent twice, and siblings share parents: link j goes to
parent ``j mod M``, and student i takes links ``i*L//N .. (i+1)*L//N - 1``.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from canvas_wizard.core.roster import Link, Person, Role, Roster
from canvas_wizard.core.sync.model import (
    LOGIN_ACTIVE,
    CanvasLogin,
    CanvasPerson,
    Snapshot,
)

_FIRST = [
    "Ava",
    "Noah",
    "Mia",
    "Oliver",
    "Isla",
    "Leo",
    "Grace",
    "Harry",
    "Amelia",
    "George",
    "Olivia",
    "Jack",
    "Emily",
    "Charlie",
    "Sophie",
    "Oscar",
    "Lily",
    "Jacob",
    "Freya",
    "Thomas",
    "Ella",
    "Arthur",
    "Chloe",
    "Alfie",
    "Ruby",
    "Henry",
    "Zara",
    "Omar",
    "Priya",
    "Daniel",
]
_LAST = [
    "Thompson",
    "Williams",
    "Johnson",
    "Brown",
    "Davies",
    "Wilson",
    "Evans",
    "Roberts",
    "Smith",
    "Taylor",
    "Walker",
    "Wright",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Jackson",
    "Patel",
    "Khan",
    "Lewis",
    "White",
    "Harris",
    "Martin",
    "Cooper",
    "Ward",
]

HEADER = ("SIS ID", "Full Name", "Default Email", "Username", "Role")


@dataclass(frozen=True)
class SchoolPerson:
    sis_id: str
    full_name: str
    email: str
    username: str
    role: Role


@dataclass
class School:
    """People (students first, then parents) and links, in a stable order."""

    people: list[SchoolPerson]
    links: list[tuple[str, str]]  # (parent SIS ID, student SIS ID)
    _by_sis: dict[str, SchoolPerson] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_sis = {p.sis_id: p for p in self.people}

    @property
    def students(self) -> list[SchoolPerson]:
        return [p for p in self.people if p.role is Role.STUDENT]

    @property
    def parents(self) -> list[SchoolPerson]:
        return [p for p in self.people if p.role is Role.PARENT]

    def person(self, sis_id: str) -> SchoolPerson:
        return self._by_sis[sis_id]

    @property
    def records(self) -> int:
        """People plus links: what a sync writes one request for, when all are new."""
        return len(self.people) + len(self.links)

    def parents_of(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for parent, student in self.links:
            out.setdefault(student, []).append(parent)
        return out

    def rows(self) -> Iterator[list[str]]:
        """The Cloudwork export's rows, header first."""
        parents_of = self.parents_of()
        width = max((len(v) for v in parents_of.values()), default=0)
        yield [*HEADER, *(f"Parent {k} SIS ID" for k in range(1, width + 1))]
        for p in self.people:
            mine = parents_of.get(p.sis_id, []) if p.role is Role.STUDENT else []
            role = "Student" if p.role is Role.STUDENT else "Parent"
            yield [p.sis_id, p.full_name, p.email, p.username, role, *mine] + [""] * (
                width - len(mine)
            )

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(self.rows())
        return path

    def roster(self) -> Roster:
        """The Roster a reader would make of :meth:`write_csv`'s file (without reading it)."""
        people = {
            p.sis_id: Person(p.sis_id, p.full_name, p.username, p.role, email=p.email)
            for p in self.people
        }
        links = {Link(parent, student) for parent, student in self.links}
        return Roster(format="cloudwork", people=people, links=links)


def _name(i: int) -> str:
    first = _FIRST[i % len(_FIRST)]
    last = _LAST[(i // len(_FIRST)) % len(_LAST)]
    return f"{first} {last}"


def generate_school(students: int, parents: int, links: int, *, prefix: str = "") -> School:
    """A school of ``students`` + ``parents`` people and ``links`` links (see module doc)."""
    if links and (not students or not parents):
        raise ValueError("links need at least one student and one parent")
    if students and links > students * parents:
        raise ValueError("more links than student-parent pairs")
    people: list[SchoolPerson] = []
    for i in range(students):
        name = _name(i)
        username = f"{name.lower().replace(' ', '.')}.{i}"
        people.append(
            SchoolPerson(
                f"{prefix}S{100000 + i}",
                name,
                f"{username}@students.school.example",
                username,
                Role.STUDENT,
            )
        )
    for j in range(parents):
        name = _name(j * 7 + 3)
        email = f"{name.lower().replace(' ', '.')}.{j}@home.example"
        people.append(SchoolPerson(f"{prefix}P{200000 + j}", name, email, email, Role.PARENT))
    pairs: list[tuple[str, str]] = []
    for i in range(students):
        for j in range(i * links // students, (i + 1) * links // students):
            pairs.append((people[students + j % parents].sis_id, people[i].sis_id))
    return School(people, pairs)


@dataclass(frozen=True)
class ChangeSet:
    """What :func:`change_school` changed, by kind; ``records`` is what a sync must write."""

    counts: dict[str, int]

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def change_school(school: School, share: float, *, seed: int = 4) -> tuple[School, ChangeSet]:
    """The school after a typical day: ``share`` of its records (people + links) changed.

    The changes, in fixed proportions: renames (30 %), new email addresses (20 %),
    new students each linked to one existing parent (10 % of the changes are such
    students, and as many links), links removed (15 %) and links added between
    existing parents and students (15 %). Each changed record is one write.
    """
    rng = random.Random(seed)
    total = max(10, round(school.records * share))
    new_students = total // 10
    renames = total * 3 // 10
    emails = (total - 2 * new_students - renames) * 2 // 5
    rest = total - 2 * new_students - renames - emails
    unlinks = rest // 2
    new_links = rest - unlinks

    people = list(school.people)
    touched = rng.sample(range(len(people)), renames + emails)
    for k, i in enumerate(touched):
        p = people[i]
        if k < renames:
            people[i] = replace(p, full_name=f"{p.full_name}-Hale")
        else:
            local, _, domain = p.email.partition("@")
            people[i] = replace(p, email=f"{local}.new@{domain}")

    links = list(school.links)
    have = set(links)
    parent_ids = [p.sis_id for p in school.parents]
    student_ids = [p.sis_id for p in school.students]
    removed = set(rng.sample(range(len(links)), unlinks))
    links = [pair for i, pair in enumerate(links) if i not in removed]
    added = 0
    while added < new_links:
        pair = (rng.choice(parent_ids), rng.choice(student_ids))
        if pair not in have:
            have.add(pair)
            links.append(pair)
            added += 1
    for k in range(new_students):
        sis = f"SN{900000 + k}"
        username = f"new.student.{k}"
        people.insert(
            len(student_ids) + k,
            SchoolPerson(
                sis,
                f"New Student {k}",
                f"{username}@students.school.example",
                username,
                Role.STUDENT,
            ),
        )
        links.append((parent_ids[k % len(parent_ids)], sis))
    counts = {
        "renamed": renames,
        "email changed": emails,
        "created": new_students,
        "linked (new students)": new_students,
        "unlinked": unlinks,
        "linked (existing people)": new_links,
    }
    return School(people, links), ChangeSet(counts)


def synced_snapshot(school: School, *, account_id: int = 1, root_account_id: int = 1) -> Snapshot:
    """The Snapshot of a Canvas that already holds ``school`` exactly (ids from 1000)."""
    people: dict[int, CanvasPerson] = {}
    canvas_id: dict[str, int] = {}
    for n, p in enumerate(school.people, start=1000):
        login = CanvasLogin(0, p.username, p.sis_id, LOGIN_ACTIVE, root_account_id)
        people[n] = CanvasPerson(n, p.full_name, p.email, (login,), "registered")
        canvas_id[p.sis_id] = n
    links = {(canvas_id[parent], canvas_id[student]) for parent, student in school.links}
    return Snapshot(account_id, root_account_id, people=people, links=links, source="report")


def describe(school: School) -> str:
    roles = Counter(p.role.value for p in school.people)
    return (
        f"{roles['student']:,} students, {roles['parent']:,} parents, {len(school.links):,} links"
    )
