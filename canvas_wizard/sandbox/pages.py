"""The few non-API pages a visitor's browser may land on."""

from __future__ import annotations

from canvas_wizard.sandbox.http import Response
from canvas_wizard.sandbox.server import Ctx, Route, route


def home(ctx: Ctx) -> Response:
    # Canvas sends a visitor without a session to the login page.
    return Response.redirect(f"{ctx.base_url}/login/canvas")


def login_page(ctx: Ctx) -> Response:
    return Response.html(
        "<!DOCTYPE html><html><head><title>Log In to Canvas</title></head><body>"
        "<h1>Log In to Canvas</h1><p>This is a sandbox Canvas for the Canvas Sync Wizard. "
        "Sign-in happens on the authorization page an app opens.</p></body></html>"
    )


ROUTES: list[Route] = [
    route("GET", "/", home, api=False),
    route("GET", "/login/canvas", login_page, api=False),
]
