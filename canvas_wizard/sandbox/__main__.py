"""``python -m canvas_wizard.sandbox``: run a sandbox Canvas in the foreground.

Prints its address and the client ID of a ready developer key (the secret only
with ``--show-secret``: it is a secret even here, and terminals get recorded).
By default the key accepts any ``http://127.0.0.1`` redirect (the legacy
Redirect URI field) and out-of-band sign-in; ``--redirect-uri`` registers exact
addresses instead.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from canvas_wizard.sandbox.app import SandboxCanvas
from canvas_wizard.sandbox.jobs import DEFAULT_REPORT_COST, DEFAULT_SIS_IMPORT_COST, JobCost
from canvas_wizard.sandbox.throttle import ThrottleConfig


def _job_cost(text: str) -> JobCost:
    try:
        return JobCost.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m canvas_wizard.sandbox",
        description="Run a local Canvas look-alike (Northfield Academy Trust) until Ctrl+C.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="register this exact redirect URI on the key (repeatable)",
    )
    parser.add_argument(
        "--legacy-redirect-uri",
        metavar="URI",
        help="the key's legacy Redirect URI (scheme and host matched; default "
        "http://127.0.0.1 when no --redirect-uri is given)",
    )
    parser.add_argument("--key-off", action="store_true", help="register the key switched OFF")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each API call")
    parser.add_argument("--jitter", type=float, default=0.0, help="± seconds of random latency")
    parser.add_argument("--no-throttle", action="store_true", help="never answer 403 Rate Limit")
    parser.add_argument(
        "--throttle-status",
        type=int,
        choices=[403, 429],
        default=403,
        help="answer throttled requests as the canvas-lms source (403) or hosted Canvas (429)",
    )
    parser.add_argument(
        "--report-time",
        type=_job_cost,
        default=DEFAULT_REPORT_COST,
        metavar="S[+P]",
        help="a provisioning report takes S seconds plus P per 1,000 users "
        f"(default {DEFAULT_REPORT_COST.base:g}+{DEFAULT_REPORT_COST.per_1000:g}; "
        "a real Canvas: about 5+1)",
    )
    parser.add_argument(
        "--sis-import-time",
        type=_job_cost,
        default=DEFAULT_SIS_IMPORT_COST,
        metavar="S[+P]",
        help="a SIS Import takes S seconds plus P per 1,000 rows "
        f"(default {DEFAULT_SIS_IMPORT_COST.base:g}+{DEFAULT_SIS_IMPORT_COST.per_1000:g})",
    )
    parser.add_argument("--empty", action="store_true", help="start without the Northfield data")
    parser.add_argument(
        "--show-secret", action="store_true", help="also print the key's client secret"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    legacy = args.legacy_redirect_uri
    if legacy is None and not args.redirect_uri:
        legacy = "http://127.0.0.1"
    sandbox = SandboxCanvas(
        seed=not args.empty,
        latency=args.latency,
        jitter=args.jitter,
        throttle=ThrottleConfig(enabled=not args.no_throttle, status=args.throttle_status),
        host=args.host,
        port=args.port,
        report_cost=args.report_time,
        sis_import_cost=args.sis_import_time,
    )
    try:
        sandbox.start()
    except OSError as exc:
        print(f"Could not listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        print("Choose another --port, or stop the program using it.", file=sys.stderr)
        return 1
    key = sandbox.add_developer_key(
        redirect_uris=args.redirect_uri, legacy_redirect_uri=legacy, enabled=not args.key_off
    )
    print(f"Sandbox Canvas: {sandbox.url}", flush=True)
    print(f"Client ID: {key.client_id}", flush=True)
    if args.show_secret:
        print(f"Client secret: {key.client_secret}", flush=True)
    else:
        print("Client secret: not shown (run with --show-secret to print it)", flush=True)
    allowed = [*args.redirect_uri, *([f"{legacy} (any port or path)"] if legacy else [])]
    print(f"Redirect URIs allowed: {', '.join(allowed)}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)

    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping.wait(0.5):  # a timed wait lets Ctrl+C through on Windows too
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
