"""The setup wizard, page by page, against a sandbox Canvas over real HTTP."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWizard

from canvas_wizard.core.store import SecretKind
from canvas_wizard.core.sync.visibility import EXPLANATION
from canvas_wizard.ui.wizard.page_account import AccountPage
from canvas_wizard.ui.wizard.page_done import DonePage
from canvas_wizard.ui.wizard.page_key import DeveloperKeyPage
from canvas_wizard.ui.wizard.page_signin import SignInPage
from canvas_wizard.ui.wizard.pages_intro import AddressPage

WAIT = 15_000


def _next(qtbot, wizard: QWizard, page_type: type) -> None:
    wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: isinstance(wizard.currentPage(), page_type), timeout=WAIT)


def _through_address(qtbot, h, url: str) -> None:
    _next(qtbot, h.wizard, AddressPage)
    h.wizard.address.url_edit.setText(url)
    _next(qtbot, h.wizard, DeveloperKeyPage)


def _through_key(qtbot, h, secret: str | None = None) -> None:
    page = h.wizard.key
    page.client_id.setText(h.key.client_id)
    page.client_secret.setText(secret if secret is not None else h.key.client_secret)
    _next(qtbot, h.wizard, SignInPage)


def _sign_in(qtbot, h) -> None:
    page = h.wizard.sign_in
    page.sign_in_button.click()
    qtbot.waitUntil(lambda: page.status.kind in ("ok", "error"), timeout=WAIT)


def test_full_setup_connects_and_keeps_secrets_out_of_files(
    qtbot, make_wizard, sandbox, app_home: Path
):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    key_page = h.wizard.key
    assert key_page.redirect_uri.value() == f"http://127.0.0.1:{h.port}/canvas/authorize"
    assert key_page.key_name.value() == "Canvas Sync Wizard"
    _through_key(qtbot, h)
    _sign_in(qtbot, h)
    assert h.admin.errors == []
    assert h.wizard.sign_in.status.text() == "Signed in as Alex Morgan"

    _next(qtbot, h.wizard, AccountPage)
    account_page = h.wizard.account
    qtbot.waitUntil(lambda: account_page.tree.topLevelItemCount() > 0, timeout=WAIT)
    root = account_page.tree.topLevelItem(0)
    assert root.text(0) == "Northfield Academy Trust"
    assert root.text(1) == "Root account"
    names = [root.child(i).text(0) for i in range(root.childCount())]
    assert names == ["Northfield Primary", "Northfield Secondary"]
    account_page.tree.setCurrentItem(root)
    qtbot.waitUntil(lambda: account_page.report is not None, timeout=WAIT)
    assert "You have every permission the sync needs." in account_page.details.text()
    _next(qtbot, h.wizard, DonePage)
    summary = h.wizard.done_page.summary_text
    assert "Northfield Academy Trust (id 1, root account)" in summary
    assert "Alex Morgan" in summary
    # What to tell a parent who sees nothing: said once, plainly, before the first sync.
    assert EXPLANATION in h.wizard.done_page.next_steps.text()

    profile = h.store.get(h.ctx.session.profile.name)
    assert profile.account is not None and profile.account.id == 1 and profile.account.is_root
    secrets = h.ctx.session.secrets
    stored = [
        secrets.get(profile, kind) for kind in SecretKind if kind is not SecretKind.SMTP_PASSWORD
    ]
    assert all(stored), "client secret, refresh and access tokens are all in the keyring"
    for path in app_home.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in stored:
                assert secret is not None and secret.encode() not in content, (
                    f"secret found in {path}"
                )


def test_filter_hides_accounts_that_do_not_match(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h)
    _sign_in(qtbot, h)
    _next(qtbot, h.wizard, AccountPage)
    page = h.wizard.account
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=WAIT)
    page.filter_edit.setText("sixth")
    root = page.tree.topLevelItem(0)
    primary = root.child(0)
    secondary = root.child(1)
    assert primary.isHidden()
    assert not secondary.isHidden() and not secondary.child(0).isHidden()


def test_typo_in_address_is_refused_with_a_reason(qtbot, make_wizard):
    h = make_wizard()
    _next(qtbot, h.wizard, AddressPage)
    page = h.wizard.address
    page.url_edit.setText("http://canvas.example.org")
    h.wizard.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: page.status.kind == "error", timeout=WAIT)
    assert "https" in page.status.text()
    assert isinstance(h.wizard.currentPage(), AddressPage)


def test_a_site_that_is_not_canvas_is_refused(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _next(qtbot, h.wizard, AddressPage)
    page = h.wizard.address
    # The sandbox's consent page is HTML but not the API: it must not pass as Canvas.
    import http.server
    import threading

    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>Welcome to our school website</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.url_edit.setText(f"http://127.0.0.1:{server.server_address[1]}")
        h.wizard.button(QWizard.WizardButton.NextButton).click()
        qtbot.waitUntil(lambda: page.status.kind == "error", timeout=WAIT)
        assert "not" in page.status.text().lower() and "canvas" in page.status.text().lower()
        assert isinstance(h.wizard.currentPage(), AddressPage)
    finally:
        server.shutdown()
        server.server_close()


def test_wrong_secret_says_to_check_the_secret(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h, secret="not-the-secret")
    _sign_in(qtbot, h)
    page = h.wizard.sign_in
    assert page.status.kind == "error"
    assert "secret" in page.status.text().lower()
    assert not page.isComplete()


def test_cancel_in_browser_is_reported_and_can_be_retried(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h)
    h.admin.cancel = True
    _sign_in(qtbot, h)
    page = h.wizard.sign_in
    assert page.status.kind == "error"
    assert "cancel" in page.status.text().lower() or "denied" in page.status.text().lower()
    h.admin.cancel = False
    _sign_in(qtbot, h)
    assert page.status.kind == "ok"


def test_cancel_button_stops_waiting(qtbot, make_wizard, sandbox):
    h = make_wizard()
    h.admin.open_url = lambda url: True  # the admin never comes back from the browser
    h.ctx.open_url = h.admin.open_url
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h)
    page = h.wizard.sign_in
    page.sign_in_button.click()
    qtbot.waitUntil(lambda: page.cancel_button.isVisible(), timeout=WAIT)
    assert "Waiting for you" in page.status.text()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.status.kind == "info", timeout=WAIT)
    assert "cancelled" in page.status.text().lower()
    assert page.sign_in_button.isEnabled()


def test_paste_back_finishes_sign_in(qtbot, make_wizard, sandbox):
    h = make_wizard()
    h.ctx.open_url = lambda url: False  # no browser on this machine
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h)
    page = h.wizard.sign_in
    page.sign_in_button.click()
    qtbot.waitUntil(lambda: page.copy_link_button.isEnabled(), timeout=WAIT)
    qtbot.waitUntil(lambda: "No web browser" in page.status.text(), timeout=WAIT)
    page.copy_link_button.click()
    from PySide6.QtGui import QGuiApplication

    link = QGuiApplication.clipboard().text()
    assert link.startswith(sandbox.url + "/login/oauth2/auth?")
    # The admin opens the link elsewhere; the browser ends on an unreachable 127.0.0.1 page.
    location = sandbox.approve_consent(link)
    page.paste_edit.setText(location)
    page.paste_button.click()
    qtbot.waitUntil(lambda: page.status.kind == "ok", timeout=WAIT)
    assert page.status.text() == "Signed in as Alex Morgan"


def test_closing_half_way_remembers_what_was_entered(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    _through_key(qtbot, h)
    h.wizard.reject()
    name = h.ctx.session.profile.name
    saved = h.store.get(name)
    assert saved.canvas_url == sandbox.url
    assert saved.client_id == h.key.client_id
    assert h.ctx.session.secrets.get(saved, SecretKind.CLIENT_SECRET) == h.key.client_secret


def test_client_id_is_checked_as_it_is_typed(qtbot, make_wizard, sandbox):
    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    page = h.wizard.key
    page.client_id.setText("Canvas Sync Wizard")
    assert page.status.kind == "error"
    assert "number" in page.status.text()
    assert not h.wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.client_id.setText(h.key.client_id)
    assert page.status.kind != "error"
    assert h.wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_the_developer_key_page_lists_the_scopes_to_tick_and_copies_them(
    qtbot, make_wizard, sandbox
):
    from PySide6.QtGui import QGuiApplication

    from canvas_wizard.core.auth.scopes import API_SCOPES

    h = make_wizard()
    _through_address(qtbot, h, sandbox.url)
    page = h.wizard.key
    assert page.scopes.toPlainText().splitlines() == list(API_SCOPES)
    page.copy_scopes_button.click()
    assert QGuiApplication.clipboard().text().splitlines() == list(API_SCOPES)
    assert page.copy_scopes_button.text() == "Copied"
