"""Before Qt opens a window on Linux: are the X11 (xcb) libraries its platform plugin needs here?

Qt 6.5+ needs ``libxcb-cursor.so.0`` for its xcb plugin, and Debian/Ubuntu minimal
installs leave it out. Without it Qt prints "could not load the Qt platform plugin
xcb" and aborts, which tells a technician nothing. So the start-up path and the
self-test try to load each library Qt's xcb plugin links against (exactly what the
plugin's loader would do) and name the package to install. No Qt import here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable

#: The libraries Qt's xcb platform plugin (libQt6XcbQpa) links against outside Qt itself,
#: as ``ldd`` lists them for Qt 6.12, and the Debian/Ubuntu package of each.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
}


def _loads(name: str) -> bool:
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def uses_xcb(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Will Qt open its windows through X11 (xcb) on this Linux session?"""
    if not sys.platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].startswith("xcb")
    # Qt picks Wayland in a Wayland session, xcb otherwise.
    return not environ.get("WAYLAND_DISPLAY")


def missing_packages(loads: Callable[[str], bool] | None = None) -> list[str]:
    """The packages to install for Qt's xcb plugin; empty when all its libraries load."""
    loads = loads or _loads
    return [package for library, package in XCB_LIBRARIES.items() if not loads(library)]


def install_advice(packages: list[str]) -> str:
    """One sentence: what is missing and the command that installs it."""
    return (
        f"The app cannot open its window: Qt needs the system package"
        f"{'s' if len(packages) > 1 else ''} {', '.join(packages)}, which "
        f"{'are' if len(packages) > 1 else 'is'} not installed; install with "
        f"`sudo apt install {' '.join(packages)}` (Debian/Ubuntu) and start the app again."
    )


def window_problem(
    environ: dict[str, str] | os._Environ[str] = os.environ,
    loads: Callable[[str], bool] | None = None,
) -> str | None:
    """Why the app window cannot open on this desktop, or None when it can (as far as known)."""
    if not uses_xcb(environ):
        return None
    packages = missing_packages(loads)
    return install_advice(packages) if packages else None


def tell_the_desktop(message: str) -> None:
    """Shows ``message`` as a desktop notification when ``notify-send`` exists (best effort)."""
    notify = shutil.which("notify-send")
    if notify is None:
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(  # noqa: S603 - a fixed program found on PATH, no shell
            [notify, "--app-name=Canvas Sync Wizard", "Canvas Sync Wizard", message],
            check=False,
            timeout=5,
            capture_output=True,
        )
