"""A stand-in browser for the sandbox's consent page, usable through ``webbrowser``.

    BROWSER="<python> -m canvas_wizard.sandbox.browser %s"

Opens the authorize URL, presses Authorize (``CANVAS_SANDBOX_BROWSER_ACTION=cancel``
presses Cancel; ``CANVAS_SANDBOX_BROWSER_AS_USER=<id>`` signs in as that user),
then follows Canvas's redirect with a plain GET, as a browser would, and exits.

``webbrowser`` may wait for the command it runs, so by default this process
starts a detached copy of itself to do the work and returns at once; pass
``--foreground`` to do the work in this process (its exit status then says how
it went: 0 redirected and followed, 3 Canvas showed an error page instead of
redirecting, 1 could not reach a server). Nothing printed contains the
authorization code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from urllib.parse import urlsplit

import requests

from canvas_wizard.sandbox.consent import ConsentError, submit_consent

ACTION_ENV = "CANVAS_SANDBOX_BROWSER_ACTION"
AS_USER_ENV = "CANVAS_SANDBOX_BROWSER_AS_USER"
EXIT_OK, EXIT_UNREACHABLE, EXIT_ERROR_PAGE = 0, 1, 3


def _where(url: str) -> str:
    """An address fit to print: no query string (it carries codes and state)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _detach(url: str) -> int:
    command = [sys.executable, "-m", "canvas_wizard.sandbox.browser", "--foreground", url]
    options: dict[str, object] = {"stdin": subprocess.DEVNULL}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    subprocess.Popen(command, **options)  # type: ignore[call-overload]
    return EXIT_OK


def browse(url: str, *, cancel: bool, as_user_id: int | None, timeout: float = 10.0) -> int:
    try:
        location = submit_consent(url, cancel=cancel, as_user_id=as_user_id, timeout=timeout)
    except ConsentError as exc:
        print(
            f"sandbox browser: Canvas showed a page instead of redirecting: {exc}", file=sys.stderr
        )
        return EXIT_ERROR_PAGE
    except requests.RequestException as exc:
        print(
            f"sandbox browser: could not open {_where(url)}: {type(exc).__name__}", file=sys.stderr
        )
        return EXIT_UNREACHABLE
    try:
        with requests.Session() as http:
            http.trust_env = False  # a loopback redirect must not go through a proxy
            with http.get(location, timeout=timeout):
                pass
    except requests.RequestException as exc:
        print(
            f"sandbox browser: could not open {_where(location)}: {type(exc).__name__}",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m canvas_wizard.sandbox.browser",
        description="Approve (or cancel) a sandbox Canvas consent page, then follow the redirect.",
    )
    parser.add_argument("url", help="the /login/oauth2/auth address to open")
    parser.add_argument(
        "--foreground", action="store_true", help="do the work in this process and wait for it"
    )
    args = parser.parse_args(argv)
    if not args.foreground:
        return _detach(args.url)
    cancel = os.environ.get(ACTION_ENV, "authorize").strip().lower() == "cancel"
    raw_user = os.environ.get(AS_USER_ENV, "").strip()
    as_user_id = int(raw_user) if raw_user.isdigit() else None
    return browse(args.url, cancel=cancel, as_user_id=as_user_id)


if __name__ == "__main__":
    sys.exit(main())
