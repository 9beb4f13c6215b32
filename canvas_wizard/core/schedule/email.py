"""An email summary of scheduled runs that were held or failed (or of every one, if asked).

The SMTP settings are a small JSON file per profile, ``<config>/email/<name>.json``,
without the password: that is in the keyring (``SecretKind.SMTP_PASSWORD``), never in
a file. Sending uses :mod:`smtplib`; TLS (STARTTLS or SMTPS) is verified against the
operating system's trust store, as the Canvas connection is.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import truststore

from canvas_wizard import APP_TITLE
from canvas_wizard.core.errors import UsageError, WizardError
from canvas_wizard.core.paths import AppPaths, write_atomic
from canvas_wizard.core.store.history import RunStatus, RunSummary

SECURITY_CHOICES = ("starttls", "ssl", "none")
_WORRYING = {
    RunStatus.HELD,
    RunStatus.FAILED_RECORDS,
    RunStatus.ERROR,
    RunStatus.INPUT_ERROR,
    RunStatus.INTERRUPTED,
    RunStatus.CANCELLED,
}


class EmailError(WizardError):
    """The mail server could not be reached or refused the message."""


@dataclass(frozen=True)
class EmailSettings:
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    username: str = ""
    #: Also send when a scheduled run went well (by default only held or failed runs).
    always: bool = False
    enabled: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def validated(self) -> EmailSettings:
        if not self.host.strip():
            raise UsageError("The SMTP server is empty.", hint="For example smtp.office365.com.")
        if not 1 <= self.port <= 65535:
            raise UsageError(f"The port {self.port} is not a port.", hint="Usually 587 or 465.")
        if self.security not in SECURITY_CHOICES:
            raise UsageError(f"Unknown security {self.security!r}.", hint="starttls, ssl or none")
        for address in (self.sender, *self.recipients):
            if "@" not in address or any(c in address for c in " \r\n,;<>"):
                raise UsageError(
                    f"“{address}” is not an email address.",
                    hint="Write one address per field, like it-team@school.example.",
                )
        if not self.recipients:
            raise UsageError("Nobody to send to.", hint="Add at least one address under To.")
        return self


def parse_recipients(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.replace(";", ",").split(",") if a.strip())


class EmailStore:
    def __init__(self, paths: AppPaths) -> None:
        self._dir = paths.config_dir / "email"

    def path(self, profile: str) -> Path:
        return self._dir / f"{profile}.json"

    def get(self, profile: str) -> EmailSettings | None:
        try:
            data = json.loads(self.path(profile).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"The email settings {self.path(profile)} cannot be read: {exc}.",
                hint="Save them again in Schedule… → Email summary.",
            ) from None
        data["recipients"] = tuple(data.get("recipients", ()))
        data.pop("password", None)  # never read one from a file, even a hand-edited one
        return EmailSettings(**data)

    def save(self, profile: str, settings: EmailSettings) -> None:
        data = asdict(settings.validated())
        data["recipients"] = list(settings.recipients)
        write_atomic(self.path(profile), json.dumps(data, indent=2) + "\n")

    def remove(self, profile: str) -> None:
        self.path(profile).unlink(missing_ok=True)


def wants_email(settings: EmailSettings | None, run: RunSummary) -> bool:
    if settings is None or not settings.enabled:
        return False
    return settings.always or run.status in _WORRYING


def summary_message(profile: str, run: RunSummary, settings: EmailSettings) -> EmailMessage:
    """The email for one scheduled run: the status in the subject, the facts in the body."""
    words = {
        RunStatus.OK: "synced",
        RunStatus.HELD: "HELD by a safety limit — nothing written",
        RunStatus.FAILED_RECORDS: "finished with FAILED records",
        RunStatus.ERROR: "FAILED",
        RunStatus.INPUT_ERROR: "FAILED: the export could not be read",
        RunStatus.INTERRUPTED: "was INTERRUPTED",
        RunStatus.CANCELLED: "was cancelled",
        RunStatus.PAUSED: "skipped: syncing is paused",
    }
    said = words.get(run.status, str(run.status))
    msg = EmailMessage()
    msg["Subject"] = f"Canvas sync of {profile}: {said}"
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    counts = ", ".join(f"{k} {v}" for k, v in run.counts.items() if v and ":" not in k)
    lines = [
        f"The scheduled sync of “{profile}” {said}.",
        "",
        f"Run: #{run.id}, started {run.started_at.astimezone():%Y-%m-%d %H:%M}",
        f"Export: {run.source}",
        f"Records: {counts or 'none'}",
    ]
    if run.error:
        lines.append(f"Message: {run.error}")
    if run.breaches:
        lines += ["Safety limits crossed:", *(f"  - {b}" for b in run.breaches)]
    if run.status is RunStatus.HELD:
        lines += ["", "Open the app: the banner's Review and approve… shows the plan."]
    lines += ["", f"Every record is in the app's History tab. — {APP_TITLE}"]
    msg.set_content("\n".join(lines))
    return msg


def trial_message(profile: str, settings: EmailSettings) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Canvas Sync Wizard: test email for {profile}"
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg.set_content(
        f"This is a test. Summaries of scheduled syncs of “{profile}” will come from this "
        "address when a run is held or fails."
    )
    return msg


def send(
    settings: EmailSettings,
    password: str | None,
    message: EmailMessage,
    *,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> None:
    """Send one message; EmailError saying what went wrong (never repeating the password)."""
    settings.validated()
    tls = context or truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    where = f"{settings.host}:{settings.port}"
    try:
        smtp: smtplib.SMTP
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=tls)
            if settings.username:
                try:
                    smtp.login(settings.username, password or "")
                except smtplib.SMTPServerDisconnected:
                    # Servers hang up after refused logins rather than answer again.
                    raise smtplib.SMTPAuthenticationError(535, b"closed after login") from None
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise EmailError(
            f"The mail server {where} did not accept the user name and password.",
            hint="Check them in Schedule… → Email summary (for Microsoft 365 or Google, an "
            "app password may be needed).",
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise EmailError(
            f"The mail server {where} does not offer what was asked: {_reply(exc)}.",
            hint="Try another security setting (STARTTLS on 587, SSL on 465).",
        ) from None
    except smtplib.SMTPException as exc:
        raise EmailError(
            f"The mail server {where} refused the email: {_reply(exc)}.",
            hint="Check the From and To addresses and that this server may send for them.",
        ) from None
    except ssl.SSLError as exc:
        raise EmailError(
            f"A secure connection to the mail server {where} failed: {exc.reason or exc}.",
            hint="Check the port and security setting; a private certificate must be "
            "trusted by this computer.",
        ) from None
    except OSError as exc:  # timeouts included
        raise EmailError(
            f"The mail server {where} cannot be reached: {exc.strerror or exc}.",
            hint="Check the server name and port, and that this computer may send mail.",
        ) from None


def _reply(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {said}".strip() if code else str(exc)
