"""`canvas-wizard --self-test` as a technician runs it: a real process, nothing patched.

The UI tests replace the wizard's "close this setup?" question; the self-test must not
depend on that, or it waits forever for an answer nobody can give on a build server.
"""

from __future__ import annotations

import subprocess
import sys


def test_the_self_test_finishes_on_its_own_and_passes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run(
        [sys.executable, "-m", "canvas_wizard", "--config-dir", str(tmp_path), "--self-test"],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "setup wizard opened (6 pages)" in done.stdout
    assert done.stdout.rstrip().endswith("Self-test passed.")
