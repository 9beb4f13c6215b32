"""The email summary of scheduled runs, against a real SMTP server on 127.0.0.1 (aiosmtpd)
that requires STARTTLS and a password: sent when a scheduled run failed or was held,
not when it went well (unless asked), and the password only ever in the keyring."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from schedule_support import Setup, cli

from canvas_wizard.core.schedule.email import (
    EmailError,
    EmailSettings,
    EmailStore,
    send,
    trial_message,
)
from canvas_wizard.core.store import SecretKind
from canvas_wizard.demo import free_loopback_port

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
PASSWORD = "smtp-pw-7f3a9c"


@dataclass
class Mailbox:
    port: int
    cert: Path
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth: Any):  # type: ignore[no-untyped-def]
        ok = isinstance(auth, LoginPassword) and auth.password == PASSWORD.encode()
        if ok:
            self.logins.append(auth.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def mailbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    import ssl

    cert, key = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    # The school's IT trusts its mail server's certificate: here, through OpenSSL's store.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    box = Mailbox(free_loopback_port(), cert)
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        tls_context=tls,
        require_starttls=True,
        auth_require_tls=True,
        authenticator=box.authenticate,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def settings(box: Mailbox, **kw: Any) -> EmailSettings:
    args: dict[str, Any] = dict(
        host="127.0.0.1",
        port=box.port,
        security="starttls",
        username="it-robot@northfield.example",
        sender="it-robot@northfield.example",
        recipients=("it-team@northfield.example", "head@northfield.example"),
    )
    args.update(kw)
    return EmailSettings(**args)


def save(setup: Setup, box: Mailbox, **kw: Any) -> None:
    EmailStore(setup.paths).save("school", settings(box, **kw))
    setup.secrets.set(setup.profile, SecretKind.SMTP_PASSWORD, PASSWORD)


def test_a_failed_scheduled_run_is_emailed_and_the_password_stays_in_the_keyring(
    setup: Setup, mailbox: Mailbox, tmp_path: Path
) -> None:
    save(setup, mailbox)
    missing = tmp_path / "exports" / "tonight.csv"
    run = cli("sync", "school", "--source", str(missing), "--scheduled", "--json")
    assert run.returncode == 2, run.stderr  # the run's own exit status is unchanged
    assert "summary email" not in run.stderr, run.stderr
    (msg,) = mailbox.messages
    assert msg["Subject"] == "Canvas sync of school: FAILED: the export could not be read"
    assert msg["To"] == "it-team@northfield.example, head@northfield.example"
    body = msg.get_payload(decode=True).decode()
    assert str(missing) in body and "tonight.csv" in body
    assert mailbox.logins == ["it-robot@northfield.example"]
    for path in setup.paths.config_dir.parent.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert PASSWORD not in run.stdout + run.stderr


def test_a_good_scheduled_run_sends_nothing_unless_asked(setup: Setup, mailbox: Mailbox) -> None:
    save(setup, mailbox)
    good = cli("sync", "school", "--source", str(setup.export), "--approve-limits", "--scheduled")
    assert good.returncode == 0, good.stderr
    assert mailbox.messages == []
    manual_fail = cli("sync", "school", "--source", "/nonexistent/x.csv")
    assert manual_fail.returncode == 2
    assert mailbox.messages == [], "only scheduled runs are emailed"

    save(setup, mailbox, always=True)
    again = cli("sync", "school", "--source", str(setup.export), "--approve-limits", "--scheduled")
    assert again.returncode == 0
    (msg,) = mailbox.messages
    assert msg["Subject"] == "Canvas sync of school: synced"


def test_a_wrong_password_or_unreachable_server_is_reported_not_fatal(
    setup: Setup, mailbox: Mailbox, tmp_path: Path
) -> None:
    save(setup, mailbox)
    setup.secrets.set(setup.profile, SecretKind.SMTP_PASSWORD, "not-it")
    run = cli("sync", "school", "--source", str(tmp_path / "gone.csv"), "--scheduled")
    assert run.returncode == 2
    assert "Warning: The summary email was not sent: The mail server 127.0.0.1:" in run.stderr
    assert "did not accept the user name and password" in run.stderr
    assert mailbox.messages == []

    closed = settings(mailbox, port=free_loopback_port())
    with pytest.raises(EmailError, match="cannot be reached"):
        send(closed, PASSWORD, trial_message("school", closed), timeout=5)


def test_the_test_email_goes_through_starttls(setup: Setup, mailbox: Mailbox) -> None:
    s = settings(mailbox)
    send(s, PASSWORD, trial_message("school", s))
    (msg,) = mailbox.messages
    assert msg["Subject"] == "Canvas Sync Wizard: test email for school"
    # Without STARTTLS the server refuses to take a password at all.
    plain = settings(mailbox, security="none")
    with pytest.raises(EmailError):
        send(plain, PASSWORD, trial_message("school", plain))
    assert len(mailbox.messages) == 1


def test_the_email_dialog_saves_the_password_in_the_keyring_and_sends_a_test(
    qtbot: Any, qapp: Any, setup: Setup, mailbox: Mailbox
) -> None:
    from canvas_wizard.ui import gc_guard
    from canvas_wizard.ui.schedule.dialog import ScheduleDialog
    from canvas_wizard.ui.tasks import task_pool

    gc_guard.install(qapp)
    schedule = ScheduleDialog(setup.paths, "school", secrets=setup.secrets)
    qtbot.addWidget(schedule)
    schedule.show()
    dialog = schedule.open_email()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=10_000)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(mailbox.port)
    dialog.username.setText("it-robot@northfield.example")
    dialog.password.setText(PASSWORD)
    dialog.from_address.setText("it-robot@northfield.example")
    dialog.recipients.setText("it-team@northfield.example; head@northfield.example")

    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.status.kind in ("ok", "error"), timeout=10_000)
    assert dialog.status.kind == "ok", dialog.status.text()
    assert "Sent a test email to it-team@northfield.example, head@northfield.example" in (
        dialog.status.text()
    )
    assert [m["Subject"] for m in mailbox.messages] == ["Canvas Sync Wizard: test email for school"]

    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.kind == "ok" and "Saved" in dialog.status.text())
    assert setup.secrets.get(setup.profile, SecretKind.SMTP_PASSWORD) == PASSWORD
    saved = EmailStore(setup.paths).get("school")
    assert saved is not None and saved.recipients == (
        "it-team@northfield.example",
        "head@northfield.example",
    )
    assert PASSWORD not in EmailStore(setup.paths).path("school").read_text()
    assert dialog.password.text() == "", "the typed password is not kept on screen"

    # A wrong password is said plainly, and nothing is sent.
    dialog.password.setText("wrong")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.status.kind == "error", timeout=10_000)
    assert "did not accept the user name and password" in dialog.status.text()
    assert len(mailbox.messages) == 1
    assert task_pool().waitForDone(10_000)
