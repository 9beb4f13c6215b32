"""Secrets in the real Secret Service the test session starts; session-only mode; no keyring."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from canvas_wizard.core.store import KeyringUnavailable, Profile, SecretKind, SecretStore

SERVICE = "canvas-wizard"


@pytest.fixture
def real_keyring(secret_service: str) -> Iterator[SecretStore]:
    if secret_service == "missing":
        pytest.skip("no Secret Service on this machine (install gnome-keyring and dbus)")
    yield SecretStore()


@pytest.fixture
def profile() -> Iterator[Profile]:
    made = Profile(name="Main school", canvas_url="https://school.instructure.com", client_id="1")
    yield made
    # Leave the developer's or CI's keyring as it was (tests with a stand-in
    # keyring still have it installed here: they wrote nothing real).
    with contextlib.suppress(KeyringUnavailable):
        SecretStore().forget_all(made)


@pytest.fixture
def swap_keyring() -> Iterator[Any]:
    """keyring.set_keyring for one test, always restored afterwards."""
    original = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(original)


def test_set_get_delete_in_the_real_keyring(real_keyring: SecretStore, profile: Profile) -> None:
    real_keyring.check()
    assert real_keyring.persistent
    assert real_keyring.get(profile, SecretKind.CLIENT_SECRET) is None
    real_keyring.set(profile, SecretKind.CLIENT_SECRET, "s3cret ünïcode")
    assert real_keyring.get(profile, SecretKind.CLIENT_SECRET) == "s3cret ünïcode"
    # Exactly where the design says: service canvas-wizard, name/kind/key id.
    user = f"Main school/client_secret/{profile.secret_key_id[:12]}"
    assert keyring.get_password(SERVICE, user) == "s3cret ünïcode"
    real_keyring.set(profile, SecretKind.CLIENT_SECRET, "replaced")
    assert real_keyring.get(profile, SecretKind.CLIENT_SECRET) == "replaced"
    real_keyring.delete(profile, SecretKind.CLIENT_SECRET)
    assert real_keyring.get(profile, SecretKind.CLIENT_SECRET) is None
    real_keyring.delete(profile, SecretKind.CLIENT_SECRET)  # already gone: fine


def test_forget_all(real_keyring: SecretStore, profile: Profile) -> None:
    for kind in SecretKind:
        real_keyring.set(profile, kind, f"value of {kind}")
    real_keyring.forget_all(profile)
    assert all(real_keyring.get(profile, kind) is None for kind in SecretKind)


def test_same_name_in_two_config_dirs_does_not_share_secrets(
    real_keyring: SecretStore, profile: Profile
) -> None:
    twin = Profile(name=profile.name, canvas_url=profile.canvas_url, client_id="1")
    assert twin.secret_key_id != profile.secret_key_id
    try:
        real_keyring.set(profile, SecretKind.REFRESH_TOKEN, "first setup")
        real_keyring.set(twin, SecretKind.REFRESH_TOKEN, "second setup")
        assert real_keyring.get(profile, SecretKind.REFRESH_TOKEN) == "first setup"
        assert real_keyring.get(twin, SecretKind.REFRESH_TOKEN) == "second setup"
        real_keyring.forget_all(twin)
        assert real_keyring.get(profile, SecretKind.REFRESH_TOKEN) == "first setup"
    finally:
        real_keyring.forget_all(twin)


def test_backend_is_named_for_the_admin(secret_service: str, real_keyring: SecretStore) -> None:
    if secret_service == "gnome-keyring":
        assert real_keyring.backend_name.startswith("Secret Service")
    assert SecretStore(session_only=True).backend_name == "session only (not saved)"


def test_session_only_keeps_secrets_in_memory_only(profile: Profile, secret_service: str) -> None:
    memory = SecretStore(session_only=True)
    memory.check()  # never needs a keyring
    assert not memory.persistent
    memory.set(profile, SecretKind.ACCESS_TOKEN, "in memory")
    try:
        # Another part of the same app sees it; the keyring never does.
        assert SecretStore(session_only=True).get(profile, SecretKind.ACCESS_TOKEN) == "in memory"
        if secret_service != "missing":
            assert SecretStore().get(profile, SecretKind.ACCESS_TOKEN) is None
    finally:
        memory.forget_all(profile)
    assert memory.get(profile, SecretKind.ACCESS_TOKEN) is None


def test_fail_keyring_is_unavailable_and_says_how_to_fix(
    swap_keyring: Any, profile: Profile
) -> None:
    swap_keyring(fail.Keyring())
    store = SecretStore()
    assert not store.persistent
    assert store.backend_name == "no keyring"
    with pytest.raises(KeyringUnavailable) as info:
        store.check()
    if sys.platform.startswith("linux"):
        assert "no Secret Service" in info.value.message
        assert "gnome-keyring" in info.value.hint and "KWallet" in info.value.hint
    assert "session-only" in info.value.hint
    with pytest.raises(KeyringUnavailable):
        store.set(profile, SecretKind.CLIENT_SECRET, "never written anywhere")
    with pytest.raises(KeyringUnavailable):
        store.get(profile, SecretKind.CLIENT_SECRET)
    # Session-only mode is the way out, and it works without any keyring.
    memory = SecretStore(session_only=True)
    memory.set(profile, SecretKind.CLIENT_SECRET, "kept for this session")
    assert memory.get(profile, SecretKind.CLIENT_SECRET) == "kept for this session"
    memory.forget_all(profile)


def test_null_keyring_is_unavailable(swap_keyring: Any) -> None:
    swap_keyring(null.Keyring())
    with pytest.raises(KeyringUnavailable):
        SecretStore().check()


class _LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class _ChattyBrokenKeyring(_LockedKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"D-Bus said no to {password}")


class _ForgetfulKeyring(_LockedKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        pass


def test_locked_keyring_says_so(swap_keyring: Any, profile: Profile) -> None:
    swap_keyring(_LockedKeyring())
    with pytest.raises(KeyringUnavailable, match="locked") as info:
        SecretStore().check()
    assert "Unlock the keyring" in info.value.hint
    with pytest.raises(KeyringUnavailable, match=r"read the client secret.*locked"):
        SecretStore().get(profile, SecretKind.CLIENT_SECRET)


def test_backend_errors_never_repeat_the_secret(swap_keyring: Any, profile: Profile) -> None:
    swap_keyring(_ChattyBrokenKeyring())
    with pytest.raises(KeyringUnavailable) as info:
        SecretStore().set(profile, SecretKind.REFRESH_TOKEN, "1~very-secret-refresh")
    assert "very-secret" not in str(info.value)
    assert "D-Bus said no" in info.value.message


def test_a_keyring_that_loses_entries_fails_the_check(swap_keyring: Any) -> None:
    swap_keyring(_ForgetfulKeyring())
    with pytest.raises(KeyringUnavailable, match="did not give it back"):
        SecretStore().check()
