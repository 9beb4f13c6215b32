"""Done page: a summary of what was set up and where it is kept."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton

from canvas_wizard.core.canvas.auth_providers import setting_label
from canvas_wizard.core.sync.visibility import EXPLANATION
from canvas_wizard.ui.widgets import plain_label
from canvas_wizard.ui.wizard.base import WizardContext, WizardPage


class DonePage(WizardPage):
    def __init__(self, ctx: WizardContext) -> None:
        super().__init__(ctx, "All set", "Canvas Sync Wizard is connected to your Canvas.")
        self.form = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key in (
            "Canvas",
            "Signed in as",
            "Account to sync",
            "New logins sign in with",
            "Setup name",
            "Settings file",
            "Secrets",
        ):
            label = plain_label("")
            label.setAccessibleName(key)
            self.fields[key] = label
            self.form.addRow(f"{key}:", label)
        self.body.addLayout(self.form)
        self.body.addSpacing(12)
        self.next_steps = plain_label("")
        self.body.addWidget(self.next_steps)
        row = QHBoxLayout()
        self.schedule_button = QPushButton("Schedule unattended syncing…")
        self.schedule_button.setAccessibleName("Schedule unattended syncing")
        self.schedule_button.clicked.connect(self.open_schedule)
        row.addWidget(self.schedule_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.body.addStretch(1)
        self.schedule_dialog: object = None

    def open_schedule(self) -> None:
        """Offered here so the setup can end with the nightly resync switched on."""
        from canvas_wizard.ui.schedule.dialog import ScheduleDialog

        session = self.ctx.session
        dialog = ScheduleDialog(
            session.profiles.paths, session.profile.name, self, secrets=session.secrets
        )
        dialog.open()
        self.schedule_dialog = dialog

    @property
    def summary_text(self) -> str:
        return "\n".join(f"{k}: {v.text()}" for k, v in self.fields.items())

    def initializePage(self) -> None:
        session = self.ctx.session
        profile = session.profile
        account = profile.account
        kind = "root account" if account and account.is_root else "sub-account"
        values = {
            "Canvas": profile.canvas_url,
            "Signed in as": profile.signed_in_as or "(not signed in)",
            "Account to sync": f"{account.name} (id {account.id}, {kind})" if account else "(none)",
            "New logins sign in with": setting_label(profile.options.get("sign_in_provider")),
            "Setup name": profile.name,
            "Settings file": str(session.profiles.path_of(profile.name)),
            "Secrets": f"kept in {session.secrets.backend_name}, never in a file",
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.next_steps.setText(
            "Next: click Finish. The main window opens: choose your Cloudwork export and click "
            "Preview to see exactly what would change. Nothing is written to Canvas until you "
            "click Sync now. To keep Canvas in line every night without anyone at the "
            "computer, click Schedule unattended syncing… (now, or later from the Sync tab).\n\n"
            f"What parents will see: {EXPLANATION}"
        )
