"""Finding files in resources/ from a checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of ``resources/<name>``; raises FileNotFoundError naming it when absent."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        path = Path(frozen_root) / "canvas_wizard_resources" / name
    else:
        path = Path(str(resources.files("canvas_wizard_resources").joinpath(name)))
    if not path.exists():
        raise FileNotFoundError(f"The app's resource file {name!r} is missing from {path.parent}")
    return path
