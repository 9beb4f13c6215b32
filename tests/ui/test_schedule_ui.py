"""Unattended syncing in the app: the banner after a failed or held scheduled run, Review
and approve… leading to the held plan, the pause question, and the Schedule dialog making
a real crontab entry on this machine."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from canvas_wizard.core.schedule.linux import CronScheduler, systemd_user_available
from canvas_wizard.core.schedule.manage import Schedules
from canvas_wizard.core.schedule.pause import PauseStore
from canvas_wizard.core.settings import AppSettings, save_settings
from canvas_wizard.core.sync.limits import SafetyLimits
from canvas_wizard.core.sync.service import ProfileSync, SyncRequest
from canvas_wizard.ui import main_window as main_window_module
from canvas_wizard.ui.main_window import MainWindow
from canvas_wizard.ui.schedule.dialog import ScheduleDialog
from canvas_wizard.ui.sync import approval
from canvas_wizard.ui.tasks import task_pool

WAIT = 30_000
HEADER = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"
# The seeded school's students, each renamed: four changes to existing Canvas users.
RENAMED = HEADER + "".join(
    f"{sis},{name} Reyes,{login}@students.northfield.example,{login},Student,,\n"
    for sis, name, login in (
        ("S1001", "Ava Thompson", "ava.thompson"),
        ("S1002", "Noah Williams", "noah.williams"),
        ("S1003", "Mia Johnson", "mia.johnson"),
        ("S1004", "Oliver Brown", "oliver.brown"),
    )
)


def open_window(qtbot, connected) -> MainWindow:
    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    win.show()
    return win


def close_window(win: MainWindow) -> None:
    win.sync_tab.cancel()
    assert task_pool().waitForDone(20_000)


def scheduled_run(connected, source: Path) -> str:
    """What the scheduler's `sync --scheduled` does, in this process."""
    sync = ProfileSync(connected.store.paths, connected.secrets, connected.profile)
    try:
        request = SyncRequest(source=source, dry_run=False, trigger="scheduled")
        return sync.run(request).status
    except Exception as exc:
        return type(exc).__name__
    finally:
        sync.close()


def test_the_banner_names_a_failed_scheduled_run(qtbot, connected, tmp_path):
    assert scheduled_run(connected, tmp_path / "gone.csv") == "RosterReadError"
    win = open_window(qtbot, connected)
    try:
        qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=WAIT)
        text = win.banner.text.text()
        assert "The scheduled sync of" in text and "could not read the export" in text
        assert "gone.csv" in text
        assert win.banner.schedule_button.isVisible()
        assert not win.banner.review_button.isVisible()
    finally:
        close_window(win)


def test_review_and_approve_leads_to_the_held_plan(qtbot, connected, tmp_path, monkeypatch):
    export = tmp_path / "renamed.csv"
    export.write_text(RENAMED, encoding="utf-8")
    strict = SafetyLimits(max_change_count=2)
    save_settings(connected.store.paths, replace(AppSettings(), limits=strict))
    assert scheduled_run(connected, export) == "held"
    assert connected.sandbox.state.user_by_sis_id("S1001").name == "Ava Thompson"

    asked: list[tuple[object, ...]] = []
    monkeypatch.setattr(approval, "ask_approval", lambda *a: asked.append(a) or False)
    win = open_window(qtbot, connected)
    try:
        qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=WAIT)
        assert "held by a safety limit" in win.banner.text.text()
        assert win.banner.review_button.isVisible()
        win.banner.review_button.click()
        qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
        _parent, breaches, plan = asked[0]
        assert [b.what for b in breaches] == ["change"]
        renamed = sorted(p.sis_id for p in plan.people if p.kind.value == "update")
        assert renamed == ["S1001", "S1002", "S1003", "S1004"]
        assert win.tabs.currentWidget() is win.sync_tab
        assert win.sync_tab.source.source() == export
        qtbot.waitUntil(lambda: "not approved" in win.sync_tab.status.text(), timeout=WAIT)
        assert connected.sandbox.state.user_by_sis_id("S1001").name == "Ava Thompson"
    finally:
        close_window(win)


def test_a_sync_while_paused_asks_first(qtbot, connected, tmp_path, monkeypatch):
    export = tmp_path / "renamed.csv"
    export.write_text(RENAMED, encoding="utf-8")
    PauseStore(connected.store.paths).pause("school", reason="summer rollover")
    questions: list[str] = []
    answer = [False]
    monkeypatch.setattr(
        main_window_module, "ask_yes_no", lambda _p, text: questions.append(text) or answer[0]
    )
    monkeypatch.setattr(approval, "ask_approval", lambda *a: True)
    win = open_window(qtbot, connected)
    try:
        qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=WAIT)
        assert "paused" in win.banner.text.text() and "summer rollover" in win.banner.text.text()
        assert win.banner.resume_button.isVisible()
        tab = win.sync_tab
        tab.source.set_source(export)
        qtbot.waitUntil(lambda: tab.sync_button.isEnabled(), timeout=WAIT)
        tab.sync_button.click()
        assert questions and questions[-1].endswith("Syncing is paused; sync once anyway?")
        assert "summer rollover" in questions[-1]
        assert tab.worker is None, "answered No: nothing started"
        assert "Not synced" in tab.status.text()

        answer[0] = True
        tab.sync_button.click()
        qtbot.waitUntil(lambda: tab.worker is not None and not tab.worker.running, timeout=WAIT)
        qtbot.waitUntil(
            lambda: connected.sandbox.state.user_by_sis_id("S1001").name == "Ava Thompson Reyes",
            timeout=WAIT,
        )
        runs = win.sync.history()
        assert runs[0].status == "ok" and runs[0].options["even_if_paused"] is True

        win.banner.resume_button.click()
        qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=WAIT)
        assert PauseStore(connected.store.paths).get("school") is None
        assert tab.paused is None
    finally:
        close_window(win)


crontab_here = pytest.mark.skipif(
    systemd_user_available() or subprocess.run(["which", "crontab"]).returncode != 0,
    reason="checks the crontab fallback (Debian package cron)",
)


@crontab_here
def test_the_schedule_dialog_creates_shows_and_removes_a_real_crontab_entry(
    qtbot, connected, tmp_path
):
    export = tmp_path / "exports" / "cloudwork.csv"
    export.parent.mkdir()
    export.write_text(RENAMED, encoding="utf-8")
    paths = connected.store.paths
    dialog = ScheduleDialog(paths, "school", schedules=Schedules(paths, CronScheduler()))
    qtbot.addWidget(dialog)
    dialog.show()
    try:
        qtbot.waitUntil(lambda: dialog.entry_label.text() == "Not scheduled yet.", timeout=WAIT)
        assert not dialog.remove_button.isEnabled() and not dialog.test_button.isEnabled()
        dialog.source.setText(str(export))
        for i, box in enumerate(dialog.days):
            box.setChecked(i in (0, 2, 4))
        dialog.time.setTime(dialog.time.time().fromString("21:45", "HH:mm"))
        with qtbot.waitSignal(dialog.changed, timeout=WAIT):
            dialog.create_button.click()
        assert dialog.status.kind == "ok", dialog.status.text()
        assert "The export holds 4 people and 0 links" in dialog.status.text()
        line = dialog.entry.toPlainText()
        assert line.startswith("45 21 * * 1,3,5 ") and str(export) in line
        assert line in subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
        assert "crontab line in the crontab of" in dialog.entry_label.text()
        assert dialog.create_button.text() == "Update schedule"

        # Test now: here, as under cron, the keyring's D-Bus address is not passed on.
        dialog.test_button.click()
        qtbot.waitUntil(lambda: dialog.trial is not None, timeout=60_000)
        assert dialog.status.kind == "error"
        assert "The scheduled sync would fail" in dialog.status.text()
        assert "keyring NOT reachable" in dialog.status.text()

        with qtbot.waitSignal(dialog.changed, timeout=WAIT):
            dialog.remove_button.click()
        assert "Removed the scheduled sync" in dialog.status.text()
        assert (
            str(export)
            not in subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
        )
    finally:
        spec = Schedules(paths).store.get("school")
        if spec is not None:
            CronScheduler().remove(spec)
        assert task_pool().waitForDone(20_000)


def test_the_schedule_dialog_refuses_a_missing_export_and_no_days(qtbot, connected, tmp_path):
    paths = connected.store.paths
    dialog = ScheduleDialog(paths, "school", schedules=Schedules(paths, CronScheduler()))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.entry_label.text() == "Not scheduled yet.", timeout=WAIT)
    dialog.source.setText(str(tmp_path / "nowhere.csv"))
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.status.kind == "error", timeout=WAIT)
    assert "does not exist" in dialog.status.text()
    for box in dialog.days:
        box.setChecked(False)
    dialog.create_button.click()
    assert dialog.status.text() == "Tick at least one day."
    assert Schedules(paths).store.get("school") is None
    assert task_pool().waitForDone(20_000)


def test_the_done_page_offers_the_schedule(qtbot, connected):
    from canvas_wizard.core.setup import SetupSession
    from canvas_wizard.ui.wizard import WizardContext
    from canvas_wizard.ui.wizard.page_done import DonePage

    session = SetupSession(connected.store, connected.secrets, connected.profile)
    page = DonePage(WizardContext(session=session, open_url=lambda url: True))
    qtbot.addWidget(page)
    try:
        page.schedule_button.click()
        dialog = page.schedule_dialog
        assert isinstance(dialog, ScheduleDialog) and dialog.profile == "school"
        assert dialog.secrets is session.secrets, (
            "the keyring (or session-only) choice carries over"
        )
        qtbot.waitUntil(lambda: dialog.entry_label.text() == "Not scheduled yet.", timeout=WAIT)
    finally:
        assert task_pool().waitForDone(20_000)
        session.close()


def test_the_banner_says_when_the_schedule_did_not_run(qtbot, connected, tmp_path):
    from datetime import UTC, datetime, timedelta

    from canvas_wizard.core.schedule.spec import ScheduleSpec, ScheduleStore

    two_hours_ago = (datetime.now() - timedelta(hours=2)).time().replace(second=0, microsecond=0)
    ScheduleStore(connected.store.paths).save(
        ScheduleSpec(
            profile="school",
            source=tmp_path / "cloudwork.csv",
            at=two_hours_ago,
            days=tuple(range(7)),
            created_at=datetime.now(UTC) - timedelta(days=3),
        )
    )
    win = open_window(qtbot, connected)
    try:
        qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=WAIT)
        assert "did not run at its time" in win.banner.text.text()
        assert two_hours_ago.strftime("%H:%M") in win.banner.text.text()
        assert win.banner.schedule_button.isVisible()
        win.banner.schedule_button.click()
        dialog = win.unattended.dialog
        assert dialog is not None
        qtbot.waitUntil(lambda: dialog.create_button.text() == "Update schedule", timeout=WAIT)
        assert "the scheduler's entry is missing" in dialog.entry_label.text()
    finally:
        close_window(win)
