"""The app started as a newcomer would on a Linux desktop lacking Qt's X11 libraries."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time

import pytest

from canvas_wizard.desktop_libraries import XCB_PLUGIN_LIBRARIES


def _absent() -> list[str]:
    absent = []
    for name in XCB_PLUGIN_LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:
            absent.append(name)
    return absent


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _absent(),
    reason="needs a Linux machine that lacks one of Qt's X11 libraries (this one has all)",
)
def test_first_start_without_x11_libraries_names_the_packages_instead_of_a_qt_abort(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")
    }
    # Started from the menu there is no terminal: the sentence goes to a desktop dialog
    # tool too. A stand-in zenity records what it was asked to show.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shown = tmp_path / "shown.txt"
    zenity = bin_dir / "zenity"
    zenity.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{shown}"\n')
    zenity.chmod(0o755)
    home = tmp_path / "home"
    env |= {"DISPLAY": ":0", "PATH": f"{bin_dir}:{os.path.dirname(sys.executable)}:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "canvas_wizard", "--config-dir", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "could not load the Qt platform plugin" not in result.stderr
    packages = " ".join(dict.fromkeys(XCB_PLUGIN_LIBRARIES[n] for n in _absent()))
    assert f"sudo apt install {packages}" in result.stderr
    assert not home.exists(), "nothing is set up by a start that cannot open a window"
    for _ in range(50):  # the dialog tool is started, not waited for
        if shown.exists() and shown.read_text():
            break
        time.sleep(0.1)
    assert f"sudo apt install {packages}" in shown.read_text()
