"""One undo from start to finish: Canvas snapshot → inverse plan → limits → apply → verify.

Like :class:`~canvas_wizard.core.sync.engine.SyncRun`, and returning the same
:class:`SyncResult` with the same statuses, so the CLI, the progress view and the
history treat an undo exactly as a sync. Writes go through the same
:class:`RestApplier` (concurrency, throttle, retries, cancel), with
``enable_sis_reactivation`` on, so undoing a removal revives the same Canvas user.

``progress`` is called from worker threads, as for a sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from canvas_wizard.core.canvas import CanvasClient, CanvasNotFound
from canvas_wizard.core.errors import AuthorizationNeeded, WizardError
from canvas_wizard.core.sync.engine import (
    CANCELLED,
    FAILED_RECORDS,
    HELD,
    OK,
    SyncResult,
    _as_planned,
)
from canvas_wizard.core.sync.limits import LimitBreach, SafetyLimits
from canvas_wizard.core.sync.model import WRITE_KINDS, ActionKind, Plan, Snapshot
from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
    link_key,
)
from canvas_wizard.core.sync.report import SyncReport
from canvas_wizard.core.sync.rest_apply import RestApplier
from canvas_wizard.core.sync.snapshot import SnapshotCancelled, read_snapshot
from canvas_wizard.core.undo.planner import UndoInput, plan_undo, removal_candidates

#: Enrolment states that show a person was put to use in Canvas since they were created.
_USED_STATES = ("active", "invited", "completed", "inactive")


def _no_progress(_: Progress) -> None:
    return None


def check_undo_limits(plan: Plan, snapshot: Snapshot, limits: SafetyLimits) -> list[LimitBreach]:
    """The sync's safety limits, applied to an undo: removals count as suspensions."""
    people = plan.person_totals()
    sis_logins = sum(1 for h in snapshot.by_sis_id.values() if not h.deleted)
    kinds = [
        (
            "remove",
            people[ActionKind.REMOVE] + people[ActionKind.SUSPEND],
            sis_logins,
            "remove or suspend {count} of {total} Canvas users with an SIS ID",
            limits.max_suspend_share,
            limits.max_suspend_count,
        ),
        (
            "unlink",
            plan.link_totals()[ActionKind.UNLINK],
            len(snapshot.links),
            "remove {count} of {total} parent-student links in Canvas",
            limits.max_unlink_share,
            limits.max_unlink_count,
        ),
        (
            "change",
            people[ActionKind.UPDATE],
            sis_logins,
            "change {count} of {total} existing Canvas users back",
            limits.max_change_share,
            limits.max_change_count,
        ),
    ]
    found: list[LimitBreach] = []
    for what, count, total, words, max_share, max_count in kinds:
        share = count / total if total else (1.0 if count else 0.0)
        over_share = count >= limits.min_count_for_share and share > max_share
        if count > max_count or over_share:
            sentence = (
                f"This undo would {words.format(count=count, total=total)} ({share:.0%}), more "
                f"than the safety limit of {max_count} or {max_share:.0%}. Check the preview, "
                "then approve this undo once to go ahead."
            )
            found.append(LimitBreach(what, count, total, share, sentence))
    return found


class UndoRun:
    """Undo one run: :meth:`run` returns a :class:`SyncResult` (see the module docstring).

    ``approve_limits``: True approves whatever the undo plans; a string only a plan
    with that fingerprint. ``before_apply`` is called with the plan before the first
    write (the history records it, so an undo can itself be undone).
    """

    def __init__(
        self,
        data: UndoInput,
        client: CanvasClient,
        account_id: int,
        root_account_id: int,
        *,
        limits: SafetyLimits | None = None,
        dry_run: bool = False,
        approve_limits: bool | str = False,
        prefer_report: bool = False,
        verify: bool = True,
        concurrency: int = 8,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        before_apply: Callable[[Plan, Snapshot], None] | None = None,
    ) -> None:
        self.data = data
        self.client = client
        self.account_id = account_id
        self.root_account_id = root_account_id
        self.limits = limits or SafetyLimits()
        self.dry_run = dry_run
        self.approve_limits = approve_limits
        self.prefer_report = prefer_report
        self.verify = verify
        self.concurrency = concurrency
        self.progress = progress or _no_progress
        self.cancel = cancel or CancelToken()
        self.before_apply = before_apply
        self.used_since: dict[int, str] = {}
        self.report = SyncReport(
            run_id=uuid.uuid4().hex[:12],
            started=datetime.now(UTC),
            method="api",
            options={"undo_of": str(data.run_id)},
            dry_run=dry_run,
        )

    def _end(self, status: str, message: str, **more: object) -> SyncResult:
        self.report.finished = datetime.now(UTC)
        result = SyncResult(status, self.report, stats=self.client.stats, message=message)
        for key, value in more.items():
            setattr(result, key, value)
        return result

    def run(self) -> SyncResult:
        try:
            return self._run()
        except SnapshotCancelled:
            self.report.cancelled = True
            return self._end(CANCELLED, "Cancelled while reading Canvas; nothing was written.")

    def _snapshot(self) -> Snapshot:
        people = {w.key for w in self.data.writes if w.record == "person"}
        parents = {w.parent_sis_id for w in self.data.writes if w.record == "link"}
        students = {w.student_sis_id for w in self.data.writes if w.record == "link"}
        return read_snapshot(
            self.client,
            self.account_id,
            self.root_account_id,
            sis_ids=people | parents | students,
            observer_sis_ids=parents | people,
            prefer_report=self.prefer_report,
            progress=self.progress,
            cancel=self.cancel,
        )

    def _why_used(self, user_id: int) -> str:
        """Why a user the run created must not be removed: signed in, or enrolled since."""
        why: list[str] = []
        try:
            user = self.client.get(f"/api/v1/users/{user_id}", params={"include[]": "last_login"})
        except CanvasNotFound:
            return ""
        last = user.get("last_login") if isinstance(user, dict) else None
        if last:
            why.append(f"they have signed in to Canvas (last on {str(last)[:10]})")
        params = {"state[]": list(_USED_STATES), "per_page": 100}
        enrolled = [
            e
            for e in self.client.get_all(f"/api/v1/users/{user_id}/enrollments", params=params)
            # Observer enrolments that come from a parent link go with the link.
            if not e.get("associated_user_id")
        ]
        if enrolled:
            why.append(f"they have been enrolled in {len(enrolled)} course(s) since")
        return " and ".join(why)

    def _check_used(self, snapshot: Snapshot) -> None:
        candidates = removal_candidates(self.data, snapshot)
        if not candidates:
            return
        self.progress(Progress(Phase.READ_CANVAS, 0, len(candidates), "Checking who was used"))
        workers = min(self.concurrency, len(candidates))
        with ThreadPoolExecutor(workers, thread_name_prefix="cw-undo-check") as pool:
            for user_id, why in zip(candidates, pool.map(self._why_used, candidates), strict=True):
                if why:
                    self.used_since[user_id] = why

    def _run(self) -> SyncResult:
        self.progress(Progress(Phase.READ_CANVAS, 0, 0, "Reading Canvas"))
        snapshot = self._snapshot()
        self._check_used(snapshot)
        self.progress(Progress(Phase.PLAN, 0, 1, f"Planning the undo of run {self.data.run_id}"))
        plan = plan_undo(self.data, snapshot, self.used_since)
        self.progress(Progress(Phase.PLAN, 1, 1, "Plan ready"))
        self.report.notes = list(plan.notes)
        breaches = check_undo_limits(plan, snapshot, self.limits)
        self.report.limit_breaches = [b.limit for b in breaches]
        approved = self.approve_limits is True or self.approve_limits == plan.fingerprint()
        done = {"plan": plan, "snapshot": snapshot, "breaches": breaches}
        if breaches and not approved:
            self.report.approval = "needed"
            why = " ".join(b.limit for b in breaches)
            self.report.outcomes = _as_planned(plan, snapshot, OutcomeStatus.SKIPPED, why)
            return self._end(HELD, f"Held by the safety limits; nothing was written. {why}", **done)
        self.report.approval = f"approved {plan.fingerprint()}" if breaches else "not needed"
        if self.dry_run:
            self.report.outcomes = _as_planned(plan, snapshot, OutcomeStatus.NOT_RUN, "Preview.")
            return self._end(OK, f"Preview: undoing would write {plan.writes()} change(s).", **done)

        if self.before_apply is not None:
            self.before_apply(plan, snapshot)
        self.progress(Progress(Phase.APPLY, 0, plan.writes(), "Writing to Canvas"))
        applier = RestApplier(
            self.client,
            self.account_id,
            self.root_account_id,
            concurrency=self.concurrency,
            reactivate_deleted=True,
        )
        try:
            outcomes = applier.apply(plan, snapshot, progress=self.progress, cancel=self.cancel)
        except AuthorizationNeeded:
            raise
        except WizardError as exc:
            why = f"Not confirmed: writing stopped ({exc.message}). Run the undo again."
            self.report.outcomes = _as_planned(plan, snapshot, OutcomeStatus.FAILED, why)
            return self._end(FAILED_RECORDS, f"Writing to Canvas stopped: {exc}", **done)
        if self.cancel.cancelled:
            self.report.cancelled = True
            self.report.outcomes = outcomes
            return self._end(CANCELLED, "Cancelled; run the undo again to finish.", **done)
        if self.verify and any(o.status is OutcomeStatus.DONE for o in outcomes):
            outcomes = self._verify(outcomes)
        self.report.outcomes = outcomes
        failed = sum(1 for o in outcomes if o.status is OutcomeStatus.FAILED)
        if failed:
            return self._end(FAILED_RECORDS, f"{failed} record(s) failed; see the report.", **done)
        conflicts = sum(1 for o in outcomes if o.status is OutcomeStatus.CONFLICT)
        left = f" {conflicts} record(s) could not be undone: see the report." if conflicts else ""
        return self._end(
            OK, f"Undo of run {self.data.run_id} finished: {plan.writes()} change(s).{left}", **done
        )

    def _verify(self, outcomes: list[RecordOutcome]) -> list[RecordOutcome]:
        """Read Canvas again and plan the undo again: nothing written may still be wanted."""
        self.progress(Progress(Phase.VERIFY, 0, 1, "Checking what Canvas now holds"))
        try:
            after = self._snapshot()
        except SnapshotCancelled:
            return outcomes
        except WizardError as exc:
            if isinstance(exc, AuthorizationNeeded):
                self.report.outcomes = outcomes
                raise
            self.report.notes.append(f"Written, but not checked afterwards: {exc.message}")
            return outcomes
        again = plan_undo(self.data, after, self.used_since)
        wants = {("person", p.sis_id): p.kind for p in again.people if p.kind in WRITE_KINDS}
        wants |= {
            ("link", link_key(a.parent_sis_id, a.student_sis_id)): a.kind
            for a in again.links
            if a.kind in WRITE_KINDS
        }
        checked: list[RecordOutcome] = []
        for o in outcomes:
            still = wants.get((o.record, o.key))
            if o.status is OutcomeStatus.DONE and o.action in WRITE_KINDS and still:
                o = RecordOutcome(
                    o.record,
                    o.action,
                    o.key,
                    OutcomeStatus.FAILED,
                    f"Canvas reported success, but reading it back shows this is not undone "
                    f"(still to {still.value}). Check this record in Canvas; run the undo again.",
                    o.canvas_id,
                    o.name,
                )
            checked.append(o)
        self.progress(Progress(Phase.VERIFY, 1, 1, "Checked"))
        return checked
