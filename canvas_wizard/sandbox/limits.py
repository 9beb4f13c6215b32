"""The length and shape limits Canvas's models put on what a sync writes.

app/models/pseudonym.rb: ``unique_id`` 1–100 characters (``MAX_UNIQUE_ID_LENGTH``),
printable only (``/\\A[[:print:]]+\\z/``); ``sis_user_id`` at most 255
(``maximum_string_length``). app/models/user.rb: ``name``, ``short_name`` and
``sortable_name`` are 255-character database strings. A value over a limit fails the
whole call with 400 and ActiveModel's nested errors (``too_long`` / ``invalid``); a
SIS Import row skips that user with a warning. Every route that sets one of these
values checks it here, so the sandbox refuses exactly what Canvas refuses.
"""

from __future__ import annotations

import unicodedata

from canvas_wizard.sandbox.views import model_error

MAX_UNIQUE_ID_LENGTH = 100
MAX_STRING_LENGTH = 255

Errors = dict[str, list[dict[str, str]]]


def _printable(value: str) -> bool:
    # Onigmo's [[:print:]] is [[:graph:]] plus space separators.
    return all(c.isprintable() or unicodedata.category(c) == "Zs" for c in value)


def _too_long(attribute: str, maximum: int) -> dict[str, str]:
    return model_error(attribute, "too_long", f"is too long (maximum is {maximum} characters)")


def login_errors(unique_id: str | None, sis_user_id: str | None) -> Errors:
    """Errors for a login's values (None: not being set); empty when Canvas takes them."""
    errors: Errors = {}
    if unique_id:
        if len(unique_id) > MAX_UNIQUE_ID_LENGTH:
            errors["unique_id"] = [_too_long("unique_id", MAX_UNIQUE_ID_LENGTH)]
        elif not _printable(unique_id):
            errors["unique_id"] = [model_error("unique_id", "invalid", "is invalid")]
    if sis_user_id and len(sis_user_id) > MAX_STRING_LENGTH:
        errors["sis_user_id"] = [_too_long("sis_user_id", MAX_STRING_LENGTH)]
    return errors


def user_errors(**names: str | None) -> Errors:
    """Errors for ``name=``, ``short_name=``, ``sortable_name=`` (None: not being set)."""
    return {
        attribute: [_too_long(attribute, MAX_STRING_LENGTH)]
        for attribute, value in names.items()
        if value is not None and len(value) > MAX_STRING_LENGTH
    }


def sis_user_row_warning(user_id: str, login_id: str, names: dict[str, str]) -> str | None:
    """The warning a SIS Import gives for a users.csv row over a limit (the row is skipped)."""
    errors = login_errors(login_id, user_id) | user_errors(**names)
    if not errors:
        return None
    attribute, (first, *_) = next(iter(errors.items()))
    if attribute == "unique_id" and first["type"] == "invalid":
        reason = f"Invalid login_id: '{login_id}'"
    else:
        reason = f"Unknown reason: {attribute} {first['message']}"
    return f"Could not save the user with user_id: '{user_id}'. {reason}"
