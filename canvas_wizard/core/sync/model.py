"""What we know of Canvas, and what a sync means to do about it.

A :class:`Snapshot` is Canvas as read (REST pages or the provisioning report);
a :class:`Plan` is the planner's answer: one action per person and per link.
Both are plain data so the UI, the CLI, the applier and the report share them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from canvas_wizard.core.roster.model import Person, Role
from canvas_wizard.core.sync.costs import JobTiming

if TYPE_CHECKING:
    from canvas_wizard.core.sync.limits import SafetyLimits

LOGIN_ACTIVE = "active"
LOGIN_SUSPENDED = "suspended"
LOGIN_DELETED = "deleted"
USER_DELETED = "deleted"


def login_key(unique_id: str) -> str:
    """The form in which Canvas compares usernames.

    Canvas checks uniqueness and finds logins with SQL ``LOWER(unique_id)``
    (app/models/pseudonym.rb, ``by_unique_id``). ``str.lower`` is the same
    per-character mapping; ``casefold`` would also fold "ß" to "ss", which
    Canvas does not, and so would report conflicts Canvas never raises.
    """
    return unique_id.lower()


def email_key(address: str) -> str:
    """The form in which Canvas compares email addresses: the whole address, any case.

    Canvas looks channels up with ``LOWER(path)`` (communication_channel.rb,
    ``by_path``), and ``PUT user[email]`` reuses the channel it finds that way
    without changing its case. Comparing case-sensitively would plan the same
    "change" on every run and never converge.
    """
    return address.strip().lower()


def normalise_name(name: str) -> str:
    """Names are compared exactly, except runs of whitespace count as one space."""
    return " ".join(name.split())


@dataclass(frozen=True, slots=True)
class CanvasLogin:
    """One login (Canvas "pseudonym") of a user."""

    id: int
    unique_id: str  # the username
    sis_user_id: str | None
    workflow_state: str  # "active" | "suspended" | "deleted"
    account_id: int  # the root account the login belongs to
    #: The sign-in provider the login belongs to; None: none (or not known).
    authentication_provider_id: int | None = None


@dataclass(frozen=True, slots=True)
class CanvasPerson:
    """One Canvas user with all the logins we could see."""

    id: int
    name: str
    email: str | None  # the default email, None when the user has none
    logins: tuple[CanvasLogin, ...]
    workflow_state: str  # "registered" | "pre_registered" | "deleted" | ...


class LoginHolder(NamedTuple):
    """A login together with its user: who holds an SIS ID or a username."""

    person: CanvasPerson
    login: CanvasLogin
    #: The login or its user is deleted. Deleted logins keep their SIS ID
    #: (Canvas checks SIS IDs across all logins) but no longer hold a username.
    deleted: bool

    @property
    def suspended(self) -> bool:
        return self.login.workflow_state == LOGIN_SUSPENDED


class _Indexes(NamedTuple):
    by_sis_id: dict[str, LoginHolder]
    by_login: dict[str, tuple[LoginHolder, ...]]
    several_sis_ids: frozenset[int]


@dataclass
class Snapshot:
    """The users of the connected account, their logins and observer links.

    Only logins of ``root_account_id`` are indexed: SIS IDs and usernames are
    unique per root account, so a login a user holds elsewhere (a trusted or
    consortium account) neither matches nor conflicts. Builders must fill
    ``CanvasLogin.account_id`` with the login's root account.

    ``complete`` is False when the snapshot holds only part of the account
    (e.g. people looked up one by one): then "not in Canvas" and "not in the
    roster" cannot be told apart safely, and the planner acts accordingly.

    The indexes are built on first use; call :meth:`reindex` after changing
    ``people``.
    """

    account_id: int
    root_account_id: int
    people: dict[int, CanvasPerson] = field(default_factory=dict)
    links: set[tuple[int, int]] = field(default_factory=set)  # (observer id, student id)
    complete: bool = True
    source: str = "api"  # "api" | "report"
    #: False when Canvas did not show emails (no read_email_addresses): they are unknown,
    #: not empty, so the planner leaves emails alone.
    emails_visible: bool = True
    #: Canvas user ids never taken over by adoption, and why ("the signed-in admin").
    protected_users: dict[int, str] = field(default_factory=dict)
    #: Users with at least one active StudentEnrollment, when the provisioning report
    #: was asked for enrolments; None when not read (core/sync/visibility.py asks then).
    enrolled_students: frozenset[int] | None = None
    #: Canvas's background jobs this read waited for (the provisioning report), timed.
    jobs: list[JobTiming] = field(default_factory=list)
    _indexes: _Indexes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def by_sis_id(self) -> dict[str, LoginHolder]:
        """SIS ID (exact: case and leading zeros count) → the login holding it.

        Deleted logins are included (check ``.deleted``): Canvas will not give
        their SIS ID to anyone else. When a live and a deleted login share an
        SIS ID, the live one wins.
        """
        return self._index().by_sis_id

    @property
    def by_login(self) -> dict[str, tuple[LoginHolder, ...]]:
        """``login_key(unique_id)`` → the live (active or suspended) logins holding it.

        Deleted logins free their username in Canvas, so they are left out.
        More than one holder is possible: Canvas scopes usernames per
        authentication provider, which the snapshot does not record.
        """
        return self._index().by_login

    @property
    def several_sis_ids(self) -> frozenset[int]:
        """Ids of users holding more than one live SIS ID (on separate logins): rare."""
        return self._index().several_sis_ids

    def reindex(self) -> None:
        self._indexes = None

    def _index(self) -> _Indexes:
        if self._indexes is None:
            self._indexes = self._build_indexes()
        return self._indexes

    def _build_indexes(self) -> _Indexes:
        root = self.root_account_id
        by_sis: dict[str, LoginHolder] = {}
        by_login: dict[str, tuple[LoginHolder, ...]] = {}
        several: set[int] = set()
        # tuple.__new__ skips LoginHolder's Python-level __new__: one per login adds up.
        new_holder = tuple.__new__
        for person in self.people.values():
            user_deleted = person.workflow_state == USER_DELETED
            live_sis = 0
            for login in person.logins:
                if login.account_id != root:
                    continue
                deleted = user_deleted or login.workflow_state == LOGIN_DELETED
                holder = new_holder(LoginHolder, (person, login, deleted))
                sis = login.sis_user_id
                if sis:
                    known = by_sis.get(sis)
                    if known is None or (known.deleted and not deleted):
                        by_sis[sis] = holder
                if not deleted:
                    if sis:
                        live_sis += 1
                    key = login.unique_id.lower()  # login_key(), inlined
                    held = by_login.get(key)
                    by_login[key] = (holder,) if held is None else (*held, holder)
            if live_sis > 1:
                several.add(person.id)
        return _Indexes(by_sis, by_login, frozenset(several))


class ActionKind(StrEnum):
    CREATE = "create"
    #: Take over an existing Canvas user (no or another-format SIS ID): see sync/adopt.py.
    ADOPT = "adopt"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    LINK = "link"
    UNLINK = "unlink"
    SUSPEND = "suspend"
    #: Undo of a create: the user's logins in the root account are deleted
    #: (DELETE /api/v1/accounts/:id/users/:id); only undo plans this.
    REMOVE = "remove"
    CONFLICT = "conflict"
    SKIP = "skip"


#: Kinds that write to Canvas.
WRITE_KINDS = frozenset(
    {
        ActionKind.CREATE,
        ActionKind.ADOPT,
        ActionKind.UPDATE,
        ActionKind.SUSPEND,
        ActionKind.LINK,
        ActionKind.UNLINK,
        ActionKind.REMOVE,
    }
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of one person, as Canvas has it and as it will be.

    ``field`` is "name", "email", "login", "status" (a suspended login the
    roster has as active again: old "suspended", new "active"), or "sis_id" (ADOPT:
    the SIS ID the taken-over login has, None for none, and the roster's).
    """

    field: str
    old: str | None
    new: str | None


# A plan holds one action per person and per link: 250,000 of them for a large
# school. The __init__ that dataclasses generate for a frozen class sets every field
# through object.__setattr__, which made building them half of the planning time.
# The two action classes below write their slots directly instead (measured twice
# as fast); behaviour is the same, and tests compare them with the generated form.


def _slot_setters(cls: type, names: str) -> tuple[Callable[[object, Any], None], ...]:
    return tuple(cls.__dict__[name].__set__ for name in names.split())


@dataclass(frozen=True, slots=True)
class PersonAction:
    """What the sync does about one person."""

    kind: ActionKind
    sis_id: str
    person: Person | None  # None for Canvas people who are not in the roster
    canvas_id: int | None  # None when the person does not exist in Canvas yet
    changes: tuple[FieldChange, ...] = ()  # UPDATE: what differs; CREATE: the new values
    reason: str = ""  # CONFLICT/SKIP: who holds what and how to resolve it; else a note
    role: Role | None = None
    login_id: int | None = None  # the login holding sis_id: the one to edit or suspend

    def __init__(
        self,
        kind: ActionKind,
        sis_id: str,
        person: Person | None,
        canvas_id: int | None,
        changes: tuple[FieldChange, ...] = (),
        reason: str = "",
        role: Role | None = None,
        login_id: int | None = None,
    ) -> None:
        _pa_kind(self, kind)
        _pa_sis_id(self, sis_id)
        _pa_person(self, person)
        _pa_canvas_id(self, canvas_id)
        _pa_changes(self, changes)
        _pa_reason(self, reason)
        _pa_role(self, role)
        _pa_login_id(self, login_id)


(
    _pa_kind,
    _pa_sis_id,
    _pa_person,
    _pa_canvas_id,
    _pa_changes,
    _pa_reason,
    _pa_role,
    _pa_login_id,
) = _slot_setters(PersonAction, "kind sis_id person canvas_id changes reason role login_id")


@dataclass(frozen=True, slots=True)
class LinkAction:
    """What the sync does about one parent → student observer link.

    A LINK to a person who is to be CREATED has that side's canvas id None:
    the applier resolves it after the creates.
    """

    kind: ActionKind  # LINK | UNLINK | UNCHANGED | SKIP
    parent_sis_id: str
    student_sis_id: str
    parent_canvas_id: int | None
    student_canvas_id: int | None
    reason: str = ""
    #: The parent is a staff member (Roster.staff_links): their account is not ours.
    staff_parent: bool = False

    def __init__(
        self,
        kind: ActionKind,
        parent_sis_id: str,
        student_sis_id: str,
        parent_canvas_id: int | None,
        student_canvas_id: int | None,
        reason: str = "",
        staff_parent: bool = False,
    ) -> None:
        _la_kind(self, kind)
        _la_parent_sis_id(self, parent_sis_id)
        _la_student_sis_id(self, student_sis_id)
        _la_parent_canvas_id(self, parent_canvas_id)
        _la_student_canvas_id(self, student_canvas_id)
        _la_reason(self, reason)
        _la_staff_parent(self, staff_parent)


(
    _la_kind,
    _la_parent_sis_id,
    _la_student_sis_id,
    _la_parent_canvas_id,
    _la_student_canvas_id,
    _la_reason,
    _la_staff_parent,
) = _slot_setters(
    LinkAction,
    "kind parent_sis_id student_sis_id parent_canvas_id student_canvas_id reason staff_parent",
)


def _default_limits() -> SafetyLimits:
    # limits.py reads Plan from this module, so this import waits until first use.
    from canvas_wizard.core.sync.limits import SafetyLimits

    return SafetyLimits()


@dataclass
class SyncOptions:
    suspend_missing: bool = False  # suspend Canvas people with an SIS ID the roster lacks
    update_names: bool = True
    update_emails: bool = True
    update_logins: bool = True
    #: A login that is suspended in Canvas while the roster has the person as
    #: active is reactivated, so a suspension by an earlier run can be undone.
    reactivate_suspended: bool = True
    limits: SafetyLimits = field(default_factory=_default_limits)
    #: What new logins send as their authentication provider ("" = none: Canvas's default),
    #: from the setup's sign-in provider choice (core/canvas/auth_providers.py).
    login_provider: str = ""
    #: That choice in words, for the preview ("SAML (id 2)").
    login_provider_label: str = ""
    #: Give new logins the roster's integration IDs (Person.integration_id).
    pass_integration_id: bool = False
    #: Take over Canvas users who are clearly a roster person Canvas lacks by exact SIS ID
    #: (sync/adopt.py). Off: they are conflicts, and the plan says how many could be.
    adopt: bool = False


@dataclass
class Plan:
    """Every action of one sync, people and links each sorted by SIS ID."""

    people: list[PersonAction]
    links: list[LinkAction]
    options: SyncOptions
    notes: list[str] = field(default_factory=list)  # things about the whole run worth saying
    #: How this run reads and writes Canvas, and why (core/sync/costs.py): the report's
    #: notes and ``--json`` show them with ``notes``; the app beside its method choice.
    choices: list[str] = field(default_factory=list)
    #: Keys ("P→S") of managed links whose student is enrolled in no course (visibility.py).
    not_visible: set[str] = field(default_factory=set)

    def totals(self) -> dict[ActionKind, int]:
        """Count per kind over people and links, every kind present (zero if none)."""
        counts = Counter(a.kind for a in self.people)
        counts.update(a.kind for a in self.links)
        return {kind: counts[kind] for kind in ActionKind}

    def person_totals(self) -> dict[ActionKind, int]:
        counts = Counter(a.kind for a in self.people)
        return {kind: counts[kind] for kind in ActionKind}

    def link_totals(self) -> dict[ActionKind, int]:
        counts = Counter(a.kind for a in self.links)
        return {kind: counts[kind] for kind in ActionKind}

    def writes(self) -> int:
        """How many actions write to Canvas (create, update, suspend, link, unlink)."""
        return sum(1 for a in self.people if a.kind in WRITE_KINDS) + sum(
            1 for a in self.links if a.kind in WRITE_KINDS
        )

    def people_of(self, kind: ActionKind) -> list[PersonAction]:
        return [a for a in self.people if a.kind is kind]

    def links_of(self, kind: ActionKind) -> list[LinkAction]:
        return [a for a in self.links if a.kind is kind]

    @property
    def conflicts(self) -> list[PersonAction]:
        return self.people_of(ActionKind.CONFLICT)

    def fingerprint(self) -> str:
        """A short digest of the writes, so "approve this run once" can name this run.

        Two plans with the same writes have the same fingerprint; anything
        that changes what would be written changes it.
        """
        digest = hashlib.sha256()
        for p in self.people:
            if p.kind in WRITE_KINDS:
                digest.update(repr((p.kind.value, p.sis_id, p.canvas_id, p.changes)).encode())
        for link in self.links:
            if link.kind in WRITE_KINDS:
                digest.update(
                    repr((link.kind.value, link.parent_sis_id, link.student_sis_id)).encode()
                )
        return digest.hexdigest()[:16]
