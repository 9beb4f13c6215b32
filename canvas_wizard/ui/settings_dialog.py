"""The Settings dialog: log level, the default safety limits, the redirect port for new setups.

Values are checked by :func:`core.settings.validate_settings` and written with
:func:`core.settings.save_settings`; the log level takes effect at once.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.settings import AppSettings, load_settings, save_settings
from canvas_wizard.core.sync.limits import SafetyLimits
from canvas_wizard.logs import set_log_level
from canvas_wizard.ui.widgets import StatusLine, plain_label

LEVEL_CHOICES = (
    ("ERROR", "Errors only"),
    ("WARNING", "Warnings and errors"),
    ("INFO", "Normal"),
    ("DEBUG", "Detailed (for troubleshooting)"),
)
# (field prefix, what the admin reads)
_LIMITS = (
    ("unlink", "Removing parent–student links"),
    ("suspend", "Suspending users"),
    ("change", "Changing existing users"),
)


def _share_box(name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.1, 100.0)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(" %")
    box.setAccessibleName(name)
    return box


def _count_box(name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 1_000_000)
    box.setAccessibleName(name)
    return box


class SettingsDialog(QDialog):
    """Edit and save the app settings. ``saved`` holds what was written after Save."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.saved: AppSettings | None = None
        self.setWindowTitle("Settings")
        layout = QVBoxLayout(self)
        self.status = StatusLine()
        try:
            self._loaded = load_settings(paths)
        except WizardError as exc:
            # Show what is wrong and start from the defaults; Save writes a good file.
            self._loaded = AppSettings()
            self.status.show_error(exc)

        logging_box = QGroupBox("Log")
        form = QFormLayout(logging_box)
        self.log_level = QComboBox()
        for value, label in LEVEL_CHOICES:
            self.log_level.addItem(label, value)
        self.log_level.setAccessibleName("Log level")
        form.addRow("Log level:", self.log_level)
        form.addRow(plain_label(f"The log is kept in {paths.log_dir}."))
        layout.addWidget(logging_box)

        limits_box = QGroupBox("Safety limits for new syncs")
        form = QFormLayout(limits_box)
        form.addRow(
            plain_label(
                "A sync that would go over a limit is held before anything is written, "
                "until you approve that run. A run is held when the share or the number "
                "is exceeded."
            )
        )
        self.share_boxes: dict[str, QDoubleSpinBox] = {}
        self.count_boxes: dict[str, QSpinBox] = {}
        for key, label in _LIMITS:
            share = _share_box(f"{label}: largest share")
            count = _count_box(f"{label}: largest number")
            self.share_boxes[key] = share
            self.count_boxes[key] = count
            form.addRow(f"{label}, largest share:", share)
            form.addRow(f"{label}, largest number:", count)
        self.create_share = _share_box("Creating users: largest share")
        self.create_share.setToolTip(
            "New Canvas users a run may create, as a share of the roster people Canvas "
            "already holds. A first sync into an account without SIS IDs is never held."
        )
        self.found_share = _share_box("Roster people found in Canvas: smallest share")
        self.found_share.setToolTip(
            "When Canvas already holds users with SIS IDs but fewer of the roster's people "
            "than this were found there, the run is always held: it is probably the wrong file."
        )
        form.addRow("Creating users, largest share:", self.create_share)
        form.addRow("Roster found in Canvas, smallest share:", self.found_share)
        layout.addWidget(limits_box)

        signin_box = QGroupBox("Sign-in")
        form = QFormLayout(signin_box)
        self.redirect_port = QSpinBox()
        self.redirect_port.setRange(1024, 65535)
        self.redirect_port.setAccessibleName("Redirect port for new setups")
        form.addRow("Redirect port for new setups:", self.redirect_port)
        form.addRow(
            plain_label(
                "A new setup registers http://127.0.0.1:<port>/canvas/authorize on its "
                "developer key. Existing setups keep the port they were set up with."
            )
        )
        layout.addWidget(signin_box)

        roster_box = QGroupBox("Roster files")
        form = QFormLayout(roster_box)
        self.sds_roles = QLineEdit()
        self.sds_roles.setAccessibleName("School Data Sync relationship roles that make a parent")
        self.sds_roles.setToolTip(
            "A person named in a School Data Sync relationships.csv with one of these "
            "relationshipRoles is linked to the student as a parent. SDS also has aide, "
            "doctor, emergencyContact and other."
        )
        form.addRow("School Data Sync roles that make a parent:", self.sds_roles)
        layout.addWidget(roster_box)
        layout.addWidget(self.status)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.defaults_button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.save_button.setAccessibleName("Save the settings")
        self.cancel_button.setAccessibleName("Cancel without saving")
        self.defaults_button.setAccessibleName("Restore the default settings")
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)
        self.defaults_button.clicked.connect(lambda: self.show_settings(AppSettings()))
        layout.addWidget(self.buttons)

        # Reading order, top to bottom: level, each limit's share then number, port, buttons.
        chain: list[QWidget] = [self.log_level]
        for key, _ in _LIMITS:
            chain += [self.share_boxes[key], self.count_boxes[key]]
        chain += [self.create_share, self.found_share]
        chain += [
            self.redirect_port,
            self.sds_roles,
            self.save_button,
            self.cancel_button,
            self.defaults_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self.tab_chain = chain
        self.show_settings(self._loaded)
        self.setMinimumWidth(540)
        # The wrapped explanations need their height at this width, which the dialog's
        # size hint does not count; without this they were cut off to one line.
        self.setMinimumHeight(layout.totalHeightForWidth(540))

    def show_settings(self, settings: AppSettings) -> None:
        self.log_level.setCurrentIndex(max(0, self.log_level.findData(settings.log_level)))
        for key, _ in _LIMITS:
            self.share_boxes[key].setValue(getattr(settings.limits, f"max_{key}_share") * 100)
            self.count_boxes[key].setValue(getattr(settings.limits, f"max_{key}_count"))
        self.create_share.setValue(settings.limits.max_create_share * 100)
        self.found_share.setValue(settings.limits.min_found_share * 100)
        self.redirect_port.setValue(settings.redirect_port)
        self.sds_roles.setText(", ".join(settings.sds_observer_roles))

    def current_settings(self) -> AppSettings:
        limits: SafetyLimits = replace(self._loaded.limits)
        for key, _ in _LIMITS:
            setattr(limits, f"max_{key}_share", round(self.share_boxes[key].value() / 100, 4))
            setattr(limits, f"max_{key}_count", self.count_boxes[key].value())
        limits.max_create_share = round(self.create_share.value() / 100, 4)
        limits.min_found_share = round(self.found_share.value() / 100, 4)
        return AppSettings(
            log_level=str(self.log_level.currentData()),
            redirect_port=self.redirect_port.value(),
            limits=limits,
            sds_observer_roles=[r.strip() for r in self.sds_roles.text().split(",") if r.strip()],
        )

    def _on_save(self) -> None:
        settings = self.current_settings()
        try:
            save_settings(self.paths, settings)
        except WizardError as exc:
            self.status.show_error(exc)
            return
        set_log_level(settings.log_level)
        self.saved = settings
        self.accept()


__all__ = ["LEVEL_CHOICES", "SettingsDialog"]
