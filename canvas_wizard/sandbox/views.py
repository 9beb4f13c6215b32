"""JSON shapes of Canvas objects (lib/api/v1/*.rb), with Canvas's permission gates.

``sis_user_id`` and ``integration_id`` appear only to a caller who may read SIS
data in the context account; ``login_id`` only to one who may view logins;
``email`` only when asked for with ``include[]=email``.
"""

from __future__ import annotations

from typing import Any

from canvas_wizard.sandbox.state import (
    GLOBAL_ID_BASE,
    Account,
    AuthProvider,
    CommunicationChannel,
    Login,
    SandboxState,
    User,
    first_last_from,
)


def account_json(state: SandboxState, account: Account, viewer_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": account.id,
        "name": account.name,
        "uuid": account.uuid,
        "parent_account_id": account.parent_account_id,
        "root_account_id": account.root_account_id,
        "workflow_state": account.workflow_state,
        "default_time_zone": "Europe/London",
        "default_storage_quota_mb": 500,
        "default_user_storage_quota_mb": 50,
        "default_group_storage_quota_mb": 50,
    }
    if state.grants(viewer_id, account.id, "read_sis", "manage_sis"):
        data["sis_account_id"] = account.sis_account_id
        data["integration_id"] = None
        data["sis_import_id"] = None
    return data


def user_json(
    state: SandboxState,
    user: User,
    viewer_id: int | None,
    context_account_id: int,
    includes: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    first, last = first_last_from(user.sortable_name)
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "created_at": user.created_at,
        "sortable_name": user.sortable_name,
        "short_name": user.short_name,
        "first_name": first,
        "last_name": last,
    }
    login = state.primary_login(user.id)
    if state.grants(viewer_id, context_account_id, "read_sis", "manage_sis"):
        data["sis_user_id"] = login.sis_user_id if login else None
        data["integration_id"] = login.integration_id if login else None
        if state.grants(viewer_id, context_account_id, "manage_sis"):
            data["sis_import_id"] = login.sis_batch_id if login else None
    if login is not None and (
        viewer_id == user.id or state.grants(viewer_id, context_account_id, "view_user_logins")
    ):
        data["login_id"] = login.unique_id
    # Emails only for those who may read them (lib/api/v1/user.rb: the email is
    # added only with read_email_addresses); without it the key is left out.
    if "email" in includes and (
        viewer_id == user.id or state.grants(viewer_id, context_account_id, "read_email_addresses")
    ):
        data["email"] = state.email_of(user.id)
    if "locale" in includes:
        data["locale"] = user.locale
    if "effective_locale" in includes:
        data["effective_locale"] = user.locale or "en-GB"
    if "uuid" in includes:
        data["uuid"] = f"sandbox-user-{user.id:08d}"
    return data


def token_user_json(user: User) -> dict[str, Any]:
    """The ``user`` object in a token response."""
    return {
        "id": user.id,
        "name": user.name,
        "global_id": str(GLOBAL_ID_BASE + user.id),
        "effective_locale": user.locale or "en-GB",
    }


def login_json(state: SandboxState, login: Login, viewer_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": login.id,
        "user_id": login.user_id,
        "account_id": login.account_id,
        "unique_id": login.unique_id,
        "created_at": login.created_at,
        "workflow_state": login.workflow_state,
        "authentication_provider_id": login.authentication_provider_id,
        "authentication_provider_type": _provider_type(state, login),
        "declared_user_type": None,
    }
    if state.grants(viewer_id, login.account_id, "read_sis", "manage_sis"):
        data["sis_user_id"] = login.sis_user_id
        data["integration_id"] = login.integration_id
    return data


def channel_json(channel: CommunicationChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "address": channel.address,
        "type": channel.type,
        "position": channel.position,
        "user_id": channel.user_id,
        "workflow_state": channel.workflow_state,
        "created_at": channel.created_at,
        "bounce_count": 0,
    }


def model_error(attribute: str, kind: str, message: str) -> dict[str, str]:
    """One validation error as Canvas renders ActiveModel errors."""
    return {"attribute": attribute, "type": kind, "message": message}


def _provider_type(state: SandboxState, login: Login) -> str | None:
    provider = state.auth_providers.get(login.authentication_provider_id or 0)
    return provider.auth_type if provider is not None else None


def auth_provider_json(provider: AuthProvider) -> dict[str, Any]:
    """As authentication_providers_controller's aacs_json: id, auth_type, position, settings."""
    data: dict[str, Any] = {
        "id": provider.id,
        "auth_type": provider.auth_type,
        "position": provider.position,
        "mfa_required": False,
    }
    if provider.auth_type != "canvas":
        data["jit_provisioning"] = False
        data["federated_attributes"] = {}
    data.update(provider.settings)
    return data
