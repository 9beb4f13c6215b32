"""The wizard keeps its word: it asks before closing, reopens where it was left, keeps the
address check's answer on screen, and Enter on the key page means Next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWizard

import canvas_wizard.ui.wizard as wizard_module
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.ui.wizard import SetupWizard, WizardContext
from canvas_wizard.ui.wizard.page_key import DeveloperKeyPage
from canvas_wizard.ui.wizard.page_signin import SignInPage
from canvas_wizard.ui.wizard.pages_intro import AddressPage

WAIT = 15_000


def _next(qtbot, wizard: QWizard, page_type: type) -> None:
    wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: isinstance(wizard.currentPage(), page_type), timeout=WAIT)


def _to_key_page(qtbot, h, url: str) -> None:
    _next(qtbot, h.wizard, AddressPage)
    h.wizard.address.url_edit.setText(url)
    _next(qtbot, h.wizard, DeveloperKeyPage)


def test_cancel_and_escape_ask_before_closing(qtbot, make_wizard, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(wizard_module, "ask_close_setup", lambda _p: asked.append("?") or False)
    h = make_wizard()
    h.wizard.button(QWizard.WizardButton.CancelButton).click()
    QTest.keyClick(h.wizard, Qt.Key.Key_Escape)
    assert asked == ["?", "?"]
    assert h.wizard.isVisible(), "Keep setting up keeps the wizard open"


def test_reopening_starts_where_the_technician_left(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _to_key_page(qtbot, h, sandbox.url)
    h.wizard.key.client_id.setText(h.key.client_id)
    h.wizard.key.client_secret.setText(h.key.client_secret)
    _next(qtbot, h.wizard, SignInPage)
    h.wizard.reject()

    saved = h.store.get(h.ctx.session.profile.name)
    again = SetupWizard(WizardContext(session=SetupSession(h.store, h.ctx.session.secrets, saved)))
    qtbot.addWidget(again)
    again.show()
    assert isinstance(again.currentPage(), SignInPage)
    again.back()
    assert again.key.client_id.text() == h.key.client_id
    again.back()
    assert again.address.url_edit.text() == sandbox.url
    again.ctx.session.close()


def test_the_address_checks_answer_stays_until_the_text_changes(qtbot, make_wizard):
    h = make_wizard()
    _next(qtbot, h.wizard, AddressPage)
    page = h.wizard.address
    page.url_edit.setText("http://127.0.0.1:9")  # nothing listens there
    h.wizard.button(QWizard.WizardButton.NextButton).click()  # before the as-you-type check
    qtbot.waitUntil(lambda: page.status.kind == "error", timeout=WAIT)
    said = page.status.text()
    qtbot.wait(900)  # longer than the as-you-type check's delay
    assert page.status.kind == "error" and page.status.text() == said
    assert isinstance(h.wizard.currentPage(), AddressPage)
    page.url_edit.setText("http://127.0.0.1:10")
    assert page.status.kind == "", "a new address clears the old answer"


def test_enter_on_the_key_page_goes_next_and_never_opens_the_browser(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _to_key_page(qtbot, h, sandbox.url)
    page = h.wizard.key
    page.client_id.setText(h.key.client_id)
    page.client_secret.setText(h.key.client_secret)
    opened_before = list(h.admin.opened)
    for widget in (page.open_button, page.client_secret):
        widget.setFocus()
        QTest.keyClick(widget, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: isinstance(h.wizard.currentPage(), SignInPage), timeout=WAIT)
        assert h.admin.opened == opened_before, "Enter opened the browser"
        h.wizard.back()


def test_no_browser_shows_the_developer_keys_address_at_once(qtbot, make_wizard, sandbox):
    h = make_wizard()
    h.ctx.open_url = lambda url: False  # webbrowser.open found no usable browser
    _to_key_page(qtbot, h, sandbox.url)
    page = h.wizard.key
    page.open_button.click()
    qtbot.waitUntil(lambda: page.status.kind == "info", timeout=WAIT)
    assert "No web browser could be opened" in page.status.text()
    assert f"{sandbox.url}/accounts/" in page.status.text()


def test_no_browser_on_sign_in_shows_the_link_and_paste_back_at_once(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _to_key_page(qtbot, h, sandbox.url)
    h.wizard.key.client_id.setText(h.key.client_id)
    h.wizard.key.client_secret.setText(h.key.client_secret)
    _next(qtbot, h.wizard, SignInPage)
    h.ctx.open_url = lambda url: False
    page = h.wizard.sign_in
    page.sign_in_button.click()
    qtbot.waitUntil(lambda: page.status.kind == "info", timeout=WAIT)
    assert "No web browser could be opened" in page.status.text()
    assert "/login/oauth2/auth?" in page.status.text(), "the link itself is shown"
    assert page.copy_link_button.isEnabled() and page.paste_edit.isVisible()
    h.ctx.session.cancel_sign_in()
