"""Attachments the sandbox hands out (SIS error CSVs, report files).

Canvas gives such files a URL carrying a ``verifier``; the URL alone is enough
to download (no token), which is how clients fetch ``attachment.url``.
"""

from __future__ import annotations

import secrets
from typing import Any

from canvas_wizard.sandbox.http import Response
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import SandboxState, StoredFile


def store(state: SandboxState, filename: str, content_type: str, data: bytes) -> StoredFile:
    return state.store_file(filename, content_type, data, secrets.token_urlsafe(16))


def download_url(base_url: str, stored: StoredFile) -> str:
    return f"{base_url}/files/{stored.id}/download?download_frd=1&verifier={stored.verifier}"


def attachment_json(base_url: str, stored: StoredFile) -> dict[str, Any]:
    return {
        "id": stored.id,
        "uuid": f"sandbox-file-{stored.id:08d}",
        "display_name": stored.filename,
        "filename": stored.filename,
        "content-type": stored.content_type,
        "url": download_url(base_url, stored),
        "size": len(stored.data),
        "locked": False,
        "hidden": False,
    }


def download(ctx: Ctx) -> Response:
    raw = ctx.args["file_id"]
    with ctx.state.lock:
        stored = ctx.state.files.get(int(raw)) if raw.isdigit() else None
    verifier = ctx.request.param("verifier") or ""
    if stored is None or not secrets.compare_digest(verifier.encode(), stored.verifier.encode()):
        return Response.html("<h1>Page Not Found</h1>", 404)
    disposition = f'attachment; filename="{stored.filename}"'
    return Response(200, stored.data, stored.content_type, [("Content-Disposition", disposition)])


ROUTES: list[Route] = [route("GET", "/files/:file_id/download", download, api=False)]
