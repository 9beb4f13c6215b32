"""The one error type the UI and CLI know how to show.

Every refusal the app makes is a :class:`WizardError`: a sentence that says what
is wrong in a technician's words, and a hint that says what to do about it.
Subsystems subclass it (Canvas errors, OAuth errors, roster problems) so callers
can branch on the kind, but showing one never needs more than ``message`` and
``hint``. Neither may ever contain a secret.
"""

from __future__ import annotations


class WizardError(Exception):
    """A problem to show the admin: what is wrong, and what to do next."""

    #: CLI exit status for this kind of error (see README, "Exit status").
    exit_status: int = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(WizardError):
    """Bad input from the user (a field, an argument, a file): nothing was done."""

    exit_status = 2


class AuthorizationNeeded(WizardError):
    """Canvas no longer accepts our tokens: the admin must sign in again."""

    exit_status = 4
