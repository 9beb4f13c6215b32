"""The main window for a connected setup: where it points and whether it is ready."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, plain_label


class MainWindow(QMainWindow):
    def __init__(self, store: ProfileStore, secrets: SecretStore, profile: Profile) -> None:
        super().__init__()
        self.store = store
        self.secrets = secrets
        self.profile = profile
        self.setWindowTitle(f"{APP_TITLE} — {profile.name}")
        central = QWidget()
        layout = QVBoxLayout(central)
        form = QFormLayout()
        self.canvas_label = plain_label(profile.canvas_url)
        self.user_label = plain_label(profile.signed_in_as or "not signed in")
        account = profile.account
        self.account_label = plain_label(
            f"{account.name} (id {account.id}, {'root account' if account.is_root else 'sub-account'})"
            if account
            else "none chosen"
        )
        form.addRow("Canvas:", self.canvas_label)
        form.addRow("Signed in as:", self.user_label)
        form.addRow("Account to sync:", self.account_label)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.disconnect_button = QPushButton("Sign out and forget secrets")
        self.disconnect_button.setAccessibleName("Sign out of Canvas and forget the saved secrets")
        self.disconnect_button.clicked.connect(self._on_disconnect)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.status = StatusLine()
        layout.addWidget(self.status)
        self.setCentralWidget(central)
        self.resize(760, 480)

    def _on_disconnect(self) -> None:
        answer = QMessageBox.question(
            self,
            APP_TITLE,
            "Sign out of Canvas? The app's access is revoked in Canvas and the Client Secret is "
            "forgotten on this computer. You can connect again with the setup wizard.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        session = SetupSession(self.store, self.secrets, self.profile)

        def work() -> None:
            try:
                session.token_manager().disconnect()
                self.profile.signed_in_as = None
                self.store.save(self.profile)
            finally:
                session.close()

        self.disconnect_button.setEnabled(False)
        self.status.show_status("busy", "Signing out…")
        run_in_background(self, work, self._on_disconnected, self._on_failed)

    def _on_disconnected(self, _result: object) -> None:
        self.user_label.setText("not signed in")
        self.status.show_status(
            "ok", "Signed out. Secrets and tokens are forgotten on this computer."
        )

    def _on_failed(self, error: Exception) -> None:
        self.disconnect_button.setEnabled(True)
        self.status.show_error(error)
