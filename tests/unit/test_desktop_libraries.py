"""A Linux desktop without the X11 libraries Qt needs: the start-up path and the
self-test name the package to install, instead of Qt's bare "could not load the Qt
platform plugin xcb" and an abort."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from canvas_wizard import desktop_libraries, selftest
from canvas_wizard.cli import run

X11 = {"DISPLAY": ":0"}


def _without_cursor(name: str) -> bool:
    return name != "libxcb-cursor.so.0"


def test_a_missing_libxcb_cursor_is_named_with_the_command_that_installs_it() -> None:
    problem = desktop_libraries.window_problem(X11, _without_cursor)
    assert problem is not None
    assert "libxcb-cursor0" in problem
    assert "`sudo apt install libxcb-cursor0`" in problem
    assert desktop_libraries.window_problem(X11, lambda name: True) is None


@pytest.mark.parametrize(
    "environ",
    [{"QT_QPA_PLATFORM": "offscreen"}, {"WAYLAND_DISPLAY": "wayland-0"}],
    ids=["offscreen", "wayland session"],
)
def test_no_xcb_no_problem(environ: dict[str, str]) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    assert desktop_libraries.window_problem(environ, _without_cursor) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_start_up_says_which_package_before_qt_aborts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(desktop_libraries, "_loads", _without_cursor)
    import canvas_wizard.app

    def no_window(**_: object) -> int:
        raise AssertionError("Qt must not be started: it would abort")

    monkeypatch.setattr(canvas_wizard.app, "run_gui", no_window)
    assert run([]) == 1
    err = capsys.readouterr().err
    assert "sudo apt install libxcb-cursor0" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_self_test_fails_on_a_desktop_and_warns_over_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desktop_libraries, "_loads", _without_cursor)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":0")
    on_desktop = selftest._check_desktop()
    assert on_desktop.status == selftest.FAIL and "libxcb-cursor0" in on_desktop.detail
    monkeypatch.delenv("DISPLAY")
    over_ssh = selftest._check_desktop()
    assert over_ssh.status == selftest.WARN and "libxcb-cursor0" in over_ssh.detail
    out = io.StringIO()
    monkeypatch.setattr(selftest, "CHECKS", (selftest._check_desktop,))
    monkeypatch.setenv("DISPLAY", ":0")
    assert selftest.run_self_test(out) == 1
    assert "FAIL desktop:" in out.getvalue()


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_the_check_finds_exactly_what_the_real_qt_plugin_misses_here() -> None:
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6XcbQpa.so.6"
    if not plugin.exists():
        pytest.skip("no xcb plugin in this Qt")
    listing = subprocess.run(
        ["ldd", str(plugin)], capture_output=True, text=True, check=True, env=dict(os.environ)
    ).stdout
    not_found = {
        line.split()[0] for line in listing.splitlines() if "not found" in line and line.strip()
    }
    assert not_found <= set(desktop_libraries.XCB_LIBRARIES), "a library the list misses"
    expected = sorted(desktop_libraries.XCB_LIBRARIES[name] for name in not_found)
    assert sorted(desktop_libraries.missing_packages()) == expected
