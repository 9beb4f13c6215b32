"""SandboxCanvas: a local Canvas look-alike over real HTTP, for --demo and the tests."""

from __future__ import annotations

import secrets
import ssl
import string
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from canvas_wizard.sandbox import (
    api_accounts,
    api_logins,
    api_observers,
    api_users,
    files,
    oauth,
    pages,
    reports,
    sis_import,
)
from canvas_wizard.sandbox.consent import submit_consent
from canvas_wizard.sandbox.faults import Faults
from canvas_wizard.sandbox.jobs import DEFAULT_REPORT_COST, DEFAULT_SIS_IMPORT_COST, JobCost
from canvas_wizard.sandbox.seed import seed_northfield
from canvas_wizard.sandbox.server import Route, _Server, jittered, make_server
from canvas_wizard.sandbox.state import GLOBAL_ID_BASE, DeveloperKey, SandboxState
from canvas_wizard.sandbox.throttle import Throttle, ThrottleConfig

_ALNUM = string.ascii_letters + string.digits
_COUNTED = ("GET", "POST", "PUT", "DELETE", "throttled")


class SandboxCanvas:
    """A Canvas that behaves like the real one for everything this app touches.

    Use as a context manager, or ``start()`` / ``stop()``. ``state`` holds
    everything Canvas knows and is safe to read under ``state.lock`` while the
    server runs.
    """

    def __init__(
        self,
        *,
        seed: bool = True,
        latency: float = 0.0,
        jitter: float = 0.0,
        throttle: ThrottleConfig | None = None,
        access_token_ttl: float = 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        report_cost: JobCost = DEFAULT_REPORT_COST,
        sis_import_cost: JobCost = DEFAULT_SIS_IMPORT_COST,
    ) -> None:
        self.state = SandboxState()
        if seed:
            seed_northfield(self.state)
        self.latency = latency
        self.jitter = jitter
        self.throttle = Throttle(throttle if throttle is not None else ThrottleConfig())
        self.access_token_ttl = access_token_ttl
        #: Pause per SIS row / report step, so progress can be watched (the demo's latency).
        self.job_step_delay = latency / 5
        #: How long a provisioning report / a SIS Import takes, by its size (sandbox/jobs.py).
        self.report_cost = report_cost
        self.sis_import_cost = sis_import_cost
        #: Injected failures (the chaos tests); None serves every request normally.
        self.faults: Faults | None = None
        #: Serve HTTPS with this context (its certificate chain is the test's to make).
        self.ssl_context = ssl_context
        self.routes: list[Route] = [
            *oauth.ROUTES,
            *api_accounts.ROUTES,
            *api_users.ROUTES,
            *api_logins.ROUTES,
            *api_observers.ROUTES,
            *sis_import.ROUTES,
            *reports.ROUTES,
            *files.ROUTES,
            *pages.ROUTES,
        ]
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._jobs: list[threading.Thread] = []
        self._counts = dict.fromkeys(_COUNTED, 0)
        self._counts_lock = threading.Lock()
        self._url = ""

    def __repr__(self) -> str:
        return f"<SandboxCanvas {self._url or 'not started'}>"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` once started."""
        if not self._url:
            raise RuntimeError("the sandbox Canvas is not started")
        return self._url

    def start(self) -> None:
        if self._server is not None:
            return
        server = make_server(self, self._host, self._port)
        host, port = str(server.server_address[0]), int(server.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        if self.ssl_context is not None:
            # Sockets are wrapped per connection (in the handler thread), so a client
            # that never finishes its TLS handshake cannot stall the accept loop.
            server.ssl_context = self.ssl_context
        scheme = "https" if self.ssl_context is not None else "http"
        self._url = f"{scheme}://{shown}:{port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        # Canvas going away stops a running import where it is (it ends "aborted").
        with self.state.lock:
            for batch in self.state.sis_imports.values():
                if batch.workflow_state in ("created", "importing"):
                    batch.abort_requested = True
        for job in self._jobs:
            job.join(timeout=5)

    def __enter__(self) -> SandboxCanvas:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- setting up -------------------------------------------------------------

    def add_developer_key(
        self,
        *,
        redirect_uris: list[str],
        legacy_redirect_uri: str | None = None,
        enabled: bool = True,
        name: str = "Canvas Sync Wizard",
        require_scopes: bool = False,
        scopes: list[str] | None = None,
        allow_includes: bool = False,
    ) -> DeveloperKey:
        """Register an API developer key, as an admin does in Admin → Developer Keys."""
        with self.state.lock:
            client_id = str(GLOBAL_ID_BASE + self.state.next_id("developer_key"))
            key = DeveloperKey(
                client_id=client_id,
                client_secret="".join(secrets.choice(_ALNUM) for _ in range(64)),
                name=name,
                redirect_uris=list(redirect_uris),
                legacy_redirect_uri=legacy_redirect_uri,
                enabled=enabled,
                require_scopes=require_scopes,
                scopes=list(scopes or ()),
                allow_includes=allow_includes,
            )
            self.state.developer_keys[client_id] = key
        return key

    def approve_consent(
        self, authorize_url: str, *, cancel: bool = False, as_user_id: int | None = None
    ) -> str:
        """Stand in for the admin: open the authorize URL, press Authorize (or Cancel).

        Returns the Location Canvas redirects to, not followed. Raises
        :class:`~canvas_wizard.sandbox.consent.ConsentError` when Canvas shows an
        error page instead (unknown client, redirect_uri not allowed).
        """
        return submit_consent(authorize_url, cancel=cancel, as_user_id=as_user_id)

    # -- test controls ------------------------------------------------------------

    def request_counts(self) -> dict[str, int]:
        """Requests seen, by method, plus how many were throttled."""
        with self._counts_lock:
            return dict(self._counts)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (refresh tokens still work)."""
        with self.state.lock:
            for token in self.state.tokens.values():
                token.expires_at = time.time() - 1

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far stops working (as when a key is regenerated)."""
        with self.state.lock:
            for token in self.state.tokens.values():
                token.refresh_hash = None

    # -- used by the request handlers -----------------------------------------------

    def count_request(self, kind: str) -> None:
        with self._counts_lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1

    def simulate_latency(self) -> None:
        delay = jittered(self.latency, self.jitter)
        if delay > 0:
            time.sleep(delay)

    def start_job(self, target: Callable[..., Any], *args: Any) -> None:
        """Run a background job (SIS import, report) on a daemon thread."""
        if self.faults is not None:
            target = self.faults.job(target)
        job = threading.Thread(target=target, args=args, daemon=True)
        self._jobs = [j for j in self._jobs if j.is_alive()]
        self._jobs.append(job)
        job.start()
