"""Roster readers: a school's people and parent links, from the files it exports.

Three formats: a Cloudwork accounts export, OneRoster 1.1/1.2 CSV, and Canvas's
own SIS CSV. :func:`read_roster` detects the format, reads it, and returns a
:class:`Roster` whose ``problems`` locate every bad row by file, row and column;
only a file that cannot be read at all raises :class:`RosterReadError`.
"""

from __future__ import annotations

from canvas_wizard.core.roster.cloudwork import guess_mapping
from canvas_wizard.core.roster.detect import RosterFormat, detect_format
from canvas_wizard.core.roster.encoding import ENCODING_LABELS
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import ColumnMapping
from canvas_wizard.core.roster.model import Link, Person, Problem, Role, Roster, Severity, Skipped
from canvas_wizard.core.roster.reader import read_headers, read_roster

__all__ = [
    "ENCODING_LABELS",
    "ColumnMapping",
    "Link",
    "Person",
    "Problem",
    "Role",
    "Roster",
    "RosterFormat",
    "RosterReadError",
    "Severity",
    "Skipped",
    "detect_format",
    "guess_mapping",
    "read_headers",
    "read_roster",
]
