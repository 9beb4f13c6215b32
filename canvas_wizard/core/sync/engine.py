"""One sync from start to finish: roster → Canvas snapshot → plan → limits → apply → verify.

:class:`SyncRun` is a plain object: the UI runs it on a worker thread, the CLI
in the foreground. **``progress`` is called from worker threads** (the snapshot
reader's and the applier's pools), often and concurrently: a UI must hand each
call over to its own thread and may drop or coalesce them (it should throttle).
``cancel`` may be set from any thread; the run stops between records.

Statuses of a :class:`SyncResult`:

* ``"ok"`` — everything planned was written and confirmed (or a preview planned no
  conflict).
* ``"failed_records"`` — some records failed or are in conflict (left alone: they need
  the admin); the others were written. A preview with conflicts ends so too.
* ``"held"`` — the plan goes over a safety limit and was not approved: nothing written.
* ``"cancelled"`` — stopped by the admin; records not reached are NOT_RUN.
* ``"input_error"`` — the roster has errors (and bad rows were not to be skipped),
  or could not be read: Canvas was not touched.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from canvas_wizard.core.canvas import CanvasClient, RequestStats
from canvas_wizard.core.canvas.capabilities import REPORTS_HERE, read_capabilities
from canvas_wizard.core.errors import AuthorizationNeeded, WizardError
from canvas_wizard.core.roster import Role, Roster, read_roster
from canvas_wizard.core.sync.costs import (
    DEFAULT_LATENCY,
    IN_FLIGHT,
    POLL_SLACK,
    REPORT,
    JobTiming,
    account_size,
    choose_read,
    choose_write,
    job_seconds,
)
from canvas_wizard.core.sync.limits import LimitBreach, check_limits
from canvas_wizard.core.sync.model import (
    WRITE_KINDS,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
)
from canvas_wizard.core.sync.outcome import (
    Applier,
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
    link_key,
)
from canvas_wizard.core.sync.plan import plan_sync
from canvas_wizard.core.sync.report import SyncReport
from canvas_wizard.core.sync.rest_apply import RestApplier, planned_outcome
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.core.sync.snapshot import (
    SnapshotCancelled,
    StartedReport,
    read_snapshot,
    start_report,
)
from canvas_wizard.core.sync.verify import ONE_BY_ONE_MAX, WriteCheck, not_done
from canvas_wizard.core.sync.visibility import describe_visibility, read_visibility

#: ``method``: let the run choose the API or a SIS Import (core/sync/costs.py).
METHOD_AUTO = "auto"
#: ``prefer_report``: read by report or page by page, whichever is quicker.
READ_AUTO = "auto"

OK, FAILED_RECORDS, HELD, CANCELLED, INPUT_ERROR = (
    "ok",
    "failed_records",
    "held",
    "cancelled",
    "input_error",
)


@dataclass
class SyncResult:
    status: str  # see the module docstring
    report: SyncReport
    plan: Plan | None = None
    snapshot: Snapshot | None = None
    roster: Roster | None = None
    breaches: list[LimitBreach] = field(default_factory=list)
    stats: RequestStats | None = None
    message: str = ""  # one sentence for the admin about how the run ended


def _no_progress(_: Progress) -> None:
    return None


class SyncRun:
    """Everything one sync needs; :meth:`run` does it once and returns a :class:`SyncResult`.

    ``approve_limits``: True approves whatever this run plans; a string approves
    only a plan with that :meth:`Plan.fingerprint` (what the admin saw in the preview).
    ``applier``: None writes with :class:`RestApplier`; pass another (SIS Import) for
    ``method``. ``prefer_report`` reads Canvas with the provisioning report on a root
    account.
    """

    def __init__(
        self,
        roster: Roster | Path | str,
        client: CanvasClient,
        account_id: int,
        root_account_id: int,
        *,
        options: SyncOptions | None = None,
        applier: Applier | None = None,
        method: str = "api",
        dry_run: bool = False,
        approve_limits: bool | str = False,
        prefer_report: bool | str = False,
        job_timings: list[JobTiming] | None = None,
        skip_bad_rows: bool = False,
        verify: bool = True,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        before_apply: Callable[[Plan, Snapshot], None] | None = None,
    ) -> None:
        self.roster_input = roster
        #: Called with the plan just before the first write (the history records
        #: what the run is about to write, so it can be undone even if killed).
        self.before_apply = before_apply
        self.client = client
        self.account_id = account_id
        self.root_account_id = root_account_id
        self.options = options or SyncOptions()
        self.applier = applier or RestApplier(client, account_id, root_account_id)
        #: ``method="auto"`` with no applier: the API or a SIS Import, whichever the cost
        #: model (core/sync/costs.py) finds quicker for the plan; chosen after planning.
        self._auto_method = method == METHOD_AUTO and applier is None
        if self._auto_method:
            method = "api"
        self.method = method
        #: Earlier runs' job timings (the history), for the cost model; latency is measured.
        self.job_timings = list(job_timings or [])
        self._latency = DEFAULT_LATENCY
        self._sis_possible = False
        #: ``prefer_report="auto"``: read by report or page by page, by estimated cost.
        # A SIS Import always reads by report: only the report shows deleted logins.
        self._read_auto = prefer_report == READ_AUTO and not isinstance(applier, SisImportApplier)
        prefer_report = bool(prefer_report) and not self._read_auto
        self.dry_run = dry_run
        self.approve_limits = approve_limits
        # A SIS Import given a SIS ID that a *deleted* login holds revives that login and
        # renames its user: the planner must see deleted logins, which only the
        # provisioning report shows (SIS Imports run on root accounts, where it exists).
        self._unverified = ""
        self._asked_report = prefer_report
        self.prefer_report = prefer_report or isinstance(self.applier, SisImportApplier)
        self._preflight_notes: list[str] = []
        self._read_note = ""
        self._report_expected = 0.0  # seconds the report should take, once estimated
        self._reports_allowed = True
        self._emails_visible = True
        self._self_id: int | None = None  # the signed-in admin's Canvas id, once asked
        #: The provisioning report started while the roster was read (_early_canvas).
        self._started_report: StartedReport | None = None
        self._roster_failed = False
        self.skip_bad_rows = skip_bad_rows
        self.verify = verify
        # Counts the requests of each phase (SyncReport.phase_requests) as it passes them on.
        self._phases = _PhaseRequests(progress or _no_progress, client.stats)
        self.progress: ProgressCallback = self._phases
        self.cancel = cancel or CancelToken()
        self.report = SyncReport(
            run_id=uuid.uuid4().hex[:12],
            started=datetime.now(UTC),
            method=method,
            options=_summary(self.options),
            dry_run=dry_run,
            method_requested=METHOD_AUTO if self._auto_method else method,
        )

    def run(self) -> SyncResult:
        try:
            return self._run()
        except SnapshotCancelled:
            self.report.cancelled = True
            return self._end(CANCELLED, "Cancelled while reading Canvas; nothing was written.")

    def _end(self, status: str, message: str, **more: object) -> SyncResult:
        self.report.finished = datetime.now(UTC)
        self.report.phase_requests = self._phases.counts()
        result = SyncResult(status, self.report, stats=self.client.stats, message=message)
        for key, value in more.items():
            setattr(result, key, value)
        return result

    def _run(self) -> SyncResult:
        # 1. roster, while Canvas is asked what the admin may do and, when the read is
        # already decided, starts its report: neither needs the roster.
        self.progress(Progress(Phase.READ_ROSTER, 0, 1, "Reading the roster"))
        early_done = False
        if isinstance(self.roster_input, Roster):
            roster = self.roster_input  # nothing to wait for: Canvas is asked after the check
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="cw-early") as early:
                canvas_work = early.submit(self._early_canvas)
                try:
                    roster = read_roster(Path(self.roster_input))
                except WizardError as exc:
                    # The early work is a few requests; a report it started is not waited
                    # on (Canvas finishes the job alone). Its errors do not matter now.
                    self._roster_failed = True
                    canvas_work.exception()
                    return self._end(INPUT_ERROR, f"{exc.message} {exc.hint}".strip())
                canvas_work.result()  # Canvas's errors surface here, as they did after
            early_done = True
        self.progress(Progress(Phase.READ_ROSTER, 1, 1, "Roster read"))
        errors = roster.errors
        self.report.skipped_rows = [str(p) for p in errors] + [
            f"{s.file}, row {s.row}: {s.sis_id} skipped: {s.reason}" for s in roster.skipped
        ]
        if errors and not self.skip_bad_rows:
            return self._end(
                INPUT_ERROR,
                f"The roster has {len(errors)} problem(s) to fix before syncing (first: "
                f"{errors[0]}). Fix them and export again, or choose to skip the bad rows.",
                roster=roster,
            )

        # 2. Canvas: first what the signed-in admin may do, which decides how to read and
        # write (done above while a roster file was parsed)
        if not early_done:
            self._early_canvas()
        snapshot = self._snapshot(roster, enrollments=True)
        # 3. plan and limits
        self.progress(Progress(Phase.PLAN, 0, 1, "Comparing the roster with Canvas"))
        plan = plan_sync(roster, snapshot, self.options)
        self.progress(Progress(Phase.PLAN, 1, 1, "Plan ready"))
        self.report.read_with = snapshot.source
        self.report.job_timings += snapshot.jobs
        if self._auto_method:
            self._choose_method(plan, snapshot)
        # The pre-flight's notes go with the plan, so the preview shows them too.
        plan.notes[:0] = self._preflight_notes + self.report.notes
        if self._read_note:
            plan.choices.insert(0, self._read_note)
        self.report.notes = plan.choices + plan.notes
        if not snapshot.emails_visible and self._emails_visible and self.options.update_emails:
            self.report.notes.append(
                "Canvas did not show email addresses, so emails were neither compared nor "
                'changed. With a developer key that enforces scopes, switch on "Allow Include '
                'Parameters" on the key.'
            )
        breaches = check_limits(plan, snapshot, self.options.limits)
        self.report.limit_breaches = [b.limit for b in breaches]
        approved = self.approve_limits is True or self.approve_limits == plan.fingerprint()
        done = {"plan": plan, "snapshot": snapshot, "roster": roster, "breaches": breaches}
        # What parents will see: enrolments do not change by our writes, so read them now.
        visibility = read_visibility(self.client, plan, snapshot, self.progress, self.cancel)
        if breaches and not approved:
            describe_visibility(self.report, plan, visibility)  # what it would be
            self.report.approval = "needed"
            why = " ".join(b.limit for b in breaches)
            self.report.outcomes = _as_planned(plan, snapshot, OutcomeStatus.SKIPPED, why)
            return self._end(HELD, f"Held by the safety limits; nothing was written. {why}", **done)
        self.report.approval = f"approved {plan.fingerprint()}" if breaches else "not needed"
        if self.dry_run:
            describe_visibility(self.report, plan, visibility)
            self.report.outcomes = _as_planned(
                plan, snapshot, OutcomeStatus.NOT_RUN, "Preview only."
            )
            conflicts = _count(self.report.outcomes, OutcomeStatus.CONFLICT)
            text = f"Preview: {plan.writes()} change(s) would be written"
            if conflicts:
                return self._end(
                    FAILED_RECORDS,
                    f"{text}; {conflicts} conflict(s) need your attention (see the preview).",
                    **done,
                )
            return self._end(OK, f"{text}.", **done)

        # 4. apply
        if self.before_apply is not None:
            self.before_apply(plan, snapshot)
        self.progress(Progress(Phase.APPLY, 0, plan.writes(), "Writing to Canvas"))
        try:
            outcomes = self.applier.apply(
                plan, snapshot, progress=self.progress, cancel=self.cancel
            )
        except AuthorizationNeeded:
            raise
        except WizardError as exc:
            # Some writes may have happened: say so for every record, never "nothing".
            why = (
                f"Not confirmed: writing stopped ({exc.message}). Run the sync again: it "
                "finishes what is missing and never writes anything twice."
            )
            self.report.outcomes = _as_planned(plan, snapshot, OutcomeStatus.FAILED, why)
            return self._end(FAILED_RECORDS, f"Writing to Canvas stopped: {exc}", **done)
        self.report.job_timings += list(getattr(self.applier, "jobs", []))
        stopped = getattr(self.applier, "stopped_by", None)
        if isinstance(stopped, AuthorizationNeeded):
            # Signing in again is the admin's next step (exit 4); the records written
            # before are kept in the report so the history still says them.
            self.report.outcomes = outcomes
            raise stopped
        if self.cancel.cancelled:
            self.report.cancelled = True
            self.report.outcomes = outcomes
            return self._end(CANCELLED, "Cancelled; run the sync again to finish.", **done)

        # 5. verify
        if self.verify and any(o.status is OutcomeStatus.DONE for o in outcomes):
            outcomes = self._verify(roster, outcomes, plan, snapshot)
        self.report.outcomes = outcomes
        describe_visibility(self.report, plan, visibility, outcomes)
        failed = _count(outcomes, OutcomeStatus.FAILED)
        conflicts = _count(outcomes, OutcomeStatus.CONFLICT)
        unchecked = (
            f" The check afterwards could not read Canvas ({self._unverified}): run the sync "
            "again to confirm."
            if self._unverified
            else ""
        )
        if failed or conflicts:
            # A conflict is left alone on purpose, but a person still needs the admin:
            # the run is not "ok" anywhere (exit code, JSON, history, app header).
            parts = [f"{failed} record(s) failed"] if failed else []
            parts += [f"{conflicts} conflict(s) need your attention"] if conflicts else []
            return self._end(
                FAILED_RECORDS,
                f"Sync finished with problems: {' and '.join(parts)}; see the report.{unchecked}",
                **done,
            )
        left_out = (
            f" {len(roster.errors)} roster row(s) with problems were left out, with their "
            "links (see the report)."
            if roster.errors
            else ""
        )
        written = sum(
            1 for o in outcomes if o.status is OutcomeStatus.DONE and o.action in WRITE_KINDS
        )
        return self._end(
            OK, f"Sync finished: {written} change(s) written.{left_out}{unchecked}", **done
        )

    def _early_canvas(self) -> None:
        """What reading Canvas needs before the roster: the pre-flight, then, when the
        read is by report whatever the roster holds (asked for, on a root account), the
        report's start, so Canvas's job runs while the roster is parsed."""
        self._preflight()
        if (
            self.prefer_report
            and not self._read_auto
            and self.account_id == self.root_account_id
            and not self.cancel.cancelled
            and not self._roster_failed
        ):
            self._started_report = start_report(self.client, self.account_id, True)

    def _preflight(self) -> None:
        """Check the permissions that decide the read and write methods, and choose them.

        Missing ones do not stop the sync; each is said in the report's notes with what
        it costs (canvas_wizard.core.canvas.capabilities).
        """
        sent, began = self.client.stats.requests, time.perf_counter()
        try:
            caps = read_capabilities(self.client, self.account_id, self.root_account_id)
            asked = self.client.stats.requests - sent
            if asked:  # the permission check's requests go one after another
                self._latency = max(0.001, (time.perf_counter() - began) / asked)
        except AuthorizationNeeded:
            raise
        except WizardError as exc:
            self._preflight_notes.append(
                f"Your Canvas permissions could not be checked ({exc.message}); the sync "
                "goes ahead as set up."
            )
            return
        sis = isinstance(self.applier, SisImportApplier)
        relevant = {"manage_students"}
        if sis:
            relevant |= {"import_sis", "read_reports", "sis_imports"}
        if self._asked_report or self._read_auto:
            relevant.add("read_reports")
        if self.options.update_emails:
            relevant.add("read_email_addresses")
        self._preflight_notes += caps.costs(relevant)
        if sis and not caps.sis_import_possible:
            self.applier = RestApplier(self.client, self.account_id, self.root_account_id)
            self.method = self.report.method = "api"  # service.METHOD_API
            self.prefer_report = self._asked_report
        # A sub-account's own report serves when the root's is not allowed (snapshot.py).
        reports = caps.has("read_reports") or caps.granted.get(REPORTS_HERE) is True
        if self.prefer_report and not reports:
            self.prefer_report = False
        self._reports_allowed = reports
        self._sis_possible = (
            self._auto_method
            and caps.sis_import_possible
            and self.account_id == self.root_account_id
            and not self.options.adopt  # a SIS Import cannot give a login a SIS ID
        )
        self._emails_visible = caps.has("read_email_addresses")

    def _snapshot(self, roster: Roster, enrollments: bool = False) -> Snapshot:
        # Logins are read in full for the roster's people (and the removed ones); when
        # leavers may be suspended, for everyone, since their state decides the action.
        # Staff members who are parents: their logins and links are read, never written.
        staff = {link.parent_sis_id for link in roster.staff_links}
        wanted: set[str] | None = set(roster.people) | set(roster.removed) | staff
        if self.options.suspend_missing:
            wanted = None
        parents = {s for s, p in roster.people.items() if p.role is Role.PARENT}
        parents |= {link.parent_sis_id for link in roster.links} | set(roster.removed) | staff
        if enrollments and self._read_auto:
            self.prefer_report = self._choose_read(roster, parents, wanted)
        # List-level comparison (snapshot.py): a roster person whose list row shows the
        # wanted username is not read login by login, unless their login's state matters
        # to this run (suspending leavers reads everyone's, as above).
        listed_logins = (
            None
            if wanted is None
            else {sis: p.username for sis, p in roster.people.items() if p.active}
        )
        # The report started early is for the first read only (a later check reads anew).
        started, self._started_report = self._started_report, None
        snapshot = read_snapshot(
            self.client,
            self.account_id,
            self.root_account_id,
            sis_ids=wanted,
            observer_sis_ids=parents,
            lookup_sis_ids=set(roster.people) | parents,
            listed_logins=listed_logins,
            prefer_report=self.prefer_report,
            progress=self.progress,
            cancel=self.cancel,
            enrollments=enrollments,
            report_expected=self._report_expected,
            started_report=started,
        )
        if not self._emails_visible:
            snapshot.emails_visible = False
        if self.options.adopt:
            snapshot.protected_users.update(self._protected_users())
        return snapshot

    def _choose_read(self, roster: Roster, parents: set[str], wanted: set[str] | None) -> bool:
        """Read by report (True) or page by page, whichever the cost model finds quicker."""
        if not self._reports_allowed:
            return False  # the pre-flight found no right to run reports: pages it is
        people = len(roster.people)
        if self._sis_possible:
            maybe = choose_write(
                writes=people + len(roster.links),
                import_rows=people + len(roster.links),
                latency=self._latency,
                timings=self.job_timings,
            )
            if maybe.sis_import:
                self._report_expected = job_seconds(REPORT, people, self.job_timings).seconds
                # A SIS Import may be quickest, and it needs the report (deleted logins).
                self.report.notes.append(
                    "Canvas was read with the provisioning report: a SIS Import may be the "
                    "quickest way to write this roster, and only the report shows what it needs."
                )
                return True
        sub = self.account_id != self.root_account_id
        size = account_size(self.account_id, self.job_timings, people)
        report_users = account_size(self.root_account_id, self.job_timings, size) if sub else size
        logins, links, lookups = (people if wanted is not None else size), len(parents), 0
        if sub:
            lookups = len(parents)
        listed = self._first_page()
        if listed is not None:
            # The whole account fits on one page (a new or small one): count exactly.
            size = len(listed)
            logins = sum(1 for sis in listed if wanted is None or (sis and sis in wanted))
            links = sum(1 for sis in listed if sis and sis in parents)
            if sub:
                lookups = len((set(roster.people) | parents) - set(listed))
            if not sub:
                report_users = size
        choice = choose_read(
            account_users=size,
            logins_to_read=logins,
            links_to_read=links,
            lookups=lookups,
            latency=self._latency,
            report_users=report_users,
            timings=self.job_timings,
            sub_account_pages=-(-size // 100) if sub else 0,
        )
        self._read_note = choice.note()
        self._report_expected = job_seconds(REPORT, report_users, self.job_timings).seconds
        return choice.by_report

    def _first_page(self) -> list[str] | None:
        """The SIS IDs ("" for none) of the account's users when they fit on one page of
        its list (one request), else None: then the history's count is the best guess."""
        try:
            began = time.perf_counter()
            response = self.client.request(
                "GET", f"/api/v1/accounts/{self.account_id}/users", params={"per_page": 100}
            )
            # A request on its own, after the roster is read: the pre-flight's ran beside
            # the roster's parsing and may have waited for the processor too.
            self._latency = max(0.001, min(self._latency, time.perf_counter() - began))
            items = response.json()
        except AuthorizationNeeded:
            raise
        except (WizardError, ValueError):
            return None
        if "next" in response.links or not isinstance(items, list):
            return None
        return [str(i.get("sis_user_id") or "") for i in items if isinstance(i, dict)]

    def _choose_method(self, plan: Plan, snapshot: Snapshot) -> None:
        """``--method auto``: the API or a SIS Import for this plan, and why."""
        if not self._sis_possible or snapshot.source != "report":
            why = (
                "SIS Imports run only on a root account"
                if self.account_id != self.root_account_id
                else "taking users over needs the API"
                if self.options.adopt
                else "Canvas was read page by page, and a SIS Import needs the report"
                if snapshot.source != "report"
                else "this account may not run SIS Imports"
            )
            reason = f"Fastest for this run: the Canvas API ({why})."
        else:
            choice = choose_write(
                writes=plan.writes(),
                import_rows=plan.writes(),
                latency=self._latency,
                timings=self.job_timings,
            )
            reason = choice.reason()
            if choice.sis_import:
                self.applier = SisImportApplier(self.client, self.root_account_id)
                self.method = self.report.method = "sis-import"
        self.report.method_reason = reason
        plan.choices.append(reason)

    def _protected_users(self) -> dict[int, str]:
        """Canvas users a takeover must never touch: the signed-in admin (asked once)."""
        if self._self_id is None:
            me = self.client.get("/api/v1/users/self")
            self._self_id = int(me["id"]) if isinstance(me, dict) and "id" in me else 0
        return {self._self_id: "the signed-in admin"} if self._self_id else {}

    def _verify(
        self, roster: Roster, outcomes: list[RecordOutcome], plan: Plan, snapshot: Snapshot
    ) -> list[RecordOutcome]:
        """Confirm what was written: from Canvas's answers, re-reading only the rest.

        A record reported DONE whose value Canvas did not store (in its answer, or read
        back) becomes FAILED. See core/sync/verify.py for what confirms each field, and
        when one provisioning report replaces the reads one by one.
        """
        self.progress(Progress(Phase.VERIFY, 0, 1, "Checking what Canvas now holds"))
        check = WriteCheck(plan, snapshot, outcomes, dict(getattr(self.applier, "answers", {})))
        outcomes = check.from_answers()
        if not check.to_reread:
            self.progress(Progress(Phase.VERIFY, 1, 1, "Checked"))
            return outcomes
        try:
            if self._reread_by_report(len(check.to_reread), snapshot):
                self.prefer_report = True
                outcomes = self._verify_by_report(roster, outcomes, check.keys_to_reread())
            else:
                outcomes = check.reread(self.client, self.progress, self.cancel)
        except SnapshotCancelled:
            return outcomes
        except AuthorizationNeeded:
            # Signing in again is the admin's next step (exit 4); what was written is kept
            # in the report so the history still says it.
            self.report.outcomes = outcomes
            raise
        except WizardError as exc:
            # The writes happened; only the check failed. Keep what we know.
            self._unverified = exc.message
            self.report.notes.append(f"Written, but not checked afterwards: {exc.message}")
            return outcomes
        self.progress(Progress(Phase.VERIFY, 1, 1, "Checked"))
        return outcomes

    def _reread_by_report(self, records: int, snapshot: Snapshot) -> bool:
        """Whether one provisioning report reads ``records`` back quicker than one request
        each (core/sync/costs.py; a root account, and the right to run reports)."""
        if self.account_id != self.root_account_id or not self._reports_allowed:
            return False
        if records <= ONE_BY_ONE_MAX // 10:
            return False  # a few reads: no report is that quick
        size = len(snapshot.people) + records
        timings = self.report.job_timings[::-1] + self.job_timings  # newest first
        report = job_seconds(REPORT, size, timings).seconds + POLL_SLACK
        return report < records * self._latency / IN_FLIGHT

    def _verify_by_report(
        self, roster: Roster, outcomes: list[RecordOutcome], keys: set[tuple[str, str]]
    ) -> list[RecordOutcome]:
        """Many records to re-read: read Canvas once more (the provisioning report) and plan
        again; a record in ``keys`` whose write the new plan still wants did not stick."""
        after = self._snapshot(roster)
        self.report.job_timings += after.jobs  # the history learns from this report too
        again = plan_sync(roster, after, self.options)
        wants: dict[tuple[str, str], str] = {}
        for p in again.people:
            if p.kind in WRITE_KINDS:
                what = ", ".join(f"{c.field} {c.old!r} → {c.new!r}" for c in p.changes)
                wants[("person", p.sis_id)] = f"{p.kind.value} {what}".strip()
        for link in again.links:
            if link.kind in WRITE_KINDS:
                wants[("link", link_key(link.parent_sis_id, link.student_sis_id))] = str(
                    link.kind.value
                )
        checked: list[RecordOutcome] = []
        for o in outcomes:
            still = wants.get((o.record, o.key))
            if (o.record, o.key) in keys and o.status is OutcomeStatus.DONE and still:
                o = not_done(o, still)
            checked.append(o)
        return checked


class _PhaseRequests:
    """A progress callback that also counts the client's requests per phase.

    Each phase starts with a progress call naming it, so the requests sent since
    the last change of phase belong to the phase before. The roster is read from a
    file: requests sent while it is the phase (the permission check before reading
    Canvas) count under "read Canvas". Reading what parents will see happens after
    planning and says so ("read Canvas"); the check afterwards reading Canvas with
    the report counts under "verify".
    """

    def __init__(self, progress: ProgressCallback, stats: RequestStats) -> None:
        self._progress = progress
        self._stats = stats
        self._lock = threading.Lock()
        self._phase = Phase.READ_CANVAS
        self._mark = stats.requests
        self._counts = {phase.value: 0 for phase in Phase}

    def __call__(self, p: Progress) -> None:
        phase = Phase.READ_CANVAS if p.phase is Phase.READ_ROSTER else p.phase
        if phase is Phase.READ_CANVAS and self._phase is Phase.VERIFY:
            phase = Phase.VERIFY  # the check reading Canvas with the report
        if phase is not self._phase:
            with self._lock:
                self._close()
                self._phase = phase
        self._progress(p)

    def _close(self) -> None:
        now = self._stats.requests
        self._counts[self._phase.value] += now - self._mark
        self._mark = now

    def counts(self) -> dict[str, int]:
        """Requests per phase (every Phase value, 0 when none) up to now."""
        with self._lock:
            self._close()
            return dict(self._counts)


def run_sync(
    roster: Roster | Path | str,
    client: CanvasClient,
    account_id: int,
    root_account_id: int,
    **kwargs: object,
) -> SyncResult:
    """``SyncRun(...).run()``; see :class:`SyncRun` for the keyword arguments."""
    return SyncRun(roster, client, account_id, root_account_id, **kwargs).run()  # type: ignore[arg-type]


def _count(outcomes: list[RecordOutcome], status: OutcomeStatus) -> int:
    return sum(1 for o in outcomes if o.status is status)


def _as_planned(
    plan: Plan, snapshot: Snapshot, write_status: OutcomeStatus, message: str
) -> list[RecordOutcome]:
    """Outcomes for a run that writes nothing: writes get ``write_status``."""
    names = {p.id: p.name for p in snapshot.people.values()}
    out: list[RecordOutcome] = []
    actions: list[PersonAction | LinkAction] = [*plan.people, *plan.links]
    for action in actions:
        o = planned_outcome(action, names)
        if action.kind in WRITE_KINDS:
            o = RecordOutcome(
                o.record, action.kind, o.key, write_status, message, o.canvas_id, o.name
            )
        out.append(o)
    return out


def _summary(options: SyncOptions) -> dict[str, str]:
    out = {f.name: str(getattr(options, f.name)) for f in fields(options) if f.name != "limits"}
    out.update(
        {f"limits.{f.name}": str(getattr(options.limits, f.name)) for f in fields(options.limits)}
    )
    return out


__all__ = ["SyncResult", "SyncRun", "run_sync"]
