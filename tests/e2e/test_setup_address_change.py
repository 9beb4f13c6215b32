"""Changing a setup's Canvas address never sends the old Canvas's key or tokens to the new one."""

from __future__ import annotations

import pytest

from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretKind, SecretStore
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import SandboxCanvas


def test_a_new_address_forgets_the_old_key_and_tokens():
    with SandboxCanvas() as first, SandboxCanvas() as second:
        port = free_loopback_port()
        key = first.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        store = ProfileStore(app_paths().ensure())
        secrets = SecretStore()
        profile = Profile(name="school", canvas_url="", client_id="", redirect_port=port)
        session = SetupSession(store, secrets, profile)
        try:
            session.check_address(first.url)
            session.set_credentials(key.client_id, key.client_secret)
            request = session.start_sign_in(listen=False)
            session.finish_with_pasted(first.approve_consent(request.url))
            assert secrets.get(profile, SecretKind.REFRESH_TOKEN)

            session.check_address(second.url)
            assert profile.client_id == "" and profile.signed_in_as is None
            assert all(secrets.get(profile, kind) is None for kind in SecretKind)
            before = second.request_counts()
            with pytest.raises(AuthorizationNeeded):
                session.list_accounts()
            assert second.request_counts() == before, "nothing was sent to the new Canvas"
        finally:
            session.close()


def test_a_new_client_id_needs_a_new_sign_in():
    with SandboxCanvas() as canvas:
        port = free_loopback_port()
        key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        other = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        store = ProfileStore(app_paths().ensure())
        secrets = SecretStore()
        profile = Profile(name="school", canvas_url="", client_id="", redirect_port=port)
        session = SetupSession(store, secrets, profile)
        try:
            session.check_address(canvas.url)
            session.set_credentials(key.client_id, key.client_secret)
            request = session.start_sign_in(listen=False)
            session.finish_with_pasted(canvas.approve_consent(request.url))
            session.set_credentials(other.client_id, other.client_secret)
            assert secrets.get(profile, SecretKind.ACCESS_TOKEN) is None
            assert secrets.get(profile, SecretKind.REFRESH_TOKEN) is None
            assert profile.signed_in_as is None
        finally:
            session.close()
