"""What the sandbox Canvas knows: accounts, users, logins, links, tokens, jobs.

One :class:`SandboxState` per sandbox, guarded by one re-entrant lock. Request
handlers and background jobs mutate it under ``state.lock``; tests read it to
assert what Canvas ended up holding. The records themselves are in
:mod:`canvas_wizard.sandbox.models` (re-exported here).
"""

from __future__ import annotations

import threading
from typing import Protocol, TypeVar

from canvas_wizard.sandbox.models import (
    ALL_PERMISSIONS,
    GLOBAL_ID_BASE,
    AccessToken,
    Account,
    AccountReport,
    AdminRole,
    AuthorizationCode,
    AuthProvider,
    CommunicationChannel,
    DeveloperKey,
    Enrollment,
    Login,
    ObserverLink,
    PendingConsent,
    SisImport,
    SisMessage,
    StoredFile,
    User,
    first_last_from,
    now_iso,
    secret_hash,
    sortable_from,
)

__all__ = [
    "ALL_PERMISSIONS",
    "GLOBAL_ID_BASE",
    "AccessToken",
    "Account",
    "AccountReport",
    "AdminRole",
    "AuthProvider",
    "AuthorizationCode",
    "CommunicationChannel",
    "DeveloperKey",
    "Login",
    "ObserverLink",
    "PendingConsent",
    "SandboxState",
    "SisImport",
    "SisMessage",
    "StoredFile",
    "User",
    "first_last_from",
    "now_iso",
    "secret_hash",
    "sortable_from",
]


class _HasUser(Protocol):
    @property
    def user_id(self) -> int: ...


_Owned = TypeVar("_Owned", bound=_HasUser)


class _ByUser(dict[int, _Owned]):
    """Records (logins, channels) by id that also know each user's own, as Canvas's
    indexes on ``user_id`` do: a user's logins are found without scanning everyone's.
    Records are added with ``d[id] = record`` and never change owner."""

    def __init__(self) -> None:
        super().__init__()
        self.of_user: dict[int, dict[int, _Owned]] = {}

    def __setitem__(self, key: int, value: _Owned) -> None:
        old = self.get(key)
        if old is not None:
            self.of_user.get(old.user_id, {}).pop(key, None)
        super().__setitem__(key, value)
        self.of_user.setdefault(value.user_id, {})[key] = value

    def __delitem__(self, key: int) -> None:
        old = self[key]
        super().__delitem__(key)
        self.of_user.get(old.user_id, {}).pop(key, None)

    def owned_by(self, user_id: int) -> list[_Owned]:
        return list(self.of_user.get(user_id, {}).values())


class SandboxState:
    """Everything the sandbox Canvas holds. Mutate only under ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[int, Account] = {}
        self.users: dict[int, User] = {}
        self.logins: _ByUser[Login] = _ByUser()
        self.channels: _ByUser[CommunicationChannel] = _ByUser()
        self.admins: list[AdminRole] = []
        self.observer_links: dict[int, ObserverLink] = {}
        self.enrollments: dict[int, Enrollment] = {}
        self.developer_keys: dict[str, DeveloperKey] = {}
        self.tokens: dict[int, AccessToken] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.consents: dict[str, PendingConsent] = {}
        self.sis_imports: dict[int, SisImport] = {}
        self.reports: dict[int, AccountReport] = {}
        self.files: dict[int, StoredFile] = {}
        self.auth_providers: dict[int, AuthProvider] = {}
        self._counters: dict[str, int] = {}

    def __repr__(self) -> str:
        return (
            f"<SandboxState accounts={len(self.accounts)} users={len(self.users)} "
            f"logins={len(self.logins)} links={len(self.observer_links)}>"
        )

    def next_id(self, kind: str) -> int:
        with self.lock:
            value = self._counters.get(kind, 0) + 1
            self._counters[kind] = value
            return value

    # -- accounts ---------------------------------------------------------

    def add_auth_provider(self, account_id: int, auth_type: str, **settings: str) -> AuthProvider:
        with self.lock:
            position = 1 + sum(
                1 for p in self.auth_providers.values() if p.account_id == account_id
            )
            provider = AuthProvider(
                self.next_id("auth_provider"), account_id, auth_type, position, dict(settings)
            )
            self.auth_providers[provider.id] = provider
            return provider

    def find_auth_provider(self, root_id: int, value: str) -> AuthProvider | None:
        """By id, or by type (the first of that type), as Canvas's provider lookup does."""
        with self.lock:
            mine = sorted(
                (p for p in self.auth_providers.values() if p.account_id == root_id),
                key=lambda p: p.position,
            )
        text = value.strip()
        for provider in mine:
            if str(provider.id) == text or provider.auth_type == text.lower():
                return provider
        return None

    def account_chain(self, account_id: int) -> list[int]:
        """The account and its ancestors, nearest first."""
        chain: list[int] = []
        current: int | None = account_id
        with self.lock:
            while current is not None and current in self.accounts:
                chain.append(current)
                current = self.accounts[current].parent_account_id
        return chain

    def root_of(self, account_id: int) -> int:
        return self.account_chain(account_id)[-1]

    def is_root(self, account_id: int) -> bool:
        with self.lock:
            return self.accounts[account_id].parent_account_id is None

    def subtree(self, account_id: int) -> list[int]:
        """The account and every account below it, parents before children."""
        with self.lock:
            out = [account_id]
            i = 0
            while i < len(out):
                parent = out[i]
                out.extend(
                    a.id
                    for a in sorted(self.accounts.values(), key=lambda a: a.id)
                    if a.parent_account_id == parent and a.workflow_state == "active"
                )
                i += 1
            return out

    # -- permissions ------------------------------------------------------

    def permissions_for(self, user_id: int | None, account_id: int) -> frozenset[str]:
        """What ``user_id`` may do on the account: its own roles plus its ancestors'."""
        if user_id is None:
            return frozenset()
        chain = set(self.account_chain(account_id))
        granted: set[str] = set()
        with self.lock:
            for role in self.admins:
                if role.user_id == user_id and role.account_id in chain:
                    granted |= role.permissions
        return frozenset(granted)

    def grants(self, user_id: int | None, account_id: int, *permissions: str) -> bool:
        """True when any of ``permissions`` is granted on the account."""
        have = self.permissions_for(user_id, account_id)
        return any(p in have for p in permissions)

    def is_admin(self, user_id: int | None, account_id: int) -> bool:
        chain = set(self.account_chain(account_id))
        with self.lock:
            return any(r.user_id == user_id and r.account_id in chain for r in self.admins)

    def grant_admin(
        self,
        user_id: int,
        account_id: int,
        permissions: frozenset[str] | set[str] = ALL_PERMISSIONS,
        *,
        role: str = "AccountAdmin",
    ) -> AdminRole:
        """Make ``user_id`` an admin of the account (tests use this to shape permissions)."""
        admin = AdminRole(user_id, account_id, role, frozenset(permissions))
        with self.lock:
            self.admins.append(admin)
        return admin

    # -- users and logins -------------------------------------------------

    def logins_of(self, user_id: int, *, include_deleted: bool = False) -> list[Login]:
        with self.lock:
            return [
                lg
                for lg in sorted(self.logins.owned_by(user_id), key=lambda lg: lg.id)
                if include_deleted or lg.workflow_state != "deleted"
            ]

    def primary_login(self, user_id: int) -> Login | None:
        """The login Canvas shows: the SIS one if any, else the first live one."""
        live = self.logins_of(user_id)
        for lg in live:
            if lg.sis_user_id:
                return lg
        return live[0] if live else None

    def login_by_sis_id(self, sis_id: str, *, include_deleted: bool = True) -> Login | None:
        """Exact match, as Canvas's unique index on (account, sis_user_id)."""
        with self.lock:
            for lg in self.logins.values():
                if lg.sis_user_id == sis_id and (include_deleted or lg.workflow_state != "deleted"):
                    return lg
        return None

    def login_by_unique_id(self, unique_id: str) -> Login | None:
        """Case-insensitive, among logins that are not deleted."""
        wanted = unique_id.casefold()
        with self.lock:
            for lg in self.logins.values():
                if lg.workflow_state != "deleted" and lg.unique_id.casefold() == wanted:
                    return lg
        return None

    def user_by_sis_id(self, sis_id: str) -> User | None:
        """The user whose live login carries this SIS ID (a deleted login does not count)."""
        lg = self.login_by_sis_id(sis_id, include_deleted=False)
        with self.lock:
            return self.users.get(lg.user_id) if lg else None

    def user_by_login(self, unique_id: str) -> User | None:
        lg = self.login_by_unique_id(unique_id)
        with self.lock:
            return self.users.get(lg.user_id) if lg else None

    def sis_id_of(self, user_id: int) -> str | None:
        lg = self.primary_login(user_id)
        return lg.sis_user_id if lg else None

    def is_listed(self, user: User) -> bool:
        """Canvas lists a user in an account while it has a live login there."""
        return user.workflow_state != "deleted" and bool(self.logins_of(user.id))

    def users_in_account(self, account_id: int) -> list[User]:
        """Users of the account and its sub-accounts, in Canvas's order (sortable name)."""
        scope = set(self.subtree(account_id))
        with self.lock:
            found = [
                u for u in self.users.values() if u.home_account_id in scope and self.is_listed(u)
            ]
        return sorted(found, key=lambda u: (u.sortable_name.casefold(), u.id))

    def email_of(self, user_id: int) -> str | None:
        """The user's default email: the first email channel that is not retired."""
        for ch in self.channels_of(user_id):
            if ch.type == "email":
                return ch.address
        return None

    def channels_of(self, user_id: int) -> list[CommunicationChannel]:
        with self.lock:
            live = [c for c in self.channels.owned_by(user_id) if c.workflow_state != "retired"]
        return sorted(live, key=lambda c: (c.position, c.id))

    def add_channel(
        self, user_id: int, address: str, *, confirmed: bool, make_default: bool = False
    ) -> CommunicationChannel:
        """Add an email channel, or revive the user's existing one with that address."""
        with self.lock:
            existing = next(
                (
                    c
                    for c in self.channels.owned_by(user_id)
                    if c.address.casefold() == address.casefold()
                ),
                None,
            )
            if existing is None:
                positions = [c.position for c in self.channels.owned_by(user_id)]
                existing = CommunicationChannel(
                    id=self.next_id("channel"),
                    user_id=user_id,
                    address=address,
                    position=max(positions, default=0) + 1,
                )
                self.channels[existing.id] = existing
            if existing.workflow_state == "retired" or confirmed:
                existing.workflow_state = "active" if confirmed else "unconfirmed"
            if make_default:
                others = [c.position for c in self.channels.owned_by(user_id)]
                existing.position = min(others) - 1 if others else 1
            return existing

    # -- observer links ---------------------------------------------------

    def find_link(self, observer_id: int, student_id: int) -> ObserverLink | None:
        with self.lock:
            for link in self.observer_links.values():
                if link.observer_id == observer_id and link.student_id == student_id:
                    return link
        return None

    def observee_ids(self, user_id: int) -> list[int]:
        """Students the user observes through live links, in link order."""
        with self.lock:
            return [
                link.student_id
                for link in sorted(self.observer_links.values(), key=lambda lk: lk.id)
                if link.observer_id == user_id and link.workflow_state == "active"
            ]

    def observer_ids(self, user_id: int) -> list[int]:
        """Users observing the student through live links."""
        with self.lock:
            return [
                link.observer_id
                for link in sorted(self.observer_links.values(), key=lambda lk: lk.id)
                if link.student_id == user_id and link.workflow_state == "active"
            ]

    def link_observer(
        self, observer_id: int, student_id: int, *, sis_batch_id: int | None = None
    ) -> ObserverLink:
        """Create, restore, or return the link (Canvas's create_or_restore)."""
        with self.lock:
            link = self.find_link(observer_id, student_id)
            if link is None:
                link = ObserverLink(
                    id=self.next_id("observer_link"),
                    observer_id=observer_id,
                    student_id=student_id,
                    root_account_id=1,
                )
                self.observer_links[link.id] = link
            link.workflow_state = "active"
            if sis_batch_id is not None:
                link.sis_batch_id = sis_batch_id
            # Canvas adds the parent as observer to each of the student's current
            # enrolments (UserObservationLink#create_linked_enrollments).
            for enrollment in list(self.enrollments.values()):
                if (
                    enrollment.user_id == student_id
                    and enrollment.type == "StudentEnrollment"
                    and enrollment.workflow_state in ("active", "invited")
                ):
                    self._observe(observer_id, enrollment)
            return link

    def unlink_observer(self, link: ObserverLink) -> None:
        """Delete the link and the observer enrolments that came from it."""
        with self.lock:
            link.workflow_state = "deleted"
            for enrollment in self.enrollments.values():
                if (
                    enrollment.user_id == link.observer_id
                    and enrollment.associated_user_id == link.student_id
                ):
                    enrollment.workflow_state = "deleted"

    def _observe(self, observer_id: int, student_enrollment: Enrollment) -> None:
        for existing in self.enrollments.values():
            if (
                existing.user_id == observer_id
                and existing.course_id == student_enrollment.course_id
                and existing.associated_user_id == student_enrollment.user_id
            ):
                existing.workflow_state = student_enrollment.workflow_state
                return
        observer = Enrollment(
            id=self.next_id("enrollment"),
            user_id=observer_id,
            course_id=student_enrollment.course_id,
            root_account_id=student_enrollment.root_account_id,
            type="ObserverEnrollment",
            associated_user_id=student_enrollment.user_id,
            workflow_state=student_enrollment.workflow_state,
        )
        self.enrollments[observer.id] = observer

    # -- enrolments and sign-ins --------------------------------------------

    def enroll(
        self,
        user_id: int,
        course_id: int,
        *,
        type: str = "StudentEnrollment",
        associated_user_id: int | None = None,
    ) -> Enrollment:
        """Enrol a user in a course (the sandbox has no courses: the id is enough)."""
        with self.lock:
            enrollment = Enrollment(
                id=self.next_id("enrollment"),
                user_id=user_id,
                course_id=course_id,
                root_account_id=1,
                type=type,
                associated_user_id=associated_user_id,
            )
            self.enrollments[enrollment.id] = enrollment
            if type == "StudentEnrollment":
                # Later enrolments follow the links too.
                for observer_id in self.observer_ids(user_id):
                    self._observe(observer_id, enrollment)
            return enrollment

    def record_sign_in(self, user_id: int, when: str | None = None) -> None:
        """The person signed in with their login (sets current_login_at)."""
        with self.lock:
            login = self.primary_login(user_id)
            if login is not None:
                login.current_login_at = when or now_iso()

    # -- tokens -----------------------------------------------------------

    def token_by_access(self, access_token: str) -> AccessToken | None:
        digest = secret_hash(access_token)
        with self.lock:
            for tok in self.tokens.values():
                if tok.access_hash == digest:
                    return tok
        return None

    def token_by_refresh(self, refresh_token: str) -> AccessToken | None:
        digest = secret_hash(refresh_token)
        with self.lock:
            for tok in self.tokens.values():
                if tok.refresh_hash is not None and tok.refresh_hash == digest:
                    return tok
        return None

    def store_file(
        self, filename: str, content_type: str, data: bytes, verifier: str
    ) -> StoredFile:
        with self.lock:
            stored = StoredFile(self.next_id("file"), filename, content_type, data, verifier)
            self.files[stored.id] = stored
            return stored
