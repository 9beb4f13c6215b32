"""A newcomer's first start on Linux: missing X11 libraries are named with the package."""

from __future__ import annotations

import ctypes
import io
import sys

import pytest

from canvas_wizard.desktop_libraries import (
    XCB_PLUGIN_LIBRARIES,
    desktop_problem,
    missing_xcb_libraries,
    will_use_xcb,
)


def loader_without(*absent: str):  # type: ignore[no-untyped-def]
    """A stand-in for ctypes.CDLL that fails like dlopen for ``absent`` files."""

    def load(name: str) -> object:
        # Qt's own X11 library fails on its first absent dependency, as dlopen reports it.
        failing = [name] if name in absent else []
        if name.endswith("libQt6XcbQpa.so.6"):
            failing = list(absent)
        if failing:
            raise OSError(f"{failing[0]}: cannot open shared object file: No such file")
        return object()

    return load


X11 = {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}


def test_missing_libxcb_cursor_names_the_package_to_install() -> None:
    problem = desktop_problem(X11, load=loader_without("libxcb-cursor.so.0"))
    assert problem is not None
    assert "libxcb-cursor.so.0" in problem
    assert "sudo apt install libxcb-cursor0" in problem
    assert "command line works" in problem


def test_several_missing_libraries_are_named_together_with_one_install_command() -> None:
    missing = missing_xcb_libraries(loader_without("libxcb-icccm.so.4", "libxkbcommon-x11.so.0"))
    assert missing is not None
    assert missing.files == ("libxcb-icccm.so.4", "libxkbcommon-x11.so.0")
    assert "sudo apt install libxcb-icccm4 libxkbcommon-x11-0" in missing.message()


def test_a_library_not_in_the_table_is_named_from_the_loaders_own_message(tmp_path) -> None:  # type: ignore[no-untyped-def]
    qt = tmp_path / "libQt6XcbQpa.so.6"
    qt.write_bytes(b"")
    missing = missing_xcb_libraries(loader_without("libxcb-newthing.so.7"), qt_library=qt)
    assert missing is not None and missing.files == ("libxcb-newthing.so.7",)
    assert "package manager" in missing.message()


def test_nothing_to_say_when_everything_loads_or_qt_will_not_use_x11() -> None:
    assert desktop_problem(X11, load=lambda name: object()) is None
    wayland = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}
    assert desktop_problem(wayland, load=loader_without("libxcb-cursor.so.0")) is None
    offscreen = {"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}
    assert desktop_problem(offscreen, load=loader_without("libxcb-cursor.so.0")) is None


def test_which_platform_qt_will_load() -> None:
    assert will_use_xcb({}, platform="linux")
    assert will_use_xcb({"QT_QPA_PLATFORM": "xcb"}, platform="linux")
    assert will_use_xcb({"QT_QPA_PLATFORM": "xcb;wayland"}, platform="linux")
    assert not will_use_xcb({"QT_QPA_PLATFORM": "wayland;xcb"}, platform="linux")
    assert not will_use_xcb({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "w-0"}, "linux")
    assert not will_use_xcb({}, platform="win32")
    assert not will_use_xcb({}, platform="darwin")


def test_no_display_over_ssh_says_to_use_the_command_line() -> None:
    problem = desktop_problem({}, load=lambda name: object())
    assert problem is not None and "DISPLAY is not set" in problem
    assert "canvas-wizard --help" in problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop libraries")
def test_the_real_loader_agrees_with_ldconfig() -> None:
    """The real dynamic loader is asked, not a guess: what ctypes cannot load is listed."""
    expected = []
    for name in XCB_PLUGIN_LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:
            expected.append(name)
    missing = missing_xcb_libraries()
    assert (missing.files[: len(expected)] if missing else ()) == tuple(expected)


def test_the_self_test_warns_with_the_package_but_still_passes(monkeypatch, qapp) -> None:  # type: ignore[no-untyped-def]
    from canvas_wizard import desktop_libraries, selftest

    real = desktop_libraries.missing_xcb_libraries
    monkeypatch.setattr(
        desktop_libraries,
        "missing_xcb_libraries",
        lambda: real(loader_without("libxcb-cursor.so.0")),
    )
    out = io.StringIO()
    assert selftest.run_self_test(out) == 0, out.getvalue()
    line = next(x for x in out.getvalue().splitlines() if "desktop libraries" in x)
    if sys.platform.startswith("linux"):
        assert line.startswith("warn") and "sudo apt install libxcb-cursor0" in line


def test_the_readme_and_the_packaging_notes_list_every_runtime_package() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- linux-runtime-packages -->", 1)[1].split("```")[1]
    listed = set(block.replace("\\", " ").split()) - {"sudo", "apt", "install"}
    metainfo = root.joinpath(
        "packaging", "linux", "org.canvaswizard.CanvasSyncWizard.metainfo.xml"
    ).read_text(encoding="utf-8")
    for package in set(XCB_PLUGIN_LIBRARIES.values()):
        assert package in listed, f"README's Linux install section lacks {package}"
        assert package in metainfo.replace(",", " ").split(), f"metainfo lacks {package}"


def test_a_library_the_build_carries_beside_qt_counts_as_there(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bundled copy next to Qt's libraries is found by Qt ($ORIGIN): no false alarm."""
    qt = tmp_path / "libQt6XcbQpa.so.6"
    qt.write_bytes(b"")
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"")

    def load(name: str) -> object:
        if name == "libxcb-cursor.so.0":  # not on the system's search path
            raise OSError(f"{name}: cannot open shared object file: No such file")
        return object()

    assert missing_xcb_libraries(load, qt_library=qt) is None
    (tmp_path / "libxcb-cursor.so.0").unlink()
    missing = missing_xcb_libraries(load, qt_library=qt)
    assert missing is not None and missing.packages == ("libxcb-cursor0",)
