"""The Schedule dialog: sync unattended with the operating system's own scheduler, pause it.

It shows what it created and where (the crontab line, the timer, the LaunchAgent or the
task), tests the scheduled command from a scheduler-like environment, and removes it.
All of that runs the OS's tools, so it runs off the GUI thread (:mod:`ui.tasks`).

Signals:
    changed(): the schedule or the pause changed (the main window refreshes its banner).
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.manage import Schedules, ScheduleStatus, TrialRun
from canvas_wizard.core.schedule.pause import Pause, PauseStore
from canvas_wizard.core.schedule.spec import DAY_NAMES
from canvas_wizard.core.store import SecretStore
from canvas_wizard.ui.schedule.email_dialog import EmailDialog
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, plain_label

METHOD_CHOICES = (
    ("auto", "Fastest for each run (the Canvas API or a SIS Import, chosen each time)"),
    ("api", "Canvas API (works on any account)"),
    ("sis-import", "SIS Import (fast; root account only)"),
)


class ScheduleDialog(QDialog):
    changed = Signal()

    def __init__(
        self,
        paths: AppPaths,
        profile: str,
        parent: QWidget | None = None,
        *,
        schedules: Schedules | None = None,
        source: Path | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.profile = profile
        self.schedules = schedules or Schedules(paths)
        self.pauses = PauseStore(paths)
        self.secrets = secrets or SecretStore()
        self.email_dialog: EmailDialog | None = None
        self.setWindowTitle(f"Schedule — {profile}")
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                f"Sync “{profile}” unattended, with this computer's own scheduler, as you (the "
                "secrets stay in your keyring). It reads the export at a fixed path; put "
                "Cloudwork's nightly export there. Nothing else needs to run."
            )
        )

        if not self.secrets.persistent:
            warning = plain_label(
                "Secrets are not saved in a keyring on this computer (session-only mode), so a "
                "scheduled sync cannot sign in to Canvas. Set up a keyring first (README, "
                "Where things are kept)."
            )
            warning.setAccessibleName("Warning")
            warning.setStyleSheet("color: palette(bright-text); background: #b3261e; padding: 4px")
            layout.addWidget(warning)

        form = QFormLayout()
        self.source = QLineEdit(str(source) if source else "")
        self.source.setAccessibleName("Export file to read")
        self.source.setPlaceholderText("the full path Cloudwork saves its export to")
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Choose the export file")
        browse.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        form.addRow("Export file:", row)
        days = QHBoxLayout()
        self.days: list[QCheckBox] = []
        for i, name in enumerate(DAY_NAMES):
            box = QCheckBox(name.capitalize())
            box.setAccessibleName(f"Sync on {name.capitalize()}")
            box.setChecked(i < 5)
            self.days.append(box)
            days.addWidget(box)
        days.addStretch(1)
        form.addRow("Days:", days)
        self.time = QTimeEdit(QTime(6, 30))
        self.time.setDisplayFormat("HH:mm")
        self.time.setAccessibleName("Time of day")
        form.addRow("Time:", self.time)
        self.method = QComboBox()
        self.method.setAccessibleName("How to write to Canvas")
        for value, label in METHOD_CHOICES:
            self.method.addItem(label, value)
        form.addRow("Write with:", self.method)
        self.suspend_missing = QCheckBox("Suspend Canvas users who left the roster")
        self.suspend_missing.setAccessibleName("Suspend Canvas users who left the roster")
        form.addRow("", self.suspend_missing)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.create_button = QPushButton("Create schedule")
        self.create_button.setAccessibleName("Create or update the scheduled sync")
        self.test_button = QPushButton("Test now")
        self.test_button.setAccessibleName(
            "Run the scheduled command once as a preview, as the scheduler would"
        )
        self.remove_button = QPushButton("Remove schedule")
        self.remove_button.setAccessibleName("Remove the scheduled sync")
        for button in (self.create_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.email_button = QPushButton("Email summary…")
        self.email_button.setAccessibleName("Set up the email summary of scheduled runs")
        self.email_button.clicked.connect(self.open_email)
        buttons.addWidget(self.email_button)
        layout.addLayout(buttons)
        self.entry_label = plain_label("Reading the schedule…")
        self.entry_label.setAccessibleName("What is scheduled")
        self.entry = QPlainTextEdit()
        self.entry.setReadOnly(True)
        self.entry.setAccessibleName("The scheduler's entry")
        self.entry.setMaximumHeight(90)
        self.entry.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout.addWidget(self.entry_label)
        layout.addWidget(self.entry)

        pause_box = QGroupBox("Pause syncing (for example over the summer rollover)")
        pause_form = QFormLayout(pause_box)
        self.pause_label = plain_label("")
        self.pause_label.setAccessibleName("Whether syncing is paused")
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Why syncing is paused")
        self.reason.setPlaceholderText("e.g. summer rollover")
        self.until_enabled = QCheckBox("Resume by itself on")
        self.until_enabled.setAccessibleName("Resume by itself on a date")
        self.until = QDateEdit(QDate.currentDate().addDays(30))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("yyyy-MM-dd")
        self.until.setAccessibleName("Day syncing resumes")
        self.until.setMinimumDate(QDate.currentDate().addDays(1))
        until_row = QHBoxLayout()
        until_row.addWidget(self.until_enabled)
        until_row.addWidget(self.until)
        until_row.addStretch(1)
        self.pause_button = QPushButton("Pause syncing")
        self.pause_button.setAccessibleName("Pause syncing")
        self.resume_button = QPushButton("Resume syncing")
        self.resume_button.setAccessibleName("Resume syncing")
        pause_buttons = QHBoxLayout()
        pause_buttons.addWidget(self.pause_button)
        pause_buttons.addWidget(self.resume_button)
        pause_buttons.addStretch(1)
        pause_form.addRow(self.pause_label)
        pause_form.addRow("Reason:", self.reason)
        pause_form.addRow("", until_row)
        pause_form.addRow(pause_buttons)
        layout.addWidget(pause_box)

        self.status = StatusLine()
        layout.addWidget(self.status)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

        self.create_button.clicked.connect(self._on_create)
        self.test_button.clicked.connect(self._on_test)
        self.remove_button.clicked.connect(self._on_remove)
        self.pause_button.clicked.connect(self._on_pause)
        self.resume_button.clicked.connect(self._on_resume)
        self.current: ScheduleStatus | None = None
        self.trial: TrialRun | None = None
        self.resize(760, 620)
        self._busy(True)
        run_in_background(self, self._load, self._on_loaded, self._on_failed)

    def open_email(self) -> EmailDialog:
        dialog = EmailDialog(self.paths, self.profile, self.secrets, self)
        dialog.open()
        self.email_dialog = dialog
        return dialog

    # -- reading ---------------------------------------------------------------------
    def _load(self) -> tuple[ScheduleStatus | None, Pause | None]:
        return self.schedules.get(self.profile), self.pauses.get(self.profile)

    def _on_loaded(self, loaded: tuple[ScheduleStatus | None, Pause | None]) -> None:
        status, pause = loaded
        self._show_schedule(status)
        self._show_pause(pause)
        self._busy(False)

    def _show_schedule(self, status: ScheduleStatus | None) -> None:
        self.current = status
        if status is None:
            self.entry_label.setText("Not scheduled yet.")
            self.entry.setPlainText("")
            self.create_button.setText("Create schedule")
            return
        spec, entry = status.spec, status.entry
        self.source.setText(str(spec.source))
        for i, box in enumerate(self.days):
            box.setChecked(i in spec.days)
        self.time.setTime(QTime(spec.at.hour, spec.at.minute))
        self.method.setCurrentIndex(max(0, self.method.findData(spec.method)))
        self.suspend_missing.setChecked(spec.suspend_missing)
        self.create_button.setText("Update schedule")
        if entry is None:
            self.entry_label.setText(
                f"Scheduled {spec.describe()}, but the scheduler's entry is missing (removed "
                "by hand?). Click Update schedule to create it again."
            )
            self.entry.setPlainText("")
        else:
            self.entry_label.setText(
                f"Scheduled {spec.describe()} ({spec.method}): a {entry.kind_label} in "
                f"{entry.location}:"
            )
            self.entry.setPlainText(entry.text)

    def _show_pause(self, pause: Pause | None) -> None:
        if pause is None:
            self.pause_label.setText("Syncing is on.")
        else:
            self.pause_label.setText(
                pause.describe() + " Syncs write nothing; a sync in the app asks first."
            )
            self.reason.setText(pause.reason)
        self.pause_button.setEnabled(pause is None)
        self.resume_button.setEnabled(pause is not None)

    # -- actions ---------------------------------------------------------------------
    def _busy(self, busy: bool) -> None:
        for button in (self.create_button, self.test_button, self.remove_button):
            button.setEnabled(not busy)
        if not busy:
            self.test_button.setEnabled(self.current is not None)
            self.remove_button.setEnabled(self.current is not None)

    def _on_browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "The export to sync from")
        if chosen:
            self.source.setText(chosen)

    def _on_create(self) -> None:
        text = self.source.text().strip()
        days = tuple(i for i, box in enumerate(self.days) if box.isChecked())
        if not text:
            self.status.show_status("error", "Choose the export file first (its full path).")
            return
        if not days:
            self.status.show_status("error", "Tick at least one day.")
            return
        t = self.time.time()
        at = time(t.hour(), t.minute())
        method = str(self.method.currentData())
        suspend = self.suspend_missing.isChecked()

        def work() -> tuple[ScheduleStatus, str]:
            return self.schedules.create(
                self.profile,
                source=Path(text).expanduser(),
                at=at,
                days=days,
                method=method,
                suspend_missing=suspend,
            )

        self._busy(True)
        self.status.show_status("busy", "Checking the export and creating the entry…")
        run_in_background(self, work, self._on_created, self._on_failed)

    def _on_created(self, made: tuple[ScheduleStatus, str]) -> None:
        status, held = made
        self._show_schedule(status)
        self._busy(False)
        where = status.entry.location if status.entry else "the scheduler"
        self.status.show_status(
            "ok",
            f"Scheduled {status.spec.describe()} in {where}. The export holds {held} now. "
            "Click Test now to check it can run unattended.",
        )
        self.changed.emit()

    def _on_test(self) -> None:
        self._busy(True)
        self.status.show_status(
            "busy", "Running the scheduled command once as a preview, as the scheduler would…"
        )
        run_in_background(
            self, lambda: self.schedules.try_run(self.profile), self._on_tested, self._on_failed
        )

    def _on_tested(self, trial: TrialRun) -> None:
        self.trial = trial
        self._busy(False)
        words = {True: "reachable", False: "NOT reachable", None: "not reached"}
        checks = (
            f"export file {words[trial.source]}, keyring {words[trial.keyring]}, "
            f"Canvas {words[trial.canvas]}"
        )
        if trial.ok:
            self.status.show_status(
                "ok", f"The scheduled sync can run unattended ({checks}). {trial.message}"
            )
        else:
            self.status.show_status(
                "error",
                f"The scheduled sync would fail ({checks}): {trial.message}",
            )

    def _on_remove(self) -> None:
        self._busy(True)
        self.status.show_status("busy", "Removing the entry…")
        run_in_background(
            self, lambda: self.schedules.remove(self.profile), self._on_removed, self._on_failed
        )

    def _on_removed(self, removed: ScheduleStatus | None) -> None:
        where = removed.entry.location if removed and removed.entry else "the scheduler"
        self._show_schedule(None)
        self._busy(False)
        self.status.show_status("ok", f"Removed the scheduled sync from {where}.")
        self.changed.emit()

    def _on_pause(self) -> None:
        until: date | None = None
        if self.until_enabled.isChecked():
            qdate = self.until.date()
            until = date(qdate.year(), qdate.month(), qdate.day())
        reason = self.reason.text()

        def work() -> Pause:
            return self.pauses.pause(self.profile, until=until, reason=reason)

        run_in_background(self, work, self._on_paused, self._on_failed)

    def _on_paused(self, pause: Pause) -> None:
        self._show_pause(pause)
        self.status.show_status("ok", pause.describe())
        self.changed.emit()

    def _on_resume(self) -> None:
        run_in_background(
            self, lambda: self.pauses.resume(self.profile), self._on_resumed, self._on_failed
        )

    def _on_resumed(self, _was_paused: object) -> None:
        self._show_pause(None)
        self.status.show_status("ok", "Syncing is resumed.")
        self.changed.emit()

    def _on_failed(self, error: Exception) -> None:
        self._busy(False)
        self.status.show_error(error)
