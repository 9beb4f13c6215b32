"""macOS: a LaunchAgent (runs as the logged-in user, who holds the keychain).

Generated with :mod:`plistlib`; loaded with ``launchctl bootstrap gui/UID``.
It cannot be run on this project's Linux CI: the tests check the plist's content.
"""

from __future__ import annotations

import os
import plistlib
from pathlib import Path
from typing import Any

from canvas_wizard.core.schedule.entries import ScheduledEntry, failed, run_tool
from canvas_wizard.core.schedule.spec import ScheduleSpec


def label(spec: ScheduleSpec) -> str:
    return f"org.canvaswizard.sync.{spec.key}"


def launch_agent(spec: ScheduleSpec) -> dict[str, Any]:
    """The LaunchAgent as a dict; launchd's Weekday counts from Sunday = 0."""
    agent: dict[str, Any] = {
        "Label": label(spec),
        "ProgramArguments": spec.command(),
        "StartCalendarInterval": [
            {"Weekday": (d + 1) % 7, "Hour": spec.at.hour, "Minute": spec.at.minute}
            for d in spec.days
        ],
        "RunAtLoad": False,
        "ProcessType": "Background",
    }
    if spec.output_log is not None:
        agent["StandardOutPath"] = str(spec.output_log)
        agent["StandardErrorPath"] = str(spec.output_log)
    return agent


def plist_bytes(spec: ScheduleSpec) -> bytes:
    return plistlib.dumps(launch_agent(spec), fmt=plistlib.FMT_XML)


class LaunchdScheduler:
    kind = "launchd"

    def __init__(self, agents_dir: Path | None = None) -> None:
        self.agents_dir = agents_dir or Path.home() / "Library" / "LaunchAgents"

    def _path(self, spec: ScheduleSpec) -> Path:
        return self.agents_dir / f"{label(spec)}.plist"

    def install(self, spec: ScheduleSpec) -> ScheduledEntry:
        path = self._path(spec)
        domain = f"gui/{os.getuid()}"
        if path.exists():  # replacing: unload the old one first
            run_tool(["launchctl", "bootout", f"{domain}/{label(spec)}"], what="unload the agent")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(plist_bytes(spec))
        result = run_tool(["launchctl", "bootstrap", domain, str(path)], what="load the agent")
        if result.returncode != 0:
            path.unlink(missing_ok=True)
            raise failed(result, "load the LaunchAgent")
        return ScheduledEntry(self.kind, str(path), path.read_text(encoding="utf-8"))

    def find(self, spec: ScheduleSpec) -> ScheduledEntry | None:
        path = self._path(spec)
        if not path.exists():
            return None
        return ScheduledEntry(self.kind, str(path), path.read_text(encoding="utf-8"))

    def remove(self, spec: ScheduleSpec) -> bool:
        path = self._path(spec)
        if not path.exists():
            return False
        run_tool(
            ["launchctl", "bootout", f"gui/{os.getuid()}/{label(spec)}"], what="unload the agent"
        )
        path.unlink(missing_ok=True)
        return True

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        return {}
