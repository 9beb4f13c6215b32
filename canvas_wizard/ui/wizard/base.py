"""What every wizard page shares: a context, a status line, and "check, then go on"."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWizardPage

from canvas_wizard.core.setup import SetupSession
from canvas_wizard.ui.tasks import Task, run_in_background
from canvas_wizard.ui.widgets import StatusLine


def open_in_browser(url: str) -> bool:
    """Open ``url`` in the system's default browser (honours the BROWSER variable)."""
    return webbrowser.open(url, new=2)


@dataclass
class WizardContext:
    """What the pages need from the outside world; tests replace the parts they must."""

    session: SetupSession
    open_url: Callable[[str], bool] = open_in_browser
    #: Set by --demo: the sandbox's ready-made key, so the demo needs no typing.
    demo_client_id: str | None = None
    demo_client_secret: str | None = None
    sign_in_timeout: float = 300.0
    extras: dict[str, Any] = field(default_factory=dict)


class WizardPage(QWizardPage):
    """A page whose Next may first have to check something off the GUI thread.

    ``validatePage`` cannot wait, so a page that must check starts the check,
    returns False, and calls ``wizard().next()`` itself when the check passed.
    """

    def __init__(self, ctx: WizardContext, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.ctx = ctx
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.body = QVBoxLayout(self)
        self.status = StatusLine()
        self._checked = False
        self._task: Task | None = None

    def add_status_line(self) -> None:
        self.body.addStretch(1)
        self.body.addWidget(self.status)

    @property
    def busy(self) -> bool:
        return self._task is not None and self._task.running

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[Exception], None] | None = None,
        *,
        busy_text: str = "",
    ) -> None:
        if busy_text:
            self.status.show_status("busy", busy_text)
        self._set_busy(True)

        def success(result: Any) -> None:
            self._set_busy(False)
            on_success(result)

        def failure(error: Exception) -> None:
            self._set_busy(False)
            if on_failure is not None:
                on_failure(error)
            else:
                self.status.show_error(error)

        self._task = run_in_background(self, fn, success, failure)

    def check_then_advance(self, fn: Callable[[], Any], busy_text: str) -> bool:
        """For validatePage: True when already checked, else start ``fn`` and go on when it passes."""
        if self._checked:
            self._checked = False
            return True
        if self.busy:
            return False

        def passed(result: Any) -> None:
            self.on_checked(result)
            self._checked = True
            wizard = self.wizard()
            if wizard is not None and wizard.currentPage() is self:
                wizard.next()

        self.run(fn, passed, busy_text=busy_text)
        return False

    def on_checked(self, result: Any) -> None:
        """Called on the GUI thread with what the check returned, before moving on."""

    def _set_busy(self, busy: bool) -> None:
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is not self:
            return  # a check finishing after the admin moved on must not touch the buttons
        from PySide6.QtWidgets import QWizard

        wizard.button(QWizard.WizardButton.BackButton).setEnabled(not busy)
        if busy:
            wizard.button(QWizard.WizardButton.NextButton).setEnabled(False)
        # QWizard decides Next from isComplete(), which is False while busy.
        self.completeChanged.emit()
