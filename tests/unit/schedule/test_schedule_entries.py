"""The scheduler entries the app writes: a crontab line, systemd units, a LaunchAgent plist,
a Task Scheduler XML. Linux's run for real in tests/e2e/schedule; macOS's and Windows's
cannot run here, so their content and well-formedness are checked."""

from __future__ import annotations

import plistlib
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import time
from pathlib import Path

import pytest

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.schedule import linux, macos, windows
from canvas_wizard.core.schedule.spec import ScheduleSpec, format_days, parse_at, parse_days

NS = {"t": windows.TASK_NS}


def spec(tmp_path: Path, **kw: object) -> ScheduleSpec:
    args: dict[str, object] = dict(
        profile="Main school",
        source=tmp_path / "exports 100%" / "cloudwork.csv",
        at=time(6, 30),
        days=(0, 1, 2, 3, 4),
        method="api",
        home=tmp_path / "home",
        output_log=tmp_path / "logs" / "scheduled.log",
        launcher=("/opt/Canvas Sync Wizard/canvas-wizard",),
    )
    args.update(kw)
    return ScheduleSpec(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("Mon,Wed,Fri", (0, 2, 4)),
        ("fri-mon", (0, 4, 5, 6)),
        ("sat", (5,)),
    ],
)
def test_days_are_read_as_a_technician_writes_them(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == days


def test_bad_days_and_times_say_how_to_write_them() -> None:
    with pytest.raises(UsageError, match="not a list of days") as bad_days:
        parse_days("weekdays")
    assert "mon-fri" in bad_days.value.hint
    with pytest.raises(UsageError, match="not a time of day") as bad_time:
        parse_at("25:00")
    assert "HH:MM" in bad_time.value.hint
    assert parse_at("6:05") == time(6, 5)
    assert format_days((0, 1, 2, 3, 4)) == "mon-fri"
    assert format_days((0, 2, 4)) == "mon,wed,fri"


def test_the_command_is_a_plain_sync_marked_scheduled(tmp_path: Path) -> None:
    s = spec(tmp_path, suspend_missing=True, method="sis-import")
    assert s.command() == [
        "/opt/Canvas Sync Wizard/canvas-wizard",
        "--config-dir",
        str(tmp_path / "home"),
        "sync",
        "Main school",
        "--source",
        str(tmp_path / "exports 100%" / "cloudwork.csv"),
        "--method",
        "sis-import",
        "--suspend-missing",
        "--scheduled",
        "--json",
    ]
    # Another setup folder or another profile gets another entry, never the same one.
    assert spec(tmp_path).key != spec(tmp_path, home=tmp_path / "other").key
    assert spec(tmp_path).key != spec(tmp_path, profile="Other").key
    assert spec(tmp_path).key == spec(tmp_path, profile="MAIN SCHOOL").key


def test_the_crontab_line_runs_the_command_unchanged_through_cron_and_sh(tmp_path: Path) -> None:
    s = spec(tmp_path)
    line = linux.cron_line(s)
    minute, hour, dom, month, dow, rest = line.split(" ", 5)
    assert (minute, hour, dom, month, dow) == ("30", "6", "*", "*", "1,2,3,4,5")
    assert line.endswith(f"# canvas-wizard:{s.key} Main school")
    # cron turns "\%" into "%" and hands the rest to sh: the words must come back exactly.
    as_sh_sees_it = rest.replace("\\%", "%")
    words = shlex.split(as_sh_sees_it, comments=True)
    words = [w for w in words if not w.startswith("DBUS_SESSION_BUS_ADDRESS=")]
    assert words[: len(s.command())] == s.command()
    assert words[len(s.command()) :] == [">>", str(s.output_log), "2>&1"]
    assert "%" not in rest.replace("\\%", "")  # every % escaped


def test_a_line_break_in_a_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="line break"):
        linux.cron_line(spec(tmp_path, source=tmp_path / "a\nb.csv"))


def test_the_systemd_units_name_the_command_and_the_time(tmp_path: Path) -> None:
    s = spec(tmp_path, days=(5, 6), at=time(22, 5))
    service, timer = linux.service_unit(s), linux.timer_unit(s)
    assert "OnCalendar=Sat,Sun *-*-* 22:05:00" in timer
    assert f"Unit={linux.unit_name(s)}.service" in timer
    exec_line = next(x for x in service.splitlines() if x.startswith("ExecStart="))
    assert '"--source"' in exec_line and "exports 100%%" in exec_line  # % is a specifier
    assert "SuccessExitStatus=1 3 5" in service


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # A real executable for ExecStart: verify checks that it exists.
    exe = tmp_path / "bin" / "canvas-wizard"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    s = spec(tmp_path, launcher=(str(exe),))
    units = tmp_path / "units"
    units.mkdir()
    (units / f"{linux.unit_name(s)}.service").write_text(linux.service_unit(s))
    (units / f"{linux.unit_name(s)}.timer").write_text(linux.timer_unit(s))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(units / f"{linux.unit_name(s)}.timer")],
        capture_output=True,
        text=True,
        check=False,
        cwd=units,
    )
    problems = [
        ln
        for ln in (result.stdout + result.stderr).splitlines()
        if linux.unit_name(s) in ln or "canvas" in ln.lower()
    ]
    assert not problems, problems
    assert result.returncode == 0, result.stderr


def test_the_launch_agent_plist_holds_the_command_and_each_day(tmp_path: Path) -> None:
    s = spec(tmp_path, days=(0, 6))
    data = plistlib.loads(macos.plist_bytes(s))
    assert data["Label"] == f"org.canvaswizard.sync.{s.key}"
    assert data["ProgramArguments"] == s.command()
    # launchd counts weekdays from Sunday = 0
    assert data["StartCalendarInterval"] == [
        {"Weekday": 1, "Hour": 6, "Minute": 30},
        {"Weekday": 0, "Hour": 6, "Minute": 30},
    ]
    assert data["StandardOutPath"] == str(s.output_log)
    assert data["RunAtLoad"] is False
    text = macos.plist_bytes(s).decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')


def test_the_task_scheduler_xml_runs_only_when_the_user_is_logged_on(tmp_path: Path) -> None:
    s = spec(tmp_path, days=(0, 2, 4), at=time(6, 5))
    xml = windows.task_xml(s, user="NORTHFIELD\\it-admin")
    root = ET.fromstring(xml)
    assert root.tag == f"{{{windows.TASK_NS}}}Task" and root.get("version") == "1.2"
    trigger = root.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger is not None
    assert trigger.findtext("t:StartBoundary", namespaces=NS) == "2026-01-01T06:05:00"
    days = trigger.find("t:ScheduleByWeek/t:DaysOfWeek", NS)
    assert days is not None
    assert [d.tag.split("}")[1] for d in days] == ["Monday", "Wednesday", "Friday"]
    principal = root.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert principal.findtext("t:UserId", namespaces=NS) == "NORTHFIELD\\it-admin"
    assert principal.findtext("t:LogonType", namespaces=NS) == "InteractiveToken"
    assert principal.findtext("t:RunLevel", namespaces=NS) == "LeastPrivilege"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    exec_ = root.find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    assert exec_.findtext("t:Command", namespaces=NS) == s.command()[0]
    arguments = exec_.findtext("t:Arguments", namespaces=NS) or ""
    assert arguments == subprocess.list2cmdline(s.command()[1:])
    assert f'"{s.source}"' in arguments  # the path with spaces stays one argument


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux chooser")
def test_linux_uses_the_systemd_timer_only_where_a_user_manager_answers() -> None:
    from canvas_wizard.core.schedule.manage import platform_scheduler

    answers = (
        shutil.which("systemctl") is not None
        and subprocess.run(
            ["systemctl", "--user", "show-environment"], capture_output=True, check=False
        ).returncode
        == 0
    )
    assert linux.systemd_user_available() is answers
    assert platform_scheduler().kind == ("systemd" if answers else "crontab")


def test_the_installed_app_schedules_its_console_tool_not_the_windowed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canvas_wizard.core.schedule.spec import default_launcher

    gui = tmp_path / "canvas-wizard-gui.exe"
    console = tmp_path / "canvas-wizard.exe"
    gui.write_text("")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(gui))
    assert default_launcher() == (str(gui),), "no console tool next to it: itself"
    console.write_text("")
    assert default_launcher() == (str(console),)
