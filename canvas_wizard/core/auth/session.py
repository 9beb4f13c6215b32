"""A profile's Canvas tokens for the HTTP client: cached, refreshed once, kept in the keyring.

:class:`TokenManager` satisfies the Canvas client's ``TokenSource`` protocol
(``access_token()`` / ``refresh_access_token()``). A sync runs several threads;
when their calls all come back 401 at once, they all ask for a refresh, and
Canvas must see exactly one.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import requests

from canvas_wizard.core.auth.oauth import OAuthError, TokenSet, refresh_tokens, revoke_token
from canvas_wizard.core.errors import AuthorizationNeeded, WizardError
from canvas_wizard.core.store.profiles import Profile
from canvas_wizard.core.store.secrets import KeyringUnavailable, SecretKind, SecretStore

log = logging.getLogger(__name__)

#: Refresh this long before Canvas's stated expiry, so no request goes out with a
#: token that dies in flight.
PROACTIVE_REFRESH_SECONDS = 60.0


class TokenManager:
    #: A caller asking for a refresh within this many seconds of the last one
    #: gets that one's token: its 401 came from the token just replaced.
    REUSE_WINDOW = 10.0

    def __init__(self, profile: Profile, secrets: SecretStore, session: requests.Session) -> None:
        self._profile = profile
        self._secrets = secrets
        self._session = session
        # One lock for everything: while a refresh is under way, every other
        # caller waits for its result rather than using the dying token.
        self._lock = threading.Lock()
        self._loaded = False
        self._access: str | None = None
        self._expires_at: float | None = None
        self._refresh: str | None = None
        # Read with the tokens at the start, so a keyring locked (or its daemon gone)
        # in the middle of a run does not stop the refresh that run needs.
        self._client_secret: str | None = None
        self._generation = 0
        self._refreshed_at: float | None = None
        # Once Canvas has refused to refresh, say so to every later caller
        # instead of asking Canvas again (8 threads would ask 8 times).
        self._refused: AuthorizationNeeded | None = None

    # --- TokenSource ---------------------------------------------------------------

    def access_token(self) -> str:
        with self._lock:
            self._load_locked()
            if self._access is not None and not self._expiring_locked():
                return self._access
            if self._access is not None and self._refresh is None:
                return self._access  # cannot refresh early; Canvas's 401 will tell
            try:
                return self._refresh_locked()
            except OAuthError:
                # Canvas could not be asked (network, 5xx). The old token may
                # still have seconds to live: better to use it than to fail now.
                if self._access is not None and not self._expired_locked():
                    log.warning("Early token refresh failed; using the current token meanwhile")
                    return self._access
                raise

    def refresh_access_token(self) -> str:
        seen = self._generation
        with self._lock:
            self._load_locked()
            recent = (
                self._refreshed_at is not None
                and time.monotonic() - self._refreshed_at < self.REUSE_WINDOW
            )
            if self._access is not None and (self._generation != seen or recent):
                return self._access
            return self._refresh_locked()

    # --- sign-in and sign-out ------------------------------------------------------

    def store(self, tokens: TokenSet) -> None:
        """Keep freshly issued tokens (after sign-in) in memory and the keyring."""
        with self._lock:
            self._loaded = True
            self._remember_locked(tokens)
            self._persist_locked(tokens)

    def disconnect(self) -> None:
        """Revoke the sign-in at Canvas, then forget tokens and client secret here.

        Forgetting always happens. When Canvas could not be told, this raises
        OAuthError("revoke_failed") afterwards, so the admin learns to remove the
        app under Approved Integrations by hand.
        """
        problem: OAuthError | None = None
        try:
            self._revoke()
        except OAuthError as exc:
            problem = exc
        with self._lock:
            self._loaded = True
            self._access = self._refresh = self._expires_at = None
            self._generation += 1
            self._refused = AuthorizationNeeded(
                f"The profile “{self._profile.name}” was disconnected from Canvas.",
                hint="Sign in to Canvas again to reconnect it.",
            )
        self._secrets.forget_all(self._profile)
        if problem is not None:
            raise OAuthError("revoke_failed", message=problem.message)

    def _revoke(self) -> None:
        try:
            token = self.access_token()
        except AuthorizationNeeded:
            return  # nothing Canvas still accepts, so nothing to revoke
        profile = self._profile
        try:
            revoke_token(self._session, profile.canvas_url, token)
            return
        except AuthorizationNeeded:
            pass
        # Canvas refuses to revoke with an expired access token, and the refresh
        # token would live on: get a fresh one and revoke with that.
        try:
            token = self.refresh_access_token()
        except AuthorizationNeeded:
            return
        try:
            revoke_token(self._session, profile.canvas_url, token)
        except AuthorizationNeeded:
            return

    # --- internals (call with the lock held) -------------------------------------

    def _load_locked(self) -> None:
        if self._loaded:
            return
        stored = self._secrets.get(self._profile, SecretKind.ACCESS_TOKEN)
        self._refresh = self._secrets.get(self._profile, SecretKind.REFRESH_TOKEN)
        self._client_secret = self._secrets.get(self._profile, SecretKind.CLIENT_SECRET)
        self._access, self._expires_at = _decode_access(stored)
        self._loaded = True

    def _expiring_locked(self) -> bool:
        return (
            self._expires_at is not None
            and self._expires_at - time.time() <= PROACTIVE_REFRESH_SECONDS
        )

    def _expired_locked(self) -> bool:
        return self._expires_at is not None and self._expires_at <= time.time()

    def _refresh_locked(self) -> str:
        if self._refused is not None:
            raise self._refused
        name = self._profile.name
        if self._refresh is None:
            if self._access is None:
                raise AuthorizationNeeded(
                    f"The profile “{name}” is not signed in to Canvas.",
                    hint="Sign in first (the app's sign-in step, or run "
                    f"`canvas-wizard authorize {name}`).",
                )
            raise AuthorizationNeeded(
                f"Canvas no longer accepts the sign-in of profile “{name}”, and Canvas gave "
                "no refresh token to renew it with.",
                hint="Sign in to Canvas again.",
            )
        try:
            secret = self._secrets.get(self._profile, SecretKind.CLIENT_SECRET)
        except KeyringUnavailable as exc:
            if not self._client_secret:
                raise
            log.warning(
                "The keyring cannot be read now (%s); using the secret read earlier", exc.message
            )
            secret = self._client_secret
        if not secret:
            raise AuthorizationNeeded(
                f"The Client Secret of profile “{name}” is not in the keyring.",
                hint="Enter the Client Secret again and sign in.",
            )
        try:
            profile = self._profile
            tokens = refresh_tokens(
                self._session, profile.canvas_url, profile.client_id, secret, self._refresh
            )
        except AuthorizationNeeded as exc:
            self._refused = exc
            self._access = self._expires_at = None
            raise
        self._remember_locked(tokens)
        self._refreshed_at = time.monotonic()
        try:
            self._persist_locked(tokens)
        except WizardError as exc:
            # The sync can go on with the token in memory; the next run refreshes again.
            log.warning(
                "Could not save the refreshed token, so the next run renews it again (nothing "
                "to do unless this repeats): %s %s",
                exc.message,
                exc.hint,
            )
        return tokens.access_token

    def _remember_locked(self, tokens: TokenSet) -> None:
        self._access = tokens.access_token
        self._expires_at = tokens.expires_at
        if tokens.refresh_token:
            self._refresh = tokens.refresh_token
        self._generation += 1
        self._refused = None

    def _persist_locked(self, tokens: TokenSet) -> None:
        entry = json.dumps({"access_token": tokens.access_token, "expires_at": tokens.expires_at})
        self._secrets.set(self._profile, SecretKind.ACCESS_TOKEN, entry)
        if tokens.refresh_token:
            self._secrets.set(self._profile, SecretKind.REFRESH_TOKEN, tokens.refresh_token)


def _decode_access(stored: str | None) -> tuple[str | None, float | None]:
    """The keyring's access-token entry is JSON with its expiry (not secret, but kept with it)."""
    if not stored:
        return None, None
    try:
        data = json.loads(stored)
    except ValueError:
        return stored, None  # a bare token: expiry unknown, Canvas's 401 will tell
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        return None, None
    expires_at = data.get("expires_at")
    return data["access_token"], float(expires_at) if isinstance(expires_at, int | float) else None
