"""Email summary settings: which mail server sends the summary of scheduled runs, to whom.

The password goes to the keyring (SecretKind.SMTP_PASSWORD), never to the settings file.
**Send test email** sends one message with what is on screen, off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.email import (
    EmailSettings,
    EmailStore,
    parse_recipients,
    send,
    trial_message,
)
from canvas_wizard.core.store import Profile, ProfileStore, SecretKind, SecretStore
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import SecretField, StatusLine, plain_label

SECURITY = (
    ("starttls", "STARTTLS (usually port 587)"),
    ("ssl", "SSL/TLS (usually port 465)"),
    ("none", "None (only for a relay inside the school's network)"),
)


class EmailDialog(QDialog):
    def __init__(
        self,
        paths: AppPaths,
        profile: str,
        secrets: SecretStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.profile_name = profile
        self.secrets = secrets
        self.store = EmailStore(paths)
        self.profile: Profile | None = None
        self.password_saved = False
        self.setWindowTitle(f"Email summary — {profile}")
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "After a scheduled sync that was held by a safety limit or failed, send a short "
                "summary by email. The password is kept in the keyring, never in a file."
            )
        )
        form = QFormLayout()
        self.enabled = QCheckBox("Send email summaries")
        self.enabled.setAccessibleName("Send email summaries")
        self.enabled.setChecked(True)
        self.host = QLineEdit()
        self.host.setAccessibleName("SMTP server")
        self.host.setPlaceholderText("smtp.school.example")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.port.setAccessibleName("SMTP port")
        self.security = QComboBox()
        self.security.setAccessibleName("Connection security")
        for value, label in SECURITY:
            self.security.addItem(label, value)
        self.username = QLineEdit()
        self.username.setAccessibleName("SMTP user name")
        self.username.setPlaceholderText("leave empty if the server needs no sign-in")
        self.password = SecretField("SMTP password")
        self.from_address = QLineEdit()
        self.from_address.setAccessibleName("From address")
        self.recipients = QLineEdit()
        self.recipients.setAccessibleName("To addresses")
        self.recipients.setPlaceholderText("it-team@school.example, head@school.example")
        self.always = QCheckBox("Also when a scheduled sync went well")
        self.always.setAccessibleName("Also email when a scheduled sync went well")
        server = QHBoxLayout()
        server.addWidget(self.host, 1)
        server.addWidget(plain_label("Port:", wrap=False))
        server.addWidget(self.port)
        form.addRow("", self.enabled)
        form.addRow("SMTP server:", server)
        form.addRow("Security:", self.security)
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        form.addRow("From:", self.from_address)
        form.addRow("To:", self.recipients)
        form.addRow("", self.always)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName("Save the email settings")
        self.test_button = QPushButton("Send test email")
        self.test_button.setAccessibleName("Send a test email with these settings")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = StatusLine()
        layout.addWidget(self.status)
        layout.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.save_button.clicked.connect(self._on_save)
        self.test_button.clicked.connect(self._on_test)
        self.resize(620, 420)
        self._busy(True)
        run_in_background(self, self._load, self._on_loaded, self._on_failed)

    # -- loading ---------------------------------------------------------------------
    def _load(self) -> tuple[Profile, EmailSettings | None, bool, str]:
        profile = ProfileStore(self.paths).get(self.profile_name)
        try:
            saved, problem = self.secrets.get(profile, SecretKind.SMTP_PASSWORD) is not None, ""
        except WizardError as exc:  # still show the settings; say why no password can be kept
            saved, problem = False, exc.message
        return profile, self.store.get(profile.name), saved, problem

    def _on_loaded(self, loaded: tuple[Profile, EmailSettings | None, bool, str]) -> None:
        self.profile, settings, self.password_saved, problem = loaded
        if problem:
            self.status.show_status("error", problem)
        if self.password_saved:
            self.password.edit.setPlaceholderText("saved in the keyring; type to replace it")
        if settings is not None:
            self.enabled.setChecked(settings.enabled)
            self.host.setText(settings.host)
            self.port.setValue(settings.port)
            self.security.setCurrentIndex(max(0, self.security.findData(settings.security)))
            self.username.setText(settings.username)
            self.from_address.setText(settings.sender)
            self.recipients.setText(", ".join(settings.recipients))
            self.always.setChecked(settings.always)
        self._busy(False)

    # -- actions ---------------------------------------------------------------------
    def settings(self) -> EmailSettings:
        return EmailSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            security=str(self.security.currentData()),
            username=self.username.text().strip(),
            sender=self.from_address.text().strip(),
            recipients=parse_recipients(self.recipients.text()),
            always=self.always.isChecked(),
            enabled=self.enabled.isChecked(),
        )

    def _busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.test_button.setEnabled(not busy)

    def _on_save(self) -> None:
        settings, typed, profile = self.settings(), self.password.text(), self.profile
        assert profile is not None

        def work() -> None:
            self.store.save(profile.name, settings.validated())
            if typed:
                self.secrets.set(profile, SecretKind.SMTP_PASSWORD, typed)

        self._busy(True)
        self.status.show_status("busy", "Saving…")
        run_in_background(self, work, self._on_saved, self._on_failed)

    def _on_saved(self, _result: object) -> None:
        self._busy(False)
        if self.password.text():
            self.password_saved = True
            self.password.setText("")
            self.password.edit.setPlaceholderText("saved in the keyring; type to replace it")
        self.status.show_status(
            "ok", f"Saved. The password is kept in {self.secrets.backend_name}, not in a file."
        )

    def _on_test(self) -> None:
        settings, typed, profile = self.settings(), self.password.text(), self.profile
        assert profile is not None

        def work() -> str:
            password = typed or (
                self.secrets.get(profile, SecretKind.SMTP_PASSWORD) if settings.username else None
            )
            send(settings, password, trial_message(profile.name, settings))
            return ", ".join(settings.recipients)

        self._busy(True)
        self.status.show_status("busy", f"Sending a test email through {settings.host}…")
        run_in_background(self, work, self._on_tested, self._on_failed)

    def _on_tested(self, to: str) -> None:
        self._busy(False)
        self.status.show_status("ok", f"Sent a test email to {to}. Check that it arrived.")

    def _on_failed(self, error: Exception) -> None:
        self._busy(False)
        self.status.show_error(error)
