"""What a roster is once read: people, links, and the problems found on the way.

Every reader (Cloudwork export, OneRoster, Canvas SIS CSV) produces a
:class:`Roster`; the planner consumes it. Nothing here knows about files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    STUDENT = "student"
    PARENT = "parent"


class Severity(StrEnum):
    ERROR = "error"  # the row (or file) cannot be used as it is
    WARNING = "warning"  # the row is used, with something left out (e.g. a bad email)


@dataclass(frozen=True, slots=True)
class Person:
    """One student or parent as the school's system knows them."""

    sis_id: str  # the matching key, exactly as Cloudwork holds it (case, leading zeros)
    full_name: str
    username: str  # Canvas login (pseudonym unique_id)
    role: Role
    email: str | None = None  # None: no default email to set
    active: bool = True  # False: known but not to be created (OneRoster enabledUser=false)
    source: str = ""  # file name the person came from
    row: int = 0  # 1-based line number in that file (header is row 1)
    #: A second identifier from the school's system (OneRoster sourcedId when the SIS ID is
    #: the identifier), passed to new logins as Canvas's integration_id when asked to.
    integration_id: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Link:
    """A parent observes a student, both named by SIS ID."""

    parent_sis_id: str
    student_sis_id: str


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in the input, located precisely enough to go and fix it."""

    file: str
    row: int | None  # None: the whole file (e.g. a missing column)
    column: str | None
    message: str  # what is wrong, in a technician's words
    severity: Severity = Severity.ERROR
    hint: str = ""  # what to do about it

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        text = f"{where}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row that is fine but not ours to sync (a teacher, an aide, ...)."""

    file: str
    row: int
    sis_id: str
    reason: str


@dataclass(slots=True)
class Roster:
    """The people and links to sync, with everything the readers noticed."""

    format: str  # "cloudwork" | "oneroster" | "canvas-sis" | "sds"
    files: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)  # file -> encoding used
    people: dict[str, Person] = field(default_factory=dict)  # by SIS ID
    links: set[Link] = field(default_factory=set)
    #: Links whose parent is a staff member (a teacher whose child is at the school). The
    #: staff member's account is never created or changed; only the link is made, when
    #: Canvas has them by SIS ID. Their SIS IDs are in ``not_synced``.
    staff_links: set[Link] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: SIS IDs the input says are gone (OneRoster delta tobedeleted, SIS status=deleted).
    removed: set[str] = field(default_factory=set)
    #: SIS IDs that are in the input but not synced: staff rows (teachers, aides…) and rows
    #: left out for problems. They are still in the school, so never "missing" from it.
    not_synced: set[str] = field(default_factory=set)
    #: Which source column fed which field, e.g. {"sis_id": "SIS ID", "parent_1": "Parent 1"}:
    #: shown to the admin so a wrong guess can be corrected (see ColumnMapping).
    mapping: dict[str, str] = field(default_factory=dict)
    #: False when the input lists only changes (a OneRoster delta export): people and
    #: links missing from it are unchanged, not gone, so nothing may be removed for that.
    complete: bool = True

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def count(self, role: Role) -> int:
        return sum(1 for p in self.people.values() if p.role is role)
