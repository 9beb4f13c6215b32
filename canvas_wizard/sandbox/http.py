"""Requests and responses as the sandbox's handlers see them (no web framework).

Parameters follow Rails: query string and body are merged (the body wins), form
keys keep Canvas's bracket names (``user[name]``, ``include[]``), and a JSON body
is flattened into the same bracket names so ``{"user": {"name": "x"}}`` and
``user[name]=x`` mean the same thing, as they do to Canvas.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    files: dict[str, UploadedFile]
    headers: Message
    body: bytes = field(repr=False)
    client_ip: str = "127.0.0.1"

    def param(self, name: str) -> str | None:
        """The last value of ``name`` (body before query), or None."""
        for source in (self.form, self.query):
            values = source.get(name)
            if values:
                return values[-1]
        return None

    def has(self, name: str) -> bool:
        return name in self.form or name in self.query

    def params(self, name: str) -> list[str]:
        """All values of a list parameter; ``include[]`` also answers to ``include``."""
        base = name.removesuffix("[]")
        out: list[str] = []
        for source in (self.query, self.form):
            for key in (base + "[]", base):
                out.extend(source.get(key, []))
        return out

    def flag(self, name: str) -> bool:
        """Canvas's value_to_boolean."""
        value = (self.param(name) or "").strip().lower()
        return value in ("1", "true", "t", "yes", "y", "on")

    @property
    def bearer_token(self) -> str | None:
        """The access token from ``Authorization: Bearer`` or ``access_token=``."""
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer" and value.strip():
            return value.strip()
        return self.param("access_token") or None


@dataclass
class Response:
    status: int
    body: bytes = field(default=b"", repr=False)
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        return cls(status, body, JSON_TYPE, list(headers or []))

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), HTML_TYPE)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode("utf-8"), TEXT_TYPE)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        link = html.escape(location)
        body = f'<html><body>You are being <a href="{link}">redirected</a>.</body></html>'
        return cls(status, body.encode("utf-8"), HTML_TYPE, [("Location", location)])

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class ApiError(Exception):
    """Stop handling and answer with ``response`` (Canvas's rendered error)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


NOT_FOUND_BODY = {"errors": [{"message": "The specified resource does not exist."}]}
UNAUTHORIZED_BODY = {
    "status": "unauthorized",
    "errors": [{"message": "user not authorized to perform that action"}],
}
UNAUTHENTICATED_BODY = {
    "status": "unauthenticated",
    "errors": [{"message": "user authorization required"}],
}
INVALID_TOKEN_BODY = {"errors": [{"message": "Invalid access token."}]}
BEARER_CHALLENGE = ("WWW-Authenticate", 'Bearer realm="canvas-lms"')


def not_found() -> ApiError:
    return ApiError(Response.json(NOT_FOUND_BODY, 404))


def unauthorized() -> ApiError:
    """No permission: refreshing the token will not help, so no WWW-Authenticate."""
    return ApiError(Response.json(UNAUTHORIZED_BODY, 401))


def unauthenticated() -> ApiError:
    """No token at all (authentication_methods.rb adds the challenge for API calls)."""
    return ApiError(Response.json(UNAUTHENTICATED_BODY, 401, [BEARER_CHALLENGE]))


def invalid_token() -> ApiError:
    return ApiError(Response.json(INVALID_TOKEN_BODY, 401, [BEARER_CHALLENGE]))


def bad_request(body: Any) -> ApiError:
    return ApiError(Response.json(body, 400))


def _flatten(prefix: str, value: Any, out: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}[{key}]" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        for inner in value:
            _flatten(f"{prefix}[]", inner, out)
    elif value is None:
        out.setdefault(prefix, []).append("")
    elif isinstance(value, bool):
        out.setdefault(prefix, []).append("true" if value else "false")
    else:
        out.setdefault(prefix, []).append(str(value))


def parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, list[str]], dict[str, UploadedFile]]:
    """Form fields and uploaded files from a request body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True), {}
    if kind == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}, {}
        out: dict[str, list[str]] = {}
        if isinstance(data, dict):
            _flatten("", data, out)
        return out, {}
    if kind == "multipart/form-data":
        return _parse_multipart(content_type, body)
    return {}, {}


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, list[str]], dict[str, UploadedFile]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(_class=EmailMessage, policy=HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = UploadedFile(
                str(filename), part.get_content_type() or "application/octet-stream", payload
            )
        else:
            charset = part.get_content_charset() or "utf-8"
            fields.setdefault(str(name), []).append(payload.decode(charset, "replace"))
    return fields, files
