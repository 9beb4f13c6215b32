"""Catch Canvas's one redirect on ``http://127.0.0.1:<port>/canvas/authorize``.

google-auth-oauthlib's ``run_local_server`` is the usual model, and its bug
reports are the checklist here: it waits forever (we time out and say what to
check), it tells the browser "success" before looking at ``state`` or ``error``
(we check first), any stray request such as /favicon.ico consumes its one
chance (we answer 404 and keep waiting), and it logs the request line with the
code in it (we never log a query string).

One thread does everything inside :meth:`LoopbackRedirect.wait`: a selector
over the listening socket, the accepted connections and a wake-up socket pair
that :meth:`cancel` writes to. Connections are read without blocking, so a
browser's idle pre-connected socket cannot hold up the real request.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import html
import http.client
import io
import logging
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from canvas_wizard.core.auth.oauth import (
    AUTH_CODE_PATTERN,
    REDIRECT_PATH,
    OAuthError,
    redirect_uri_for,
)

log = logging.getLogger(__name__)

_HOST = "127.0.0.1"
_MAX_REQUEST_BYTES = 16 * 1024
_MAX_OPEN_CONNECTIONS = 32
_SEND_TIMEOUT = 2.0


@dataclass(frozen=True)
class RedirectResult:
    code: str = field(repr=False)


class LoopbackRedirect:
    """Catches exactly one OAuth redirect on http://127.0.0.1:<port>/canvas/authorize.

    ``port=0`` picks a free port (tests); :attr:`port` tells which. Used as a
    context manager it starts listening on entry and always closes on exit.
    """

    def __init__(self, port: int, expected_state: str, *, timeout: float = 300.0) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is outside 0–65535")
        self._port = port
        self._expected_state = expected_state.encode("utf-8")
        self._timeout = timeout
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._buffers: dict[socket.socket, bytearray] = {}
        self._outcome: RedirectResult | OAuthError | None = None
        self._cancelled = False
        self._waiting = False
        self._closed = False

    @property
    def port(self) -> int:
        return self._port

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self._port)

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Listen on 127.0.0.1 (never all interfaces); a busy port is OAuthError("port_in_use")."""
        if self._listener is not None or self._closed:
            raise RuntimeError("a LoopbackRedirect listens once; make a new one to sign in again")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if sys.platform == "win32":
                # Windows' SO_REUSEADDR would let us share a port another program
                # listens on; exclusive use makes a busy port fail loudly instead.
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                # POSIX: lets a second sign-in reuse the port while the first one's
                # closed connections linger in TIME_WAIT; a live listener still blocks it.
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((_HOST, self._port))
            listener.listen(16)
            listener.setblocking(False)
        except OSError as exc:
            listener.close()
            raise _port_error(self._port, exc) from None
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        selector.register(wake_r, selectors.EVENT_READ)
        with self._lock:
            self._listener, self._selector = listener, selector
            self._wake_r, self._wake_w = wake_r, wake_w
            self._port = listener.getsockname()[1]
        log.info("Waiting for the Canvas sign-in redirect on %s", self.redirect_uri)

    def wait(self) -> RedirectResult:
        """Block until Canvas's redirect with the right state arrives; then stop listening.

        Raises OAuthError: Canvas's own error (e.g. "access_denied"), "timeout"
        after ``timeout`` seconds, or "cancelled".
        """
        with self._lock:
            outcome = self._outcome  # a second wait() gives the same answer
            if outcome is None and self._selector is None:
                raise RuntimeError("call start() before wait()")
            self._waiting = outcome is None
        if outcome is None:
            try:
                outcome = self._serve_until(time.monotonic() + self._timeout)
            finally:
                self._stop_listening()
                with self._lock:
                    self._waiting = False
                    closed = self._closed
                if closed:
                    self._close_everything()
        if isinstance(outcome, OAuthError):
            raise outcome
        return outcome

    def cancel(self) -> None:
        """Make :meth:`wait` raise OAuthError("cancelled"); safe from any thread."""
        with self._lock:
            self._cancelled = True
            self._wake_locked()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._waiting:
                # wait() owns the sockets right now; it closes them as it returns.
                self._wake_locked()
                return
        self._close_everything()

    def __enter__(self) -> LoopbackRedirect:
        if self._listener is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the serving loop ----------------------------------------------------------

    def _serve_until(self, deadline: float) -> RedirectResult | OAuthError:
        selector = self._selector
        assert selector is not None
        while True:
            with self._lock:
                if self._outcome is None and (self._cancelled or self._closed):
                    self._outcome = OAuthError("cancelled")
                if self._outcome is not None:
                    return self._outcome
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                with self._lock:
                    self._outcome = self._timeout_error()
                continue
            for key, _ in selector.select(remaining):
                sock = key.fileobj
                if sock is self._wake_r:
                    _drain(self._wake_r)
                elif sock is self._listener:
                    self._accept()
                elif isinstance(sock, socket.socket):
                    self._read(sock)

    def _accept(self) -> None:
        assert self._listener is not None and self._selector is not None
        while True:
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. the peer reset before we got to it
            if len(self._buffers) >= _MAX_OPEN_CONNECTIONS:
                conn.close()  # a flood of idle connections must not exhaust our files
                continue
            conn.setblocking(False)
            self._buffers[conn] = bytearray()
            self._selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        buffer = self._buffers.get(conn)
        if buffer is None:
            return
        if not data:
            self._drop(conn)
            return
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end < 0 and len(buffer) > _MAX_REQUEST_BYTES:
            self._drop(
                conn, _response(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, _BAD_REQUEST_PAGE)
            )
        elif end >= 0:
            status, page, outcome = self._answer(bytes(buffer[: end + 4]))
            self._drop(conn, _response(status, page))
            if outcome is not None:
                with self._lock:
                    if self._outcome is None:
                        self._outcome = outcome

    def _answer(self, head: bytes) -> tuple[HTTPStatus, str, RedirectResult | OAuthError | None]:
        """Decide the browser's answer and our outcome for one request. Logs no query."""
        request_line, _, header_bytes = head.partition(b"\r\n")
        parts = request_line.decode("latin-1").split()
        try:
            headers = http.client.parse_headers(io.BytesIO(header_bytes))
        except http.client.HTTPException:
            return HTTPStatus.BAD_REQUEST, _BAD_REQUEST_PAGE, None
        if len(parts) != 3:
            return HTTPStatus.BAD_REQUEST, _BAD_REQUEST_PAGE, None
        method, target, _version = parts
        # DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches this
        # port with its own name in Host. Only our own addresses may talk to us.
        hosts = headers.get_all("Host") or []
        allowed = {f"{_HOST}:{self._port}", f"localhost:{self._port}"}
        if len(hosts) != 1 or hosts[0].strip().lower() not in allowed:
            log.warning("Sign-in catcher: refused a request with a foreign Host header")
            return HTTPStatus.BAD_REQUEST, _BAD_REQUEST_PAGE, None
        url = urlsplit(target)
        if url.path != REDIRECT_PATH:
            log.info("Sign-in catcher: no such page %r (ignored)", url.path[:80])
            return HTTPStatus.NOT_FOUND, _NOT_FOUND_PAGE, None
        if method != "GET":
            return HTTPStatus.METHOD_NOT_ALLOWED, _BAD_REQUEST_PAGE, None
        params = parse_qs(url.query, keep_blank_values=True)
        states = params.get("state", [])
        if len(states) != 1 or not hmac.compare_digest(
            states[0].encode("utf-8"), self._expected_state
        ):
            log.warning("Sign-in catcher: ignored a redirect that belongs to another sign-in")
            return HTTPStatus.BAD_REQUEST, _WRONG_STATE_PAGE, None
        errors = params.get("error", [])
        if errors:
            descriptions = params.get("error_description", [])
            error = OAuthError(errors[0], detail=descriptions[0] if descriptions else None)
            log.info("Sign-in catcher: Canvas answered with error %s", error.code)
            return HTTPStatus.OK, _failure_page(error), error
        codes = params.get("code", [])
        if len(codes) != 1 or not AUTH_CODE_PATTERN.fullmatch(codes[0]):
            return HTTPStatus.BAD_REQUEST, _NO_CODE_PAGE, None
        log.info("Sign-in catcher: received the authorization code")
        return HTTPStatus.OK, _SUCCESS_PAGE, RedirectResult(code=codes[0])

    def _timeout_error(self) -> OAuthError:
        minutes = self._timeout / 60
        span = f"{minutes:g} minutes" if minutes >= 1 else f"{self._timeout:g} seconds"
        return OAuthError(
            "timeout",
            message=f"Canvas did not send the browser back to the app within {span}.",
            hint="If the browser shows a Canvas error page, fix what it names: "
            "“redirect_uri does not match client settings” means the developer key's "
            f"Redirect URIs must list {self.redirect_uri} exactly like that; "
            "“unknown client” means the Client ID is wrong or the key was deleted. "
            "Then sign in again.",
        )

    # --- closing -------------------------------------------------------------------

    def _wake_locked(self) -> None:
        if self._wake_w is not None:
            # Full means a wake-up is already pending: nothing more to do.
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _drop(self, conn: socket.socket, response: bytes | None = None) -> None:
        self._buffers.pop(conn, None)
        if self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn)
        try:
            if response is not None:
                conn.settimeout(_SEND_TIMEOUT)
                conn.sendall(response)
                conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the browser went away; nothing more to tell it
        finally:
            conn.close()

    def _stop_listening(self) -> None:
        for conn in list(self._buffers):
            self._drop(conn)
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            if self._selector is not None:
                self._selector.unregister(listener)
            listener.close()

    def _close_everything(self) -> None:
        self._stop_listening()
        with self._lock:
            wake_r, wake_w, selector = self._wake_r, self._wake_w, self._selector
            self._wake_r = self._wake_w = None
            self._selector = None
        for sock in (wake_r, wake_w):
            if sock is not None:
                sock.close()
        if selector is not None:
            selector.close()


def _drain(sock: socket.socket | None) -> None:
    while sock is not None:
        try:
            if not sock.recv(256):
                return
        except OSError:
            return


def _port_error(port: int, exc: OSError) -> OAuthError:
    hint = (
        f"Close the program using port {port} (perhaps another Canvas Sync Wizard), or choose "
        "another port in the profile and add http://127.0.0.1:<new port>/canvas/authorize to "
        "the developer key's Redirect URIs."
    )
    if exc.errno == errno.EADDRINUSE or getattr(exc, "winerror", None) == 10048:
        message = (
            f"Port {port} on this computer is already in use, so the app cannot receive "
            "Canvas's answer."
        )
    elif exc.errno == errno.EACCES or getattr(exc, "winerror", None) == 10013:
        message = f"This computer does not let the app listen on port {port} (it is reserved)."
    else:
        message = f"The app could not listen on 127.0.0.1:{port}: {exc.strerror or exc}."
    return OAuthError("port_in_use", message=message, hint=hint)


# --- the pages the browser sees --------------------------------------------------------


def _page(title: str, heading: str, *paragraphs: str, ok: bool = False) -> str:
    colour = "#1b7f3b" if ok else "#b3261e"
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;"
        f"padding:0 1rem;color:#222}}h1{{font-size:1.4rem;color:{colour}}}"
        f"</style></head><body><h1>{html.escape(heading)}</h1>{body}</body></html>"
    )


_SUCCESS_PAGE = _page(
    "Signed in – Canvas Sync Wizard",
    "You are signed in — return to Canvas Sync Wizard",
    "You can close this tab.",
    ok=True,
)
_WRONG_STATE_PAGE = _page(
    "Not accepted – Canvas Sync Wizard",
    "This sign-in answer was not accepted",
    "It does not belong to the sign-in Canvas Sync Wizard is waiting for (it may come from "
    "an older browser tab). Nothing was signed in.",
    "Return to Canvas Sync Wizard; if it is still waiting, finish the sign-in in the tab it "
    "opened, or start the sign-in again.",
)
_NOT_FOUND_PAGE = _page("Not found", "Not found", "Canvas Sync Wizard has no such page.")
_BAD_REQUEST_PAGE = _page("Bad request", "Bad request", "Canvas Sync Wizard cannot answer this.")
_NO_CODE_PAGE = _page(
    "Not accepted – Canvas Sync Wizard",
    "This sign-in answer has no code in it",
    "Return to Canvas Sync Wizard and start the sign-in again.",
)


def _failure_page(error: OAuthError) -> str:
    return _page(
        "Sign-in failed – Canvas Sync Wizard",
        "Sign-in did not complete",
        error.message,
        error.hint,
        "Return to Canvas Sync Wizard to try again.",
    )


def _response(status: HTTPStatus, page: str) -> bytes:
    body = page.encode("utf-8")
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        # The page's address carries the code: never send it on as a Referer.
        "Referrer-Policy: no-referrer\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body
