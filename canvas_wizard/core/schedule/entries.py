"""What every scheduler writer shares: the entry it made, and running the OS's tools."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.schedule.spec import ScheduleSpec


@dataclass(frozen=True)
class ScheduledEntry:
    """An entry in the operating system's scheduler, as the admin should see it."""

    kind: str  # "systemd", "crontab", "launchd", "task-scheduler"
    location: str  # where it is: a file, "crontab of USER", a task's path
    text: str  # the entry itself (a crontab line, a unit file, the plist, the XML)

    @property
    def kind_label(self) -> str:
        return {
            "systemd": "systemd user timer",
            "crontab": "crontab line",
            "launchd": "LaunchAgent",
            "task-scheduler": "Task Scheduler task",
        }.get(self.kind, self.kind)


class SchedulerError(WizardError):
    """The operating system's scheduler refused or is not there."""


class Scheduler(Protocol):
    kind: str

    def install(self, spec: ScheduleSpec) -> ScheduledEntry: ...

    def find(self, spec: ScheduleSpec) -> ScheduledEntry | None: ...

    def remove(self, spec: ScheduleSpec) -> bool: ...

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        """The variables the scheduler gives the job besides the bare minimum."""
        ...


def run_tool(
    argv: Sequence[str], *, input: str | None = None, what: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run one of the OS's scheduler tools; SchedulerError naming it if it cannot start."""
    try:
        # The scheduler tools are fixed names; the arguments are ours, never a shell.
        return subprocess.run(  # noqa: S603
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise SchedulerError(
            f"The program {argv[0]!r}, needed to {what}, is not installed.",
            hint="Install it, or set the schedule up by hand (README, Scheduling).",
        ) from None
    except subprocess.TimeoutExpired:
        raise SchedulerError(
            f"{argv[0]} did not answer within {timeout:.0f} s while trying to {what}.",
            hint="Try again; if it keeps happening, set the schedule up by hand.",
        ) from None


def failed(result: subprocess.CompletedProcess[str], what: str) -> SchedulerError:
    said = (result.stderr or result.stdout).strip().splitlines()
    detail = f": {said[-1]}" if said else ""
    return SchedulerError(
        f"Could not {what} (exit status {result.returncode}{detail}).",
        hint="Nothing was left half-done; check the message, or set it up by hand "
        "(README, Scheduling).",
    )
