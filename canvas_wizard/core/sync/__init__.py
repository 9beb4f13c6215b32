"""Sync: a snapshot of Canvas, the plan (diff) against the roster, and its safety limits."""

from canvas_wizard.core.sync.limits import LimitBreach, SafetyLimits, check_limits
from canvas_wizard.core.sync.model import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    FieldChange,
    LinkAction,
    LoginHolder,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
    email_key,
    login_key,
    normalise_name,
)
from canvas_wizard.core.sync.plan import plan_sync

__all__ = [
    "ActionKind",
    "CanvasLogin",
    "CanvasPerson",
    "FieldChange",
    "LimitBreach",
    "LinkAction",
    "LoginHolder",
    "PersonAction",
    "Plan",
    "SafetyLimits",
    "Snapshot",
    "SyncOptions",
    "check_limits",
    "email_key",
    "login_key",
    "normalise_name",
    "plan_sync",
]
