"""Setting up, showing, removing and trying out a profile's scheduled sync.

What the `schedule` commands and the app's Schedule dialog both call. Blocking
(it runs the OS's scheduler tools): the UI calls it from a worker thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from pathlib import Path

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.roster import read_roster
from canvas_wizard.core.schedule.entries import ScheduledEntry, Scheduler
from canvas_wizard.core.schedule.spec import METHODS, ScheduleSpec, ScheduleStore, home_of
from canvas_wizard.core.store import Profile, ProfileStore


def platform_scheduler() -> Scheduler:
    """The scheduler this computer has: systemd user timer, else crontab, on Linux."""
    if sys.platform == "win32":
        from canvas_wizard.core.schedule.windows import TaskScheduler

        return TaskScheduler()
    if sys.platform == "darwin":
        from canvas_wizard.core.schedule.macos import LaunchdScheduler

        return LaunchdScheduler()
    from canvas_wizard.core.schedule.linux import (
        CronScheduler,
        SystemdScheduler,
        systemd_user_available,
    )

    return SystemdScheduler() if systemd_user_available() else CronScheduler()


def check_source(source: Path) -> str:
    """Refuse a file the scheduled run could not read; a one-line summary of what it holds."""
    if not source.is_absolute():
        raise UsageError(
            f"The path {source} is relative; a scheduled run starts in another folder.",
            hint="Give the export's full path.",
        )
    if not source.exists():
        raise UsageError(
            f"The export {source} does not exist.",
            hint="Give the fixed path Cloudwork saves its export to, and check it is there now.",
        )
    roster = read_roster(source)
    if roster.errors:
        first = roster.errors[0]
        raise UsageError(
            f"The export {source} has {len(roster.errors)} problem(s), the first: {first}",
            hint="Fix the export (or preview it in the app to see every problem), then "
            "schedule it again.",
        )
    return f"{len(roster.people)} people and {len(roster.links)} links ({roster.format})"


@dataclass(frozen=True)
class ScheduleStatus:
    spec: ScheduleSpec
    entry: ScheduledEntry | None  # None: the OS entry is gone (removed by hand?)


class Schedules:
    def __init__(self, paths: AppPaths, scheduler: Scheduler | None = None) -> None:
        self.paths = paths
        self.store = ScheduleStore(paths)
        self._scheduler = scheduler

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            self._scheduler = platform_scheduler()
        return self._scheduler

    def _profile(self, name: str) -> Profile:
        profile = ProfileStore(self.paths).get(name)
        if profile.account is None:
            raise UsageError(
                f"The setup {profile.name!r} has no Canvas account chosen yet.",
                hint=f"Finish the setup first: canvas-wizard connect {profile.name} --account ID",
            )
        return profile

    def create(
        self,
        name: str,
        *,
        source: Path,
        at: time,
        days: tuple[int, ...],
        method: str = "auto",
        suspend_missing: bool = False,
    ) -> tuple[ScheduleStatus, str]:
        """Create (or replace) the entry; returns it and what the export holds now."""
        profile = self._profile(name)
        held = check_source(source)
        # "auto" stays auto: each night's run picks the API or a SIS Import, whichever is
        # quicker for what it has to write (core/sync/costs.py).
        if method not in METHODS:
            raise UsageError(
                f"Unknown write method {method!r}.", hint="Use api, sis-import or auto."
            )
        if method == "sis-import" and not (profile.account and profile.account.is_root):
            raise UsageError(
                "SIS Imports can only run on a root account, and this setup syncs into a "
                "sub-account.",
                hint="Use --method api.",
            )
        spec = ScheduleSpec(
            profile=profile.name,
            source=source,
            at=at,
            days=days,
            method=method,
            suspend_missing=suspend_missing,
            home=home_of(self.paths),
        )
        spec = replace(
            spec,
            output_log=self.paths.log_dir / f"scheduled-{spec.key}.log",
            created_at=datetime.now(UTC),
        )
        old = self.store.get(profile.name)
        if old is not None and old.key != spec.key:
            self.scheduler.remove(old)
        entry = self.scheduler.install(spec)
        self.paths.log_dir.mkdir(parents=True, exist_ok=True)
        self.store.save(spec)
        return ScheduleStatus(spec, entry), held

    def get(self, name: str) -> ScheduleStatus | None:
        profile = ProfileStore(self.paths).get(name)
        spec = self.store.get(profile.name)
        if spec is None:
            return None
        return ScheduleStatus(spec, self.scheduler.find(spec))

    def remove(self, name: str) -> ScheduleStatus | None:
        status = self.get(name)
        if status is None:
            return None
        self.scheduler.remove(status.spec)
        self.store.remove(status.spec.profile)
        return status

    def require(self, name: str) -> ScheduleStatus:
        status = self.get(name)
        if status is None:
            raise UsageError(
                f"The setup {name!r} has no scheduled sync.",
                hint=f"Set one up with: canvas-wizard schedule {name} --source PATH --at HH:MM",
            )
        return status

    def try_run(self, name: str, *, timeout: float = 900) -> TrialRun:
        """Run the scheduled command once now, as a preview, in an environment as bare as
        the scheduler's: no terminal, no input, only the variables the scheduler gives."""
        spec = self.require(name).spec
        argv = [a for a in spec.command(extra=("--dry-run",)) if a != "--scheduled"]
        env = bare_environment() | self.scheduler.environment(spec)
        # Our own command (the same as the scheduler runs), no shell.
        proc = subprocess.run(  # noqa: S603
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=str(Path.home()) if Path.home().is_dir() else None,
            start_new_session=sys.platform != "win32",
        )
        return TrialRun.from_process(argv, env, proc.returncode, proc.stdout, proc.stderr)


def forget_unattended(paths: AppPaths, profile: str) -> str | None:
    """A profile is being removed: its scheduler entry, pause and email settings go too.

    Returns where a scheduler entry was removed from, if there was one.
    """
    from canvas_wizard.core.schedule.email import EmailStore
    from canvas_wizard.core.schedule.pause import PauseStore

    schedules = Schedules(paths)
    where = None
    spec = schedules.store.get(profile)
    if spec is not None:
        entry = schedules.scheduler.find(spec)
        schedules.scheduler.remove(spec)
        schedules.store.remove(profile)
        where = entry.location if entry else "the scheduler"
    PauseStore(paths).resume(profile)
    EmailStore(paths).remove(profile)
    return where


def bare_environment() -> dict[str, str]:
    """About what cron, a systemd user service or Task Scheduler give a job."""
    if sys.platform == "win32":
        keep = ("SYSTEMROOT", "WINDIR", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "USERNAME")
        keep += ("USERDOMAIN", "TEMP", "TMP", "PATH", "COMSPEC", "PATHEXT")
        return {k: os.environ[k] for k in keep if k in os.environ}
    import getpass

    user = getpass.getuser()
    return {
        "HOME": str(Path.home()),
        "LOGNAME": user,
        "USER": user,
        "SHELL": "/bin/sh",
        "PATH": "/usr/bin:/bin",
    }


@dataclass(frozen=True)
class TrialRun:
    """How the scheduled command fared when run once from a scheduler-like environment."""

    command: list[str]
    variables: list[str]  # the names of the variables it had, to show
    exit_status: int
    keyring: bool | None  # None: not reached (something failed first)
    source: bool | None
    canvas: bool | None
    message: str

    @property
    def ok(self) -> bool:
        return bool(self.keyring and self.source and self.canvas)

    @classmethod
    def from_process(
        cls, argv: list[str], env: dict[str, str], status: int, stdout: str, stderr: str
    ) -> TrialRun:
        names = sorted(env)
        summary: dict[str, object] | None = None
        try:
            parsed = json.loads(stdout) if stdout.strip() else None
            summary = parsed if isinstance(parsed, dict) else None
        except ValueError:
            summary = None
        if summary is not None and status in (0, 1, 3):
            message = str(summary.get("message") or "The preview ran.")
            return cls(argv, names, status, True, True, True, message)
        errors = [ln for ln in stderr.splitlines() if ln.strip()]
        said = next((ln for ln in errors if ln.startswith("Error:")), errors[-1] if errors else "")
        said = said.removeprefix("Error:").strip() or f"It ended with exit status {status}."
        lowered = stderr.lower()
        if "keyring" in lowered or "secret service" in lowered or "secrets cannot" in lowered:
            return cls(argv, names, status, False, None, None, said)
        if status == 4:  # the keyring answered, but Canvas wants a new sign-in
            return cls(argv, names, status, True, None, False, said)
        if status == 2:  # the export could not be read (it is read before the keyring)
            return cls(argv, names, status, None, False, None, said)
        return cls(argv, names, status, True, True, False, said)
