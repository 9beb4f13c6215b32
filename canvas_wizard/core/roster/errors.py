"""The error raised when a roster file cannot be read at all."""

from __future__ import annotations

from canvas_wizard.core.errors import UsageError


class RosterReadError(UsageError):
    """The file (not one row of it) is unusable: missing, empty, binary, a bad zip,
    a required column missing, an unknown format, too big.

    Row-level trouble never raises; it becomes a :class:`~.model.Problem` in the
    roster so the rest of the file still reads.
    """
