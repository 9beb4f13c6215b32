"""The installable Linux app: PyInstaller builds it, and the frozen binary checks itself.

The build takes about a minute and needs PyInstaller (pip install -e '.[build]'),
so it runs only when CANVAS_WIZARD_BUILD_TEST=1 is set (a CI step or a release).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from canvas_wizard import __version__

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("CANVAS_WIZARD_BUILD_TEST") != "1",
        reason="builds the frozen app with PyInstaller (about a minute): "
        "set CANVAS_WIZARD_BUILD_TEST=1 to run it",
    ),
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the Linux build runs on Linux"
    ),
    pytest.mark.timeout(900),
]


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="pip install -e '.[build]' to build the app")
    base = tmp_path_factory.mktemp("frozen")
    build = subprocess.run(
        [
            "bash",
            str(ROOT / "packaging" / "build_linux.sh"),
            str(base / "dist"),
            str(base / "work"),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=880,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    binary = base / "dist" / "canvas-wizard" / "canvas-wizard"
    assert binary.is_file()
    return binary


def test_frozen_binary_reports_its_version(frozen_app: Path) -> None:
    result = subprocess.run(
        [str(frozen_app), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"canvas-wizard {__version__}"


def test_frozen_binary_passes_its_self_test(frozen_app: Path, secret_service: str) -> None:
    # The session's real Secret Service (tests/conftest.py) is in this environment.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [str(frozen_app), "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "(frozen build) self-test" in out
    assert "_internal/canvas_wizard_resources" in out, "resources found inside the frozen app"
    assert "setup wizard opened (6 pages)" in out
    if secret_service == "gnome-keyring":
        assert "ok   keyring: Secret Service" in out and "works" in out, out
    assert "ok   tls: operating system trust store" in out
    assert out.rstrip().endswith("Self-test passed.")


def test_frozen_binary_runs_a_cli_command(frozen_app: Path, app_home: Path) -> None:
    result = subprocess.run(
        [str(frozen_app), "profile", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert (app_home / "logs" / "canvas-wizard.log").is_file(), "the frozen app logs too"
