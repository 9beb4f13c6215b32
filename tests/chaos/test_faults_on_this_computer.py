"""Faults on the technician's own computer during a run: the keyring locked or gone at a
token refresh, the run history's disk full, read-only or locked, the report's disk full.

Each must end with a specific message and what to do, nothing already recorded lost,
and Canvas never written without the history (or the message) saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from chaos_support import (
    Connected,
    assert_converged,
    canvas_fingerprint,
    failed,
)
from keyring.backends import fail

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.roster import Roster
from canvas_wizard.core.store.secrets import SecretKind
from canvas_wizard.sandbox.faults import Faults

School = Callable[[int], tuple[Path, Roster]]
PEOPLE = 300


class _LockedKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.fixture
def swap_keyring() -> Iterator[Callable[[Any], None]]:
    original = keyring.get_keyring()
    try:
        yield keyring.set_keyring
    finally:
        keyring.set_keyring(original)


@pytest.mark.parametrize("broken", [_LockedKeyring, fail.Keyring], ids=["locked", "daemon gone"])
def test_keyring_locked_or_gone_at_a_token_refresh_mid_run_does_not_stop_it(
    connected: Connected,
    school: School,
    swap_keyring: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    broken: type[keyring.backend.KeyringBackend],
) -> None:
    source, roster = school(PEOPLE)
    untouched = canvas_fingerprint(connected.canvas, set(roster.people))
    stored_before = connected.tokens()
    real_keyring = keyring.get_keyring()
    canvas = connected.canvas
    original_expire = canvas.expire_access_tokens

    def lock_then_expire() -> None:
        # The keyring goes away after the run has started, just before Canvas lets the
        # access token expire: the refresh that follows cannot read the keyring.
        swap_keyring(broken())
        original_expire()

    monkeypatch.setattr(canvas, "expire_access_tokens", lock_then_expire)
    monkeypatch.setattr(TokenManager, "REUSE_WINDOW", 0.1)
    faults = Faults(expire_tokens_every=0.3)
    canvas.faults = faults

    with caplog.at_level(logging.WARNING):
        outcome = connected.sync(source, roster=roster)

    assert faults.stats.injected.get("token_expiry", 0) > 0
    assert outcome.status == "ok", (outcome.result.message, failed(outcome)[:3])
    assert "Could not save the refreshed token" in caplog.text
    canvas.faults = None
    swap_keyring(real_keyring)
    assert_converged(canvas, roster, untouched)
    # What was stored is still there, and still signs in: the next run just works.
    assert connected.tokens()[SecretKind.REFRESH_TOKEN] == stored_before[SecretKind.REFRESH_TOKEN]
    assert connected.sync(source, roster=roster).status == "ok"
