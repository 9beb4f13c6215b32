"""Linux: a systemd user timer where the user has a systemd session, else a crontab line.

Both run as the user who set the app up, because the secrets are in that user's
keyring. The crontab is read, changed and written back under a lock file, and
only the line carrying this schedule's marker is ever touched.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.schedule.entries import ScheduledEntry, failed, run_tool
from canvas_wizard.core.schedule.spec import ScheduleSpec

CRON_DAYS = ("1", "2", "3", "4", "5", "6", "0")  # cron counts from Sunday = 0
SYSTEMD_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _user() -> str:
    import getpass

    return getpass.getuser()


def session_bus_address() -> str | None:
    """The user's stable session bus (where the keyring answers), if there is one."""
    path = Path(f"/run/user/{os.getuid()}/bus")
    return f"unix:path={path}" if path.exists() else None


def _check_text(spec: ScheduleSpec) -> None:
    for arg in spec.command():
        if "\n" in arg or "\r" in arg:
            raise UsageError(
                "The file path or setup name contains a line break, which a scheduled "
                "command cannot hold.",
                hint="Rename the file or folder without line breaks.",
            )


# -- crontab --------------------------------------------------------------------------


def marker(spec: ScheduleSpec) -> str:
    return f"# canvas-wizard:{spec.key}"


def cron_line(spec: ScheduleSpec) -> str:
    _check_text(spec)
    when = f"{spec.at.minute} {spec.at.hour} * * {','.join(CRON_DAYS[d] for d in spec.days)}"
    env = ""
    bus = session_bus_address()
    if bus:  # cron gives no D-Bus address, and the keyring is reached over D-Bus
        env = f"DBUS_SESSION_BUS_ADDRESS={shlex.quote(bus)} "
    command = shlex.join(spec.command())
    if spec.output_log is not None:
        command += f" >> {shlex.quote(str(spec.output_log))} 2>&1"
    # cron turns an unescaped % into a line break (crontab(5)).
    command = command.replace("%", "\\%")
    profile = spec.profile.replace("\n", " ")
    return f"{when} {env}{command} {marker(spec)} {profile}"


class _CrontabLock:
    """One process at a time changes this user's crontab (crontab -l … crontab - is not atomic)."""

    def __init__(self) -> None:
        import tempfile

        self._path = Path(tempfile.gettempdir()) / f"canvas-wizard-crontab-{os.getuid()}.lock"
        self._fd = -1

    def __enter__(self) -> None:
        import fcntl

        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)  # closing releases the lock


class CronScheduler:
    kind = "crontab"

    def __init__(self, crontab: str = "crontab") -> None:
        self._crontab = crontab

    def _read(self) -> list[str]:
        result = run_tool([self._crontab, "-l"], what="read your crontab")
        if result.returncode != 0:
            if "no crontab" in result.stderr.lower():
                return []
            raise failed(result, "read your crontab")
        return result.stdout.splitlines()

    def _write(self, lines: list[str]) -> None:
        if not lines:  # leave no empty crontab behind where there was none before us
            result = run_tool([self._crontab, "-r"], what="remove your empty crontab")
            if result.returncode != 0 and "no crontab" not in result.stderr.lower():
                raise failed(result, "remove your empty crontab")
            return
        text = "".join(f"{line}\n" for line in lines)
        result = run_tool([self._crontab, "-"], input=text, what="write your crontab")
        if result.returncode != 0:
            raise failed(result, "write your crontab")

    def _location(self) -> str:
        return f"the crontab of {_user()} (crontab -l)"

    def install(self, spec: ScheduleSpec) -> ScheduledEntry:
        line = cron_line(spec)
        with _CrontabLock():
            lines = [x for x in self._read() if marker(spec) not in x]
            self._write([*lines, line])
        return ScheduledEntry(self.kind, self._location(), line)

    def find(self, spec: ScheduleSpec) -> ScheduledEntry | None:
        for line in self._read():
            if marker(spec) in line:
                return ScheduledEntry(self.kind, self._location(), line)
        return None

    def remove(self, spec: ScheduleSpec) -> bool:
        with _CrontabLock():
            lines = self._read()
            kept = [x for x in lines if marker(spec) not in x]
            if len(kept) == len(lines):
                return False
            self._write(kept)
        return True

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        bus = session_bus_address()
        return {"DBUS_SESSION_BUS_ADDRESS": bus} if bus else {}


# -- systemd --------------------------------------------------------------------------


def _systemd_quote(arg: str) -> str:
    # systemd.service(5) "Command lines": specifiers (%) and variables ($) are expanded.
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def unit_name(spec: ScheduleSpec) -> str:
    return f"canvas-wizard-sync-{spec.key}"


def service_unit(spec: ScheduleSpec) -> str:
    _check_text(spec)
    command = " ".join(_systemd_quote(a) for a in spec.command())
    lines = [
        "[Unit]",
        f"Description=Canvas Sync Wizard: scheduled sync of {spec.profile}",
        "",
        "[Service]",
        "Type=oneshot",
        f"ExecStart={command}",
    ]
    if spec.output_log is not None:
        lines.append(f"StandardOutput=append:{spec.output_log}")
        lines.append(f"StandardError=append:{spec.output_log}")
    # Exit 1/3/5 (failed records, held, paused) are reported in the history, not by systemd.
    lines.append("SuccessExitStatus=1 3 5")
    return "\n".join(lines) + "\n"


def timer_unit(spec: ScheduleSpec) -> str:
    days = ",".join(SYSTEMD_DAYS[d] for d in spec.days)
    return (
        "[Unit]\n"
        f"Description=Canvas Sync Wizard: {spec.profile}, {spec.describe()}\n\n"
        "[Timer]\n"
        f"OnCalendar={days} *-*-* {spec.at.strftime('%H:%M')}:00\n"
        f"Unit={unit_name(spec)}.service\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def systemd_user_available() -> bool:
    """True when this user has a running systemd user manager to talk to."""
    import shutil

    if shutil.which("systemctl") is None:
        return False
    try:
        result = run_tool(
            ["systemctl", "--user", "show-environment"], what="reach systemd", timeout=10
        )
    except Exception:
        return False
    return result.returncode == 0


class SystemdScheduler:
    kind = "systemd"

    def __init__(self, unit_dir: Path | None = None) -> None:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.unit_dir = unit_dir or config / "systemd" / "user"

    def _paths(self, spec: ScheduleSpec) -> tuple[Path, Path]:
        name = unit_name(spec)
        return self.unit_dir / f"{name}.service", self.unit_dir / f"{name}.timer"

    def _systemctl(self, *args: str, what: str) -> None:
        result = run_tool(["systemctl", "--user", *args], what=what)
        if result.returncode != 0:
            raise failed(result, what)

    def install(self, spec: ScheduleSpec) -> ScheduledEntry:
        service, timer = self._paths(spec)
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        service.write_text(service_unit(spec), encoding="utf-8")
        timer.write_text(timer_unit(spec), encoding="utf-8")
        try:
            self._systemctl("daemon-reload", what="reload systemd's user units")
            self._systemctl("enable", "--now", timer.name, what="start the timer")
        except Exception:
            service.unlink(missing_ok=True)
            timer.unlink(missing_ok=True)
            raise
        return ScheduledEntry(self.kind, str(timer), timer.read_text(encoding="utf-8"))

    def find(self, spec: ScheduleSpec) -> ScheduledEntry | None:
        _service, timer = self._paths(spec)
        if not timer.exists():
            return None
        return ScheduledEntry(self.kind, str(timer), timer.read_text(encoding="utf-8"))

    def remove(self, spec: ScheduleSpec) -> bool:
        service, timer = self._paths(spec)
        if not timer.exists() and not service.exists():
            return False
        run_tool(["systemctl", "--user", "disable", "--now", timer.name], what="stop the timer")
        service.unlink(missing_ok=True)
        timer.unlink(missing_ok=True)
        run_tool(["systemctl", "--user", "daemon-reload"], what="reload systemd's user units")
        return True

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        bus = session_bus_address()  # the user manager passes its bus to every service
        env = {"XDG_RUNTIME_DIR": f"/run/user/{os.getuid()}"}
        return env | ({"DBUS_SESSION_BUS_ADDRESS": bus} if bus else {})
