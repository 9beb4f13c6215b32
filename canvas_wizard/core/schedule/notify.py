"""After a scheduled run: email its summary when it was held or failed (or always, if asked)."""

from __future__ import annotations

import logging

from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.schedule.email import EmailStore, send, summary_message, wants_email
from canvas_wizard.core.store import Profile, SecretKind, SecretStore
from canvas_wizard.core.store.history import HistoryStore, RunTrigger

log = logging.getLogger(__name__)


def notify_scheduled_run(
    paths: AppPaths, secrets: SecretStore, profile: Profile, run_id: int | None = None
) -> str | None:
    """Send the summary of run ``run_id`` (default: the newest scheduled run) if wanted.

    Returns a sentence when the email could not be sent (the run's own outcome and exit
    status stand; only the summary is missing), else None.
    """
    try:
        settings = EmailStore(paths).get(profile.name)
        if settings is None or not paths.history_db.exists():
            return None
        with HistoryStore(paths.history_db) as history:
            if run_id is not None:
                run = history.get_run(run_id)
            else:
                scheduled = [
                    r
                    for r in history.list_runs(profile.name, limit=5)
                    if r.trigger is RunTrigger.SCHEDULED
                ]
                run = scheduled[0] if scheduled else None
        if run is None or not wants_email(settings, run):
            return None
        password = secrets.get(profile, SecretKind.SMTP_PASSWORD) if settings.username else None
        send(settings, password, summary_message(profile.name, run, settings))
        log.info(
            "Emailed the summary of run %s to %d recipient(s)", run.id, len(settings.recipients)
        )
        return None
    except WizardError as exc:
        log.warning("The summary email was not sent: %s", exc.message)
        return f"The summary email was not sent: {exc.message}"
