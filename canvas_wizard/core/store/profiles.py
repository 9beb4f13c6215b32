"""Profiles: one Canvas connection each, kept as readable JSON files.

A profile holds what is not secret: the Canvas address, the developer key's
Client ID, the loopback port registered on that key, the connected account and
the sync options. Secrets (client secret, tokens) live in the OS keyring,
keyed by the profile's ``secret_key_id`` (see :mod:`.secrets`); nothing here
ever writes one.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from canvas_wizard.core.canvas import normalize_canvas_url
from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths, write_atomic

#: Bumped when the file layout changes in a way older versions cannot read.
FORMAT_VERSION = 1
NAME_MAX = 64
#: Registered on the developer key as http://127.0.0.1:57316/canvas/authorize.
#: Canvas matches "Redirect URIs" exactly, port included, so it is fixed per profile
#: (re-exported by core.auth.oauth, where the redirect URI is built).
DEFAULT_REDIRECT_PORT = 57316
# Windows refuses these as file names, with any extension.
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}
)
_NAME_PUNCTUATION = frozenset(" -_.")
_T = TypeVar("_T")
_ASCII_DIGITS = frozenset("0123456789")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ConnectedAccount:
    id: int
    name: str
    is_root: bool


@dataclass
class Profile:
    name: str
    canvas_url: str
    client_id: str
    redirect_port: int = DEFAULT_REDIRECT_PORT
    account: ConnectedAccount | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Keyring entries are keyed by this, not only by the name, so two config
    # dirs with a profile of the same name never read each other's secrets.
    secret_key_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    signed_in_as: str | None = None
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


# --- field validation (shared by the wizard's fields and the file loader) -------------


def validate_profile_name(name: str) -> str:
    """Return ``name`` (NFC) if it can be a profile name; UsageError saying why not."""
    name = unicodedata.normalize("NFC", name)
    allowed = "letters, digits, spaces, '-', '_' and '.'"
    if not 1 <= len(name) <= NAME_MAX:
        raise UsageError(
            f"A profile name must be 1 to {NAME_MAX} characters long.",
            hint=f"Use {allowed}, for example “Main school”.",
        )
    bad = sorted(
        {ch for ch in name if not (ch.isalpha() or ch in _ASCII_DIGITS or ch in _NAME_PUNCTUATION)}
    )
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise UsageError(
            f"The profile name “{name}” contains characters that cannot be used: {shown}.",
            hint=f"Use only {allowed}.",
        )
    # A leading '.' hides the file (and clashes with write_atomic's temp files),
    # a leading '-' reads as a command-line option, Windows drops trailing ' '/'.'.
    if not name[0].isalnum() or name[-1] in " .":
        raise UsageError(
            f"The profile name “{name}” must start with a letter or digit "
            "and must not end with a space or '.'.",
            hint="For example “Main school” or “district-2”.",
        )
    if name.split(".")[0].rstrip().upper() in _RESERVED_NAMES:
        raise UsageError(
            f"“{name}” is a name Windows reserves for devices, so it cannot be a profile name.",
            hint="Choose another name, for example “Main school”.",
        )
    return name


def validate_client_id(client_id: str) -> str:
    """The Client ID, trimmed; UsageError unless it is a developer key's number."""
    # Canvas looks a key up with Integer(client_id) (lib/canvas/oauth/provider.rb):
    # anything else can only ever give "unknown client".
    value = client_id.strip()
    if not value.isascii() or not value.isdigit():
        raise UsageError(
            f"The Client ID “{client_id}” is not a developer key ID.",
            hint="Copy the number from the Details column in Admin → Developer Keys, "
            "for example 10000000000012. The long Key/secret goes in the Client Secret field.",
        )
    return value


def validate_redirect_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1024 <= port <= 65535:
        raise UsageError(
            f"The redirect port {port!r} is not usable.",
            hint="Choose a port number from 1024 to 65535 (49152–65535 is least likely to "
            "be taken), and register the matching redirect URI on the developer key.",
        )
    return port


# --- the store -----------------------------------------------------------------------


class ProfileStore:
    """Profiles as ``<profiles_dir>/<name>.json``, each written atomically.

    Names are unique without regard to case, because Windows and macOS file
    systems treat "Main" and "main" as the same file.
    """

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self._dir = paths.profiles_dir

    def names(self) -> list[str]:
        """Profile names from the file names alone (works even if a file is damaged)."""
        if not self._dir.is_dir():
            return []
        found = [p.stem for p in self._dir.glob("*.json") if not p.name.startswith(".")]
        return sorted(found, key=str.casefold)

    def list(self) -> list[Profile]:
        return [self.get(name) for name in self.names()]

    def exists(self, name: str) -> bool:
        return self._find(name) is not None

    def get(self, name: str) -> Profile:
        path = self._find(name)
        if path is None:
            raise self._missing(name)
        return _load(path)

    def save(self, profile: Profile) -> None:
        name = validate_profile_name(profile.name)
        existing = self._find(name)
        if existing is not None and existing.stem != name:
            raise UsageError(
                f"A profile named “{existing.stem}” already exists; names may not differ "
                "only in upper/lower case.",
                hint="Choose another name, or edit that profile.",
            )
        profile.name = name
        # A profile is saved after every wizard step, so the address and the
        # Client ID may still be empty ("not entered yet"); set, they must be valid.
        if profile.canvas_url:
            profile.canvas_url = normalize_canvas_url(profile.canvas_url)
        if profile.client_id:
            profile.client_id = validate_client_id(profile.client_id)
        validate_redirect_port(profile.redirect_port)
        profile.updated_at = _now()
        text = json.dumps(_to_json(profile), indent=2, ensure_ascii=False) + "\n"
        write_atomic(self._dir / f"{name}.json", text)

    def remove(self, name: str) -> None:
        """Delete the profile file. Its keyring secrets are SecretStore.forget_all's job."""
        path = self._find(name)
        if path is None:
            raise self._missing(name)
        path.unlink()

    def path_of(self, name: str) -> Path:
        """The file that holds (or will hold) the profile ``name``, to show the admin."""
        return self._find(name) or self._dir / f"{validate_profile_name(name)}.json"

    def _find(self, name: str) -> Path | None:
        key = unicodedata.normalize("NFC", name).casefold()
        for existing in self.names():
            if unicodedata.normalize("NFC", existing).casefold() == key:
                return self._dir / f"{existing}.json"
        return None

    def _missing(self, name: str) -> UsageError:
        names = self.names()
        if names:
            hint = "Existing profiles: " + ", ".join(f"“{n}”" for n in names) + "."
        else:
            hint = "There are no profiles yet: set one up with the wizard first."
        return UsageError(f"There is no profile named “{name}”.", hint=hint)


# --- JSON mapping --------------------------------------------------------------------

_FIELDS = (
    "name",
    "canvas_url",
    "client_id",
    "redirect_port",
    "account",
    "options",
    "secret_key_id",
    "signed_in_as",
    "created_at",
    "updated_at",
)


def _to_json(profile: Profile) -> dict[str, Any]:
    account = profile.account
    return {
        "format": FORMAT_VERSION,
        "name": profile.name,
        "canvas_url": profile.canvas_url,
        "client_id": profile.client_id,
        "redirect_port": profile.redirect_port,
        "account": None
        if account is None
        else {"id": account.id, "name": account.name, "is_root": account.is_root},
        "options": profile.options,
        "secret_key_id": profile.secret_key_id,
        "signed_in_as": profile.signed_in_as,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


class _Damaged(Exception):
    """What is wrong inside one profile file (turned into a UsageError naming it)."""


def _load(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _damaged(path, "it is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(
            f"The profile file {path} cannot be read: {exc.strerror or exc}.",
            hint="Check that this user may read that file.",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _damaged(path, f"it is not valid JSON ({exc.msg} at {where})") from None
    try:
        return _from_json(path, data)
    except _Damaged as exc:
        raise _damaged(path, str(exc)) from None
    except UsageError as exc:
        raise _damaged(path, exc.message) from None


def _damaged(path: Path, problem: str) -> UsageError:
    return UsageError(
        f"The profile file {path} is damaged: {problem}.",
        hint="Correct it in a text editor, or delete the file and set the profile up again "
        "(the sign-in itself is kept in the keyring, not in this file).",
    )


def _from_json(path: Path, data: object) -> Profile:
    if not isinstance(data, dict):
        raise _Damaged("it should hold one JSON object ({ ... })")
    version = data.get("format", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _Damaged(f"it was written by a newer Canvas Sync Wizard (format {version!r})")
    missing = [k for k in (*_FIELDS[:4], "secret_key_id") if k not in data]
    if missing:
        raise _Damaged("the field " + ", ".join(f"“{k}”" for k in missing) + " is missing")
    name = _typed(data, "name", str)
    if name != path.stem:
        raise _Damaged(f"its “name” is “{name}” but the file is named {path.name}")
    key_id = _typed(data, "secret_key_id", str)
    if not re.fullmatch(r"[0-9a-f]{12,64}", key_id):
        raise _Damaged("“secret_key_id” should be 12 to 64 hex digits")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise _Damaged("“options” should be an object ({ ... })")
    signed_in_as = data.get("signed_in_as")
    if signed_in_as is not None and not isinstance(signed_in_as, str):
        raise _Damaged("“signed_in_as” should be text or null")
    canvas_url = _typed(data, "canvas_url", str)
    client_id = _typed(data, "client_id", str)
    created_at = _timestamp(data, "created_at", _now())
    return Profile(
        name=validate_profile_name(name),
        canvas_url=normalize_canvas_url(canvas_url) if canvas_url else "",
        client_id=validate_client_id(client_id) if client_id else "",
        redirect_port=validate_redirect_port(_typed(data, "redirect_port", int)),
        account=_account(data.get("account")),
        options=options,
        secret_key_id=key_id,
        signed_in_as=signed_in_as,
        created_at=created_at,
        updated_at=_timestamp(data, "updated_at", created_at),
    )


def _typed(data: dict[str, Any], key: str, kind: type[_T]) -> _T:
    value = data[key]
    # bool is an int in Python; a port of `true` is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        wanted = {str: "text", int: "a whole number"}.get(kind, kind.__name__)
        raise _Damaged(f"“{key}” should be {wanted}, not {json.dumps(value)}")
    return value


def _timestamp(data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Damaged(f"“{key}” should be a date and time like {default}") from None
    return str(value)


def _account(value: object) -> ConnectedAccount | None:
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("id"), int)
        or isinstance(value.get("id"), bool)
        or not isinstance(value.get("name"), str)
        or not isinstance(value.get("is_root"), bool)
    ):
        raise _Damaged("“account” should be null or {“id”: number, “name”: text, “is_root”: bool}")
    return ConnectedAccount(id=value["id"], name=value["name"], is_root=value["is_root"])
