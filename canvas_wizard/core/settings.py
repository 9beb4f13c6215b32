"""App-wide settings: log level, default safety limits, redirect port for new setups,
and which School Data Sync relationship roles make a parent link.

Kept as a small JSON file, ``settings.json`` in the config folder, written
atomically. Nothing secret belongs here. A missing file means "all defaults";
a damaged one is named with what is wrong, so the admin can fix or delete it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths, write_atomic
from canvas_wizard.core.roster.sds import DEFAULT_OBSERVER_ROLES, parse_observer_roles
from canvas_wizard.core.store.profiles import DEFAULT_REDIRECT_PORT, validate_redirect_port
from canvas_wizard.core.sync.limits import SafetyLimits

SETTINGS_FILE_NAME = "settings.json"
FORMAT_VERSION = 1
#: The same names the logging module uses; kept here so the core needs no app import.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_SHARE_FIELDS = (
    "max_unlink_share",
    "max_suspend_share",
    "max_change_share",
    "max_create_share",
    "min_found_share",
)
_COUNT_FIELDS = ("max_unlink_count", "max_suspend_count", "max_change_count")


@dataclass
class AppSettings:
    log_level: str = "INFO"
    #: The loopback port a new setup registers on its developer key.
    redirect_port: int = DEFAULT_REDIRECT_PORT
    #: The limits a sync starts with unless a run says otherwise.
    limits: SafetyLimits = field(default_factory=SafetyLimits)
    #: School Data Sync relationshipRoles that make the related person a parent.
    sds_observer_roles: list[str] = field(default_factory=lambda: sorted(DEFAULT_OBSERVER_ROLES))


def settings_path(paths: AppPaths) -> Path:
    return paths.config_dir / SETTINGS_FILE_NAME


def validate_settings(settings: AppSettings) -> AppSettings:
    """Return ``settings`` if every value is usable; UsageError naming the first that is not."""
    level = str(settings.log_level).upper()
    if level not in LOG_LEVELS:
        raise UsageError(
            f"The log level {settings.log_level!r} is not known.",
            hint="Choose one of " + ", ".join(LOG_LEVELS) + ".",
        )
    settings.log_level = level
    validate_redirect_port(settings.redirect_port)
    roles = settings.sds_observer_roles
    try:
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError("not a list of role names")
        settings.sds_observer_roles = sorted(parse_observer_roles(",".join(roles)))
    except ValueError as exc:
        raise UsageError(
            f"The School Data Sync parent roles are not usable: {exc}.",
            hint="For example: parent, guardian, relative.",
        ) from None
    limits = settings.limits
    for name in _SHARE_FIELDS:
        value = getattr(limits, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise UsageError(
                f"The safety limit {_label(name)} must be a share above 0 % and at most 100 %.",
                hint="For example 5 % to hold any run that would remove more than one in twenty.",
            )
    for name in (*_COUNT_FIELDS, "min_count_for_share"):
        value = getattr(limits, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UsageError(
                f"The safety limit {_label(name)} must be a whole number, 0 or more.",
                hint="0 holds every run that would do any of it.",
            )
    return settings


def load_settings(paths: AppPaths) -> AppSettings:
    """The saved settings, defaults for anything not saved; UsageError if the file is damaged."""
    path = settings_path(paths)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AppSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"it cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"it is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise _damaged(path, "it should hold one JSON object ({ ... })")
    version = data.get("format", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise _damaged(path, f"it was written by a newer Canvas Sync Wizard (format {version!r})")
    defaults = AppSettings()
    limits_data = data.get("limits", {})
    if not isinstance(limits_data, dict):
        raise _damaged(path, "“limits” should be an object ({ ... })")
    known = {f.name for f in fields(SafetyLimits)}
    limits = SafetyLimits(**{k: v for k, v in limits_data.items() if k in known})
    settings = AppSettings(
        log_level=data.get("log_level", defaults.log_level),
        redirect_port=data.get("redirect_port", defaults.redirect_port),
        limits=limits,
        sds_observer_roles=data.get("sds_observer_roles", defaults.sds_observer_roles),
    )
    try:
        return validate_settings(settings)
    except UsageError as exc:
        raise _damaged(path, exc.message.rstrip(".")) from None


def load_settings_or_defaults(paths: AppPaths) -> tuple[AppSettings, UsageError | None]:
    """For start-up: a damaged settings file must not keep the app from opening.

    Returns the defaults and the error, which the caller logs or shows.
    """
    try:
        return load_settings(paths), None
    except UsageError as exc:
        return AppSettings(), exc


def save_settings(paths: AppPaths, settings: AppSettings) -> Path:
    """Validate and write the settings; returns the file written."""
    validate_settings(settings)
    data: dict[str, Any] = {"format": FORMAT_VERSION, **asdict(settings)}
    path = settings_path(paths)
    write_atomic(path, json.dumps(data, indent=2) + "\n")
    return path


def _label(name: str) -> str:
    return "“" + name.replace("_", " ") + "”"


def _damaged(path: Path, problem: str) -> UsageError:
    return UsageError(
        f"The settings file {path} is damaged: {problem}.",
        hint="Correct it in a text editor, or delete it to go back to the default settings "
        "(profiles and sign-ins are kept elsewhere and are not affected).",
    )


__all__ = [
    "LOG_LEVELS",
    "SETTINGS_FILE_NAME",
    "AppSettings",
    "load_settings",
    "load_settings_or_defaults",
    "save_settings",
    "settings_path",
    "validate_settings",
]
