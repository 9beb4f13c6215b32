"""Checks on single cells: roles, emails, invisible characters.

Cells that start with ``=``, ``+``, ``-`` or ``@`` are ordinary data here: the
wizard never evaluates a cell. Exports that could be opened in a spreadsheet
(reports, previews) must neutralise them there, not here, or names like
"-Ana-" would change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from canvas_wizard.core.roster.headers import normalise
from canvas_wizard.core.roster.model import Role

# C0 and C1 control characters (incl. tab and line breaks), and the Unicode bidi
# embeddings/overrides/isolates that can make a name render as something else
# ("Trojan Source"). Compiled once: this runs on every name of a 100k roster.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# The shape Canvas will accept as an email channel: one @, no spaces or list
# separators, a dotted domain ending in a label of letters.
_EMAIL = re.compile(r"[^@\s\"(),:;<>\[\]\\]+@(?:[^\W_][\w-]*\.)+[^\W\d_]{2,}")

# Canvas's own limits (app/models/pseudonym.rb, user.rb): a value over one fails the
# whole call with 400, so the roster refuses it first.
MAX_LOGIN_LENGTH = 100  # Pseudonym::MAX_UNIQUE_ID_LENGTH
MAX_SIS_ID_LENGTH = 255  # maximum_string_length
MAX_NAME_LENGTH = 255  # users.name, short_name, sortable_name

_STUDENT_ROLES = frozenset({"student", "pupil", "learner"})
_PARENT_ROLES = frozenset(
    {
        "parent",
        "guardian",
        "carer",
        "caregiver",
        "relative",
        "parentguardian",
        "parent/guardian",
        "legalguardian",
        "mother",
        "father",
        "observer",  # what Canvas itself calls a parent
    }
)
#: Roles we know and deliberately leave out (OneRoster 1.1/1.2 staff roles and
#: their usual spellings in school systems).
_STAFF_ROLES = frozenset(
    {
        "teacher",
        "aide",
        "teacheraide",
        "teachingassistant",
        "ta",
        "administrator",
        "admin",
        "districtadministrator",
        "siteadministrator",
        "systemadministrator",
        "principal",
        "headteacher",
        "proctor",
        "counselor",
        "counsellor",
        "staff",
        "supportstaff",
        "faculty",
        "employee",
        "librarian",
        "nurse",
        "tutor",
        "instructor",
        "coach",
        "substitute",
        "supplyteacher",
        "volunteer",
        "guest",
        "designer",
        # Microsoft School Data Sync v2.1 roles.csv, higher education included.
        "chair",
        "professor",
        "researcher",
        "adjunct",
        "affiliate",
        "lecturer",
        "occupationaltherapist",
        "physicaltherapist",
        "speechtherapist",
        "visiontherapist",
        "paraprofessional",
        "specialservices",
        "advisor",
        "officestaff",
        "itadmin",
        "assistant",
        "alumni",
        "other",
    }
)


@dataclass(frozen=True, slots=True)
class RoleValue:
    """What a role cell means: a role we sync, a known role we skip, or neither."""

    role: Role | None
    known_other: bool  # True: a staff role, skipped without complaint


def classify_role(value: str) -> RoleValue:
    key = normalise(value)
    if key in _STUDENT_ROLES:
        return RoleValue(Role.STUDENT, False)
    if key in _PARENT_ROLES:
        return RoleValue(Role.PARENT, False)
    return RoleValue(None, key in _STAFF_ROLES)


def invisible_character(value: str) -> str | None:
    """A description of the first control/bidi character in ``value``, or None."""
    if value.isascii() and value.isprintable():
        return None  # the common case, without touching the regex
    found = _INVISIBLE.search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\r\n":
        return "a line break"
    if char == "\t":
        return "a tab"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip() if name else f"U+{ord(char):04X}"


def is_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None
