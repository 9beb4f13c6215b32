"""One sync at a time per profile, across every process on this computer.

Two syncs of one profile at once would plan against the same Canvas and write
the same people twice, so the second is refused, naming the first.

The lock is an OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows)
on ``<data>/locks/<profile>.lock``. The operating system drops it the moment its
process ends, however it ends, so a sync killed with SIGKILL or a laptop that
lost power never leaves a profile locked: the next run simply takes it. The
file's text records the holder (pid, the process's start token from
:func:`~canvas_wizard.core.store.history.process_start_token`, start time) only
so that a refusal can say *which* run holds it; the text of a holder that is no
longer running is ignored and overwritten.

The file is never deleted: deleting it while another process has it open would
let two processes each lock a different file of the same name.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.store.history import process_start_token

#: The byte range locked on Windows: past any text we write, so readers can read it.
_WINDOWS_LOCK_OFFSET = 1 << 20


@dataclass(frozen=True)
class LockHolder:
    """The process holding a profile's sync lock, as it recorded itself."""

    pid: int
    start_token: str
    started_at: datetime
    purpose: str

    def is_running(self) -> bool:
        """True while that very process (not a later one with its pid) still runs."""
        current = process_start_token(self.pid)
        if current is None:
            return False
        return not (self.start_token and current and current != self.start_token)

    def describe(self) -> str:
        local = self.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        return f"process {self.pid}, started {local}"


class SyncAlreadyRunning(WizardError):
    """Another sync of the same profile holds the lock."""

    def __init__(self, profile: str, holder: LockHolder | None) -> None:
        who = f" ({holder.describe()})" if holder is not None else ""
        what = holder.purpose if holder is not None else "sync"
        super().__init__(
            f"Another {what} of the profile “{profile}” is already running{who}.",
            hint="Only one sync per profile can run at a time. Wait for that one to finish "
            "(or cancel it in the window or command where it runs), then start this one again.",
        )
        self.profile = profile
        self.holder = holder


def lock_path(paths: AppPaths, profile: str) -> Path:
    """Profile names are case-insensitive (see ProfileStore), so the lock is too."""
    return paths.data_dir / "locks" / f"{profile.casefold()}.lock"


class ProfileLock:
    """The sync lock of one profile. Not re-entrant; use as a context manager."""

    def __init__(self, paths: AppPaths, profile: str, *, purpose: str = "sync") -> None:
        self.profile = profile
        self.path = lock_path(paths, profile)
        self.purpose = purpose
        self._fd: int | None = None

    def __repr__(self) -> str:
        state = "held" if self._fd is not None else "free"
        return f"ProfileLock({self.profile!r}, {state})"

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`SyncAlreadyRunning` naming who has it."""
        if self._fd is not None:
            raise RuntimeError("this ProfileLock is already held")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise WizardError(
                f"Cannot create the sync lock file {self.path}: {exc.strerror or exc}.",
                hint="Check that you may write to the app's data folder.",
            ) from exc
        if not _try_lock(fd):
            holder = read_holder(self.path)
            os.close(fd)
            if holder is not None and not holder.is_running():
                holder = None  # the new holder has not written its name yet
            raise SyncAlreadyRunning(self.profile, holder)
        self._fd = fd
        me = os.getpid()
        record = {
            "pid": me,
            "start_token": process_start_token(me) or "",
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "purpose": self.purpose,
        }
        _rewrite(fd, json.dumps(record))

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # An empty file: nobody holds it. (The OS lock goes with the descriptor anyway.)
            with contextlib.suppress(OSError):
                _rewrite(fd, "")
        finally:
            _unlock(fd)
            os.close(fd)

    def __enter__(self) -> ProfileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def read_holder(path: Path) -> LockHolder | None:
    """Who the lock file says holds it; None when empty, unreadable or gone."""
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        if not isinstance(data, dict):
            return None
        return LockHolder(
            pid=int(data["pid"]),
            start_token=str(data.get("start_token") or ""),
            started_at=datetime.fromisoformat(str(data["started_at"])),
            purpose=str(data.get("purpose") or "sync"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _rewrite(fd: int, text: str) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, text.encode("utf-8"))
    os.fsync(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


__all__ = ["LockHolder", "ProfileLock", "SyncAlreadyRunning", "lock_path", "read_holder"]
