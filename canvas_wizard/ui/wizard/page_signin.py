"""Sign-in page: the system browser, a loopback catcher, and a paste-back fallback."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout

from canvas_wizard.core.auth import AuthRequest, OAuthError
from canvas_wizard.core.setup import SignedIn
from canvas_wizard.ui.tasks import run_in_background
from canvas_wizard.ui.widgets import plain_label
from canvas_wizard.ui.wizard.base import WizardContext, WizardPage


class SignInPage(WizardPage):
    """Signals are Qt's own (completeChanged); the state lives in ``signed_in``."""

    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(
            ctx,
            "Sign in to Canvas",
            "Your web browser opens Canvas. Sign in there if asked, then click Authorize.",
        )
        self.body.addWidget(
            plain_label(
                "Canvas shows a page asking to allow Canvas Sync Wizard to access your account. "
                "Click Authorize; the browser then tells you to come back here."
            )
        )
        row = QHBoxLayout()
        self.sign_in_button = QPushButton("Sign in to Canvas")
        self.sign_in_button.setAccessibleName("Sign in to Canvas in your web browser")
        self.sign_in_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel sign-in")
        self.cancel_button.setAccessibleName("Cancel signing in")
        self.cancel_button.setVisible(False)
        row.addWidget(self.sign_in_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addWidget(self.status)
        self.body.addSpacing(12)

        fallback = QGroupBox("Browser on another computer, or nothing happened?")
        fb = QVBoxLayout(fallback)
        fb.addWidget(
            plain_label(
                "Copy the sign-in link and open it in any browser. After you click Authorize, the "
                "browser may say it cannot reach the page: that is expected. Copy the whole address "
                "from its address bar and paste it here."
            )
        )
        link_row = QHBoxLayout()
        self.copy_link_button = QPushButton("Copy sign-in link")
        self.copy_link_button.setAccessibleName("Copy the sign-in link")
        self.copy_link_button.setEnabled(False)
        link_row.addWidget(self.copy_link_button)
        link_row.addStretch(1)
        fb.addLayout(link_row)
        paste_row = QHBoxLayout()
        self.paste_edit = QLineEdit()
        self.paste_edit.setAccessibleName("Address the browser ended on")
        self.paste_edit.setPlaceholderText("http://127.0.0.1:…/canvas/authorize?code=…")
        self.paste_button = QPushButton("Use this address")
        self.paste_button.setAccessibleName("Finish signing in with the pasted address")
        self.paste_button.setEnabled(False)
        paste_row.addWidget(self.paste_edit, 1)
        paste_row.addWidget(self.paste_button)
        fb.addLayout(paste_row)
        self.body.addWidget(fallback)
        self.body.addStretch(1)

        self.signed_in: SignedIn | None = None
        self._request: AuthRequest | None = None
        self._deadline = 0.0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._on_tick)

        self.sign_in_button.clicked.connect(self._on_sign_in)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.copy_link_button.clicked.connect(self._on_copy_link)
        self.paste_edit.textChanged.connect(
            lambda text: self.paste_button.setEnabled(
                bool(text.strip()) and self._request is not None
            )
        )
        self.paste_button.clicked.connect(self._on_paste)

    # -- QWizardPage ------------------------------------------------------------
    def initializePage(self) -> None:
        profile = self.ctx.session.profile
        if not profile.signed_in_as:
            # The address or the key changed since: that sign-in no longer counts.
            self.signed_in = None
            self.status.clear()
        if self.signed_in is None and profile.signed_in_as:
            self.status.show_status("ok", f"Signed in as {profile.signed_in_as}")

    def isComplete(self) -> bool:
        return not self.busy and (
            self.signed_in is not None or bool(self.ctx.session.profile.signed_in_as)
        )

    def cleanupPage(self) -> None:
        self._on_cancel()

    # -- slots --------------------------------------------------------------------
    def _on_sign_in(self) -> None:
        session = self.ctx.session
        timeout = self.ctx.sign_in_timeout
        self.signed_in = None
        self.completeChanged.emit()
        self.status.show_status("busy", "Preparing to sign in…")
        run_in_background(
            self,
            lambda: session.start_sign_in(timeout=timeout),
            self._on_listening,
            self._on_failed,
        )

    def _on_listening(self, request: AuthRequest) -> None:
        self._request = request
        self.copy_link_button.setEnabled(True)
        self.paste_button.setEnabled(bool(self.paste_edit.text().strip()))
        self.sign_in_button.setEnabled(False)
        self.cancel_button.setVisible(True)
        self._deadline = time.monotonic() + self.ctx.sign_in_timeout
        self._countdown.start()
        self._on_tick()
        url = request.url
        run_in_background(
            self, lambda: self.ctx.open_url(url), self._on_browser_opened, self._on_no_browser
        )
        run_in_background(
            self, self.ctx.session.wait_for_sign_in, self._on_signed_in, self._on_failed
        )

    def _on_browser_opened(self, opened: Any) -> None:
        if not opened:
            self._on_no_browser(None)

    def _on_no_browser(self, _error: object) -> None:
        link = f" {self._request.url}" if self._request is not None else ""
        self.status.show_status(
            "info",
            "No web browser could be opened on this computer. Open this sign-in link in any "
            f'browser (or use "Copy sign-in link" below), then paste back where it ends:{link}',
        )

    def _on_tick(self) -> None:
        left = max(0, int(self._deadline - time.monotonic()))
        if self.status.kind in ("busy", ""):
            self.status.show_status(
                "busy",
                f"Waiting for you to click Authorize in the browser… ({left // 60}:{left % 60:02d} left)",
            )

    def _on_signed_in(self, signed_in: SignedIn) -> None:
        self._stop_waiting()
        self.signed_in = signed_in
        self.status.show_status("ok", f"Signed in as {signed_in.user_name}")
        self.completeChanged.emit()

    def _on_failed(self, error: Exception) -> None:
        if self.signed_in is not None:
            return  # the paste-back path already finished; the catcher was just stopped
        self._stop_waiting()
        if isinstance(error, OAuthError) and error.code == "port_in_use":
            # The link can still be used with paste-back, without the catcher.
            session = self.ctx.session
            run_in_background(
                self,
                lambda: session.start_sign_in(listen=False),
                self._on_link_only,
                lambda _e: None,
            )
        if isinstance(error, OAuthError) and error.code == "cancelled":
            self.status.show_status(
                "info", 'Sign-in cancelled. Click "Sign in to Canvas" to try again.'
            )
        else:
            self.status.show_error(error)

    def _on_link_only(self, request: AuthRequest) -> None:
        self._request = request
        self.copy_link_button.setEnabled(True)

    def _on_cancel(self) -> None:
        if self._request is not None or self._countdown.isActive():
            self.ctx.session.cancel_sign_in()

    def _on_copy_link(self) -> None:
        if self._request is not None:
            QGuiApplication.clipboard().setText(self._request.url)
            self.copy_link_button.setText("Link copied")

    def _on_paste(self) -> None:
        text = self.paste_edit.text()
        session = self.ctx.session
        self.status.show_status("busy", "Finishing sign-in…")
        run_in_background(
            self,
            lambda: session.finish_with_pasted(text),
            self._on_signed_in,
            self._on_paste_failed,
        )

    def _on_paste_failed(self, error: Exception) -> None:
        self.status.show_error(error)

    def _stop_waiting(self) -> None:
        self._countdown.stop()
        self.sign_in_button.setEnabled(True)
        self.cancel_button.setVisible(False)
