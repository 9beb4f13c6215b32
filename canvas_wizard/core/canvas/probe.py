"""Turn what the admin typed into a Canvas base URL, and check that Canvas answers there.

The probe asks ``/api/v1/users/self`` without a token. Canvas answers that with
401 and ``{"status": "unauthenticated", "errors": [{"message": "user authorization
required"}]}`` plus ``WWW-Authenticate: Bearer realm="canvas-lms"``
(lib/authentication_methods.rb, ``render_json_unauthorized``). Anything else means
the address is not a Canvas: a school web site, a proxy page, a typo'd host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlsplit

import requests

from canvas_wizard.core.canvas.errors import (
    NotCanvasError,
    html_title,
    response_body,
    server_error,
)
from canvas_wizard.core.canvas.transport import is_loopback, make_session, transport_error
from canvas_wizard.core.errors import UsageError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EXAMPLE = "for example https://yourschool.instructure.com"


def _refuse(
    message: str, hint: str = f"Type the address you use to sign in, {_EXAMPLE}."
) -> NoReturn:
    raise UsageError(message, hint=hint)


def normalize_canvas_url(text: str) -> str:
    """``https://host[:port]`` from whatever the admin typed or pasted.

    Trims, adds https://, lowercases the host, and drops any path (``/login/canvas``,
    ``/api/v1``...), query or fragment: Canvas always lives at the root of its host.
    Raises UsageError, saying what is wrong, for anything that cannot be a Canvas address.
    """
    text = text.strip()
    if not text:
        _refuse("The Canvas address is empty.")
    if any(ch.isspace() for ch in text):
        _refuse("The Canvas address contains spaces.", "Remove the spaces; " + _EXAMPLE + ".")
    if "://" not in text:
        if "@" in text.split("/", 1)[0]:
            _refuse(
                "That looks like an email address, not the Canvas address.",
                "Type the address of the Canvas site instead, " + _EXAMPLE + ".",
            )
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        _refuse(f'The Canvas address must start with https://, not "{scheme}://".')
    if "@" in parts.netloc:
        # Never repeat what was typed: the part before "@" may be a password.
        _refuse(
            "The Canvas address must not contain a user name or password.",
            "Remove everything up to and including the @, " + _EXAMPLE + ".",
        )
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        _refuse("The port in the Canvas address is not a number from 1 to 65535.")
    host = _check_host(parts.hostname or "")
    if scheme == "http" and not is_loopback(host):
        _refuse(
            "The Canvas address must use https://, not http://.",
            "Canvas sign-ins must travel encrypted. Change http:// to https:// "
            "(only the local test Canvas on this computer may use http).",
        )
    shown = f"[{host}]" if ":" in host else host
    if port is not None and port != {"https": 443, "http": 80}[scheme]:
        shown += f":{port}"
    return f"{scheme}://{shown}"


def _check_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if not host:
        _refuse("The Canvas address has no server name.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        _refuse(f'"{host}" is not a valid server name.')
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(host) > 253:
        _refuse(f'"{host}" is not a valid server name: only letters, digits, "-" and dots.')
    if host == "localhost":
        return host
    if len(labels) < 2:
        _refuse(
            f'"{host}" is not a complete address: the domain is missing.',
            f"Type the whole address, for example https://{host}.instructure.com.",
        )
    if labels[-1] == "instructure":
        _refuse(
            f'"{host}" is missing its ending.',
            f"Did you mean https://{host}.com?",
        )
    if labels[-1].isdigit():
        _refuse(f'"{host}" is not a valid server name or IP address.')
    return host


@dataclass(frozen=True)
class CanvasSite:
    """A Canvas that answered. ``url`` is where it answered, after any redirects."""

    url: str


def probe_canvas(
    url: str, *, session: requests.Session | None = None, timeout: float = 10.0
) -> CanvasSite:
    """Check that Canvas answers at ``url``; raise a CanvasError saying what is there instead."""
    base = normalize_canvas_url(url)
    target = base + "/api/v1/users/self"
    own = session is None
    http = session or make_session()
    try:
        try:
            response = http.get(target, headers={"Accept": "application/json"}, timeout=timeout)
        except requests.RequestException as exc:
            raise transport_error(exc, target, timeout) from None
        try:
            return _judge(base, response)
        finally:
            response.close()
    finally:
        if own:
            http.close()


def _judge(base: str, response: requests.Response) -> CanvasSite:
    final = urlsplit(response.url)
    host = urlsplit(base).hostname
    try:
        # Redirects (http to https, an old name to a vanity domain) decide the real address.
        final_base = normalize_canvas_url(f"{final.scheme}://{final.netloc}")
    except UsageError:
        raise NotCanvasError(
            f"{host} sends the app on to {final.scheme}://{final.hostname}, "
            "which cannot be a Canvas address.",
            hint="Canvas is always reached over https. Check the address with IT.",
            url=response.url,
        ) from None
    body = response_body(response)
    if response.status_code == 401 and _looks_like_canvas(response, body):
        return CanvasSite(url=final_base)
    if response.status_code >= 500:
        raise server_error("GET", response, attempts=1)
    raise NotCanvasError(
        f"{host} answered, but it is not Canvas: {_what_answered(response, body)}.",
        hint="Check the address: use the one you see in the browser when signed in to "
        "Canvas, " + _EXAMPLE + ".",
        status=response.status_code,
        url=response.url,
    )


def _looks_like_canvas(response: requests.Response, body: object) -> bool:
    if not isinstance(body, dict):
        return False
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return False
    if "message" not in errors[0]:
        return False
    # The words are translated into the site's language; the header and the status
    # key's English default are the stable marks.
    realm = 'realm="canvas-lms"' in response.headers.get("WWW-Authenticate", "")
    return realm or body.get("status") == "unauthenticated"


def _what_answered(response: requests.Response, body: object) -> str:
    status = response.status_code
    if status == 404:
        return "it has no Canvas API (HTTP 404 for /api/v1/users/self)"
    title = html_title(response)
    if title:
        return f'it shows a web page titled "{title}" (HTTP {status})'
    if body is not None:
        keys = ", ".join(sorted(body)[:5]) if isinstance(body, dict) else "a list"
        return f"it answers with data Canvas would not send (HTTP {status}, JSON with {keys})"
    kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
    return f"it answers with HTTP {status} ({kind})"
