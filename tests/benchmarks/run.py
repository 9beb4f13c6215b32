"""The benchmark: ``.venv/bin/python tests/benchmarks/run.py [--quick]``.

Syncs a generated school into a throttled sandbox Canvas with 100 ms latency (API
at concurrency 8 and 1, SIS Import), resyncs it unchanged and 1 % changed, plans
a district, measures the GUI thread during a sync in the main window and the
app's start-up. Prints a table with each target and writes everything, with the
machine it ran on, to ``benchmark-results/latest.json``.

Figures are wall-clock times on a shared machine: the load average is recorded
with each. Where a comparison would take too long (the concurrency-1 sync, the
sub-account resync), it runs on a stated sample and is scaled linearly.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_items import (
    FULL,
    QUICK,
    SMOKE,
    Sizes,
    item_plan,
    item_small,
    item_startup,
    item_sync,
    item_ui,
)
from bench_targets import evaluate, render
from harness import machine

ITEMS = {
    "sync": item_sync,
    "small": item_small,
    "plan": item_plan,
    "ui": item_ui,
    "startup": item_startup,
}
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "benchmark-results" / "latest.json"


def run(sizes: Sizes, only: list[str], out: Path | None, quiet: bool = False) -> dict[str, Any]:
    def log(line: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - begun:6.1f}s] {line}", file=sys.stderr, flush=True)

    begun = time.perf_counter()
    results: dict[str, Any] = {"sizes": sizes.name, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        for name in only:
            try:
                results[name] = ITEMS[name](sizes, Path(tmp), log)
            except Exception as exc:  # one item failing must not lose the others' figures
                log(f"{name} failed: {type(exc).__name__}: {exc}")
                results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            _write(out, results)
    results["total_s"] = round(time.perf_counter() - begun, 1)
    results["targets"] = [t.as_dict() for t in evaluate(results)]
    _write(out, results)
    return results


def _write(out: Path | None, results: dict[str, Any]) -> None:
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a tenth of the sizes (about a minute)")
    size.add_argument("--smoke", action="store_true", help="tiny sizes, sandbox in-process")
    parser.add_argument(
        "--only", default=",".join(ITEMS), help=f"comma-separated items ({', '.join(ITEMS)})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in only if name not in ITEMS]
    if unknown:
        parser.error(f"unknown item(s): {', '.join(unknown)}; choose from {', '.join(ITEMS)}")
    results = run(sizes, only, args.out)
    print(render(results))
    print(f"\nJSON: {args.out}")
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
