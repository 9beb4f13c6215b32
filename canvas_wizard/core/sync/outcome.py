"""What a running sync tells its caller, and what it leaves behind per record.

Shared by the appliers (REST and SIS Import), the engine, the history store,
the CLI and the UI's progress view. Plain data, thread-safe to hand across.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from canvas_wizard.core.sync.model import ActionKind, Plan, Snapshot


class Phase(StrEnum):
    READ_ROSTER = "read roster"
    READ_CANVAS = "read Canvas"
    PLAN = "plan"
    APPLY = "apply"
    VERIFY = "verify"


class OutcomeStatus(StrEnum):
    DONE = "done"  # written (or, for UNCHANGED, confirmed) as planned
    UNCHANGED = "unchanged"  # nothing to write
    CONFLICT = "conflict"  # left alone on purpose; message says who holds what
    SKIPPED = "skipped"  # not ours to sync, or held back (inactive, limits)
    FAILED = "failed"  # Canvas refused or the write could not be confirmed
    NOT_RUN = "not run"  # cancelled before this record's turn


def link_key(parent_sis_id: str, student_sis_id: str) -> str:
    """The key a link's outcome is reported under: "PARENT_SIS→STUDENT_SIS"."""
    return f"{parent_sis_id}→{student_sis_id}"


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """One person or link: what was planned and what actually happened."""

    record: str  # "person" | "link"
    action: ActionKind
    key: str  # the SIS ID, or "PARENT_SIS→STUDENT_SIS" for a link
    status: OutcomeStatus
    message: str = ""  # what happened, in a technician's words (never a secret)
    canvas_id: int | None = None
    name: str = ""  # the person's name, for the report


@dataclass(frozen=True, slots=True)
class Progress:
    """A moment in a run, for a progress bar and a status line."""

    phase: Phase
    done: int  # records finished in this phase
    total: int  # records in this phase (0 when not known yet)
    activity: str  # the current activity, e.g. "Creating Ava Thompson (S1001)"
    counts: dict[str, int] = field(default_factory=dict)  # created/updated/linked/... so far
    #: ``done``/``total`` are a percentage, not records (a SIS Import's progress).
    percent: bool = False


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """Set from any thread; workers check it between records and stop cleanly."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Applier(Protocol):
    """Writes a plan to Canvas (REST calls, or one SIS Import)."""

    def apply(
        self, plan: Plan, snapshot: Snapshot, *, progress: ProgressCallback, cancel: CancelToken
    ) -> list[RecordOutcome]: ...
