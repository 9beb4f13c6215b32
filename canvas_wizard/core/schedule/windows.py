"""Windows: a Task Scheduler task, created with ``schtasks /Create /XML``.

"Run only when the user is logged on" (LogonType InteractiveToken): the secrets
are in that user's Credential Manager, which a task running without the user
cannot open. Built with :mod:`xml.etree`; the tests check the XML's content,
since Task Scheduler cannot run on this project's Linux CI.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from canvas_wizard.core.schedule.entries import ScheduledEntry, failed, run_tool
from canvas_wizard.core.schedule.spec import ScheduleSpec

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def task_name(spec: ScheduleSpec) -> str:
    return f"\\Canvas Sync Wizard\\{spec.profile} ({spec.key})"


def windows_user() -> str:
    domain, user = os.environ.get("USERDOMAIN", ""), os.environ.get("USERNAME", "")
    if not user:
        import getpass

        user = getpass.getuser()
    return f"{domain}\\{user}" if domain else user


def task_xml(spec: ScheduleSpec, *, user: str | None = None) -> str:
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        el = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}")
        if text is not None:
            el.text = text
        return el

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", f"Canvas Sync Wizard: sync {spec.profile}, {spec.describe()}")
    trigger = sub(sub(task, "Triggers"), "CalendarTrigger")
    sub(trigger, "StartBoundary", f"2026-01-01T{spec.at.strftime('%H:%M')}:00")
    sub(trigger, "Enabled", "true")
    weekly = sub(trigger, "ScheduleByWeek")
    days = sub(weekly, "DaysOfWeek")
    for d in spec.days:
        sub(days, WEEKDAYS[d])
    sub(weekly, "WeeksInterval", "1")
    principal = sub(sub(task, "Principals"), "Principal", None)
    principal.set("id", "Author")
    sub(principal, "UserId", user or windows_user())
    sub(principal, "LogonType", "InteractiveToken")  # run only when the user is logged on
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    sub(settings, "MultipleInstancesPolicy", "IgnoreNew")
    sub(settings, "DisallowStartIfOnBatteries", "false")
    sub(settings, "StopIfGoingOnBatteries", "false")
    sub(settings, "StartWhenAvailable", "false")
    sub(settings, "ExecutionTimeLimit", "PT4H")
    sub(settings, "Enabled", "true")
    actions = sub(task, "Actions")
    actions.set("Context", "Author")
    exec_ = sub(actions, "Exec")
    argv = spec.command()
    sub(exec_, "Command", argv[0])
    sub(exec_, "Arguments", subprocess.list2cmdline(argv[1:]))
    ET.indent(task)
    return ET.tostring(task, encoding="unicode", xml_declaration=False)


class TaskScheduler:
    kind = "task-scheduler"

    def install(self, spec: ScheduleSpec) -> ScheduledEntry:
        xml = task_xml(spec)
        # schtasks reads the XML as UTF-16, as Task Scheduler itself exports it.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "task.xml"
            path.write_text('<?xml version="1.0" encoding="UTF-16"?>\n' + xml, encoding="utf-16")
            result = run_tool(
                ["schtasks", "/Create", "/TN", task_name(spec), "/XML", str(path), "/F"],
                what="create the task",
            )
        if result.returncode != 0:
            raise failed(result, "create the Task Scheduler task")
        return ScheduledEntry(self.kind, f"Task Scheduler Library{task_name(spec)}", xml)

    def find(self, spec: ScheduleSpec) -> ScheduledEntry | None:
        result = run_tool(
            ["schtasks", "/Query", "/TN", task_name(spec), "/XML"], what="look the task up"
        )
        if result.returncode != 0:
            return None
        return ScheduledEntry(self.kind, f"Task Scheduler Library{task_name(spec)}", result.stdout)

    def remove(self, spec: ScheduleSpec) -> bool:
        result = run_tool(
            ["schtasks", "/Delete", "/TN", task_name(spec), "/F"], what="delete the task"
        )
        return result.returncode == 0

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        return {}
