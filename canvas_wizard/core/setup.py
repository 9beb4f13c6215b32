"""The steps of connecting a profile to Canvas, as plain blocking calls.

The wizard runs each step on a worker thread; the CLI calls them in order. A
:class:`SetupSession` works on one :class:`Profile` and saves it after every
step, so a wizard closed half-way opens again where it was left.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import requests

from canvas_wizard.core.auth import (
    AuthRequest,
    LoopbackRedirect,
    OAuthError,
    TokenManager,
    build_authorize_request,
    exchange_code,
    parse_pasted_redirect,
    redirect_uri_for,
)
from canvas_wizard.core.canvas import (
    Account,
    AccountNode,
    CanvasClient,
    PermissionReport,
    check_sync_permissions,
    current_user,
    list_account_tree,
    make_session,
    normalize_canvas_url,
    probe_canvas,
)
from canvas_wizard.core.canvas.auth_providers import SignInChoice, UnknownProvider, choose_sign_in
from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.store import (
    ConnectedAccount,
    Profile,
    ProfileStore,
    SecretKind,
    SecretStore,
)

DEVELOPER_KEY_NAME = "Canvas Sync Wizard"


@dataclass(frozen=True)
class DeveloperKeyValues:
    """What the admin types into Canvas's "+ Developer Key → API Key" form."""

    key_name: str
    redirect_uri: str
    developer_keys_url: str  # the page in Canvas where keys are made


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    user_name: str


def developer_key_values(profile: Profile) -> DeveloperKeyValues:
    base = profile.canvas_url.rstrip("/")
    return DeveloperKeyValues(
        key_name=DEVELOPER_KEY_NAME,
        redirect_uri=redirect_uri_for(profile.redirect_port),
        # "self" resolves to the admin's root account in Canvas's account routes.
        developer_keys_url=f"{base}/accounts/self/developer_keys",
    )


def suggested_profile_name(canvas_url: str) -> str:
    """A short name from the Canvas address: "northfield.instructure.com" → "northfield"."""
    host = urllib.parse.urlsplit(canvas_url).hostname or ""
    if not host or host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
        return "local-canvas"  # the demo sandbox, or an address typed as a number
    return host.split(".")[0] or "canvas"


class SetupSession:
    """Connects one profile to Canvas, one step at a time. Steps block: call them off the GUI thread."""

    def __init__(
        self,
        profiles: ProfileStore,
        secrets: SecretStore,
        profile: Profile,
        *,
        session_factory: Callable[[], requests.Session] = make_session,
        name_from_address: bool = False,
    ) -> None:
        self.profiles = profiles
        #: The wizard names a new setup after the school's Canvas host; the CLI keeps the given name.
        self.name_from_address = name_from_address
        self.secrets = secrets
        self.profile = profile
        self._http = session_factory()
        self._lock = threading.Lock()
        self._pending: tuple[AuthRequest, LoopbackRedirect | None] | None = None

    # -- step: Canvas address -------------------------------------------------
    def check_address(self, text: str) -> str:
        """Normalise and probe the address; returns the Canvas base URL and saves it."""
        url = normalize_canvas_url(text)
        site = probe_canvas(url, session=self._http)
        if self.name_from_address and not self.profiles.exists(self.profile.name):
            # Never saved yet: name the setup after the school's Canvas.
            self.profile.name = self._unique_name(suggested_profile_name(site.url))
        if site.url != self.profile.canvas_url:
            previous = self.profile.canvas_url
            self.profile.canvas_url = site.url
            # A different Canvas invalidates whatever was connected before.
            self.profile.account = None
            self.profile.signed_in_as = None
            if previous:
                # The old Canvas's key and tokens must never be sent to the new one.
                self.profile.client_id = ""
                self.secrets.forget_all(self.profile)
        self.save()
        return site.url

    # -- step: developer key --------------------------------------------------
    def set_credentials(self, client_id: str, client_secret: str) -> None:
        """Save the Client ID and Secret. An empty secret keeps the one already stored."""
        client_id = client_id.strip()
        client_secret = client_secret.strip()
        if not client_secret and self.has_client_secret():
            client_secret = self.secrets.get(self.profile, SecretKind.CLIENT_SECRET) or ""
        if not client_id.isdigit():
            raise UsageError(
                "The Client ID should be a number, like 10000000000042.",
                hint="Copy it from the Details column of the key in Canvas's Developer Keys page.",
            )
        if not client_secret:
            raise UsageError(
                "The Client Secret is empty.",
                hint="In Developer Keys, click Show Key under Details and copy the whole key.",
            )
        if self.profile.client_id and client_id != self.profile.client_id:
            # Tokens belong to the key they were issued to: sign in again with the new one.
            self.secrets.delete(self.profile, SecretKind.ACCESS_TOKEN)
            self.secrets.delete(self.profile, SecretKind.REFRESH_TOKEN)
            self.profile.signed_in_as = None
            self.profile.account = None
        self.profile.client_id = client_id
        self.save()
        self.secrets.set(self.profile, SecretKind.CLIENT_SECRET, client_secret)

    def has_client_secret(self) -> bool:
        return bool(self.secrets.get(self.profile, SecretKind.CLIENT_SECRET))

    # -- step: sign in --------------------------------------------------------
    def start_sign_in(self, *, listen: bool = True, timeout: float = 300.0) -> AuthRequest:
        """Prepare the sign-in URL and (unless ``listen`` is off) start catching the redirect."""
        self.cancel_sign_in()
        request = build_authorize_request(
            self.profile.canvas_url,
            self.profile.client_id,
            redirect_uri_for(self.profile.redirect_port),
        )
        catcher: LoopbackRedirect | None = None
        if listen:
            catcher = LoopbackRedirect(self.profile.redirect_port, request.state, timeout=timeout)
            catcher.start()
        with self._lock:
            self._pending = (request, catcher)
        return request

    def wait_for_sign_in(self) -> SignedIn:
        """Block until the browser comes back to the loopback address; then finish signing in."""
        with self._lock:
            pending = self._pending
        if pending is None or pending[1] is None:
            raise OAuthError("cancelled")
        request, catcher = pending[0], pending[1]
        try:
            result = catcher.wait()
        finally:
            catcher.close()
        return self._finish(request, result.code)

    def finish_with_pasted(self, text: str) -> SignedIn:
        """Finish with the address (or code) the admin copied from the browser."""
        with self._lock:
            pending = self._pending
        if pending is None:
            raise UsageError("Start signing in first, then paste the address Canvas sent you to.")
        request = pending[0]
        code = parse_pasted_redirect(text, request.state)
        return self._finish(request, code)

    def cancel_sign_in(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None and pending[1] is not None:
            pending[1].cancel()

    def _finish(self, request: AuthRequest, code: str) -> SignedIn:
        secret = self.secrets.get(self.profile, SecretKind.CLIENT_SECRET)
        if not secret:
            raise UsageError(
                "The Client Secret is not stored any more.",
                hint="Go back to the developer key step and paste the Client Secret again.",
            )
        tokens = exchange_code(
            self._http,
            self.profile.canvas_url,
            self.profile.client_id,
            secret,
            code,
            request.redirect_uri,
            request.pkce.verifier,
        )
        self.token_manager().store(tokens)
        user = current_user(self.client())
        # Signed in: stop listening (the paste-back path may have won the race).
        self.cancel_sign_in()
        self.profile.signed_in_as = user.name
        self.save()
        return SignedIn(user_id=user.id, user_name=user.name)

    # -- step: account --------------------------------------------------------
    def token_manager(self) -> TokenManager:
        return TokenManager(self.profile, self.secrets, self._http)

    def client(self) -> CanvasClient:
        return CanvasClient(self.profile.canvas_url, self.token_manager(), session=self._http)

    def list_accounts(self) -> list[AccountNode]:
        return list_account_tree(self.client())

    def check_permissions(self, account: Account) -> PermissionReport:
        return check_sync_permissions(self.client(), account)

    def sign_in_choice(self, account: Account) -> SignInChoice:
        """The root account's sign-in providers, with this setup's choice or the default."""
        kept = self.profile.options.get("sign_in_provider")
        requested = str(kept.get("choice")) if isinstance(kept, dict) else None
        root_id = account.root_id or account.id
        try:
            return choose_sign_in(self.client(), root_id, requested)
        except UnknownProvider:  # the kept provider is gone from Canvas: offer the default
            return choose_sign_in(self.client(), root_id, None)

    def connect(self, account: Account, sign_in: dict[str, str] | None = None) -> Profile:
        """Keep the chosen account and, when given, the sign-in provider for new logins
        (:func:`~canvas_wizard.core.canvas.auth_providers.setting_for`)."""
        self.profile.account = ConnectedAccount(
            id=account.id, name=account.name, is_root=account.is_root
        )
        if sign_in is not None:
            self.profile.options["sign_in_provider"] = dict(sign_in)
        self.save()
        return self.profile

    def _unique_name(self, base: str) -> str:
        name, n = base, 2
        while self.profiles.exists(name):
            name, n = f"{base}-{n}", n + 1
        return name

    def save(self) -> None:
        self.profiles.save(self.profile)

    def close(self) -> None:
        self.cancel_sign_in()
        self._http.close()
