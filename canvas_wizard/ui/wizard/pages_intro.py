"""Welcome and Canvas address pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit

from canvas_wizard.core.canvas import normalize_canvas_url
from canvas_wizard.core.errors import WizardError
from canvas_wizard.ui.widgets import plain_label
from canvas_wizard.ui.wizard.base import WizardContext, WizardPage

WELCOME_TEXT = """\
This wizard connects Canvas Sync Wizard to your school's Canvas. It takes about ten minutes.

What will happen:
  1. You tell us your Canvas address.
  2. You create a developer key in Canvas (we show you exactly what to type).
  3. You sign in to Canvas in your own web browser and allow access.
  4. You choose the Canvas account that your students and parents belong in.

What you need:
  • A Canvas administrator login for your school's root account (to create the developer key).
  • Your Cloudwork accounts export, for the first sync afterwards.

Nothing is changed in Canvas by this wizard: syncing comes later, always with a preview first.
You can close the wizard at any time; it remembers what you entered."""


class WelcomePage(WizardPage):
    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(ctx, "Welcome", "Connect this computer to your school's Canvas.")
        text = plain_label(WELCOME_TEXT)
        self.body.addWidget(text)
        self.body.addStretch(1)


class AddressPage(WizardPage):
    """The Canvas address, checked for real (reachable, TLS, really Canvas) before going on."""

    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(
            ctx,
            "Your Canvas address",
            "The address you use to sign in to Canvas, for example https://northfield.instructure.com",
        )
        form = QFormLayout()
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://yourschool.instructure.com")
        self.url_edit.setAccessibleName("Canvas address")
        label = QLabel("Canvas &address:")
        label.setBuddy(self.url_edit)
        form.addRow(label, self.url_edit)
        self.body.addLayout(form)
        self.hint = plain_label(
            "We check that the address answers and really is Canvas before going on. "
            "Schools that inspect web traffic: the check uses this computer's trusted certificates."
        )
        self.body.addWidget(self.hint)
        self.add_status_line()
        # Check the shape as the admin types (instant, local); reachability on Next.
        self._shape_timer = QTimer(self)
        self._shape_timer.setSingleShot(True)
        self._shape_timer.setInterval(400)
        self._shape_timer.timeout.connect(self._check_shape)
        self.url_edit.textChanged.connect(self._on_text_changed)
        self._shape_error = False  # the status shows the as-you-type check's own error

    def initializePage(self) -> None:
        if not self.url_edit.text() and self.ctx.session.profile.canvas_url:
            self.url_edit.setText(self.ctx.session.profile.canvas_url)

    def isComplete(self) -> bool:
        return bool(self.url_edit.text().strip()) and not self.busy

    def validatePage(self) -> bool:
        # The as-you-type check must not wipe what the real check is about to say.
        self._shape_timer.stop()
        text = self.url_edit.text()
        return self.check_then_advance(
            lambda: self.ctx.session.check_address(text),
            "Checking that Canvas answers at this address…",
        )

    def on_checked(self, result: Any) -> None:
        self.url_edit.setText(str(result))
        self.status.show_status("ok", f"Canvas found at {result}")

    def _on_text_changed(self) -> None:
        self.completeChanged.emit()
        if self.status.kind == "error" and not self._shape_error and not self.busy:
            self.status.clear()  # the last check's message was about the old text
        self._shape_timer.start()

    def _check_shape(self) -> None:
        text = self.url_edit.text().strip()
        if not text:
            self.status.clear()
            return
        if self.busy:
            return
        try:
            normalize_canvas_url(text)
        except WizardError as exc:
            self.status.show_error(exc)
            self._shape_error = True
        else:
            # Only its own message: the reachability check's stays until the text changes.
            if self._shape_error and self.status.kind == "error":
                self.status.clear()
            self._shape_error = False
