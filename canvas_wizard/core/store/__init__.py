"""What the app keeps between runs: profiles (JSON files) and secrets (OS keyring)."""

from canvas_wizard.core.store.profiles import (
    DEFAULT_REDIRECT_PORT,
    ConnectedAccount,
    Profile,
    ProfileStore,
    validate_client_id,
    validate_profile_name,
    validate_redirect_port,
)
from canvas_wizard.core.store.secrets import KeyringUnavailable, SecretKind, SecretStore

__all__ = [
    "DEFAULT_REDIRECT_PORT",
    "ConnectedAccount",
    "KeyringUnavailable",
    "Profile",
    "ProfileStore",
    "SecretKind",
    "SecretStore",
    "validate_client_id",
    "validate_profile_name",
    "validate_redirect_port",
]
