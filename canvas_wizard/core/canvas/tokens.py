"""Where the client gets its Bearer token from, and how it asks for a fresh one.

The OAuth layer (core/auth) implements :class:`TokenSource` over the keyring and the
token endpoint; :class:`StaticToken` serves a fixed token (a manually generated
access token, the sandbox, tests).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from canvas_wizard.core.errors import AuthorizationNeeded


@runtime_checkable
class TokenSource(Protocol):
    def access_token(self) -> str:
        """The current access token; may raise AuthorizationNeeded."""
        ...

    def refresh_access_token(self) -> str:
        """Get a new access token after Canvas refused the current one.

        Called at most once per request, after a 401 carrying WWW-Authenticate.
        Raises AuthorizationNeeded when no new token can be had.
        """
        ...


class StaticToken:
    """A fixed token. Canvas refusing it means the admin must supply another one."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise ValueError("StaticToken needs a non-empty token")
        self._token = token.strip()

    def access_token(self) -> str:
        return self._token

    def refresh_access_token(self) -> str:
        raise AuthorizationNeeded(
            "Canvas no longer accepts the access token this app was given.",
            hint="The token may have expired or been deleted in Canvas (Account > Settings > "
            "Approved Integrations). Create a new token, or sign in again with OAuth.",
        )

    def __repr__(self) -> str:
        # Never show the token, not even a prefix: reprs end up in logs and bug reports.
        return "StaticToken(<hidden>)"
