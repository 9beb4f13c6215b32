"""Syncing one connected profile: what the app window and the CLI both call.

:class:`ProfileSync` builds the Canvas client for a saved profile (one token
manager for the whole run, so eight worker threads refresh once), runs a
preview or a real sync through :class:`SyncRun`, and keeps every run in the
history database. Blocking: the UI runs it on a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.canvas import CanvasClient, make_session
from canvas_wizard.core.errors import UsageError, WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.roster import ColumnMapping, RosterFormat, read_roster
from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.roster.sds import DEFAULT_OBSERVER_ROLES
from canvas_wizard.core.schedule.pause import Pause, PauseStore
from canvas_wizard.core.settings import load_settings_or_defaults
from canvas_wizard.core.store import Profile, SecretStore
from canvas_wizard.core.store.history import HistoryStore, RunStatus, RunSummary
from canvas_wizard.core.store.history_jobs import add_job_timings, job_timings
from canvas_wizard.core.store.history_writes import add_written_records
from canvas_wizard.core.store.lock import ProfileLock
from canvas_wizard.core.sync.engine import READ_AUTO, SyncResult, SyncRun
from canvas_wizard.core.sync.match import MatchReport, match_report
from canvas_wizard.core.sync.model import Plan, Snapshot, SyncOptions
from canvas_wizard.core.sync.outcome import CancelToken, ProgressCallback, RecordOutcome
from canvas_wizard.core.sync.report import SyncReport, status_words
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.core.undo.records import records_from_plan

log = logging.getLogger(__name__)

METHOD_API = "api"
METHOD_SIS_IMPORT = "sis-import"
#: Let the run choose the API or a SIS Import, whichever is quicker (core/sync/costs.py).
METHOD_AUTO = "auto"


@dataclass
class SyncRequest:
    """What the admin asked for."""

    source: Path
    format: RosterFormat | None = None
    mapping: ColumnMapping | None = None
    #: School Data Sync relationshipRoles that make an observer link; None: from Settings.
    sds_observer_roles: frozenset[str] | None = None
    #: OneRoster's SIS ID column: sourcedId (default) or identifier.
    sis_id_field: str = "sourcedId"
    method: str = METHOD_API
    dry_run: bool = True
    #: True approves whatever the run plans; a fingerprint approves only that exact plan.
    approve: bool | str = False
    options: SyncOptions = field(default_factory=SyncOptions)
    skip_bad_rows: bool = False
    #: Use the safety limits saved in Settings (the default) instead of ``options.limits``.
    limits_from_settings: bool = True
    #: "manual" or "scheduled" (the operating system's scheduler started it), for the history.
    trigger: str = "manual"
    #: Sync once although the profile is paused (the admin said so).
    even_if_paused: bool = False


@dataclass
class SyncOutcome:
    run_id: int
    result: SyncResult
    match: MatchReport | None
    #: Why this run could not be saved in the history (disk full, read-only, locked).
    history_error: str | None = None

    @property
    def status(self) -> str:
        return self.result.status


class ProfileSync:
    def __init__(
        self,
        paths: AppPaths,
        secrets: SecretStore,
        profile: Profile,
        *,
        session_factory: Callable[[], requests.Session] = make_session,
        client_factory: Callable[[str, TokenManager, requests.Session], CanvasClient] | None = None,
    ) -> None:
        if profile.account is None:
            raise UsageError(
                f"The setup {profile.name!r} has no Canvas account chosen yet.",
                hint=f"Choose one in the setup wizard, or: canvas-wizard connect {profile.name} --account ID",
            )
        self.paths = paths
        self.profile = profile
        self._http = session_factory()
        self.tokens = TokenManager(profile, secrets, self._http)
        if client_factory is None:
            self.client = CanvasClient(profile.canvas_url, self.tokens, session=self._http)
        else:  # tests: a client with short timeouts and no real sleeping between retries
            self.client = client_factory(profile.canvas_url, self.tokens, self._http)
        self._root_id: int | None = None
        self._recorded = False

    @property
    def account_id(self) -> int:
        assert self.profile.account is not None
        return self.profile.account.id

    def root_account_id(self) -> int:
        if self._root_id is None:
            account = self.client.get(f"/api/v1/accounts/{self.account_id}")
            root = account.get("root_account_id") if isinstance(account, dict) else None
            self._root_id = int(root) if root else self.account_id
        return self._root_id

    def sis_import_allowed(self) -> bool:
        return bool(self.profile.account and self.profile.account.is_root)

    @staticmethod
    def read_roster(
        source: Path,
        fmt: RosterFormat | None = None,
        mapping: ColumnMapping | None = None,
        sds_observer_roles: frozenset[str] = DEFAULT_OBSERVER_ROLES,
        sis_id_field: str = "sourcedId",
    ) -> Roster:
        return read_roster(
            source,
            format=fmt,
            mapping=mapping,
            sds_observer_roles=sds_observer_roles,
            sis_id_field=sis_id_field,
        )

    def run(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        roster: Roster | None = None,
    ) -> SyncOutcome:
        """A preview (``request.dry_run``) or a real sync, recorded in the history.

        Only one run per profile at a time, across processes: another one running
        raises :class:`~canvas_wizard.core.store.lock.SyncAlreadyRunning`.
        """
        if not request.dry_run and not request.even_if_paused:
            pause = PauseStore(self.paths).get(self.profile.name)
            if pause is not None:
                return self._record_paused(request, pause)
        purpose = "preview" if request.dry_run else "sync"
        self._recorded = False
        try:
            with ProfileLock(self.paths, self.profile.name, purpose=purpose):
                return self._run_locked(request, progress=progress, cancel=cancel, roster=roster)
        except WizardError as exc:
            # Nobody watches a scheduled run: a stop before it reached the history (the
            # export missing, another sync running) must still show there.
            if request.trigger == "scheduled" and not self._recorded:
                self._record_stopped(request, exc)
            raise

    def _run_locked(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        roster: Roster | None,
    ) -> SyncOutcome:
        settings, _problem = load_settings_or_defaults(self.paths)
        if request.limits_from_settings:
            request.options.limits = settings.limits
        if request.sds_observer_roles is None:
            request.sds_observer_roles = frozenset(settings.sds_observer_roles)
        sign_in = self.profile.options.get("sign_in_provider")
        if isinstance(sign_in, dict) and not request.options.login_provider:
            request.options.login_provider = str(sign_in.get("send") or "")
            request.options.login_provider_label = str(sign_in.get("label") or "")
        if roster is None:
            roster = self.read_roster(
                request.source,
                request.format,
                request.mapping,
                request.sds_observer_roles or DEFAULT_OBSERVER_ROLES,
                request.sis_id_field,
            )
        root_id = self.root_account_id()
        applier = None
        if request.method == METHOD_SIS_IMPORT:
            if request.options.adopt:
                # users.csv matches people by user_id (the SIS ID) only: a row for someone
                # Canvas holds without it would make a second login, not take theirs over.
                raise UsageError(
                    "Taking over existing Canvas users needs the Canvas API method: a SIS "
                    "Import cannot give an existing login a SIS ID, it would add a second "
                    "login instead.",
                    hint="Run this sync with --method api (in the app: the Canvas API method), "
                    "or without taking users over.",
                )
            if not self.sis_import_allowed():
                raise UsageError(
                    "SIS Imports can only run on a root account, and this setup syncs into a sub-account.",
                    hint="Use the Canvas API method, which works on any account.",
                )
            applier = SisImportApplier(self.client, root_id)
        with HistoryStore(self.paths.history_db) as history:
            timings = job_timings(history, self.profile.name)
        run = SyncRun(
            roster,
            self.client,
            self.account_id,
            root_id,
            options=request.options,
            applier=applier,
            method=request.method,
            dry_run=request.dry_run,
            approve_limits=request.approve,
            # By report or page by page, whichever is quicker for this run (core/sync/costs.py,
            # learning from this profile's earlier report times). On a sub-account, the
            # root's report finds the people Canvas lists only in the root (the pre-flight
            # turns it off without the right to run reports).
            prefer_report=READ_AUTO,
            job_timings=timings,
            skip_bad_rows=request.skip_bad_rows,
            progress=progress,
            cancel=cancel,
        )
        with HistoryStore(self.paths.history_db) as history:
            history.mark_interrupted(self.profile.name)
            run_id = history.start_run(
                profile=self.profile.name,
                # "auto" is recorded as what it chose when the run ends (finish_run).
                method=_recorded_method(request.method),
                dry_run=request.dry_run,
                who=self.profile.signed_in_as or "",
                source=str(request.source),
                options=_options_summary(request),
                trigger=request.trigger,
            )
            self._recorded = True
            run.before_apply = record_writes(history, run_id)
            try:
                result = run.run()
            except BaseException as exc:
                # Whatever was written before the run stopped is still recorded.
                history.add_outcomes(run_id, run.report.outcomes)
                history.finish_run(
                    run_id, status="error", counts=run.report.counts_by_status(), error=str(exc)
                )
                raise
            history_error = self._record(history, run_id, request, result)
        kind = "Preview" if request.dry_run else "Sync"
        log.log(
            logging.INFO if result.status == "ok" else logging.WARNING,
            "%s #%d of %s: %s (%s). %s",
            kind,
            run_id,
            self.profile.name,
            status_words(result.status),
            result.status,
            result.message,
        )
        if result.report.links_not_visible:
            log.info(
                "%s #%d of %s: %d of %d link(s) lead to a student enrolled in no course yet.",
                kind,
                run_id,
                self.profile.name,
                result.report.links_not_visible,
                result.report.links_in_place or 0,
            )
        match = None
        if result.roster is not None and result.snapshot is not None:
            match = match_report(result.roster, result.snapshot)
        return SyncOutcome(run_id, result, match, history_error)

    def _record(
        self, history: HistoryStore, run_id: int, request: SyncRequest, result: SyncResult
    ) -> str | None:
        """Keeps a finished run in the history; says why when the history cannot take it.

        Canvas has been written by now: a full or read-only disk must not hide what was
        done, so the outcome is still returned (and the report can still be saved), and
        the one-sentence message says the history is missing this run.
        """
        report = result.report
        try:
            history.add_outcomes(run_id, report.outcomes)
            if request.approve and result.breaches and result.status != "held":
                history.record_approval(
                    run_id,
                    who=self.profile.signed_in_as or "",
                    breaches=[str(b) for b in result.breaches],
                )
            counts = report.counts_by_status() | {
                f"action:{k}": v for k, v in report.counts_by_action().items()
            }
            history.finish_run(
                run_id, status=result.status, counts=counts, method=result.report.method
            )
            add_job_timings(history, self.profile.name, self.account_id, result.report.job_timings)
        except WizardError as exc:
            why = f"{exc.message} {exc.hint}".strip()
            log.error("Run #%d was not saved in the history: %s", run_id, why)
            try:  # one small update may still fit where the records did not
                history.finish_run(
                    run_id,
                    status="error",
                    counts=report.counts_by_status(),
                    error=f"Finished {result.status}, but its records could not be saved: {why}",
                )
                listed = "marked there as stopped by an error, without its records"
            except WizardError:
                listed = "listed there as interrupted"
            result.message += (
                f" This run could not be saved in the run history ({why}) It is {listed}; "
                "save the report now to keep its record of every change."
            )
            return why
        return None

    def _record_stopped(self, request: SyncRequest, error: WizardError) -> None:
        status = RunStatus.INPUT_ERROR if isinstance(error, UsageError) else RunStatus.ERROR
        with HistoryStore(self.paths.history_db) as history:
            run_id = history.start_run(
                profile=self.profile.name,
                method=_recorded_method(request.method),
                dry_run=request.dry_run,
                who=self.profile.signed_in_as or "",
                source=str(request.source),
                options=_options_summary(request),
                trigger=request.trigger,
            )
            history.finish_run(run_id, status=status, counts={}, error=error.message)

    def _record_paused(self, request: SyncRequest, pause: Pause) -> SyncOutcome:
        """A paused profile's sync: nothing read or written, one "paused" line in the history."""
        message = f"{pause.describe()} Nothing was read or written."
        log.info("Sync of %s not run (%s): %s", self.profile.name, request.trigger, message)
        report = SyncReport(
            run_id="",
            started=datetime.now(UTC),
            method=_recorded_method(request.method),
            dry_run=False,
        )
        report.finished = report.started
        with HistoryStore(self.paths.history_db) as history:
            run_id = history.start_run(
                profile=self.profile.name,
                method=_recorded_method(request.method),
                dry_run=False,
                who=self.profile.signed_in_as or "",
                source=str(request.source),
                options=_options_summary(request),
                trigger=request.trigger,
            )
            history.finish_run(run_id, status=RunStatus.PAUSED, counts={}, error=message)
        return SyncOutcome(
            run_id, SyncResult(status="paused", report=report, message=message), None
        )

    def history(self, limit: int = 50) -> list[RunSummary]:
        if not self.paths.history_db.exists():
            return []
        with HistoryStore(self.paths.history_db) as history:
            history.mark_interrupted(self.profile.name)
            return history.list_runs(self.profile.name, limit=limit)

    def outcomes(self, run_id: int) -> list[RecordOutcome]:
        with HistoryStore(self.paths.history_db) as history:
            return history.outcomes(run_id)

    def close(self) -> None:
        self._http.close()


def record_writes(history: HistoryStore, run_id: int) -> Callable[[Plan, Snapshot], None]:
    """A ``before_apply`` hook: the run's writes and their before-states go to the history."""

    def record(plan: Plan, snapshot: Snapshot) -> None:
        names = {p.id: p.name for p in snapshot.people.values()}
        add_written_records(history, run_id, records_from_plan(plan, names))

    return record


def _recorded_method(method: str) -> str:
    """The history's method for a run starting: "auto" becomes its choice when it ends."""
    return METHOD_API if method == METHOD_AUTO else method


def _options_summary(request: SyncRequest) -> dict[str, Any]:
    o = request.options
    return {
        "format": request.format.value if request.format else "auto",
        "suspend_missing": o.suspend_missing,
        "update_names": o.update_names,
        "update_emails": o.update_emails,
        "update_logins": o.update_logins,
        "adopt": o.adopt,
        "skip_bad_rows": request.skip_bad_rows,
        "approved": bool(request.approve),
        "even_if_paused": request.even_if_paused,
    }
