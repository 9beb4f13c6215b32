"""Pausing a profile's syncing ("enable / disable sync"), for the summer rollover.

A pause is one small JSON file per profile, ``<config>/paused/<name>.json``,
kept apart from the profile file so the app window saving a profile it has
open can never undo a pause made from the command line meanwhile. While a
profile is paused, a real sync (scheduled or by hand) writes nothing, records
a "paused" run in the history and ends with status "paused" (exit status 5).
A pause with an end date ends by itself on that date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths, write_atomic


@dataclass(frozen=True)
class Pause:
    since: datetime
    #: Syncing resumes by itself on this day (local date); None: until resumed.
    until: date | None = None
    reason: str = ""

    def active(self, today: date | None = None) -> bool:
        return self.until is None or (today or date.today()) < self.until

    def describe(self) -> str:
        """One sentence for the admin: since when, until when, and why."""
        since = self.since.astimezone().strftime("%Y-%m-%d %H:%M")
        until = f" until {self.until.isoformat()}" if self.until else " until resumed"
        why = f" ({self.reason})" if self.reason else ""
        return f"Syncing is paused since {since}{until}{why}."

    def to_json(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
        }


def parse_until(text: str) -> date:
    """A --until value: an ISO date (YYYY-MM-DD) today or later."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"“{text}” is not a date.", hint="Write the day syncing should resume as YYYY-MM-DD."
        ) from None
    if day <= date.today():
        raise UsageError(
            f"{day.isoformat()} is not in the future.",
            hint="Give the day syncing should resume, after today; or resume now with resume.",
        )
    return day


class PauseStore:
    def __init__(self, paths: AppPaths) -> None:
        self._dir = paths.config_dir / "paused"

    def _path(self, profile: str) -> Path:
        return self._dir / f"{profile}.json"

    def get(self, profile: str) -> Pause | None:
        """The profile's pause if it is in force now (an expired one counts as none)."""
        path = self._path(profile)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            pause = Pause(
                since=datetime.fromisoformat(data["since"]),
                until=date.fromisoformat(data["until"]) if data.get("until") else None,
                reason=str(data.get("reason") or ""),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Damaged: safer to stay paused than to start writing to Canvas unasked.
            return Pause(since=datetime.now(UTC), reason=f"the pause file {path} is damaged: {exc}")
        return pause if pause.active() else None

    def pause(self, profile: str, *, until: date | None = None, reason: str = "") -> Pause:
        pause = Pause(since=datetime.now(UTC), until=until, reason=reason.strip())
        write_atomic(self._path(profile), json.dumps(pause.to_json(), indent=2) + "\n")
        return pause

    def resume(self, profile: str) -> bool:
        """Lift the pause; False when there was none."""
        path = self._path(profile)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
