"""The first-run wizard: from developer key to a connected Canvas account."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget, QWizard

from canvas_wizard import APP_TITLE
from canvas_wizard.ui.wizard.base import WizardContext
from canvas_wizard.ui.wizard.page_account import AccountPage
from canvas_wizard.ui.wizard.page_done import DonePage
from canvas_wizard.ui.wizard.page_key import DeveloperKeyPage
from canvas_wizard.ui.wizard.page_signin import SignInPage
from canvas_wizard.ui.wizard.pages_intro import AddressPage, WelcomePage

__all__ = ["SetupWizard", "WizardContext"]


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

    def done(self, result: int) -> None:
        # Whatever happens, stop listening on the loopback port.
        self.ctx.session.cancel_sign_in()
        super().done(result)
