"""Clicking through the sandbox's consent page over real HTTP, as a browser would.

Used by :meth:`SandboxCanvas.approve_consent` and by the stand-in browser
process. Returns the address Canvas redirects to (not followed). The address
carries the authorization code, so it is returned, never printed or put in an
exception.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


class ConsentError(RuntimeError):
    """Canvas showed a page instead of redirecting (e.g. unknown client, bad redirect_uri)."""

    def __init__(self, message: str, *, status: int, body: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class _FormReader(HTMLParser):
    """The consent form's action and default field values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("name") and a.get("type", "text") != "submit":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif (
            tag == "option"
            and self._select is not None
            and (self._select not in self.fields or "selected" in a)
        ):
            self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _location(response: requests.Response, base: str) -> str:
    return urljoin(base, response.headers.get("Location", ""))


def _describe(response: requests.Response) -> ConsentError:
    body = response.text[:500]
    parts = urlsplit(response.url)
    where = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return ConsentError(
        f"Canvas answered {response.status_code} at {where} instead of a redirect: {body}",
        status=response.status_code,
        body=body,
    )


def submit_consent(
    authorize_url: str,
    *,
    cancel: bool = False,
    as_user_id: int | None = None,
    timeout: float = 10.0,
) -> str:
    """Open the authorize URL, press Authorize (or Cancel), return where Canvas redirects."""
    with requests.Session() as http:
        http.trust_env = False  # the sandbox is on this machine: never through a proxy
        with http.get(authorize_url, allow_redirects=False, timeout=timeout) as first:
            if first.is_redirect:
                return _location(first, authorize_url)
            if first.status_code != 200 or "html" not in first.headers.get("Content-Type", ""):
                raise _describe(first)
            reader = _FormReader()
            reader.feed(first.text)
        if reader.action is None:
            raise ConsentError("The consent page has no form", status=200, body="")
        data = dict(reader.fields)
        data["decision"] = "cancel" if cancel else "authorize"
        if as_user_id is not None:
            data["as_user_id"] = str(as_user_id)
        action = urljoin(authorize_url, reader.action)
        with http.post(action, data=data, allow_redirects=False, timeout=timeout) as second:
            if not second.is_redirect:
                raise _describe(second)
            return _location(second, action)
