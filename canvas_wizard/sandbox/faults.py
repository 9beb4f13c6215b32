"""Switchable fault injection for the sandbox Canvas: the chaos suite's bad days.

A :class:`Faults` holds what to break and how often; ``SandboxCanvas.faults`` is
consulted by the request handler at two points:

* :meth:`Faults.before` — after the request is read, before Canvas acts on it:
  answer with a 5xx, a proxy's HTML page, close the connection without a word,
  or stall for longer than the client waits. Nothing was done, so a client may
  safely send the request again.
* :meth:`Faults.after` — after Canvas has acted (the user exists, the link is
  made) but before the answer leaves: **write-then-fail**, the one fault where a
  blind retry would do the write twice.

Rates are probabilities per eligible request, drawn from a seeded generator so a
failing test reproduces. Only ``/api/`` requests are eligible (the OAuth token
endpoint is left alone unless ``include_oauth``), and ``max_faults`` caps the
total so a test can inject exactly one fault at a known point.

Time-based faults need no thread: ``expire_tokens_every`` expires every access
token whenever a request arrives that long after the last sweep, as if Canvas's
tokens simply ran out mid-sync.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from canvas_wizard.sandbox.http import Response
from canvas_wizard.sandbox.models import SisMessage

if TYPE_CHECKING:
    from canvas_wizard.sandbox.app import SandboxCanvas
    from canvas_wizard.sandbox.http import Request
    from canvas_wizard.sandbox.state import SandboxState

#: Load balancers answer a dead backend with a page like this, not with JSON.
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
#: A web filter's block page, served with 200 in Canvas's place.
PROXY_PAGE = (
    "<!DOCTYPE html><html><head><title>Access Denied - Web Filter</title></head>"
    "<body><h1>This site has been blocked</h1><p>Contact your network administrator.</p>"
    "</body></html>"
)
_STATUS_BODIES = {
    500: ("application/json; charset=utf-8", b'{"errors":[{"message":"An error occurred."}]}'),
    502: ("text/html", BAD_GATEWAY_PAGE.encode()),
    503: ("text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    504: ("text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>"),
}
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


class DropConnection(Exception):
    """Raised by a fault hook: close the socket without sending any answer."""


@dataclass
class FaultStats:
    """What was injected, by kind ("500", "reset", "stall", "write_then_fail", ...)."""

    injected: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.injected.values())


@dataclass
class Faults:
    """What to break; all off by default. Change fields while the sandbox runs."""

    #: Share of API requests answered with a 5xx before Canvas does anything.
    error_rate: float = 0.0
    #: Which statuses to pick from (502 comes with a load balancer's HTML page).
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    #: Share of API requests whose connection is closed with no answer at all.
    reset_rate: float = 0.0
    #: Share of API requests held for ``stall_seconds`` before being handled.
    stall_rate: float = 0.0
    stall_seconds: float = 0.0
    #: Share of writes (POST/PUT/DELETE) done by Canvas whose answer is then lost.
    write_then_fail_rate: float = 0.0
    #: How the answer is lost: "reset" (connection closed), "proxy_page" (a proxy's
    #: HTML page with 200) or a status such as "502".
    write_then_fail_as: str = "reset"
    #: Share of API requests answered 200 with a proxy's HTML page instead of JSON.
    proxy_page_rate: float = 0.0
    #: Expire every access token whenever this many seconds have passed (0 = never).
    expire_tokens_every: float = 0.0
    #: After this many API requests, every token dies for good: access tokens expire
    #: and refresh tokens are revoked (a regenerated key, an admin's "log out everywhere").
    revoke_after_requests: int | None = None
    #: Every SIS Import ends ``failed_with_messages`` with this message (None = off).
    sis_import_failure: str | None = None
    #: Only requests whose path matches (None = every API path).
    path_pattern: str | None = None
    #: Only these methods (None = all).
    methods: frozenset[str] | None = None
    #: Stop injecting after this many faults (None = no cap).
    max_faults: int | None = None
    #: The token endpoint too (off: refreshes must work for the other faults to be fair).
    include_oauth: bool = False
    seed: int = 6
    stats: FaultStats = field(default_factory=FaultStats)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._last_expiry: float | None = None
        self._api_requests = 0

    # -- hooks the server calls --------------------------------------------------------

    def before(self, app: SandboxCanvas, request: Request) -> Response | None:
        """A fault answer instead of Canvas's, or None to go on; may raise DropConnection."""
        self._expire_tokens(app)
        if not self._eligible(request):
            return None
        self._maybe_revoke(app)
        if self._draw("reset", self.reset_rate):
            raise DropConnection
        if self._draw("stall", self.stall_rate):
            time.sleep(self.stall_seconds)
        if self._draw("proxy_page", self.proxy_page_rate):
            return Response(200, PROXY_PAGE.encode(), "text/html; charset=utf-8")
        if self.error_statuses and self.error_rate > 0:
            with self._lock:
                status = self._random.choice(self.error_statuses)
            if self._draw(str(status), self.error_rate):
                return status_response(status)
        return None

    def job(self, target: Callable[..., None]) -> Callable[..., None]:
        """The background job to run instead of ``target`` (a failing SIS Import)."""
        if self.sis_import_failure is not None and target.__name__ == "run_import":
            self.stats.injected["sis_import_failed"] = (
                self.stats.injected.get("sis_import_failed", 0) + 1
            )
            return failing_sis_job(self.sis_import_failure)
        return target

    def after(self, request: Request, response: Response) -> Response:
        """Canvas has done the work; maybe lose its answer (write-then-fail)."""
        if request.method not in WRITE_METHODS or not self._eligible(request):
            return response
        if response.status >= 300 or not self._draw("write_then_fail", self.write_then_fail_rate):
            return response
        if self.write_then_fail_as == "reset":
            raise DropConnection
        if self.write_then_fail_as == "proxy_page":
            return Response(200, PROXY_PAGE.encode(), "text/html; charset=utf-8")
        return status_response(int(self.write_then_fail_as))

    # -- internals ----------------------------------------------------------------------

    def _eligible(self, request: Request) -> bool:
        api = request.path.startswith("/api/") or (
            self.include_oauth and request.path.startswith("/login/oauth2/")
        )
        if not api:
            return False
        if self.methods is not None and request.method not in self.methods:
            return False
        return self.path_pattern is None or re.search(self.path_pattern, request.path) is not None

    def _draw(self, kind: str, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            if self.max_faults is not None and self.stats.total >= self.max_faults:
                return False
            if self._random.random() >= rate:
                return False
            self.stats.injected[kind] = self.stats.injected.get(kind, 0) + 1
            return True

    def _maybe_revoke(self, app: SandboxCanvas) -> None:
        with self._lock:
            self._api_requests += 1
            due = self._api_requests == self.revoke_after_requests
            if due:
                self.stats.injected["revoked"] = 1
        if due:
            app.revoke_refresh_tokens()
            app.expire_access_tokens()

    def _expire_tokens(self, app: SandboxCanvas) -> None:
        if self.expire_tokens_every <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if self._last_expiry is None:
                self._last_expiry = now
                return
            due = now - self._last_expiry >= self.expire_tokens_every
            if due:
                self._last_expiry = now
                self.stats.injected["token_expiry"] = self.stats.injected.get("token_expiry", 0) + 1
        if due:
            app.expire_access_tokens()


def status_response(status: int) -> Response:
    content_type, body = _STATUS_BODIES.get(status, ("text/plain", f"{status}".encode()))
    return Response(status, body, content_type)


def failing_sis_job(message: str) -> Callable[..., None]:
    """A stand-in for the SIS Import job: Canvas refuses both files with ``message``.

    The import ends ``failed_with_messages`` with nothing imported, and the
    message is in ``processing_errors`` and the errors file, as Canvas reports a
    file it could not process.
    """

    def job(
        state: SandboxState, base_url: str, batch_id: int, step_delay: float, *_: object
    ) -> None:
        from canvas_wizard.sandbox import sis_import  # the job module imports the server

        with state.lock:
            batch = state.sis_imports[batch_id]
            batch.workflow_state = "importing"
            for name in ("users.csv", "user_observers.csv"):
                batch.errors.append(SisMessage(name, message))
        if step_delay > 0:
            time.sleep(step_delay)
        sis_import._finish(state, base_url, batch)

    return job


__all__ = [
    "BAD_GATEWAY_PAGE",
    "PROXY_PAGE",
    "DropConnection",
    "FaultStats",
    "Faults",
    "failing_sis_job",
    "status_response",
]
