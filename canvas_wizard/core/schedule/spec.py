"""What a scheduled sync is: which profile, which file, which days and time, how to write.

A :class:`ScheduleSpec` is saved as ``<config>/schedules/<name>.json`` (to show and
to remove it later) and turned into the operating system's own entry by the
writers in :mod:`.linux`, :mod:`.macos` and :mod:`.windows`. The command it runs
is plain ``canvas-wizard sync NAME --source PATH ... --scheduled --json``: no
secret is ever part of it; the scheduled run reads them from the user's keyring.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths, write_atomic

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
METHODS = ("api", "sis-import", "auto")


def parse_days(text: str) -> tuple[int, ...]:
    """ "mon-fri", "mon,wed,fri", "daily" → weekday numbers (0 = Monday), sorted."""
    value = text.strip().lower()
    if value in ("daily", "every day", "all", "*"):
        return tuple(range(7))
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in value.split(","))):
        ends = [e.strip()[:3] for e in part.split("-")]
        if len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
            raise UsageError(
                f"“{text}” is not a list of days.",
                hint="Write days like mon-fri, mon,wed,fri or daily.",
            )
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        if last < first:  # fri-mon wraps over the weekend
            days.update(range(first, 7))
            days.update(range(0, last + 1))
        else:
            days.update(range(first, last + 1))
    if not days:
        raise UsageError("No days were given.", hint="Write days like mon-fri or daily.")
    return tuple(sorted(days))


def format_days(days: tuple[int, ...]) -> str:
    if len(days) == 7:
        return "daily"
    if days == tuple(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    return ",".join(DAY_NAMES[d] for d in days)


def parse_at(text: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise UsageError(
            f"“{text}” is not a time of day.", hint="Write it as HH:MM in 24 hours, e.g. 06:30."
        )
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class ScheduleSpec:
    profile: str
    source: Path
    at: time
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    method: str = "api"
    suspend_missing: bool = False
    #: The --config-dir the app was started with, so the scheduled run finds the same setup.
    home: Path | None = None
    #: Where the scheduled run's own output goes (its log and history are kept as usual).
    output_log: Path | None = None
    #: The command that starts canvas-wizard (the frozen app, or this Python with -m).
    launcher: tuple[str, ...] = field(default_factory=lambda: default_launcher())
    #: When the entry was made: a due time before it cannot have been missed.
    created_at: datetime | None = None

    @property
    def key(self) -> str:
        """Names the OS entry: stable per setup folder and profile, safe in any file name."""
        where = str(self.home or "") + "\0" + self.profile.casefold()
        return hashlib.sha256(where.encode("utf-8")).hexdigest()[:12]

    def command(self, *, extra: tuple[str, ...] = ()) -> list[str]:
        """The argument list the scheduler runs. Never holds a secret."""
        argv = list(self.launcher)
        if self.home is not None:
            argv += ["--config-dir", str(self.home)]
        argv += ["sync", self.profile, "--source", str(self.source), "--method", self.method]
        if self.suspend_missing:
            argv.append("--suspend-missing")
        return [*argv, "--scheduled", "--json", *extra]

    def describe(self) -> str:
        return f"{format_days(self.days)} at {self.at.strftime('%H:%M')}"

    def to_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "source": str(self.source),
            "at": self.at.strftime("%H:%M"),
            "days": format_days(self.days),
            "method": self.method,
            "suspend_missing": self.suspend_missing,
            "home": str(self.home) if self.home else None,
            "output_log": str(self.output_log) if self.output_log else None,
            "launcher": list(self.launcher),
            "created_at": self.created_at.isoformat(timespec="seconds")
            if self.created_at
            else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ScheduleSpec:
        launcher = data.get("launcher")
        home, log, created = data.get("home"), data.get("output_log"), data.get("created_at")
        return cls(
            profile=str(data["profile"]),
            source=Path(str(data["source"])),
            at=parse_at(str(data["at"])),
            days=parse_days(str(data["days"])),
            method=str(data.get("method", "api")),
            suspend_missing=bool(data.get("suspend_missing", False)),
            home=Path(str(home)) if home else None,
            output_log=Path(str(log)) if log else None,
            launcher=tuple(str(x) for x in launcher)
            if isinstance(launcher, list)
            else default_launcher(),
            created_at=datetime.fromisoformat(str(created)) if created else None,
        )


def default_launcher() -> tuple[str, ...]:
    if getattr(sys, "frozen", False):  # the installed app: its own canvas-wizard executable
        exe = Path(sys.executable)
        # The windowed canvas-wizard-gui has no stdout; the console tool sits next to it.
        console = exe.with_name(exe.name.replace("canvas-wizard-gui", "canvas-wizard"))
        return (str(console if console.exists() else exe),)
    return (sys.executable, "-m", "canvas_wizard")


def home_of(paths: AppPaths) -> Path | None:
    """The folder given by --config-dir / CANVAS_WIZARD_HOME, or None for the OS's folders."""
    base = paths.config_dir.parent
    if paths.config_dir.name == "config" and paths.data_dir == base / "data":
        return base
    return None


class ScheduleStore:
    """The saved specs, ``<config>/schedules/<profile>.json``."""

    def __init__(self, paths: AppPaths) -> None:
        self._dir = paths.config_dir / "schedules"

    def path(self, profile: str) -> Path:
        return self._dir / f"{profile}.json"

    def get(self, profile: str) -> ScheduleSpec | None:
        path = self.path(profile)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return ScheduleSpec.from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, UsageError) as exc:
            raise UsageError(
                f"The schedule file {path} is damaged: {exc}.",
                hint="Remove the schedule (canvas-wizard schedule remove NAME) and set it up again.",
            ) from None

    def save(self, spec: ScheduleSpec) -> None:
        write_atomic(self.path(spec.profile), json.dumps(spec.to_json(), indent=2) + "\n")

    def remove(self, profile: str) -> None:
        self.path(profile).unlink(missing_ok=True)
