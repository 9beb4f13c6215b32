"""Test-wide setup: offscreen Qt, an isolated app home per test, a real Secret Service.

On Linux the suite runs against a real Secret Service: a private D-Bus session
bus with gnome-keyring-daemon on it, started once per test session, exactly the
backend a Linux desktop user has. Elsewhere the OS keyring is used as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A test must never open a real browser: webbrowser honours BROWSER, and tests
# that need "a browser" put a stand-in here themselves.
os.environ["BROWSER"] = "true" if sys.platform != "win32" else ""


def _start_secret_service() -> tuple[list[subprocess.Popen[bytes]], dict[str, str]]:
    runtime = Path(tempfile.mkdtemp(prefix="cw-keyring-"))
    env = dict(os.environ)
    env.update(
        HOME=str(runtime),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(runtime / "data"),
        XDG_CONFIG_HOME=str(runtime / "config"),
    )
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1", "--nopidfile"],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert bus.stdout is not None
    address = bus.stdout.readline().decode().strip()
    if not address:
        raise RuntimeError("dbus-daemon did not print its address")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert daemon.stdin is not None
    # The login keyring's password; it is created unlocked with it.
    daemon.stdin.write(b"canvas-wizard-tests")
    daemon.stdin.close()
    extra = {
        "DBUS_SESSION_BUS_ADDRESS": address,
        "XDG_RUNTIME_DIR": str(runtime),
    }
    return [daemon, bus], extra


def _wait_for_secret_service(timeout: float = 10.0) -> None:
    import keyring
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    deadline = time.monotonic() + timeout
    while True:
        try:
            backend.set_password("canvas-wizard-selftest", "probe", "ok")
            backend.delete_password("canvas-wizard-selftest", "probe")
            keyring.set_keyring(backend)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session", autouse=True)
def secret_service() -> Iterator[str]:
    """A real Secret Service for the whole run (Linux); the OS keyring elsewhere."""
    if not sys.platform.startswith("linux"):
        yield "os"
        return
    missing = [b for b in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(b) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.exit(f"CI needs {', '.join(missing)} for the keyring tests", returncode=3)
        # Developers without gnome-keyring still run everything else.
        yield "missing"
        return
    procs, extra = _start_secret_service()
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        _wait_for_secret_service()
        yield "gnome-keyring"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CANVAS_WIZARD_HOME: no test sees another's files."""
    home = tmp_path / "canvas-wizard-home"
    monkeypatch.setenv("CANVAS_WIZARD_HOME", str(home))
    return home
