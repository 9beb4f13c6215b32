"""The Canvas REST client every other part of the app uses.

One request goes: resolve the path against the base URL (refusing other hosts), take
a slot from the :class:`ThrottleGate`, send with the Bearer token and a timeout, tell
the gate what Canvas said about its rate limit, then sort the answer:

* 401 with ``WWW-Authenticate``: the token is bad; refresh it once and retry once.
* 403 "Rate Limit Exceeded" (the canvas-lms source) or 429 (hosted Canvas since
  2025-10-06): Canvas refused before doing anything, so any method is retried after
  a backoff.
* 5xx and lost connections: retried only when repeating the call is harmless.
* A 2xx web page on an API path (a proxy or captive portal answering in Canvas's
  place): like a lost answer — retried when harmless, else a :class:`ProxyPageError`
  the caller treats as a lost answer (a create looks the record up first).
* Anything else that is not 2xx/3xx: a typed error from ``errors``.

Why not urllib3's ``Retry``: it cannot refresh a token between attempts, cannot tell
Canvas's throttling 403 from a permission 403 (that needs the body), would sleep in
real time where tests inject ``sleep``, and would hide the attempts from the gate
and from ``stats``. So the session's adapters keep ``max_retries=0`` and the loop
below does the retrying.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from canvas_wizard.core.canvas.errors import (
    CanvasConnectionError,
    CanvasError,
    authorization_needed,
    error_for,
    not_canvas_error,
    path_only,
    response_body,
    throttled_error,
)
from canvas_wizard.core.canvas.probe import normalize_canvas_url
from canvas_wizard.core.canvas.throttle import ThrottleGate
from canvas_wizard.core.canvas.tokens import TokenSource
from canvas_wizard.core.canvas.transport import make_session, never_sent, transport_error

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
BACKOFF_BASE = 1.0  # seconds before the first retry
BACKOFF_CAP = 30.0  # no single wait longer than this
RETRY_AFTER_CAP = 120.0  # a Retry-After beyond this is cut down to it
PAGE_SIZE = 100  # Canvas clamps per_page to 1..100


@dataclass
class RequestStats:
    """Counters over the client's life; safe to update from many threads."""

    requests: int = 0  # HTTP requests actually sent (every attempt)
    retries: int = 0  # attempts after the first, for throttling, 5xx or lost connections
    throttled: int = 0  # 403 Rate Limit Exceeded answers
    refreshed: int = 0  # access tokens refreshed after a 401
    proxy_pages: int = 0  # 2xx web pages answering an API call in Canvas's place
    by_method: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, method: str | None = None) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)
            if method is not None:
                self.by_method[method] = self.by_method.get(method, 0) + 1


class CanvasClient:
    """Talks to one Canvas with one token source; share it between worker threads."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource | None,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        max_attempts: int = 5,
        gate: ThrottleGate | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = normalize_canvas_url(base_url)
        self.stats = RequestStats()
        self._tokens = tokens
        self._own_session = session is None
        self._session = session or make_session()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.gate = gate or ThrottleGate(sleep=sleep)
        self._refresh_lock = threading.Lock()
        self._random = random.Random()  # noqa: S311 - jitter, not secrecy
        base = urlsplit(self.base_url)
        self._origin = (base.scheme, base.hostname, _port(base.scheme, base.port))

    def __repr__(self) -> str:
        return f"CanvasClient({self.base_url!r})"

    def close(self) -> None:
        """Close the session, if the client made it (a session passed in is the caller's)."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> CanvasClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- Plain JSON helpers -----------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return json_of(self.request("GET", path, params=params))

    def post(
        self,
        path: str,
        data: Any = None,
        files: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return json_of(self.request("POST", path, params=params, data=data, files=files))

    def post_idempotent(
        self, path: str, data: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """A POST that is safe to repeat (e.g. starting a report): retried like a GET."""
        return json_of(self.request("POST", path, data=data, params=params, idempotent=True))

    def put(self, path: str, data: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return json_of(self.request("PUT", path, params=params, data=data))

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return json_of(self.request("DELETE", path, params=params))

    def get_all(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paged list, following ``Link: rel="next"`` at 100 a page.

        The next URL is used exactly as Canvas gave it: some lists page by bookmark
        (``page=bookmark:...``), so page numbers must never be computed here.
        """
        query: dict[str, Any] = dict(params or {})
        query.setdefault("per_page", PAGE_SIZE)
        url: str | None = path
        seen: set[str] = set()
        while url is not None:
            response = self.request("GET", url, params=query)
            page = json_of(response)
            if not isinstance(page, list):
                raise CanvasError(
                    f"Canvas answered {path_only(response.url)} with something other than a "
                    "list, where a list was expected.",
                    hint="This Canvas may be a different version than the app expects; "
                    "please report it.",
                    status=response.status_code,
                    url=response.url,
                )
            yield from page
            seen.add(response.url)
            next_url = response.links.get("next", {}).get("url")
            if next_url is not None and urljoin(response.url, next_url) in seen:
                break  # a Link loop would page forever
            url, query = next_url, {}

    # -- The request loop ---------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        data: Any = None,
        files: Any = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        method = method.upper()
        url = self._resolve(path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        rewind = _rewinder(data, files)
        refreshed = False
        attempt = 1
        while True:
            token = self._tokens.access_token() if self._tokens is not None else None
            headers = {"Accept": "application/json"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            rewind()
            self.stats.add("requests", method)
            try:
                with self.gate.slot():
                    response = self._session.request(
                        method,
                        url,
                        params=params,
                        data=data,
                        files=files,
                        headers=headers,
                        timeout=self._timeout,
                    )
                    throttled = is_throttled(response)
                    self.gate.observe(
                        header_float(response, "X-Rate-Limit-Remaining"),
                        header_float(response, "X-Request-Cost"),
                        throttled,
                    )
            except requests.RequestException as exc:
                error = transport_error(exc, url, self._timeout)
                # A request that never left this computer is safe to send again.
                retry = (
                    isinstance(error, CanvasConnectionError)
                    and (idempotent or never_sent(exc))
                    and attempt < self._max_attempts
                )
                if not retry:
                    raise error from None
                log.warning("%s %s: %s Retrying.", method, path_only(url), error.message)
                self._backoff(attempt, None)
                attempt += 1
                continue
            log.debug("%s %s -> %s", method, path_only(url), response.status_code)
            status = response.status_code
            if status < 400:
                if not _is_proxy_page(response):
                    return response
                self.stats.add("proxy_pages")
                page = not_canvas_error(response)
                if not (idempotent and attempt < self._max_attempts):
                    raise page
                log.warning("%s %s: %s Retrying.", method, path_only(url), page.message)
                self._backoff(attempt, None)
                attempt += 1
                continue
            if status == 401 and "WWW-Authenticate" in response.headers:
                if refreshed or self._tokens is None:
                    raise authorization_needed(refreshed=refreshed)
                self._refresh(token)
                refreshed = True
                continue
            if throttled:
                self.stats.add("throttled")
                if attempt < self._max_attempts:
                    self._backoff(attempt, response)
                    attempt += 1
                    continue
                raise throttled_error(method, response, attempt)
            if status >= 500 and idempotent and attempt < self._max_attempts:
                log.warning("%s %s -> %s; retrying", method, path_only(url), status)
                self._backoff(attempt, response)
                attempt += 1
                continue
            raise error_for(method, response, attempts=attempt)

    def _resolve(self, path: str) -> str:
        """An absolute URL on our Canvas, or an error; never another host."""
        if "://" not in path:
            if not path.startswith("/"):
                path = "/" + path
            return self.base_url + path
        parts = urlsplit(path)
        scheme = parts.scheme.lower()
        origin = (scheme, parts.hostname, _port(scheme, parts.port))
        if origin == self._origin:
            return path
        same_host = (parts.hostname, _port(self._origin[0], parts.port)) == self._origin[1:]
        if same_host and scheme == "http" and self._origin[0] == "https":
            # Canvas behind a TLS-terminating load balancer sometimes writes http:// into
            # its Link headers. Same host: stay on https instead of sending the token in clear.
            return urlunsplit(("https", parts.netloc, parts.path, parts.query, ""))
        raise CanvasError(
            f"Refused to send the Canvas sign-in to another server ({parts.hostname}).",
            hint="Canvas pointed the app at an address outside "
            f"{self.base_url}. If Canvas moved, change its address in the app's settings.",
            url=path,
        )

    def _refresh(self, used_token: str | None) -> None:
        # One refresh for many threads: whoever comes second finds a new token already.
        assert self._tokens is not None
        with self._refresh_lock:
            if self._tokens.access_token() != used_token:
                return
            self._tokens.refresh_access_token()
            self.stats.add("refreshed")

    def _backoff(self, attempt: int, response: requests.Response | None) -> None:
        self.stats.add("retries")
        wait = retry_after_seconds(response) if response is not None else None
        if wait is None:
            # Exponential with jitter, so eight workers throttled together do not
            # come back together.
            ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
            wait = ceiling * self._random.uniform(0.5, 1.0)
        self._sleep(min(wait, RETRY_AFTER_CAP))


def json_of(response: requests.Response) -> Any:
    """The JSON of a successful answer; None for an empty one (204, or DELETE's "")."""
    if response.status_code == 204 or not response.content.strip():
        return None
    body = response_body(response)
    if body is None:
        raise not_canvas_error(response)
    return body


def _is_proxy_page(response: requests.Response) -> bool:
    """A web page where Canvas's API answers JSON (its files and reports are not HTML)."""
    kind = response.headers.get("Content-Type", "").lower()
    return "html" in kind and urlsplit(response.url).path.startswith("/api/")


def header_float(response: requests.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def is_throttled(response: requests.Response) -> bool:
    """Canvas's throttle answer: 403, "(Rate Limit Exceeded)", remaining at or below 0.

    A 429 counts too: hosted Canvas answers throttling with 429 since 2025-10-06
    (self-hosted installs still send 403), and a proxy in front of Canvas might.
    """
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    remaining = header_float(response, "X-Rate-Limit-Remaining")
    if remaining is not None and remaining <= 0:
        return True
    return "Rate Limit Exceeded" in response.text[:200]


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else {"https": 443, "http": 80}.get(scheme)


def _rewinder(data: Any, files: Any) -> Callable[[], None]:
    """Something that puts file-like bodies back at their start before each attempt."""
    streams: list[tuple[Any, int]] = []
    candidates: list[Any] = [data]
    if isinstance(files, Mapping):
        files = list(files.values())
    for item in files or []:
        if isinstance(item, tuple):
            # ("name", fileobj[, type]) or ("field", ("name", fileobj, type)) forms
            candidates.extend(item)
            candidates.extend(x for sub in item if isinstance(sub, tuple) for x in sub)
        else:
            candidates.append(item)
    for obj in candidates:
        if hasattr(obj, "seek") and hasattr(obj, "tell"):
            try:
                streams.append((obj, obj.tell()))
            except OSError:
                continue

    def rewind() -> None:
        for obj, position in streams:
            obj.seek(position)

    return rewind
