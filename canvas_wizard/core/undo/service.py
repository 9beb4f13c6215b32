"""Undoing a run of a saved profile: what the app window and ``canvas-wizard undo`` call.

Reads the run's recorded writes from the history, runs :class:`UndoRun` with the
profile's client and saved safety limits, and records the undo as a run of its own
("undo of run N"), with its own recorded writes, so it can be undone in turn.
Blocking: the UI runs it on a worker thread.
"""

from __future__ import annotations

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.settings import load_settings_or_defaults
from canvas_wizard.core.store.history import HistoryStore, RunStatus
from canvas_wizard.core.store.history_writes import (
    later_writes,
    set_undo_of,
    undo_of,
    written_records,
)
from canvas_wizard.core.store.lock import ProfileLock
from canvas_wizard.core.sync.outcome import CancelToken, ProgressCallback
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome, record_writes
from canvas_wizard.core.undo.engine import UndoRun
from canvas_wizard.core.undo.planner import LaterRun, UndoInput, undo_inputs_from_outcomes

#: Runs that wrote nothing to Canvas, so there is nothing to undo.
_NOTHING_WRITTEN = {RunStatus.HELD, RunStatus.INPUT_ERROR}


def load_undo_input(history: HistoryStore, profile: str, run_id: int) -> UndoInput:
    """What undo needs to know about run ``run_id`` of ``profile``; UsageError if it cannot be undone."""
    target = history.get_run(run_id)
    if target is None or target.profile != profile:
        raise UsageError(
            f"The setup {profile!r} has no run {run_id}.",
            hint=f"See its runs with: canvas-wizard history {profile}",
        )
    if target.status is RunStatus.RUNNING:
        raise UsageError(
            f"Run {run_id} is still running.",
            hint="Wait for it to finish (or cancel it), then undo it.",
        )
    if target.dry_run or target.status in _NOTHING_WRITTEN:
        what = "a preview" if target.dry_run else f"{target.status.value.replace('_', ' ')}"
        raise UsageError(
            f"Run {run_id} was {what} and wrote nothing to Canvas, so there is nothing to undo.",
            hint=f"See its runs with: canvas-wizard history {profile}",
        )
    writes = written_records(history, run_id)
    created, unrecorded = undo_inputs_from_outcomes(writes, history.outcomes(run_id))
    # An undo of this very run (even one killed half-way) is no obstacle: comparing
    # Canvas with the recorded values shows what is still to undo.
    later: dict[str, LaterRun] = {}
    undoes_this: dict[int, bool] = {}
    for key, ids in later_writes(history, run_id, profile, {w.key for w in writes}).items():
        for later_id in ids:
            if later_id not in undoes_this:
                undoes_this[later_id] = undo_of(history, later_id) == run_id
        others = [i for i in ids if not undoes_this[i]]
        if others:
            later[key] = LaterRun(others[-1])
    data = UndoInput(run_id, writes, created, later, unrecorded)
    if target.method.value == "sis-import":
        data.notes.append(
            f"Run {run_id} wrote with a SIS Import; it is undone through the Canvas API, record "
            "by record. Canvas's own restore_states is not used: its roll-back data holds only "
            "workflow states (app/models/sis_batch_roll_back_data.rb), not names, emails or "
            "usernames, and it does not check what was changed in Canvas since."
        )
    return data


def undo(
    sync: ProfileSync,
    run_id: int,
    *,
    dry_run: bool = False,
    approve: bool | str = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SyncOutcome:
    """Preview (``dry_run``) or undo run ``run_id``; recorded in the history as a run."""
    profile = sync.profile
    purpose = "preview" if dry_run else "undo"
    with (
        ProfileLock(sync.paths, profile.name, purpose=purpose),
        HistoryStore(sync.paths.history_db) as history,
    ):
        history.mark_interrupted(profile.name)
        data = load_undo_input(history, profile.name, run_id)
        settings, _problem = load_settings_or_defaults(sync.paths)
        root_id = sync.root_account_id()
        new_id = history.start_run(
            profile=profile.name,
            method="api",
            dry_run=dry_run,
            who=profile.signed_in_as or "",
            source=f"undo of run {run_id}",
            options={"undo_of": run_id, "approved": bool(approve)},
        )
        set_undo_of(history, new_id, run_id)
        run = UndoRun(
            data,
            sync.client,
            sync.account_id,
            root_id,
            limits=settings.limits,
            dry_run=dry_run,
            approve_limits=approve,
            prefer_report=sync.sis_import_allowed(),
            progress=progress,
            cancel=cancel,
            before_apply=record_writes(history, new_id),
        )
        try:
            result = run.run()
        except BaseException as exc:
            history.add_outcomes(new_id, run.report.outcomes)
            history.finish_run(
                new_id, status="error", counts=run.report.counts_by_status(), error=str(exc)
            )
            raise
        report = result.report
        history.add_outcomes(new_id, report.outcomes)
        if approve and result.breaches and result.status != "held":
            history.record_approval(
                new_id,
                who=profile.signed_in_as or "",
                breaches=[str(b) for b in result.breaches],
            )
        counts = report.counts_by_status() | {
            f"action:{k}": v for k, v in report.counts_by_action().items()
        }
        history.finish_run(new_id, status=result.status, counts=counts)
    return SyncOutcome(new_id, result, None)
