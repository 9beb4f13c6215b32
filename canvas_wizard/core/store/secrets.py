"""Secrets (client secret, refresh and access tokens, SMTP password) in the OS keyring, only.

Each profile's secrets are keyring entries under the service ``canvas-wizard``,
one per kind, named ``<profile>/<kind>/<first 12 of secret_key_id>``. When no
usable keyring exists the admin may choose session-only mode: secrets then live
in this process's memory and are gone when it ends. There is deliberately no
fallback to a file.
"""

from __future__ import annotations

import sys
import threading
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import keyring
import keyring.errors

from canvas_wizard.core.errors import WizardError

if TYPE_CHECKING:
    from canvas_wizard.core.store.profiles import Profile


class SecretKind(StrEnum):
    # The names of the entries, not secrets (ruff's S105 only sees the words).
    CLIENT_SECRET = "client_secret"  # noqa: S105
    REFRESH_TOKEN = "refresh_token"  # noqa: S105
    ACCESS_TOKEN = "access_token"  # noqa: S105
    #: The password of the mail server that sends scheduled-run summaries.
    SMTP_PASSWORD = "smtp_password"  # noqa: S105


class KeyringUnavailable(WizardError):
    """There is no keyring this app can keep secrets in (or it refused)."""


_FIX_LINUX = (
    "Install and unlock a keyring: GNOME Keyring (package gnome-keyring) or KWallet, "
    "then sign in to the desktop again. Or continue in session-only mode: the sign-in "
    "then lasts until the app closes and is not saved."
)
_FIX_OTHER = (
    "Unlock the keyring and try again, or continue in session-only mode: the sign-in "
    "then lasts until the app closes and is not saved."
)


def _fix() -> str:
    return _FIX_LINUX if sys.platform.startswith("linux") else _FIX_OTHER


def describe_backend(backend: Any) -> str:
    """A human name for a keyring backend, for "your secrets are stored in ..."."""
    cls = type(backend)
    module, name = cls.__module__, cls.__name__
    if module == "keyring.backends.chainer":
        chained = list(getattr(backend, "backends", []))
        return describe_backend(chained[0]) if chained else "no keyring"
    known = {
        "keyring.backends.SecretService": "Secret Service (GNOME Keyring or KWallet)",
        "keyring.backends.libsecret": "Secret Service (GNOME Keyring or KWallet)",
        "keyring.backends.kwallet": "KWallet",
        "keyring.backends.Windows": "Windows Credential Manager",
        "keyring.backends.macOS": "macOS Keychain",
        "keyring.backends.fail": "no keyring",
        "keyring.backends.null": "no keyring",
    }
    if module in known:
        return known[module]
    return str(getattr(backend, "name", f"{module}.{name}"))


def _unusable_reason(backend: Any) -> str | None:
    """Why ``backend`` cannot hold secrets at all, or None if it might."""
    module, name = type(backend).__module__, type(backend).__name__
    if module in ("keyring.backends.fail", "keyring.backends.null"):
        if sys.platform.startswith("linux"):
            return "no Secret Service is running on this Linux desktop"
        return "the system keyring could not be found"
    if module == "keyring.backends.chainer" and not list(getattr(backend, "backends", [])):
        return "no Secret Service is running on this desktop"
    # keyrings.alt's plaintext and "encrypted" files are exactly the fallback we refuse.
    if module.startswith("keyrings.alt") and "file" in module.lower():
        return f"the configured keyring ({name}) stores secrets in a file"
    return None


class SecretStore:
    SERVICE = "canvas-wizard"

    # Session-only secrets belong to the process, not to one SecretStore object,
    # so every part of a running app sees the same ones.
    _memory: ClassVar[dict[str, str]] = {}
    _memory_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *, session_only: bool = False) -> None:
        self._session_only = session_only

    @property
    def backend_name(self) -> str:
        if self._session_only:
            return "session only (not saved)"
        return describe_backend(keyring.get_keyring())

    @property
    def persistent(self) -> bool:
        return not self._session_only and _unusable_reason(keyring.get_keyring()) is None

    def check(self) -> None:
        """Raise KeyringUnavailable unless a secret can really be written, read and deleted."""
        if self._session_only:
            return
        backend = keyring.get_keyring()
        reason = _unusable_reason(backend)
        if reason is not None:
            raise KeyringUnavailable(f"Secrets cannot be stored: {reason}.", hint=_fix())
        probe_user = f"probe/{uuid.uuid4().hex}"
        probe = uuid.uuid4().hex
        try:
            backend.set_password(self.SERVICE, probe_user, probe)
            read_back = backend.get_password(self.SERVICE, probe_user)
            backend.delete_password(self.SERVICE, probe_user)
        except Exception as exc:
            raise _unavailable(exc, "store a test entry") from None
        if read_back != probe:
            raise KeyringUnavailable(
                f"Secrets cannot be stored: the keyring ({describe_backend(backend)}) "
                "accepted a test entry but did not give it back.",
                hint=_fix(),
            )

    def get(self, profile: Profile, kind: SecretKind) -> str | None:
        user = self._username(profile, kind)
        if self._session_only:
            with self._memory_lock:
                return self._memory.get(user)
        try:
            value = keyring.get_password(self.SERVICE, user)
        except Exception as exc:
            raise _unavailable(exc, f"read the {_label(kind)}") from None
        return None if value is None else str(value)

    def set(self, profile: Profile, kind: SecretKind, value: str) -> None:
        user = self._username(profile, kind)
        if self._session_only:
            with self._memory_lock:
                self._memory[user] = value
            return
        try:
            keyring.set_password(self.SERVICE, user, value)
        except Exception as exc:
            raise _unavailable(exc, f"save the {_label(kind)}", value) from None

    def delete(self, profile: Profile, kind: SecretKind) -> None:
        """Forget one secret; one that is not there is fine."""
        user = self._username(profile, kind)
        if self._session_only:
            with self._memory_lock:
                self._memory.pop(user, None)
            return
        try:
            keyring.delete_password(self.SERVICE, user)
        except keyring.errors.PasswordDeleteError:
            pass  # not stored: already forgotten
        except Exception as exc:
            raise _unavailable(exc, f"delete the {_label(kind)}") from None

    def forget_all(self, profile: Profile) -> None:
        for kind in SecretKind:
            self.delete(profile, kind)

    @staticmethod
    def _username(profile: Profile, kind: SecretKind) -> str:
        return f"{profile.name}/{kind}/{profile.secret_key_id[:12]}"


def _label(kind: SecretKind) -> str:
    return kind.value.replace("_", " ")


def _unavailable(exc: Exception, doing: str, secret: str | None = None) -> KeyringUnavailable:
    """A KeyringUnavailable saying what failed; never repeats the secret being handled."""
    backend = describe_backend(keyring.get_keyring())
    if isinstance(exc, keyring.errors.KeyringLocked):
        why = f"the keyring ({backend}) is locked and was not unlocked"
        hint = "Unlock the keyring (it may be asking for its password in another window) "
        hint += "and try again. " + _fix()
        return KeyringUnavailable(f"Could not {doing}: {why}.", hint=hint)
    if isinstance(exc, keyring.errors.NoKeyringError):
        reason = _unusable_reason(keyring.get_keyring()) or "no keyring is available"
        return KeyringUnavailable(f"Could not {doing}: {reason}.", hint=_fix())
    detail = str(exc) or type(exc).__name__
    if secret:
        detail = detail.replace(secret, "***")
    return KeyringUnavailable(
        f"Could not {doing}: the keyring ({backend}) reported an error: {detail}.", hint=_fix()
    )
