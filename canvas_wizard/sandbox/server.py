"""The HTTP side: routing, API authentication, throttling, latency, headers.

A :class:`Route` maps a method and a path template (``/api/v1/users/:id``) to a
handler taking a :class:`Ctx`. API routes go through what Canvas's middleware and
``ApplicationController`` do before an action: the request throttle, then the
token check (an unknown or expired token is a 401 with ``WWW-Authenticate``
before any permission is looked at). Handlers raise :class:`ApiError` to answer
with an error.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from canvas_wizard.sandbox import scopes
from canvas_wizard.sandbox.faults import DropConnection
from canvas_wizard.sandbox.http import (
    ApiError,
    Request,
    Response,
    invalid_token,
    not_found,
    parse_body,
    unauthenticated,
)
from canvas_wizard.sandbox.state import GLOBAL_ID_BASE, AccessToken, User, secret_hash
from canvas_wizard.sandbox.throttle import THROTTLED_CONTENT_TYPE, format_units, throttled_body

if TYPE_CHECKING:
    from canvas_wizard.sandbox.app import SandboxCanvas
    from canvas_wizard.sandbox.state import SandboxState

log = logging.getLogger(__name__)

#: Uploads bigger than this are refused (a SIS zip for a big school is a few MB).
MAX_BODY = 64 * 1024 * 1024


@dataclass
class Ctx:
    """One request as a handler sees it."""

    app: SandboxCanvas
    request: Request
    args: dict[str, str]
    token: AccessToken | None = None
    extra_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def state(self) -> SandboxState:
        return self.app.state

    @property
    def base_url(self) -> str:
        return self.app.url

    @property
    def user_id(self) -> int:
        """The signed-in user; a request without a token is unauthenticated."""
        if self.token is None:
            raise unauthenticated()
        return self.token.user_id

    @property
    def user(self) -> User:
        with self.state.lock:
            return self.state.users[self.user_id]


Handler = Callable[[Ctx], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    #: Goes through the API middleware: throttle, token check, JSON 404s.
    api: bool
    #: Answers 401 "unauthenticated" to a request without a token.
    needs_user: bool


def route(
    method: str, template: str, handler: Handler, *, api: bool = True, needs_user: bool = True
) -> Route:
    """``/api/v1/users/:user_id`` → a route whose ``args["user_id"]`` is the decoded segment."""
    regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", template)
    return Route(method, re.compile(f"^{regex}$"), handler, api, api and needs_user)


def _resolve_token(app: SandboxCanvas, token: str) -> AccessToken:
    """Canvas's load_pseudonym_from_access_token: any failure is "Invalid access token."."""
    state = app.state
    with state.lock:
        found = state.token_by_access(token)
        if found is None:
            raise invalid_token()
        if found.expires_at is not None and found.expires_at <= time.time():
            raise invalid_token()
        key = state.developer_keys.get(found.client_id)
        if key is None or not key.enabled:
            raise invalid_token()
        user = state.users.get(found.user_id)
        if user is None or not state.is_listed(user):
            raise invalid_token()
        return found


def _no_such_route(ctx: Ctx) -> Response:
    raise not_found()


_CATCH_ALL = Route("*", re.compile(r"^/api/"), _no_such_route, api=True, needs_user=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: SandboxCanvas
    #: Set for HTTPS; the handshake happens on the handler's first read, in its thread.
    ssl_context: ssl.SSLContext | None = None

    def __init__(self, address: tuple[str, int], app: SandboxCanvas, family: int) -> None:
        self.address_family = family
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        if self.ssl_context is not None:
            conn = self.ssl_context.wrap_socket(
                conn, server_side=True, do_handshake_on_connect=False
            )
        return conn, address

    def track(self, conn: socket.socket, live: bool) -> None:
        with self._open_lock:
            if live:
                self._open.add(conn)
            else:
                self._open.discard(conn)

    def close_connections(self) -> None:
        """Wake keep-alive handlers blocked on a read so their threads end."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    #: Idle keep-alive connections are dropped after this many seconds.
    timeout = 30
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients
    # wait out a delayed ACK (~40 ms) on every response.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def handle(self) -> None:
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError):
            # A client refusing our certificate (the TLS tests) or hanging up: not news.
            self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Path only: query strings can carry codes and access_token= parameters.
        path = urlsplit(self.path).path if hasattr(self, "path") else "?"
        log.debug("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox http: %s", format % args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_request(self) -> Request | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(Response.text("Bad Request", 400))
            return None
        if length > MAX_BODY:
            self._send(Response.text("Request Entity Too Large", 413))
            return None
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        content_type = self.headers.get("Content-Type", "")
        form, files = parse_body(content_type, body) if body else ({}, {})
        return Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            form=form,
            files=files,
            headers=self.headers,
            body=body,
            client_ip=self.client_address[0],
        )

    def _dispatch(self) -> None:
        request = self._read_request()
        if request is None:
            return
        app = self.server.app
        app.count_request(request.method)
        try:
            response = self._faulty(app, request)
        except DropConnection:
            self._drop_connection()
            return
        response.headers.append(("X-Request-Context-Id", str(uuid.uuid4())))
        self._send(response)

    def _faulty(self, app: SandboxCanvas, request: Request) -> Response:
        """``_handle``, with the test's injected faults (sandbox/faults.py) around it."""
        faults = app.faults
        if faults is None:
            return self._handle(app, request)
        injected = faults.before(app, request)
        if injected is not None:
            return injected
        return faults.after(request, self._handle(app, request))

    def _drop_connection(self) -> None:
        # No answer at all; a zero linger makes close() send a reset, as a dying
        # load balancer does, instead of a polite FIN.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _handle(self, app: SandboxCanvas, request: Request) -> Response:
        found: tuple[Route, dict[str, str]] | None = None
        for candidate in app.routes:
            if candidate.method != request.method:
                continue
            match = candidate.pattern.match(request.path)
            if match:
                found = (candidate, {k: unquote(v) for k, v in match.groupdict().items()})
                break
        if found is None:
            if not request.path.startswith("/api/"):
                return Response.html("<h1>Page Not Found</h1>", 404)
            # Canvas's catch-all route: still metered, still checks a token it is given.
            found = (_CATCH_ALL, {})
        chosen, args = found
        ctx = Ctx(app, request, args)
        if not chosen.api:
            if request.path == "/login/oauth2/token":
                app.simulate_latency()
            return self._run(chosen, ctx)
        return self._run_api(app, chosen, ctx)

    def _run_api(self, app: SandboxCanvas, chosen: Route, ctx: Ctx) -> Response:
        request = ctx.request
        token = request.bearer_token
        key = f"token:{secret_hash(token)}" if token else f"ip:{request.client_ip}"
        reservation = app.throttle.reserve(key)
        if not reservation.allowed:
            app.count_request("throttled")
            app.throttle.release(reservation, 0.0)
            status = app.throttle.config.status
            return Response(
                status,
                throttled_body(status),
                THROTTLED_CONTENT_TYPE,
                [("X-Rate-Limit-Remaining", "0.0")],
            )
        cost = app.throttle.config.cost_of(request.method)
        try:
            app.simulate_latency()
            try:
                if token:
                    ctx.token = _resolve_token(app, token)
                    scopes.enforce(ctx)
                elif chosen.needs_user:
                    raise unauthenticated()
                response = self._run(chosen, ctx)
            except ApiError as exc:
                response = exc.response
        finally:
            remaining = app.throttle.release(reservation, cost)
        response.headers.append(("X-Request-Cost", format_units(cost)))
        response.headers.append(("X-Rate-Limit-Remaining", format_units(remaining)))
        if ctx.token is not None:
            response.headers.append(("X-Canvas-User-Id", str(GLOBAL_ID_BASE + ctx.token.user_id)))
        return response

    def _run(self, chosen: Route, ctx: Ctx) -> Response:
        try:
            response = chosen.handler(ctx)
        except ApiError as exc:
            response = exc.response
        except Exception:
            log.exception("sandbox handler failed: %s %s", ctx.request.method, ctx.request.path)
            response = Response.json({"errors": [{"message": "An error occurred."}]}, 500)
        response.headers.extend(ctx.extra_headers)
        return response

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def make_server(app: SandboxCanvas, host: str, port: int) -> _Server:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return _Server((host, port), app, family)


def jittered(latency: float, jitter: float) -> float:
    if latency <= 0 and jitter <= 0:
        return 0.0
    return max(0.0, latency + random.uniform(-jitter, jitter))
