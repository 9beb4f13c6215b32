"""The records the sandbox Canvas keeps, named after Canvas's own models where it
matters (a *login* is Canvas's ``Pseudonym``; an *admin* is an ``AccountUser``).

Secrets are never kept in the clear: access tokens, refresh tokens and
authorization codes are stored as SHA-256 hashes (as Canvas stores tokens), and
the few secret fields that must be kept (a key's client secret, a file verifier)
are left out of every ``repr``.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Canvas shard-qualified ids look like this; the sandbox has one shard.
GLOBAL_ID_BASE = 10000000000000

#: The permissions the sandbox knows about (Canvas names, accounts_controller#permissions).
ALL_PERMISSIONS = frozenset(
    {
        "read_roster",
        "view_user_logins",
        "read_email_addresses",
        "read_sis",
        "manage_sis",
        "import_sis",
        "manage_user_logins",
        "manage_user_observers",
        "manage_students",
        "read_reports",
        "manage_account_settings",
    }
)


def now_iso(ts: float | None = None) -> str:
    """Canvas's timestamp format: ISO 8601 in UTC with a Z."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def secret_hash(value: str) -> str:
    """How tokens and codes are looked up without keeping them."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


_SUFFIXES = re.compile(r"^(Sn?r\.?|Senior|Jn?r\.?|Junior|II|III|IV|V|VI|Esq\.?|Esquire)$", re.I)


def sortable_from(name: str) -> str:
    """Canvas's default sortable name (app/models/user.rb ``last_name_first``):
    "Last, First Middle", with a suffix after the given names ("Smith, John Jr.")."""
    pieces = [p.strip() for p in name.strip().split(",", 2)]
    surname: str | None = pieces[0] if len(pieces) > 1 else None
    given = pieces[1] if len(pieces) > 1 else name.strip()
    suffix = pieces[2] if len(pieces) > 2 else None
    if suffix is not None and not _SUFFIXES.match(suffix):
        given, suffix = f"{given} {suffix}", None
    if surname is not None and suffix is None and " " in surname and _SUFFIXES.match(given):
        given, surname, suffix = surname, None, given
    words = given.split()
    if suffix is None and len(words) > 1 and _SUFFIXES.match(words[-1]):
        suffix = words.pop()
    if surname is None and len(words) > 1:
        surname = words.pop()
    first = " ".join(words + ([suffix] if suffix else []))
    return f"{surname}, {first}".strip() if surname else first


def first_last_from(sortable: str) -> tuple[str, str]:
    """(first, last) as Canvas derives them from the sortable name."""
    if "," in sortable:
        last, first = sortable.split(",", 1)
        return first.strip(), last.strip()
    parts = sortable.split()
    if len(parts) < 2:
        return sortable, ""
    return " ".join(parts[:-1]), parts[-1]


@dataclass
class Account:
    id: int
    name: str
    parent_account_id: int | None
    root_account_id: int | None
    uuid: str
    sis_account_id: str | None = None
    workflow_state: str = "active"
    #: The root account's "Allow SIS imports" setting (account.allow_sis_import).
    allow_sis_import: bool = True


@dataclass
class User:
    id: int
    name: str
    sortable_name: str
    short_name: str
    #: The account the user was created in; sub-account admins see users of their subtree.
    home_account_id: int
    #: Canvas's user state: registered, pre_registered, or deleted.
    workflow_state: str = "registered"
    created_at: str = field(default_factory=now_iso)
    locale: str | None = None


@dataclass
class Login:
    """Canvas's Pseudonym: one username in a root account, optionally with a SIS ID."""

    id: int
    user_id: int
    account_id: int
    unique_id: str
    sis_user_id: str | None = None
    integration_id: str | None = None
    #: active, suspended or deleted. A deleted login keeps its SIS ID (Canvas's unique index).
    workflow_state: str = "active"
    #: Set when a SIS import last wrote the login: the report's created_by_sis.
    sis_batch_id: int | None = None
    #: The email channel a SIS Import made or took for this login (Canvas's
    #: pseudonym.sis_communication_channel): a later import edits it in place.
    sis_channel_id: int | None = None
    created_at: str = field(default_factory=now_iso)
    #: When the person last signed in with this login (Canvas's current_login_at).
    current_login_at: str | None = None

    #: The sign-in provider the login belongs to; None: none (any provider may find it).
    authentication_provider_id: int | None = None


@dataclass
class Enrollment:
    """A course enrolment; an observer's ones made through a link name the student."""

    id: int
    user_id: int
    course_id: int
    root_account_id: int
    type: str = "StudentEnrollment"
    associated_user_id: int | None = None
    #: active, invited, completed, inactive or deleted.
    workflow_state: str = "active"


@dataclass
class AuthProvider:
    """Canvas's AuthenticationProvider: one way to sign in to a root account."""

    id: int
    account_id: int
    auth_type: str  # canvas | saml | google | microsoft | ...
    position: int
    #: Type-specific fields as the API shows them (idp_entity_id, hosted_domain, ...).
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class CommunicationChannel:
    id: int
    user_id: int
    address: str
    position: int
    type: str = "email"
    #: unconfirmed, active or retired.
    workflow_state: str = "unconfirmed"
    created_at: str = field(default_factory=now_iso)


@dataclass
class AdminRole:
    """Canvas's AccountUser: an admin role on one account, inherited by its sub-accounts."""

    user_id: int
    account_id: int
    role: str
    permissions: frozenset[str]


@dataclass
class ObserverLink:
    """Canvas's UserObservationLink: parent (observer) → student."""

    id: int
    observer_id: int
    student_id: int
    root_account_id: int
    workflow_state: str = "active"
    sis_batch_id: int | None = None
    created_at: str = field(default_factory=now_iso)


@dataclass
class DeveloperKey:
    """A Canvas API developer key as an admin registers it."""

    client_id: str
    client_secret: str = field(repr=False)
    name: str
    #: Exact-match list ("Redirect URIs" in the key form): port and path included.
    redirect_uris: list[str]
    #: The legacy single "Redirect URI" field: scheme and host only, subdomains allowed.
    legacy_redirect_uri: str | None
    #: The key's State switched ON for the root account.
    enabled: bool = True
    #: "Enforce scopes": sign-in must ask for scopes, all of them in ``scopes``, and the
    #: token then reaches only those endpoints (lib/canvas/oauth/provider.rb).
    require_scopes: bool = False
    scopes: list[str] = field(default_factory=list)
    #: "Allow include parameters": without it a scoped token's include[] is dropped.
    allow_includes: bool = False


@dataclass
class AccessToken:
    """An issued token pair; both halves kept only as hashes."""

    id: int
    user_id: int
    client_id: str
    access_hash: str = field(repr=False)
    refresh_hash: str | None = field(repr=False)
    expires_at: float | None
    created_at: str = field(default_factory=now_iso)
    #: The scopes asked for at sign-in (enforced when the key requires scopes).
    scopes: list[str] = field(default_factory=list)


@dataclass
class AuthorizationCode:
    client_id: str
    user_id: int
    redirect_uri: str
    expires_at: float
    #: Canvas keeps the PKCE challenge apart from the code and deletes it on first check.
    code_challenge: str | None = None
    scopes: list[str] = field(default_factory=list)


@dataclass
class PendingConsent:
    """An authorize request waiting on the consent page (Canvas keeps it in the session)."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: list[str]
    code_challenge: str | None
    expires_at: float


@dataclass
class StoredFile:
    id: int
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    verifier: str = field(repr=False)


@dataclass
class SisMessage:
    """One processing warning or error, as the errors CSV lists it."""

    file: str
    message: str
    row: int | None = None


@dataclass
class SisImport:
    id: int
    account_id: int
    user_id: int
    attachment_id: int
    options: dict[str, Any]
    workflow_state: str = "created"
    progress: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    supplied_batches: list[str] = field(default_factory=list)
    warnings: list[SisMessage] = field(default_factory=list)
    errors: list[SisMessage] = field(default_factory=list)
    errors_attachment_id: int | None = None
    diffed_against_import_id: int | None = None
    diffing_threshold_exceeded: bool = False
    abort_requested: bool = False
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    ended_at: str | None = None
    #: Parsed rows by kind ("users", "user_observers"), kept for diffing the next import.
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict, repr=False)


@dataclass
class AccountReport:
    id: int
    account_id: int
    user_id: int
    report: str
    parameters: dict[str, Any]
    status: str = "created"
    progress: int = 0
    attachment_id: int | None = None
    message: str | None = None
    created_at: str = field(default_factory=now_iso)
    started_at: str | None = None
    ended_at: str | None = None
