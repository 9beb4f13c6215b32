"""The HTTP session every Canvas call goes through, and what its failures mean.

TLS is verified against the operating system's trust store (``truststore``), so a
school whose IT installed a TLS-inspecting proxy's root certificate in Windows,
macOS or the Linux CA store just works, and nobody is tempted to turn checking off.
The trust store is used only by our session's adapter: ``truststore.inject_into_ssl()``
would change TLS for every library in the process.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import truststore
from requests.adapters import HTTPAdapter

from canvas_wizard import __version__
from canvas_wizard.core.canvas.errors import CanvasConnectionError, CanvasError, CanvasTLSError

USER_AGENT = f"CanvasSyncWizard/{__version__}"

# Connections kept per host: at least the writers in flight (throttle.MAX_IN_FLIGHT, 11)
# plus a reader or two, or a finished request's connection is thrown away and the next
# one opens a new one (a urllib3 "Connection pool is full" warning). Reads run 8 at once.
_POOL_SIZE = 20


class TrustStoreAdapter(HTTPAdapter):
    """An HTTPS adapter whose connections verify with the OS certificate store."""

    def __init__(self, **kwargs: Any) -> None:
        self._ssl_context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # HTTPS through an HTTP proxy (CONNECT) must verify Canvas's certificate the same way.
        proxy_kwargs.setdefault("ssl_context", self._ssl_context)
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # requests would point every connection at certifi's bundle here, which urllib3
        # then loads into our context on each handshake: slower, and not the OS store.
        # A CA bundle named in REQUESTS_CA_BUNDLE (verify is a path) is *added* to the
        # OS store. Verification can never be switched off through this adapter.
        if verify is False:
            raise ValueError("TLS certificate verification cannot be turned off")
        if not url.lower().startswith("https"):
            return
        conn.cert_reqs = "CERT_REQUIRED"
        extra = verify if isinstance(verify, str) else None
        conn.ca_certs = extra if extra and not os.path.isdir(extra) else None
        conn.ca_cert_dir = extra if extra and os.path.isdir(extra) else None
        if cert:
            conn.cert_file, conn.key_file = (cert, None) if isinstance(cert, str) else cert


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: this computer itself."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class CanvasSession(requests.Session):
    """A requests session that never sends traffic for this computer through a proxy."""

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        # The sandbox Canvas and the OAuth redirect catcher live on loopback. requests
        # would send them to HTTPS_PROXY / HTTP_PROXY unless NO_PROXY names them, and a
        # school proxy cannot reach this computer's 127.0.0.1.
        host = urlsplit(str(url)).hostname
        if host and is_loopback(host):
            settings["proxies"] = {}
        return settings


def make_session(*, user_agent: str | None = None) -> requests.Session:
    """A session for Canvas: OS trust store, proxies from the environment, our User-Agent."""
    session = CanvasSession()
    # trust_env stays True: HTTPS_PROXY / NO_PROXY (and the OS proxy settings requests
    # reads) are how school networks reach the internet.
    session.mount("https://", TrustStoreAdapter(pool_maxsize=_POOL_SIZE))
    session.mount("http://", HTTPAdapter(pool_maxsize=_POOL_SIZE))
    session.headers["User-Agent"] = user_agent or USER_AGENT
    return session


# -- Failures before any HTTP answer ----------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (args, .reason, __cause__, __context__)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [getattr(current, "reason", None), current.__cause__, current.__context__]
        linked += list(current.args)
        stack.extend(e for e in linked if isinstance(e, BaseException))


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.hostname or "the server", port


def tls_reason(exc: BaseException) -> str:
    """Why a TLS handshake failed: "expired", "untrusted", "hostname" or "other"."""
    texts: list[str] = []
    for cause in _causes(exc):
        code = getattr(cause, "verify_code", None)
        if isinstance(cause, ssl.SSLCertVerificationError) and isinstance(code, int):
            # OpenSSL X509_V_ERR_* codes (Linux; truststore uses OpenSSL there).
            if code in (9, 10):  # not yet valid, expired
                return "expired"
            if code == 62:  # hostname mismatch
                return "hostname"
            if code in (2, 18, 19, 20, 21, 27, 28):  # unknown or self-signed issuer
                return "untrusted"
        texts.append(str(getattr(cause, "verify_message", "") or cause).lower())
    # macOS and Windows report through truststore in the platform's own words.
    text = " ".join(texts)
    if "expired" in text or "not yet valid" in text or "cert_e_expired" in text:
        return "expired"
    if any(w in text for w in ("hostname", "doesn't match", "not valid for", "cn_no_match")):
        return "hostname"
    if any(
        w in text
        for w in (
            "self signed",
            "self-signed",
            "unable to get local issuer",
            "untrusted",
            "not trusted",
            "unknown ca",
            "cert_e_chaining",
        )
    ):
        return "untrusted"
    return "other"


def tls_error(exc: BaseException, url: str) -> CanvasTLSError:
    host, _ = _host_port(url)
    reason = tls_reason(exc)
    if reason == "expired":
        return CanvasTLSError(
            f"The security certificate of {host} has expired (or is not valid yet).",
            hint="Check that this computer's date and time are right. If they are, the "
            "server's administrators must renew its certificate.",
            url=url,
            reason=reason,
        )
    if reason == "untrusted":
        return CanvasTLSError(
            f"This computer does not trust the security certificate presented for {host}.",
            hint="This usually means a TLS-inspecting proxy or firewall on the school network "
            "is intercepting HTTPS. Ask IT to install that proxy's root certificate in this "
            "computer's system certificate store (the app trusts exactly what the operating "
            "system trusts), then try again. Do not switch certificate checks off.",
            url=url,
            reason=reason,
        )
    if reason == "hostname":
        return CanvasTLSError(
            f"The security certificate presented for {host} belongs to a different name.",
            hint="Check the Canvas address for typos. If it is right, something on the network "
            "(a proxy, or a wrong DNS entry) is answering in Canvas's place: ask IT.",
            url=url,
            reason=reason,
        )
    return CanvasTLSError(
        f"A secure (HTTPS) connection to {host} could not be set up.",
        hint="Check the address and try again; if it keeps failing, a proxy or firewall "
        "may be interfering with HTTPS: ask IT.",
        url=url,
        reason=reason,
    )


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server (so even a POST may be resent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return any(
        isinstance(c, (socket.gaierror, ConnectionRefusedError))
        or type(c).__name__ in ("NewConnectionError", "NameResolutionError")
        for c in _causes(exc)
    )


def _timeout_seconds(timeout: float | tuple[float, float], connect: bool) -> float:
    if isinstance(timeout, tuple):
        return timeout[0] if connect else timeout[1]
    return timeout


def transport_error(
    exc: requests.RequestException, url: str, timeout: float | tuple[float, float]
) -> CanvasError:
    """Translate a requests failure into an error that says what to check.

    The original exception is not chained by callers (``from None``): urllib3's text
    repeats the full URL with its query string.
    """
    host, port = _host_port(url)
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_error(exc, url)
    if isinstance(exc, requests.exceptions.ProxyError):
        return CanvasConnectionError(
            f"The proxy server could not connect this computer to {host}.",
            hint="Check the proxy settings (HTTPS_PROXY, or the system proxy) and that the "
            "proxy allows this address; ask IT if unsure.",
            url=url,
            reason="proxy",
        )
    if isinstance(exc, requests.exceptions.Timeout):
        connect = isinstance(exc, requests.exceptions.ConnectTimeout)
        seconds = _timeout_seconds(timeout, connect)
        return CanvasConnectionError(
            f"No answer from {host} within {seconds:g} s.",
            hint="The server or the network is slow or down. Check the address and the "
            "connection, then try again.",
            url=url,
            reason="timeout",
        )
    causes = list(_causes(exc))
    if any(
        isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes
    ):
        return CanvasConnectionError(
            f"Cannot find the server {host}: check the address.",
            hint="Look for a typo in the Canvas address, and check that this computer is "
            "online and can open web sites.",
            url=url,
            reason="dns",
        )
    if any(
        isinstance(c, ConnectionRefusedError) or getattr(c, "errno", None) == errno.ECONNREFUSED
        for c in causes
    ):
        return CanvasConnectionError(
            f"{host} refused the connection on port {port}.",
            hint="Check the address (and the port, if you typed one). The server may be down, "
            "or a firewall may block it.",
            url=url,
            reason="refused",
        )
    if any(
        isinstance(c, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError))
        or type(c).__name__ in ("RemoteDisconnected", "ProtocolError")
        for c in causes
    ):
        return CanvasConnectionError(
            f"The connection to {host} was cut off before Canvas answered.",
            hint="This is often a firewall or proxy dropping the connection, or a brief "
            "network problem. Try again; if it keeps happening, ask IT.",
            url=url,
            reason="reset",
        )
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return CanvasError(
            f"{host} keeps redirecting and never answers.",
            hint="Check the Canvas address; open it in a browser to see where it leads.",
            url=url,
        )
    return CanvasConnectionError(
        f"Could not talk to {host}: {type(exc).__name__}.",
        hint="Check the address and the network connection, then try again.",
        url=url,
        reason="other",
    )
