"""Syncing one connected profile: what the app window and the CLI both call.

:class:`ProfileSync` builds the Canvas client for a saved profile (one token
manager for the whole run, so eight worker threads refresh once), runs a
preview or a real sync through :class:`SyncRun`, and keeps every run in the
history database. Blocking: the UI runs it on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.canvas import CanvasClient, make_session
from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.roster import ColumnMapping, RosterFormat, read_roster
from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.settings import load_settings_or_defaults
from canvas_wizard.core.store import Profile, SecretStore
from canvas_wizard.core.store.history import HistoryStore, RunSummary
from canvas_wizard.core.store.history_writes import add_written_records
from canvas_wizard.core.store.lock import ProfileLock
from canvas_wizard.core.sync.engine import SyncResult, SyncRun
from canvas_wizard.core.sync.match import MatchReport, match_report
from canvas_wizard.core.sync.model import Plan, Snapshot, SyncOptions
from canvas_wizard.core.sync.outcome import CancelToken, ProgressCallback, RecordOutcome
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.core.undo.records import records_from_plan

METHOD_API = "api"
METHOD_SIS_IMPORT = "sis-import"


@dataclass
class SyncRequest:
    """What the admin asked for."""

    source: Path
    format: RosterFormat | None = None
    mapping: ColumnMapping | None = None
    method: str = METHOD_API
    dry_run: bool = True
    #: True approves whatever the run plans; a fingerprint approves only that exact plan.
    approve: bool | str = False
    options: SyncOptions = field(default_factory=SyncOptions)
    skip_bad_rows: bool = False
    #: Use the safety limits saved in Settings (the default) instead of ``options.limits``.
    limits_from_settings: bool = True


@dataclass
class SyncOutcome:
    run_id: int
    result: SyncResult
    match: MatchReport | None

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
        source: Path, fmt: RosterFormat | None = None, mapping: ColumnMapping | None = None
    ) -> Roster:
        return read_roster(source, format=fmt, mapping=mapping)

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
        purpose = "preview" if request.dry_run else "sync"
        with ProfileLock(self.paths, self.profile.name, purpose=purpose):
            return self._run_locked(request, progress=progress, cancel=cancel, roster=roster)

    def _run_locked(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        roster: Roster | None,
    ) -> SyncOutcome:
        if request.limits_from_settings:
            settings, _problem = load_settings_or_defaults(self.paths)
            request.options.limits = settings.limits
        if roster is None:
            roster = self.read_roster(request.source, request.format, request.mapping)
        root_id = self.root_account_id()
        applier = None
        if request.method == METHOD_SIS_IMPORT:
            if not self.sis_import_allowed():
                raise UsageError(
                    "SIS Imports can only run on a root account, and this setup syncs into a sub-account.",
                    hint="Use the Canvas API method, which works on any account.",
                )
            applier = SisImportApplier(self.client, root_id)
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
            prefer_report=self.sis_import_allowed(),
            skip_bad_rows=request.skip_bad_rows,
            progress=progress,
            cancel=cancel,
        )
        with HistoryStore(self.paths.history_db) as history:
            history.mark_interrupted(self.profile.name)
            run_id = history.start_run(
                profile=self.profile.name,
                method=request.method,
                dry_run=request.dry_run,
                who=self.profile.signed_in_as or "",
                source=str(request.source),
                options=_options_summary(request),
            )
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
            report = result.report
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
            history.finish_run(run_id, status=result.status, counts=counts)
        match = None
        if result.roster is not None and result.snapshot is not None:
            match = match_report(result.roster, result.snapshot)
        return SyncOutcome(run_id, result, match)

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


def _options_summary(request: SyncRequest) -> dict[str, Any]:
    o = request.options
    return {
        "format": request.format.value if request.format else "auto",
        "suspend_missing": o.suspend_missing,
        "update_names": o.update_names,
        "update_emails": o.update_emails,
        "update_logins": o.update_logins,
        "skip_bad_rows": request.skip_bad_rows,
        "approved": bool(request.approve),
    }
