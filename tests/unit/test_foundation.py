"""The project's own ground rules, checked."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import keyring

from canvas_wizard.core.paths import app_paths, write_atomic

ROOT = Path(__file__).resolve().parents[2]


def test_core_imports_without_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, canvas_wizard.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'canvas_wizard.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_package_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "canvas_wizard").rglob("__init__.py")
    }
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages: {sorted(missing)}"


def test_home_override_moves_every_folder(tmp_path: Path) -> None:
    paths = app_paths(tmp_path / "setup-b")
    for d in (paths.config_dir, paths.data_dir, paths.log_dir):
        assert tmp_path / "setup-b" in d.parents


def test_write_atomic_replaces_whole_file_and_is_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "profile.json"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    assert list(target.parent.iterdir()) == [target]
    if sys.platform != "win32":
        assert target.stat().st_mode & 0o077 == 0


def test_keyring_is_a_real_secret_service(secret_service: str) -> None:
    if secret_service == "gnome-keyring":
        assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"
    keyring.set_password("canvas-wizard-test", "round-trip", "s3cret")
    try:
        assert keyring.get_password("canvas-wizard-test", "round-trip") == "s3cret"
    finally:
        keyring.delete_password("canvas-wizard-test", "round-trip")
