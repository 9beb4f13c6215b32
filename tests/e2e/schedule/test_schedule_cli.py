"""`canvas-wizard schedule` on this Linux machine, for real: the crontab line (or systemd
timer where a user manager runs) is created, shown and removed, and `schedule test`
runs the scheduled command from a scheduler-like bare environment.

The tests share the real user's crontab with anything else on the machine, so each
test touches only lines carrying its own marker, and removes them at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from schedule_support import Setup, cli

from canvas_wizard.core.schedule.linux import CronScheduler, systemd_user_available
from canvas_wizard.core.schedule.manage import Schedules
from canvas_wizard.core.schedule.spec import ScheduleSpec

pytestmark = pytest.mark.skipif(
    systemd_user_available() or subprocess.run(["which", "crontab"]).returncode != 0,
    reason="these tests check the crontab fallback (Debian package cron)",
)


def crontab_lines() -> list[str]:
    result = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
    return result.stdout.splitlines() if result.returncode == 0 else []


@pytest.fixture
def neighbour() -> Iterator[str]:
    """Someone else's crontab line, which must survive everything we do."""
    line = f"17 3 * * * /bin/true # not-ours-{uuid.uuid4().hex}"
    cron = CronScheduler()
    with cron_lock():
        cron._write([*cron._read(), line])
    yield line
    with cron_lock():
        cron._write([x for x in cron._read() if x != line])


def cron_lock():  # type: ignore[no-untyped-def]
    from canvas_wizard.core.schedule.linux import _CrontabLock

    return _CrontabLock()


@pytest.fixture
def cleanup(setup: Setup) -> Iterator[None]:
    yield
    spec = Schedules(setup.paths).store.get("school")
    if spec is not None:
        CronScheduler().remove(spec)
    leftover = [x for x in crontab_lines() if str(setup.paths.config_dir.parent) in x]
    assert not leftover, "the test left lines in the crontab"


def test_schedule_show_and_remove_a_crontab_entry(
    setup: Setup, neighbour: str, cleanup: None
) -> None:
    made = cli(
        "schedule", "school", "--source", str(setup.export), "--at", "06:30", "--days", "mon-fri"
    )
    assert made.returncode == 0, made.stderr
    assert "Scheduled: sync 'school' mon-fri at 06:30 (auto)." in made.stdout
    assert "The export holds 2 people and 1 links" in made.stdout
    assert "Created a crontab line in the crontab of" in made.stdout

    ours = [x for x in crontab_lines() if str(setup.export) in x]
    assert len(ours) == 1
    assert ours[0].startswith("30 6 * * 1,2,3,4,5 ")
    assert "--scheduled" in ours[0] and "--json" in ours[0]
    assert neighbour in crontab_lines()
    for secret in setup.secret_values():
        assert secret not in "\n".join(crontab_lines())

    shown = cli("schedule", "show", "school", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["installed"] is True and data["kind"] == "crontab"
    assert (data["at"], data["days"], data["method"]) == ("06:30", "mon-fri", "auto")
    assert data["entry"] == ours[0]
    assert data["command"][-4:] == ["--method", "auto", "--scheduled", "--json"]
    assert data["paused"] is None

    # Scheduling again replaces the entry, never adds a second one.
    again = cli(
        "schedule", "school", "--source", str(setup.export), "--at", "22:05", "--days", "sat",
        "--method", "api", "--json",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    made_json = json.loads(again.stdout)
    assert (made_json["at"], made_json["days"], made_json["method"]) == ("22:05", "sat", "api")
    assert made_json["installed"] is True and made_json["kind"] == "crontab"
    ours = [x for x in crontab_lines() if str(setup.export) in x]
    assert len(ours) == 1 and ours[0].startswith("5 22 * * 6 ")

    removed = cli("schedule", "remove", "school")
    assert removed.returncode == 0
    assert "Removed the scheduled sync of 'school'" in removed.stdout
    assert not [x for x in crontab_lines() if str(setup.export) in x]
    assert neighbour in crontab_lines()
    gone = cli("schedule", "show", "school", "--json")
    assert gone.returncode == 2 and "has no scheduled sync" in gone.stderr


def test_a_missing_or_broken_export_is_refused_before_anything_is_scheduled(
    setup: Setup, cleanup: None, tmp_path: Path
) -> None:
    missing = cli("schedule", "school", "--source", str(tmp_path / "nope.csv"), "--at", "06:30")
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr
    no_column = tmp_path / "no-column.csv"
    no_column.write_text("SIS ID,Full Name,Role\nS1,Ava,Student\n", encoding="utf-8")
    refused = cli("schedule", "school", "--source", str(no_column), "--at", "06:30")
    assert refused.returncode == 2
    assert "no-column.csv has no 'Username' column" in refused.stderr
    bad_row = tmp_path / "bad-row.csv"
    bad_row.write_text(
        "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
        "S1,,ava@students.example,ava,Student,,\n",
        encoding="utf-8",
    )
    refused = cli("schedule", "school", "--source", str(bad_row), "--at", "06:30")
    assert refused.returncode == 2
    assert f"The export {bad_row} has 1 problem(s), the first: bad-row.csv, row 2" in refused.stderr
    bad_time = cli("schedule", "school", "--source", str(setup.export), "--at", "6pm")
    assert bad_time.returncode == 2 and "HH:MM" in bad_time.stderr
    assert not [x for x in crontab_lines() if str(setup.paths.config_dir.parent) in x]
    assert cli("schedule", "show", "school").returncode == 2


def test_schedule_test_says_the_keyring_is_out_of_reach_from_a_bare_environment(
    setup: Setup, cleanup: None
) -> None:
    """Here, as under cron on a desktop without /run/user/UID/bus, the keyring's D-Bus
    address is not in the scheduler's environment: the commonest silent failure."""
    assert cli("schedule", "school", "--source", str(setup.export), "--at", "06:30").returncode == 0
    tried = cli("schedule", "test", "school", "--json")
    assert tried.returncode == 1, tried.stdout + tried.stderr
    result = json.loads(tried.stdout)
    assert result["ok"] is False
    assert result["keyring"] is False
    assert "DBUS_SESSION_BUS_ADDRESS" not in result["variables"]
    assert "--dry-run" in result["command"] and "--scheduled" not in result["command"]
    words = cli("schedule", "test", "school")
    assert words.returncode == 1
    assert "the keyring: NOT reachable" in words.stdout
    history = json.loads(cli("history", "school", "--json").stdout)
    assert all(run["trigger"] == "manual" for run in history), "a test is not a scheduled run"


class _CronWithTheTestKeyring(CronScheduler):
    """The crontab fallback on a desktop where the keyring's bus is passed on, as the
    crontab line does with /run/user/UID/bus: here the test session's bus."""

    def environment(self, spec: ScheduleSpec) -> dict[str, str]:
        return {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}


def test_schedule_test_reaches_the_keyring_the_file_and_canvas(setup: Setup, cleanup: None) -> None:
    schedules = Schedules(setup.paths, scheduler=_CronWithTheTestKeyring())
    schedules.create("school", source=setup.export, at=time(6, 30), days=(0,))
    trial = schedules.try_run("school")
    assert trial.ok, trial
    # The setup's seeded Canvas makes this first run a create-limit hold (exit 3): still a
    # run that reached the keyring, the file and Canvas, and it says what holds it.
    assert trial.exit_status in (0, 3)
    assert trial.exit_status == 0 or "approve this run once" in trial.message
    assert sorted(trial.variables) == [
        "DBUS_SESSION_BUS_ADDRESS",
        "HOME",
        "LOGNAME",
        "PATH",
        "SHELL",
        "USER",
    ]
    setup.export.unlink()
    no_file = schedules.try_run("school")
    assert (no_file.ok, no_file.source, no_file.exit_status) == (False, False, 2)
    assert str(setup.export) in no_file.message


def test_removing_the_profile_removes_its_scheduled_sync(
    setup: Setup, neighbour: str, cleanup: None
) -> None:
    made = cli("schedule", "school", "--source", str(setup.export), "--at", "05:10")
    assert made.returncode == 0, made.stderr
    assert cli("pause", "school", "--reason", "moving").returncode == 0
    assert [x for x in crontab_lines() if str(setup.export) in x]
    removed = cli("profile", "remove", "school")
    assert removed.returncode == 0, removed.stderr
    assert "Removed its scheduled sync from the crontab of" in removed.stdout
    assert not [x for x in crontab_lines() if str(setup.export) in x]
    assert neighbour in crontab_lines()
    assert not list((setup.paths.config_dir / "schedules").glob("*.json"))
    assert not list((setup.paths.config_dir / "paused").glob("*.json"))
