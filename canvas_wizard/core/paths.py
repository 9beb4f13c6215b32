"""Where the app keeps its files.

Config, data and logs live under platformdirs' folders for "canvas-wizard".
``--config-dir DIR`` or the ``CANVAS_WIZARD_HOME`` environment variable moves all
of them under one folder, for tests and for admins who keep setups apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_DIR_NAME = "canvas-wizard"
HOME_ENV = "CANVAS_WIZARD_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def profiles_dir(self) -> Path:
        return self.config_dir / "profiles"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    def ensure(self) -> AppPaths:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(config_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """The folders to use: ``config_dir`` if given, else $CANVAS_WIZARD_HOME, else the OS's."""
    root = config_dir if config_dir is not None else os.environ.get(HOME_ENV) or None
    if root is not None:
        base = Path(root).expanduser().resolve()
        return AppPaths(config_dir=base / "config", data_dir=base / "data", log_dir=base / "logs")
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half.

    The file is created readable by the owner only: profiles name the school's
    Canvas and client ID, which are not secret but are nobody else's business.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
