"""The sync progress view: a worker that never floods or blocks the GUI, and the results at the end."""

from __future__ import annotations

import csv
import gc
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QTimer

from canvas_wizard.core.errors import AuthorizationNeeded
from canvas_wizard.core.sync.engine import SyncResult
from canvas_wizard.core.sync.model import ActionKind
from canvas_wizard.core.sync.outcome import (
    CancelToken,
    OutcomeStatus,
    Phase,
    Progress,
    ProgressCallback,
    RecordOutcome,
)
from canvas_wizard.core.sync.report import SyncReport
from canvas_wizard.core.sync.service import SyncOutcome, SyncRequest
from canvas_wizard.ui.sync import results_table
from canvas_wizard.ui.sync.progress_view import CANCELLING, ProgressView
from canvas_wizard.ui.sync.results_table import ResultsTable
from canvas_wizard.ui.sync.worker import RateMeter, SyncWorker
from canvas_wizard.ui.tasks import task_pool

WAIT = 10_000
TOTAL = 10_000
THREADS = 4


def outcome_of(status: str, outcomes: list[RecordOutcome], *, dry_run: bool = False) -> SyncOutcome:
    report = SyncReport(run_id="r1", started=datetime.now(UTC), outcomes=outcomes, dry_run=dry_run)
    messages = {
        "ok": "Sync finished: 2 change(s) written.",
        "failed_records": "1 record(s) failed; see the report.",
        "cancelled": "Cancelled; run the sync again to finish.",
    }
    return SyncOutcome(7, SyncResult(status, report, message=messages.get(status, status)), None)


MIXED = [
    RecordOutcome(
        "person", ActionKind.CREATE, "S1", OutcomeStatus.DONE, "Created", 11, "Ava Thompson"
    ),
    RecordOutcome(
        "person", ActionKind.UNCHANGED, "S2", OutcomeStatus.UNCHANGED, "", 12, "Noah Williams"
    ),
    RecordOutcome(
        "person",
        ActionKind.UPDATE,
        "S3",
        OutcomeStatus.FAILED,
        "Canvas refused the email",
        13,
        "=cmd|' /C calc'!A0",
    ),
    RecordOutcome("link", ActionKind.LINK, "P1→S1", OutcomeStatus.DONE, "Linked"),
    RecordOutcome("link", ActionKind.LINK, "P2→S2", OutcomeStatus.CONFLICT, "@SUM(1) holds it"),
]


class FloodingSync:
    """Calls progress 10,000 times from 4 threads, as the REST applier does, then returns."""

    def __init__(self, outcome: SyncOutcome, *, pace: float = 0.01) -> None:
        self.outcome = outcome
        self.pace = pace
        self.calls = 0
        self.threads: set[str] = set()

    def run(
        self,
        request: SyncRequest,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> SyncOutcome:
        assert progress is not None and cancel is not None
        progress(Progress(Phase.READ_ROSTER, 1, 1, "Roster read"))
        progress(Progress(Phase.READ_CANVAS, 0, 0, "Reading Canvas users"))
        progress(Progress(Phase.PLAN, 1, 1, "Plan ready"))
        lock = threading.Lock()
        done = 0

        def write(worker: int) -> None:
            nonlocal done
            for i in range(TOTAL // THREADS):
                with lock:
                    done += 1
                    self.calls += 1
                    self.threads.add(threading.current_thread().name)
                    snap = Progress(
                        Phase.APPLY, done, TOTAL, f"Created Person {worker}-{i}", {"created": done}
                    )
                progress(snap)  # outside the lock, as the applier does: may arrive out of order
                if i % 50 == 49:
                    time.sleep(self.pace)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self.outcome


class WaitingSync:
    """Writes slowly until cancelled, then reports the rest as not run."""

    def __init__(self) -> None:
        self.token: CancelToken | None = None

    def run(self, request, *, progress=None, cancel=None) -> SyncOutcome:
        self.token = cancel
        n = 0
        while not cancel.cancelled and n < 2000:
            n += 1
            progress(Progress(Phase.APPLY, n, 2000, f"Created Person {n}", {"created": n}))
            time.sleep(0.005)
        not_run = RecordOutcome(
            "person",
            ActionKind.CREATE,
            "S9",
            OutcomeStatus.NOT_RUN,
            "Cancelled before this record's turn",
        )
        return outcome_of("cancelled", [MIXED[0], not_run])


class FailingSync:
    def run(self, request, *, progress=None, cancel=None) -> SyncOutcome:
        raise AuthorizationNeeded(
            "Canvas no longer accepts the saved sign-in.", hint="Sign in again."
        )


def _request(dry_run: bool = False) -> SyncRequest:
    return SyncRequest(source=Path("roster.csv"), dry_run=dry_run, approve=True)


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread():
    # PySide objects in reference cycles must not be finalised by whichever pool
    # thread happens to trigger a collection: collect here, on the GUI thread.
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def view(qtbot) -> ProgressView:
    widget = ProgressView()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    yield widget
    assert task_pool().waitForDone(WAIT)


def test_flood_of_progress_reaches_the_ui_throttled_and_never_blocks_it(qtbot, view):
    sync = FloodingSync(outcome_of("failed_records", MIXED))
    worker = SyncWorker(sync, _request(), view)
    view.attach(worker)
    arrivals: list[float] = []
    last: list[Progress] = []
    worker.progressed.connect(lambda p: (arrivals.append(time.monotonic()), last.append(p)))
    gaps: list[float] = []
    beats = [time.monotonic()]

    def beat() -> None:
        now = time.monotonic()
        gaps.append(now - beats[-1])
        beats.append(now)

    heart = QTimer()
    heart.setInterval(10)
    heart.timeout.connect(beat)
    heart.start()
    started = time.monotonic()
    with qtbot.waitSignal(worker.finished, timeout=WAIT):
        worker.start()
        assert worker.running
    took = time.monotonic() - started
    heart.stop()

    assert sync.calls == TOTAL and len(sync.threads) == THREADS
    assert took > 0.3, "the fake run must last long enough to measure anything"
    assert max(gaps) < 0.1, f"the GUI thread stalled for {max(gaps) * 1000:.0f} ms"
    assert 2 <= len(arrivals) <= 30 * took + 2, f"{len(arrivals)} signals in {took:.2f} s"
    # The last state shown is the run's last, although older snapshots arrived after it.
    assert last[-1].phase is Phase.APPLY and last[-1].done == TOTAL
    assert not worker.running and worker.outcome is not None
    # Phase changes are logged once each, in order; the log is bounded.
    lines = view.log.lines()
    phase_lines = [
        line for line in lines if ": " in line and line[10:].startswith(("Read", "Plan", "Write"))
    ]
    assert [line[10:].split(":")[0] for line in phase_lines[:4]] == [
        "Read the roster",
        "Read Canvas",
        "Plan the changes",
        "Write to Canvas",
    ]
    assert len(lines) <= 5000
    # The end: counts from the records, the failure is shown first, Retry is offered.
    assert view.count_labels["created"].text() == "1"
    assert view.count_labels["failed"].text() == "1"
    assert view.count_labels["conflicts"].text() == "1"
    assert view.count_labels["unchanged"].text() == "1"
    assert view.status.kind == "error"
    assert view.status.text().startswith("1 record(s) failed; see the report.")
    assert view.retry_button.isEnabled()
    assert [o.key for o in view.results.visible_outcomes()] == ["S3"]
    assert view.phase_bars[Phase.APPLY].value() == TOTAL


def test_cancel_sets_the_token_and_says_requests_in_flight_finish(qtbot, view):
    sync = WaitingSync()
    worker = SyncWorker(sync, _request(), view)
    view.attach(worker)
    with qtbot.waitSignal(worker.progressed, timeout=WAIT):
        worker.start()
    assert view.cancel_button.isEnabled()
    with qtbot.waitSignal(view.cancelRequested, timeout=WAIT):
        view.cancel_button.click()
    assert sync.token is not None and sync.token.cancelled
    assert not view.cancel_button.isEnabled()
    assert view.status.text() == CANCELLING
    assert "Cancelling…" in CANCELLING
    with qtbot.waitSignal(worker.finished, timeout=WAIT):
        pass
    assert any("Cancel requested" in line for line in view.log.lines())
    assert view.status.text().startswith("Cancelled; run the sync again to finish.")
    assert "1 not run" in view.status.text()
    # Records not reached are reported, and a retry is offered for them.
    assert view.retry_button.isEnabled()
    assert [o.key for o in view.results.visible_outcomes()] == ["S9"]


def test_retry_failed_is_offered_only_when_something_failed_and_emits(qtbot, view):
    view.show_outcome(outcome_of("failed_records", MIXED))
    assert view.retry_button.isEnabled() and view.export_button.isEnabled()
    with qtbot.waitSignal(view.retryRequested, timeout=1000):
        view.retry_button.click()
    done = [o for o in MIXED if o.status is not OutcomeStatus.FAILED]
    view.show_outcome(outcome_of("ok", done))
    assert not view.retry_button.isEnabled()
    assert view.status.kind == "ok"
    preview = [
        RecordOutcome("person", ActionKind.CREATE, "S5", OutcomeStatus.NOT_RUN, "Preview only.")
    ]
    view.show_outcome(outcome_of("ok", preview, dry_run=True))
    assert not view.retry_button.isEnabled(), "a preview wrote nothing; there is nothing to retry"
    assert "Planned: 1 to create" in view.status.text()
    assert view.count_captions["created"].text() == "To create"
    assert view.phase_bars[Phase.APPLY].format() == "not run (preview)"


def test_sign_in_needed_says_sign_in_again(qtbot, view):
    worker = SyncWorker(FailingSync(), _request(), view)
    view.attach(worker)
    with qtbot.waitSignal(worker.failed, timeout=WAIT) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], AuthorizationNeeded)
    assert view.status.kind == "error"
    assert "sign in again" in view.status.text()
    assert not view.cancel_button.isEnabled() and not view.retry_button.isEnabled()
    assert not worker.running


def test_log_filter_and_plain_text(qtbot, view):
    view.log.append("09:00:00  Created <b>Ava</b> (S1)\n09:00:01  Linked P1 → S1")
    view.log.filter_edit.setText("ava")
    assert view.log.text.toPlainText() == "09:00:00  Created <b>Ava</b> (S1)"
    view.log.append("09:00:02  Created Noah (S2)")
    assert "Noah" not in view.log.text.toPlainText()
    view.log.filter_edit.clear()
    assert view.log.text.toPlainText().count("\n") == 2


def test_results_table_filters_by_status_and_text_and_sorts(qtbot):
    table = ResultsTable()
    qtbot.addWidget(table)
    table.set_outcomes(MIXED)
    assert table.status_combo.itemText(0) == "All (5)"
    assert [table.status_combo.itemText(i) for i in range(1, table.status_combo.count())] == [
        "Failed (1)",
        "Conflict (1)",
        "Done (2)",
        "Unchanged (1)",
    ]
    table.show_status(OutcomeStatus.DONE)
    assert [o.key for o in table.visible_outcomes()] == ["S1", "P1→S1"]
    table.filter_edit.setText("link")
    assert [o.key for o in table.visible_outcomes()] == ["P1→S1"]
    table.show_status(None)
    assert {o.key for o in table.visible_outcomes()} == {"P1→S1", "P2→S2"}
    assert table.shown_label.text() == "2 of 5 shown"
    table.filter_edit.clear()
    table.view.sortByColumn(3, table.view.horizontalHeader().sortIndicatorOrder().AscendingOrder)
    assert [o.key for o in table.visible_outcomes()] == ["P1→S1", "P2→S2", "S1", "S2", "S3"]
    # New outcomes keep the chosen status filter where it still applies.
    table.show_status(OutcomeStatus.FAILED)
    table.set_outcomes(MIXED[:3])
    assert [o.key for o in table.visible_outcomes()] == ["S3"]


def test_export_report_neutralises_formula_cells(qtbot, view, tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    asked: list[str] = []

    def ask(parent, suggested: str) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(results_table, "ask_report_path", ask)
    view.show_outcome(outcome_of("failed_records", MIXED))
    view.export_button.click()
    qtbot.waitUntil(lambda: view.export_status.text().startswith("Report saved"), timeout=WAIT)
    assert asked and asked[0].endswith("canvas-sync-run-7.csv")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:5] == ["record", "action", "key", "name", "status"]
    names = [row[3] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names
    assert "'@SUM(1) holds it" in [row[5] for row in rows[1:]]


def test_export_to_an_unwritable_place_says_what_to_do(qtbot, view, tmp_path, monkeypatch):
    monkeypatch.setattr(
        results_table, "ask_report_path", lambda parent, s: tmp_path / "no" / "r.csv"
    )
    view.show_outcome(outcome_of("ok", MIXED[:1]))
    view.export_button.click()
    qtbot.waitUntil(lambda: "could not be saved" in view.export_status.text(), timeout=WAIT)
    assert "Choose another folder" in view.export_status.text()


def test_rate_meter_estimates_time_left_from_progress_over_time():
    now = [100.0]
    meter = RateMeter(clock=lambda: now[0])
    meter.add(0, 1000)
    assert meter.describe() == ""  # nothing known yet
    now[0] += 0.5
    meter.add(10, 1000)
    assert meter.describe() == "", "under a second says nothing"
    now[0] += 1.5
    meter.add(40, 1000)  # 40 records in 2 s: 20/s, 960 left = 48 s
    assert meter.describe() == "20 records/s, less than a minute left"
    now[0] += 2.0
    meter.add(48, 1000)  # slowed: 48 in 4 s = 12/s, 952 left = 80 s
    assert meter.describe() == "12 records/s, about 2 min left"
    assert meter.describe(per_record=False) == "About 2 min left"


# -- end to end -------------------------------------------------------------------------


def connected_sync(sandbox) -> Callable[[], object]:
    from canvas_wizard.core.auth import TokenManager
    from canvas_wizard.core.paths import app_paths
    from canvas_wizard.core.store import (
        ConnectedAccount,
        Profile,
        ProfileStore,
        SecretKind,
        SecretStore,
    )
    from canvas_wizard.core.sync.service import ProfileSync
    from canvas_wizard.sandbox.signin import sign_in

    uri = "http://127.0.0.1:5/canvas/authorize"
    key = sandbox.add_developer_key(redirect_uris=[uri])
    paths = app_paths().ensure()
    tokens = sign_in(sandbox, key, uri)
    with requests.Session() as http:
        profile = Profile(
            name="school",
            canvas_url=sandbox.url,
            client_id=key.client_id,
            account=ConnectedAccount(1, "Northfield Academy Trust", True),
            signed_in_as=tokens.user_name,
        )
        ProfileStore(paths).save(profile)
        secrets = SecretStore()
        secrets.set(profile, SecretKind.CLIENT_SECRET, key.client_secret)
        TokenManager(profile, secrets, http).store(tokens)
    return lambda: ProfileSync(paths, secrets, profile)


def test_real_sync_of_the_sample_roster_runs_to_completion(qtbot, view):
    from canvas_wizard.resources import resource_path
    from canvas_wizard.sandbox import SandboxCanvas

    with SandboxCanvas() as sandbox:
        sync = connected_sync(sandbox)()
        try:
            request = SyncRequest(
                source=resource_path("sample-cloudwork-export.csv"), dry_run=False, approve=True
            )
            worker = SyncWorker(sync, request, view)
            view.attach(worker)
            seen: list[Progress] = []
            worker.progressed.connect(seen.append)
            with qtbot.waitSignal(worker.finished, timeout=30_000) as blocker:
                worker.start()
            outcome = blocker.args[0]
            history = sync.history()
        finally:
            sync.close()
    # The sample's two conflicts need the admin: the run is not "ok" (issue 12).
    assert outcome.status == "failed_records", outcome.result.message
    assert outcome.result.report.counts_by_status()["failed"] == 0
    order = [list(Phase).index(p.phase) for p in seen]
    assert order == sorted(order), "phases only move forward (verify's re-read is shown as verify)"
    assert {p.phase for p in seen} >= {Phase.APPLY, Phase.VERIFY}
    assert view.status.kind == "error"
    assert view.status.text().startswith("Sync finished with problems: 2 conflict(s)")
    created = int(view.count_labels["created"].text())
    linked = int(view.count_labels["linked"].text())
    assert created > 0 and linked > 0
    assert view.count_labels["failed"].text() == "0"
    assert view.overall_bar.value() == 1000
    assert all(bar.value() == bar.maximum() for bar in view.phase_bars.values())
    assert not view.retry_button.isEnabled() and view.export_button.isEnabled()
    assert len(view.results.outcomes()) == len(outcome.result.report.outcomes)
    assert history[0].id == outcome.run_id and history[0].status == "failed_records"
    assert any(line.endswith("Finished: " + outcome.result.message) for line in view.log.lines())
