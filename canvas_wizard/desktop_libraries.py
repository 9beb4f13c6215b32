"""Before Qt starts on a Linux desktop: are the system libraries its X11 plugin needs there?

Qt 6's X11 ("xcb") platform plugin needs a dozen system libraries that PySide6 and
our frozen build do not carry. On a minimal Debian/Ubuntu desktop ``libxcb-cursor0``
(needed since Qt 6.5) is the usual one missing, and Qt then only prints "could not
load the Qt platform plugin xcb" and aborts the process — the admin sees nothing.
So the start-up path and the self-test ask the dynamic loader first, and name the
packages to install. No Qt import here: this must run before Qt can crash.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: System libraries of Qt's xcb plugin (``libQt6XcbQpa.so.6`` and ``libqxcb.so``, read
#: with ``objdump -p``) and the Debian/Ubuntu package of each.
XCB_PLUGIN_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb.so.1": "libxcb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}

Loader = Callable[[str], object]


@dataclass(frozen=True)
class MissingLibraries:
    """System libraries the X11 plugin needs and the loader cannot find."""

    files: tuple[str, ...]  # e.g. ("libxcb-cursor.so.0",)
    packages: tuple[str, ...]  # Debian/Ubuntu packages, e.g. ("libxcb-cursor0",)

    def message(self) -> str:
        """One sentence for the admin: what is missing and the command that fixes it."""
        one = len(self.files) == 1
        fix = (
            f"install {'it' if one else 'them'} with: sudo apt install "
            f"{' '.join(self.packages)} (Debian/Ubuntu)"
            if self.packages
            else f"install the package that provides {'it' if one else 'them'} with your "
            "system's package manager"
        )
        return (
            f"The app window cannot open: this computer is missing the system "
            f"{'library' if one else 'libraries'} {', '.join(self.files)} that Qt needs "
            f"on an X11 desktop; {fix}, then start the app again. "
            "The command line works without it (canvas-wizard --help)."
        )


def will_use_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when Qt, started now, would load its X11 plugin (Linux, no Wayland session)."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        # "wayland;xcb" tries Wayland first; only the first choice decides whether Qt aborts.
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # Qt 6 prefers Wayland in a Wayland session and falls back to xcb otherwise.
    wayland = env.get("XDG_SESSION_TYPE") == "wayland" and bool(env.get("WAYLAND_DISPLAY"))
    return not wayland


def qt_xcb_library() -> Path | None:
    """PySide6's ``libQt6XcbQpa.so.6`` (in a venv or a frozen build), or None."""
    try:
        import PySide6  # the package only: no Qt library is loaded by this import
    except ImportError:
        return None
    path = Path(PySide6.__file__).resolve().parent / "Qt" / "lib" / "libQt6XcbQpa.so.6"
    return path if path.exists() else None


def missing_xcb_libraries(
    load: Loader = ctypes.CDLL, qt_library: Path | None = None
) -> MissingLibraries | None:
    """What the dynamic loader cannot find of the X11 plugin's libraries; None if all there.

    Each known library is asked for by name (the loader's own search, as Qt's would be);
    then Qt's X11 library itself is loaded, which names any library not in our table.
    """
    qt = qt_library if qt_library is not None else qt_xcb_library()
    beside = _bundled_folders(qt)
    missing = [name for name in XCB_PLUGIN_LIBRARIES if not _loads(load, name, beside)]
    if qt is not None and not missing:
        try:
            load(str(qt))
        except OSError as exc:
            # dlopen's message starts with the missing file: "libfoo.so.1: cannot open …".
            first = str(exc).split(":", 1)[0].strip()
            if first and first != str(qt):
                missing.append(Path(first).name)
    if not missing:
        return None
    packages = dict.fromkeys(XCB_PLUGIN_LIBRARIES[m] for m in missing if m in XCB_PLUGIN_LIBRARIES)
    return MissingLibraries(tuple(missing), tuple(packages))


def _bundled_folders(qt: Path | None) -> list[Path]:
    """Folders a build may carry system libraries in: next to Qt's libraries (found by
    their ``$ORIGIN`` run path) and a PyInstaller build's own folder."""
    folders = [qt.parent] if qt is not None else []
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        folders.append(Path(bundle))
    return folders


def _loads(load: Loader, name: str, beside: list[Path] | None = None) -> bool:
    for candidate in [name, *(str(d / name) for d in beside or [] if (d / name).exists())]:
        try:
            load(candidate)
        except OSError:
            continue
        return True
    return False


def desktop_problem(
    environ: Mapping[str, str] | None = None, load: Loader = ctypes.CDLL
) -> str | None:
    """Why the app window cannot open on this desktop, in one sentence; None if it can."""
    env = os.environ if environ is None else environ
    if not will_use_xcb(env):
        return None
    missing = missing_xcb_libraries(load)
    if missing is not None:
        return missing.message()
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        # Over SSH or from a service: Qt would say "could not connect to display" and abort.
        return (
            "The app window cannot open: no desktop was found (DISPLAY is not set). Start it "
            "from a desktop session; over SSH or in a scheduled task use the command line "
            "(canvas-wizard --help), and check the installation with canvas-wizard --self-test."
        )
    return None


def tell_desktop(message: str) -> bool:
    """Show ``message`` on the desktop without Qt (zenity, kdialog or notify-send).

    Started from the menu, the app has no terminal for stderr; these tools are on
    most desktops and need no Qt. Returns False when none is installed.
    """
    for tool, args in (
        ("zenity", ["--error", "--title", "Canvas Sync Wizard", "--text", message]),
        ("kdialog", ["--title", "Canvas Sync Wizard", "--error", message]),
        ("notify-send", ["--urgency=critical", "Canvas Sync Wizard", message]),
    ):
        path = shutil.which(tool)
        if path is not None:
            try:
                subprocess.Popen(  # noqa: S603 - a fixed tool path from which(), arguments as a list
                    [path, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            except OSError:
                continue
            return True
    return False


__all__ = [
    "XCB_PLUGIN_LIBRARIES",
    "MissingLibraries",
    "desktop_problem",
    "missing_xcb_libraries",
    "qt_xcb_library",
    "tell_desktop",
    "will_use_xcb",
]
