"""Command line: the GUI with no subcommand, the same core for scripts with one."""

from __future__ import annotations

import argparse
import sys

from canvas_wizard import APP_TITLE, __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="canvas-wizard",
        description=f"{APP_TITLE}: connect Cloudwork accounts to Canvas LMS.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config-dir",
        metavar="DIR",
        help="keep config, data and logs under DIR (default: the system's folders)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="run against a built-in demo Canvas on this computer"
    )
    return parser


def run(argv: list[str]) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    print("The Canvas Sync Wizard window is not built yet.", file=sys.stderr)
    return 2
