"""The account step lists the root account's sign-in providers and keeps the one chosen."""

from __future__ import annotations

from test_wizard import WAIT, _next, _sign_in, _through_address, _through_key

from canvas_wizard.ui.main_window import ConnectionTab
from canvas_wizard.ui.wizard.page_account import AccountPage
from canvas_wizard.ui.wizard.page_done import DonePage


def _to_account_page(qtbot, h, url: str) -> AccountPage:
    _through_address(qtbot, h, url)
    _through_key(qtbot, h)
    _sign_in(qtbot, h)
    _next(qtbot, h.wizard, AccountPage)
    page = h.wizard.account
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=WAIT)
    page.tree.setCurrentItem(page.tree.topLevelItem(0))
    qtbot.waitUntil(lambda: page.report is not None and page.sign_in is not None, timeout=WAIT)
    return page


def test_the_only_sso_provider_is_offered_first_and_kept(qtbot, make_wizard, sandbox) -> None:
    h = make_wizard()
    page = _to_account_page(qtbot, h, sandbox.url)
    combo = page.sign_in_combo
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == [
        "SAML (id 2, https://sso.northfield.example/idp)",
        "Canvas passwords",
        "Any sign-in method (no provider in particular)",
    ]
    assert combo.currentIndex() == 0 and combo.isEnabled()

    _next(qtbot, h.wizard, DonePage)
    summary = h.wizard.done_page.summary_text
    assert "New logins sign in with: SAML (id 2, https://sso.northfield.example/idp)" in summary
    profile = h.store.get(h.ctx.session.profile.name)
    assert profile.options["sign_in_provider"] == {
        "choice": "2",
        "send": "2",
        "label": "SAML (id 2, https://sso.northfield.example/idp)",
    }


def test_canvas_passwords_can_be_chosen_instead(qtbot, make_wizard, sandbox) -> None:
    h = make_wizard()
    page = _to_account_page(qtbot, h, sandbox.url)
    page.sign_in_combo.setCurrentIndex(page.sign_in_combo.findData("canvas"))
    _next(qtbot, h.wizard, DonePage)
    profile = h.store.get(h.ctx.session.profile.name)
    assert profile.options["sign_in_provider"]["choice"] == "canvas"
    assert profile.options["sign_in_provider"]["send"] == "1"  # the Canvas provider's id
    # The main window's Connection tab says it too.
    tab = ConnectionTab(h.store, h.ctx.session.secrets, profile, None)
    qtbot.addWidget(tab)
    assert tab.sign_in_label.text() == "Canvas passwords"
