"""Entry point: `canvas-wizard` (GUI with no subcommand, CLI with one)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from canvas_wizard.cli import run

    return run(sys.argv[1:] if argv is None else argv)


def main_gui() -> int:
    return main()


if __name__ == "__main__":
    sys.exit(main())
