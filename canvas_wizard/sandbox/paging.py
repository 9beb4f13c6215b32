"""Canvas's pagination (lib/api.rb): per_page clamping and Link headers.

Two kinds, as in Canvas:

* numbered pages (``page=2``), where ``rel="last"`` is only sent when Canvas
  counts the collection (not for account users, SIS imports or recursive
  sub-accounts), and ``rel="next"`` is sent exactly while more items follow;
* bookmark pages (``page=bookmark:...``, ``/api/v1/accounts`` and logins), which
  a client can only follow, never compute.

Links are joined with a bare comma, as Canvas does: ``<url>; rel="current",<url>; rel="next"``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

from canvas_wizard.sandbox.http import Request

T = TypeVar("T")

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100


def per_page_of(request: Request) -> int:
    """Canvas: a missing, zero, negative or garbled value means 10; at most 100."""
    raw = request.param("per_page") or ""
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        value = DEFAULT_PER_PAGE
    return min(value, MAX_PER_PAGE)


def _link(base_url: str, request: Request, page: str, per_page: int) -> str:
    kept = [(k, v) for k, vs in request.query.items() if k not in ("page", "per_page") for v in vs]
    kept += [("page", page), ("per_page", str(per_page))]
    return f"{base_url}{request.path}?{urlencode(kept)}"


def _header(links: list[tuple[str, str]]) -> str:
    return ",".join(f'<{url}>; rel="{rel}"' for rel, url in links)


def paginate(
    items: Sequence[T], request: Request, base_url: str, *, with_last: bool
) -> tuple[list[T], str]:
    """One numbered page of ``items`` and its Link header."""
    per_page = per_page_of(request)
    try:
        page = int((request.param("page") or "1").strip())
    except ValueError:
        page = 1
    page = max(page, 1)
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    links = [("current", _link(base_url, request, str(page), per_page))]
    if start + per_page < len(items):
        links.append(("next", _link(base_url, request, str(page + 1), per_page)))
    if page > 1:
        links.append(("prev", _link(base_url, request, str(page - 1), per_page)))
    links.append(("first", _link(base_url, request, "1", per_page)))
    if with_last:
        last = max(1, -(-len(items) // per_page))
        links.append(("last", _link(base_url, request, str(last), per_page)))
    return chunk, _header(links)


def _encode_bookmark(value: int) -> str:
    raw = json.dumps([value]).encode()
    return "bookmark:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_bookmark(page: str) -> int | None:
    if not page.startswith("bookmark:"):
        return None
    data = page.removeprefix("bookmark:")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    except (binascii.Error, ValueError):
        return None
    if isinstance(decoded, list) and decoded and isinstance(decoded[0], int):
        return decoded[0]
    return None


def bookmark_paginate(
    items: Sequence[T], request: Request, base_url: str, key: Callable[[T], int]
) -> tuple[list[T], str]:
    """One bookmark page of ``items`` (sorted by ``key``) and its Link header."""
    per_page = per_page_of(request)
    ordered = sorted(items, key=key)
    page = (request.param("page") or "first").strip()
    after = _decode_bookmark(page)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    else:
        page = "first"
    chunk = ordered[:per_page]
    links = [("current", _link(base_url, request, page, per_page))]
    if len(ordered) > per_page:
        links.append(("next", _link(base_url, request, _encode_bookmark(key(chunk[-1])), per_page)))
    links.append(("first", _link(base_url, request, "first", per_page)))
    return chunk, _header(links)
