"""Helpers for the roster tests: write fixture files and zips into tmp_path."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

Content = str | bytes
WriteFn = Callable[..., Path]


def _bytes(content: Content, encoding: str) -> bytes:
    return content.encode(encoding) if isinstance(content, str) else content


@pytest.fixture
def write(tmp_path: Path) -> WriteFn:
    """write("users.csv", "a,b\\n", encoding="utf-8") -> path under tmp_path."""

    def _write(name: str, content: Content, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_bytes(content, encoding))
        return path

    return _write


@pytest.fixture
def make_zip(tmp_path: Path) -> Callable[[str, Mapping[str, Content]], Path]:
    """make_zip("export.zip", {"users.csv": "..."}) -> path of a deflated zip."""

    def _make(name: str, files: Mapping[str, Content]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for member, content in files.items():
                zf.writestr(member, _bytes(content, "utf-8"))
        return path

    return _make


@pytest.fixture
def materialise(tmp_path: Path) -> Callable[[Mapping[str, Any]], None]:
    """Write {name: text | bytes | {member: text}} under tmp_path; a dict becomes a zip."""

    def _materialise(files: Mapping[str, Any]) -> None:
        for name, content in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Mapping):
                with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    for member, text in content.items():
                        zf.writestr(member, text)
            else:
                target.write_bytes(_bytes(content, "utf-8"))

    return _materialise
