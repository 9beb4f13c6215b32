"""The Connection tab: where this setup points, and signing out."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE
from canvas_wizard.core.canvas.auth_providers import setting_label
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import StatusLine, plain_label


class ConnectionTab(QWidget):
    """Where this setup points, and signing out."""

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        profile: Profile,
        rerun_wizard: Callable[[], None] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self.profile = profile
        layout = QVBoxLayout(self)
        form = QFormLayout()
        account = profile.account
        self.canvas_label = plain_label(profile.canvas_url)
        self.user_label = plain_label(profile.signed_in_as or "not signed in")
        self.account_label = plain_label(
            f"{account.name} (id {account.id}, {'root account' if account.is_root else 'sub-account'})"
            if account
            else "none chosen"
        )
        self.secrets_label = plain_label(f"kept in {secrets.backend_name}, never in a file")
        self.sign_in_label = plain_label(setting_label(profile.options.get("sign_in_provider")))
        form.addRow("Canvas:", self.canvas_label)
        form.addRow("Signed in as:", self.user_label)
        form.addRow("Account to sync:", self.account_label)
        form.addRow("New logins sign in with:", self.sign_in_label)
        form.addRow("Secrets:", self.secrets_label)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.wizard_button = QPushButton("Run setup again…")
        self.wizard_button.setAccessibleName("Run the setup wizard again")
        self.wizard_button.setEnabled(rerun_wizard is not None)
        if rerun_wizard is not None:
            self.wizard_button.clicked.connect(rerun_wizard)
        self.disconnect_button = QPushButton("Sign out and forget secrets")
        self.disconnect_button.setAccessibleName("Sign out of Canvas and forget the saved secrets")
        self.disconnect_button.clicked.connect(self._on_disconnect)
        buttons.addWidget(self.wizard_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.status = StatusLine()
        layout.addWidget(self.status)

    def _on_disconnect(self) -> None:
        if not ask_yes_no(
            self,
            "Sign out of Canvas? The app's access is revoked in Canvas and the Client Secret is "
            "forgotten on this computer. You can connect again with the setup wizard.",
        ):
            return
        session = SetupSession(self.store, self.secrets, self.profile)

        def work() -> None:
            try:
                session.token_manager().disconnect()
            finally:
                self.profile.signed_in_as = None
                self.store.save(self.profile)
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
        self.user_label.setText("not signed in")
        self.disconnect_button.setEnabled(True)
        self.status.show_error(error)


def ask_yes_no(parent: QWidget, text: str) -> bool:
    """The one place the main window asks a yes/no question; tests replace it."""
    answer = QMessageBox.question(parent, APP_TITLE, text)
    return answer == QMessageBox.StandardButton.Yes


__all__ = ["ConnectionTab", "ask_yes_no"]
