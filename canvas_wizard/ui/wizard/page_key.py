"""Developer key page: what to click and paste in Canvas, then the Client ID and Secret."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from canvas_wizard.core.auth.scopes import API_SCOPES, scopes_text
from canvas_wizard.core.setup import developer_key_values
from canvas_wizard.ui.widgets import CopyField, SecretField, plain_label
from canvas_wizard.ui.wizard.base import WizardContext, WizardPage


class DeveloperKeyPage(WizardPage):
    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(
            ctx,
            "Create a developer key in Canvas",
            "Canvas needs to know this app before it lets you sign in. Follow these steps in Canvas.",
        )
        steps = QGroupBox("In Canvas")
        steps_layout = QVBoxLayout(steps)
        open_row = QHBoxLayout()
        self.open_button = QPushButton("Open Developer Keys in Canvas")
        self.open_button.setAccessibleName("Open the Developer Keys page of your Canvas")
        self.open_button.clicked.connect(self._on_open_keys)
        # Enter on this page means Next (the wizard's default), never "open the browser".
        self.open_button.setAutoDefault(False)
        open_row.addWidget(plain_label("1. Go to Admin → your school's account → Developer Keys."))
        open_row.addWidget(self.open_button)
        steps_layout.addLayout(open_row)
        steps_layout.addWidget(plain_label('2. Click "+ Developer Key", then "API Key".'))
        values = QFormLayout()
        self.key_name = CopyField("", "Key Name")
        self.redirect_uri = CopyField("", "Redirect URI")
        values.addRow("3. Key Name:", self.key_name)
        values.addRow("4. Redirect URIs:", self.redirect_uri)
        steps_layout.addLayout(values)
        steps_layout.addWidget(
            plain_label(
                "   Paste the redirect address exactly as shown, on its own line: Canvas compares it "
                "letter for letter, port number included. Leave everything else as it is and click Save."
            )
        )
        steps_layout.addLayout(self._scopes_row())
        steps_layout.addWidget(
            plain_label('5. In the list of keys, switch the new key\'s State to "ON".')
        )
        steps_layout.addWidget(
            plain_label(
                "6. In the key's Details column, copy the number (the Client ID), then click "
                '"Show Key" and copy the key (the Client Secret). Paste both below.'
            )
        )
        self.body.addWidget(steps)

        form = QFormLayout()
        self.client_id = QLineEdit()
        self.client_id.setAccessibleName("Client ID")
        self.client_id.setPlaceholderText("for example 10000000000042")
        self.client_secret = SecretField("Client Secret")
        id_label = QLabel("Client &ID:")
        id_label.setBuddy(self.client_id)
        secret_label = QLabel("Client &Secret:")
        secret_label.setBuddy(self.client_secret.edit)
        form.addRow(id_label, self.client_id)
        form.addRow(secret_label, self.client_secret)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setAccessibleName("Redirect port")
        self.port.setToolTip(
            "The port on this computer that catches Canvas's answer after you sign in. "
            "Change it only if another program uses it; then update the Redirect URI in Canvas."
        )
        port_label = QLabel("Redirect &port:")
        port_label.setBuddy(self.port)
        form.addRow(port_label, self.port)
        self.body.addLayout(form)
        self.add_status_line()

        self.client_id.textChanged.connect(self._on_edited)
        self.client_secret.textChanged.connect(self._on_edited)
        self.port.valueChanged.connect(self._on_port_changed)

    def _scopes_row(self) -> QHBoxLayout:
        """The scopes to tick if the key has "Enforce Scopes" on (core/auth/scopes.py)."""
        row = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(
            plain_label(
                '   Only if you turn on "Enforce Scopes": tick these scopes and switch on "Allow '
                'Include Parameters".'
            )
        )
        self.scopes = QPlainTextEdit(scopes_text())
        self.scopes.setReadOnly(True)
        self.scopes.setAccessibleName("API scopes the app needs")
        self.scopes.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.scopes.setFixedHeight(self.scopes.fontMetrics().lineSpacing() * 4 + 12)
        left.addWidget(self.scopes)
        row.addLayout(left, 1)
        self.copy_scopes_button = QPushButton("Copy scopes")
        self.copy_scopes_button.setAccessibleName("Copy the API scopes the app needs")
        self.copy_scopes_button.setToolTip(f"Copy all {len(API_SCOPES)} scopes, one a line")
        self.copy_scopes_button.clicked.connect(self._on_copy_scopes)
        row.addWidget(self.copy_scopes_button)
        return row

    def _on_copy_scopes(self) -> None:
        QGuiApplication.clipboard().setText(scopes_text())
        self.copy_scopes_button.setText("Copied")

    def initializePage(self) -> None:
        profile = self.ctx.session.profile
        self.port.setValue(profile.redirect_port)
        self._refresh_values()
        if not self.client_id.text():
            self.client_id.setText(profile.client_id or (self.ctx.demo_client_id or ""))
        if not self.client_secret.text() and self.ctx.demo_client_secret:
            self.client_secret.setText(self.ctx.demo_client_secret)
        if not self.client_secret.text() and profile.client_id:
            # A secret already in the keyring from an earlier, unfinished run may be reused.
            self.run(self.ctx.session.has_client_secret, self._on_secret_known, lambda _error: None)

    def _on_secret_known(self, has_secret: bool) -> None:
        if has_secret:
            self.status.show_status(
                "info", "A Client Secret for this key is already saved. Leave it empty to keep it."
            )

    def isComplete(self) -> bool:
        text = self.client_id.text().strip()
        return bool(text) and text.isdigit() and not self.busy

    def validatePage(self) -> bool:
        client_id = self.client_id.text()
        secret = self.client_secret.text()
        session = self.ctx.session

        return self.check_then_advance(
            lambda: session.set_credentials(client_id, secret),
            "Saving the key in this computer's keyring…",
        )

    def on_checked(self, result: Any) -> None:
        self.status.show_status("ok", "Key saved.")

    def _on_edited(self) -> None:
        text = self.client_id.text().strip()
        if text and not text.isdigit():
            self.status.show_status(
                "error",
                "The Client ID is a number, like 10000000000042: copy the number from the key's "
                "Details column, not its name or the secret.",
            )
        elif self.status.kind == "error":
            self.status.clear()
        self.completeChanged.emit()

    def _on_port_changed(self, port: int) -> None:
        self.ctx.session.profile.redirect_port = port
        self._refresh_values()

    def _refresh_values(self) -> None:
        values = developer_key_values(self.ctx.session.profile)
        self.key_name.set_value(values.key_name)
        self.redirect_uri.set_value(values.redirect_uri)

    def _on_open_keys(self) -> None:
        url = developer_key_values(self.ctx.session.profile).developer_keys_url
        self.run(lambda: self.ctx.open_url(url), lambda ok: self._on_browser(bool(ok), url))

    def _on_browser(self, opened: bool, url: str) -> None:
        if not opened:  # no usable browser here: say so at once, with the address to copy
            self.status.show_status(
                "info",
                "No web browser could be opened on this computer. Open this address in a "
                f"browser on any computer and follow the steps: {url}",
            )
