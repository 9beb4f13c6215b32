"""New logins use the school's sign-in provider, through both write methods.

The sandbox root account has Canvas passwords (provider 1) and the school's SAML
(provider 2). A setup that chose SAML creates its logins under SAML; logins Canvas
already has keep theirs, and one under another provider is reported, never doubled.
"""

from __future__ import annotations

import dataclasses

import pytest
from sync_support import ROOT, SignIn, seeded_roster, with_new_family

from canvas_wizard.core.canvas import CanvasClient, CanvasPermissionError
from canvas_wizard.core.canvas.auth_providers import (
    default_choice,
    list_auth_providers,
    setting_for,
)
from canvas_wizard.core.sync import ActionKind, SyncOptions
from canvas_wizard.core.sync.engine import SyncRun
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas

SAM = 2


def test_the_providers_are_listed_and_the_only_sso_one_is_the_default(
    client: CanvasClient, sign_in: SignIn
) -> None:
    providers = list_auth_providers(client, ROOT)
    assert [(p.id, p.auth_type, p.position) for p in providers] == [
        (1, "canvas", 1),
        (2, "saml", 2),
    ]
    assert providers[1].label == "SAML (id 2, https://sso.northfield.example/idp)"
    assert default_choice(providers) == "2"
    assert default_choice(providers[:1]) == "any"  # only Canvas passwords
    # Only admins who manage the root account may list them (Canvas answers 401).
    with pytest.raises(CanvasPermissionError):
        list_auth_providers(sign_in(SAM), ROOT)


@pytest.mark.parametrize("method", ["api", "sis-import"])
def test_new_logins_use_the_chosen_provider(
    canvas: SandboxCanvas, client: CanvasClient, method: str
) -> None:
    state = canvas.state
    ava = state.login_by_sis_id("S1001")
    assert ava is not None and ava.authentication_provider_id is None
    chosen = setting_for("2", list_auth_providers(client, ROOT))
    options = SyncOptions(login_provider=chosen["send"], login_provider_label=chosen["label"])
    applier = SisImportApplier(client, ROOT, poll_interval=0.01) if method != "api" else None
    roster = with_new_family(seeded_roster())
    # One existing person gets a new name, so their row is written too.
    ava_person = roster.people["S1001"]
    roster.people["S1001"] = dataclasses.replace(ava_person, full_name="Ava Thompson-Reid")

    result = SyncRun(
        roster,
        client,
        ROOT,
        ROOT,
        options=options,
        applier=applier,
        method=method,
        approve_limits=True,
        prefer_report=True,
    ).run()

    assert result.status == "ok", result.message
    for sis in ("S1101", "P2101"):
        login = state.login_by_sis_id(sis)
        assert login is not None and login.authentication_provider_id == 2, sis
    ava = state.login_by_sis_id("S1001")
    assert ava is not None and ava.authentication_provider_id is None  # left as it was
    assert state.users[ava.user_id].name == "Ava Thompson-Reid"
    assert result.plan is not None
    assert (
        "New logins sign in with: SAML (id 2, https://sso.northfield.example/idp)."
        in result.plan.notes
    )


def test_a_login_under_another_provider_is_reported_and_not_doubled(
    canvas: SandboxCanvas, client: CanvasClient
) -> None:
    state = canvas.state
    noah = state.login_by_sis_id("S1002")
    assert noah is not None
    noah.authentication_provider_id = 1  # a Canvas-password login
    logins_before = len(state.logins)
    options = SyncOptions(login_provider="2", login_provider_label="SAML (id 2)")

    result = SyncRun(seeded_roster(), client, ROOT, ROOT, options=options, prefer_report=True).run()

    assert result.status == "ok", result.message
    assert result.snapshot is not None and result.snapshot.source == "report"
    assert result.plan is not None
    action = next(a for a in result.plan.people if a.sis_id == "S1002")
    assert action.kind is ActionKind.UNCHANGED
    assert "signs in through another provider in Canvas (id 1)" in action.reason
    assert "no second login" in action.reason
    assert any(
        "1 person already in Canvas signs in through another" in n for n in result.plan.notes
    )
    assert len(state.logins) == logins_before
    assert noah.authentication_provider_id == 1
