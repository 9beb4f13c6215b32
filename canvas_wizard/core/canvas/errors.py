"""What can go wrong talking to Canvas, in words a school IT technician can act on.

Every error carries ``status`` (the HTTP status, or None when no answer came) and
``url`` (the request's *path only*: never the host's query string, which can hold
page bookmarks, search terms or, on OAuth calls, an authorization code). No error
ever holds a token. The UI shows ``message`` and ``hint``; callers branch on the type.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests

from canvas_wizard.core.errors import AuthorizationNeeded, WizardError

__all__ = [
    "AuthorizationNeeded",
    "CanvasConnectionError",
    "CanvasError",
    "CanvasNotFound",
    "CanvasPermissionError",
    "CanvasServerError",
    "CanvasTLSError",
    "CanvasThrottled",
    "CanvasValidationError",
    "FieldError",
    "NotCanvasError",
    "SisImportsDisabled",
    "canvas_messages",
    "describe_action",
    "error_for",
    "parse_field_errors",
    "path_only",
    "response_body",
]


def path_only(url: str | None) -> str | None:
    """The path of ``url``, without scheme, host, query or fragment."""
    if url is None:
        return None
    path = urlsplit(url).path
    return path or "/"


class CanvasError(WizardError):
    """Canvas (or the way to it) refused or failed a request."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        status: int | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.url = path_only(url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, url={self.url!r})"


class CanvasPermissionError(CanvasError):
    """The signed-in account lacks a Canvas permission (401/403 without WWW-Authenticate)."""


class SisImportsDisabled(CanvasPermissionError):
    """The root account's "SIS imports" setting is off (403 from sis_imports_api_controller.rb)."""


class CanvasNotFound(CanvasError):
    """Canvas has no such object (404)."""


@dataclass(frozen=True)
class FieldError:
    """One complaint from Canvas about the data sent: which field, what kind, its words."""

    field: str  # dotted path such as "pseudonym.unique_id"; "" when Canvas named none
    type: str  # Canvas's error type such as "taken" or "blank"; "" when not given
    message: str


class CanvasValidationError(CanvasError):
    """Canvas refused the data sent (400/422); ``field_errors`` says what about it."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        status: int | None = None,
        url: str | None = None,
        field_errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, status=status, url=url)
        self.field_errors: list[FieldError] = list(field_errors or [])


class CanvasThrottled(CanvasError):
    """Canvas kept answering "Rate Limit Exceeded" after every retry."""


class CanvasServerError(CanvasError):
    """Canvas, or a proxy or load balancer before it, failed (5xx) after every retry."""


class CanvasConnectionError(CanvasError):
    """No usable answer at all: DNS failure, refused, reset, timeout, proxy trouble.

    ``reason`` is one of "dns", "refused", "reset", "timeout", "proxy", "other".
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        url: str | None = None,
        reason: str = "other",
    ) -> None:
        super().__init__(message, hint=hint, status=None, url=url)
        self.reason = reason


class CanvasTLSError(CanvasError):
    """The secure (HTTPS) connection could not be trusted.

    ``reason`` is one of "expired", "untrusted", "hostname", "other".
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        url: str | None = None,
        reason: str = "other",
    ) -> None:
        super().__init__(message, hint=hint, status=None, url=url)
        self.reason = reason


class NotCanvasError(CanvasError):
    """The address answered, but what answered is not Canvas."""


class ProxyPageError(NotCanvasError):
    """An API call answered 2xx with a web page: a proxy or captive portal in Canvas's place.

    Like a lost answer, it says nothing about whether Canvas did the work.
    """


def not_canvas_error(response: requests.Response) -> NotCanvasError:
    """The error for a 2xx answer that is not Canvas's JSON, naming the page if it is one."""
    title = html_title(response)
    found = f'a web page titled "{title}"' if title else "something that is not JSON"
    kind = (
        ProxyPageError
        if "html" in response.headers.get("Content-Type", "").lower()
        else (NotCanvasError)
    )
    return kind(
        f"{path_only(response.url)} answered with {found} instead of Canvas data.",
        hint="A proxy, captive portal or sign-in page may be answering in Canvas's place. "
        "Open the Canvas address in a browser on this computer to see what appears.",
        status=response.status_code,
        url=response.url,
    )


# -- Canvas's error bodies -----------------------------------------------------------


def parse_field_errors(body: Any) -> list[FieldError]:
    """Flatten every error shape Canvas uses into a list of :class:`FieldError`.

    Shapes seen in canvas-lms: ``{"errors": {"pseudonym": {"unique_id": [{"attribute",
    "type", "message"}]}}}`` (ActiveRecord validation, nested per model),
    ``{"errors": [{"message": ...}]}`` (API errors), ``{"errors": ["..."]}``
    (SIS imports), ``{"errors": {"base": "..."}}``, ``{"message": ...}`` (logins),
    and OAuth's ``{"error": ..., "error_description": ...}``.
    """
    found: list[FieldError] = []
    if isinstance(body, dict):
        if "errors" in body:
            _collect(body["errors"], "", found)
        if isinstance(body.get("message"), str) and body["message"]:
            found.append(FieldError("", "", body["message"]))
        if isinstance(body.get("error"), str) and not found:
            text = body.get("error_description") or body["error"]
            found.append(FieldError("", body["error"], str(text)))
    elif isinstance(body, list):
        _collect(body, "", found)
    elif isinstance(body, str) and body.strip():
        found.append(FieldError("", "", body.strip()))
    return found


def _collect(node: Any, field: str, out: list[FieldError]) -> None:
    if isinstance(node, str):
        out.append(FieldError(field, "", node))
    elif isinstance(node, list):
        for item in node:
            _collect(item, field, out)
    elif isinstance(node, dict):
        if "message" in node and not isinstance(node["message"], (dict, list)):
            # A leaf error object: its "attribute" names the field when we have none.
            name = field or str(node.get("attribute") or "")
            out.append(FieldError(name, str(node.get("type") or ""), str(node["message"])))
            return
        for key, value in node.items():
            _collect(value, f"{field}.{key}" if field else str(key), out)
    elif node is not None:
        out.append(FieldError(field, "", str(node)))


def canvas_messages(body: Any) -> list[str]:
    """Canvas's own error sentences from a body, each prefixed by its field if any."""
    result: list[str] = []
    for err in parse_field_errors(body):
        text = f"{err.field}: {err.message}" if err.field and err.field != "base" else err.message
        if text not in result:
            result.append(text)
    return result


# -- Which action was refused, in words ----------------------------------------------

_ID = r"[^/]+"
_ACTIONS: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), text)
    for m, p, text in [
        ("POST", rf"^/api/v1/accounts/{_ID}/users$", "create users in this account"),
        ("GET", rf"^/api/v1/accounts/{_ID}/users$", "list the users of this account"),
        ("GET", r"^/api/v1/users/self$", "read your own Canvas profile"),
        ("GET", rf"^/api/v1/users/{_ID}$", "read a user"),
        ("PUT", rf"^/api/v1/users/{_ID}$", "edit users' names and email"),
        ("PUT", rf"^/api/v1/users/{_ID}/observees/{_ID}$", "link a parent to a student"),
        ("DELETE", rf"^/api/v1/users/{_ID}/observees/{_ID}$", "unlink a parent from a student"),
        ("GET", rf"^/api/v1/users/{_ID}/(observees|observers)$", "read parent-student links"),
        ("GET", rf"^/api/v1/users/{_ID}/logins$", "read users' logins"),
        ("PUT", rf"^/api/v1/accounts/{_ID}/logins/{_ID}$", "change a login or SIS ID"),
        ("POST", rf"^/api/v1/users/{_ID}/communication_channels$", "add an email address"),
        ("POST", rf"^/api/v1/accounts/{_ID}/sis_imports$", "start a SIS import"),
        ("GET", rf"^/api/v1/accounts/{_ID}/sis_imports", "read SIS import progress"),
        ("PUT", rf"^/api/v1/accounts/{_ID}/sis_imports/{_ID}/abort$", "stop a SIS import"),
        ("POST", rf"^/api/v1/accounts/{_ID}/reports/{_ID}$", "run an account report"),
        ("GET", rf"^/api/v1/accounts/{_ID}/reports/", "read an account report"),
        ("GET", rf"^/api/v1/accounts/{_ID}/permissions$", "read your permissions here"),
        ("GET", rf"^/api/v1/accounts/{_ID}/sub_accounts$", "list the sub-accounts"),
        ("GET", r"^/api/v1/(manageable_)?accounts$", "list the accounts you manage"),
        ("GET", rf"^/api/v1/accounts/{_ID}$", "read this account"),
    ]
]


def describe_action(method: str, url: str | None) -> str:
    """A plain-English name for a request, e.g. "create users in this account (POST ...)"."""
    method = method.upper()
    path = path_only(url) or ""
    for m, pattern, text in _ACTIONS:
        if m == method and pattern.search(path):
            return f"{text} ({method} {path})"
    return f"{method} {path}"


# -- From an HTTP answer -------------------------------------------------------------

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def response_body(response: requests.Response) -> Any:
    """The parsed JSON body, or None when it is not JSON."""
    text = response.text
    # Canvas prefixes JSON with "while(1);" for cookie-authenticated requests.
    text = text.removeprefix("while(1);")
    if "json" not in response.headers.get("Content-Type", "") and not text.lstrip().startswith(
        ("{", "[")
    ):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def html_title(response: requests.Response) -> str | None:
    """The <title> of an HTML answer, squeezed to one short line."""
    if "html" not in response.headers.get("Content-Type", "").lower():
        return None
    match = _HTML_TITLE.search(response.text[:20000])
    if not match:
        return None
    title = " ".join(html.unescape(match.group(1)).split())
    return title[:80] or None


def _status_text(response: requests.Response) -> str:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = response.reason or ""
    return f"HTTP {status} {phrase}".strip()


def _tries(attempts: int) -> str:
    return f" (tried {attempts} times)" if attempts > 1 else ""


def error_for(method: str, response: requests.Response, *, attempts: int = 1) -> CanvasError:
    """The typed error for a 4xx/5xx answer that will not be retried any more."""
    status = response.status_code
    url = response.url
    action = describe_action(method, url)
    body = response_body(response)
    said = canvas_messages(body)
    title = html_title(response) if body is None else None
    if status in (401, 403) and title is not None:
        # Canvas refuses API calls in JSON; a refusal page is a school web filter or proxy.
        host = urlsplit(url).hostname
        return CanvasError(
            f"Something between this computer and Canvas refused {action}: it showed a page "
            f'titled "{title}" (HTTP {status}).',
            hint=f"A web filter or proxy is probably blocking {host}. Ask IT to allow it.",
            status=status,
            url=url,
        )
    if status == 403 and any("SIS imports are not enabled" in m for m in said):
        return SisImportsDisabled(
            "SIS Imports are switched off for this Canvas account.",
            hint='Choose the API method, or ask a Canvas administrator to turn on "SIS '
            'imports" in Canvas (Admin > Settings).',
            status=status,
            url=url,
        )
    if status in (401, 403):
        return CanvasPermissionError(
            f"Canvas says your account may not do this: {action}.",
            hint="Ask a Canvas administrator to give your account this permission on the "
            "account being synced (Admin > account > Permissions), or sign in with an account "
            "that has it.",
            status=status,
            url=url,
        )
    if status == 404:
        return CanvasNotFound(
            f"Canvas could not find what the app asked for: {action}.",
            hint="It may have been deleted in Canvas, or an ID in the roster or settings is "
            "wrong. Check that the right Canvas account is selected.",
            status=status,
            url=url,
        )
    if status in (400, 422):
        reason = "; ".join(said[:3]) or "it gave no reason"
        return CanvasValidationError(
            f"Canvas refused the data for {action}: {reason}.",
            hint="Correct the values Canvas names and try again.",
            status=status,
            url=url,
            field_errors=parse_field_errors(body),
        )
    if status >= 500:
        return server_error(method, response, attempts=attempts)
    detail = f": {'; '.join(said[:2])}" if said else ""
    return CanvasError(
        f"Canvas answered {_status_text(response)} to {action}{detail}.",
        hint="Try again later; if it keeps happening, report it with the time it happened.",
        status=status,
        url=url,
    )


def server_error(method: str, response: requests.Response, *, attempts: int) -> CanvasError:
    action = describe_action(method, response.url)
    body = response_body(response)
    if body is None:
        # An HTML (or empty) 5xx usually comes from a load balancer or a proxy, not Canvas.
        return CanvasServerError(
            f"Canvas, or a proxy or load balancer in front of it, answered with an error "
            f"page ({_status_text(response)}) to {action}{_tries(attempts)}.",
            hint="This is usually temporary: wait a few minutes and try again. If only this "
            "computer sees it, a proxy on the school network may be at fault: ask IT.",
            status=response.status_code,
            url=response.url,
        )
    report = body.get("error_report_id") if isinstance(body, dict) else None
    said = canvas_messages(body)
    detail = f": {said[0]}" if said else ""
    hint = "This is usually temporary: wait a few minutes and try again."
    if report is not None:
        hint += f" If it persists, give Canvas support error report number {report}."
    return CanvasServerError(
        f"Canvas had an internal error ({_status_text(response)}) on {action}"
        f"{_tries(attempts)}{detail}.",
        hint=hint,
        status=response.status_code,
        url=response.url,
    )


def throttled_error(method: str, response: requests.Response, attempts: int) -> CanvasThrottled:
    return CanvasThrottled(
        f"Canvas kept asking the app to slow down (rate limit) on "
        f"{describe_action(method, response.url)}{_tries(attempts)}.",
        hint="Wait a few minutes and run again. If it keeps happening, another program may be "
        "using the same Canvas sign-in heavily, or the number of parallel requests in the "
        "settings should be lowered.",
        status=response.status_code,
        url=response.url,
    )


def authorization_needed(*, refreshed: bool) -> AuthorizationNeeded:
    if refreshed:
        message = "Canvas still refuses the app's access token after renewing it."
    else:
        message = "Canvas no longer accepts the app's sign-in."
    return AuthorizationNeeded(
        message,
        hint="Sign in to Canvas again (the Connect step). If it keeps happening, check in "
        "Canvas that the app's developer key is still switched on.",
    )
