"""The first-run wizard: from developer key to a connected Canvas account."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard, QWizardPage

from canvas_wizard import APP_TITLE
from canvas_wizard.ui.wizard.base import WizardContext
from canvas_wizard.ui.wizard.page_account import AccountPage
from canvas_wizard.ui.wizard.page_done import DonePage
from canvas_wizard.ui.wizard.page_key import DeveloperKeyPage
from canvas_wizard.ui.wizard.page_signin import SignInPage
from canvas_wizard.ui.wizard.pages_intro import AddressPage, WelcomePage

__all__ = ["SetupWizard", "WizardContext", "ask_close_setup"]

CLOSE_QUESTION = (
    "Close the setup? Canvas is not connected yet. What you entered is kept on this computer "
    "(the Client Secret only in the system keyring) and you can finish later."
)


def ask_close_setup(parent: QWidget) -> bool:
    """True to close the unfinished setup; "Keep setting up" is the default. Tests replace it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(APP_TITLE)
    box.setText(CLOSE_QUESTION)
    close = box.addButton("Close the setup", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Keep setting up", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    try:
        box.exec()
        return box.clickedButton() is close
    finally:
        box.deleteLater()


class SetupWizard(QWizard):
    """Pages in order: welcome, address, developer key, sign in, account, done."""

    def __init__(self, ctx: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(f"{APP_TITLE} — Connect to Canvas")
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.welcome = WelcomePage(ctx)
        self.address = AddressPage(ctx)
        self.key = DeveloperKeyPage(ctx)
        self.sign_in = SignInPage(ctx)
        self.account = AccountPage(ctx)
        self.done_page = DonePage(ctx)
        for page in (
            self.welcome,
            self.address,
            self.key,
            self.sign_in,
            self.account,
            self.done_page,
        ):
            self.addPage(page)
        self.setMinimumSize(QSize(760, 600))
        start = self.resume_page_id()
        self.setStartId(start)
        # Back from where it resumes shows what was entered on the pages before.
        for page_id in self.pageIds():
            if page_id < start:
                self.page(page_id).initializePage()

    def resume_page_id(self) -> int:
        """Reopen where the technician left off, judged from what the setup has saved."""
        profile = self.ctx.session.profile
        if profile.signed_in_as:
            page: QWizardPage = self.account
        elif profile.client_id:
            page = self.sign_in
        elif profile.canvas_url:
            page = self.key
        else:
            page = self.welcome
        return next(i for i in self.pageIds() if self.page(i) is page)

    def reject(self) -> None:
        """Cancel, Escape or the close box: ask first; what was entered is kept."""
        if self.ctx.session.profile.account is None and not ask_close_setup(self):
            return
        super().reject()

    def done(self, result: int) -> None:
        # Whatever happens, stop listening on the loopback port.
        self.ctx.session.cancel_sign_in()
        super().done(result)
