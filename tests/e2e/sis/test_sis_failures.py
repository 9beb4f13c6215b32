"""SIS Import applier: rows Canvas skips, cancelling, and accounts it must refuse."""

from __future__ import annotations

import time

import pytest

from canvas_wizard.core.canvas import CanvasClient, CanvasError
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.roster.model import Person, Role
from canvas_wizard.core.sync.model import (
    ActionKind,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
)
from canvas_wizard.core.sync.outcome import CancelToken, OutcomeStatus, Progress, RecordOutcome
from canvas_wizard.core.sync.sis_apply import SisImportApplier
from canvas_wizard.sandbox import SandboxCanvas


def _create(sis: str, name: str, login: str) -> PersonAction:
    person = Person(sis, name, login, Role.STUDENT, f"{login}@students.example")
    return PersonAction(ActionKind.CREATE, sis, person, None)


def _plan(people: list[PersonAction], links: list[LinkAction] = ()) -> Plan:  # type: ignore[assignment]
    return Plan(people=people, links=list(links), options=SyncOptions())


def _by_key(outcomes: list[RecordOutcome]) -> dict[str, RecordOutcome]:
    return {o.key: o for o in outcomes}


def test_rows_canvas_skips_are_mapped_to_their_records(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    plan = _plan(
        [
            _create("S2001", "Li Wei", "li.wei"),
            _create("S2002", "Ava Double", "ava.thompson"),  # username held by S1001
            _create("S2003", "Zoe Park", "zoe.park"),
        ],
        [
            LinkAction(ActionKind.LINK, "P2003", "S2001", None, None),
            LinkAction(ActionKind.LINK, "P9999", "S2003", None, None),  # no such parent
            LinkAction(ActionKind.UNLINK, "P2004", "S1001", None, None),  # no such link
            LinkAction(ActionKind.LINK, "P2004", "S2003", None, None),
        ],
    )
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = _by_key(applier.apply(plan, snapshot, progress=lambda p: None, cancel=CancelToken()))

    failed = {k for k, o in outcomes.items() if o.status is OutcomeStatus.FAILED}
    assert failed == {"S2002", "P9999→S2003", "P2004→S1001"}
    assert "already claimed" in outcomes["S2002"].message
    assert "non-existent user P9999" in outcomes["P9999→S2003"].message
    assert "non-existent observer" in outcomes["P2004→S1001"].message
    for key in ("S2001", "S2003", "P2003→S2001", "P2004→S2003"):
        assert outcomes[key].status is OutcomeStatus.DONE, outcomes[key]
    state = canvas.state
    assert state.user_by_sis_id("S2002") is None
    assert state.user_by_login("ava.thompson").name == "Ava Thompson"
    zoe = state.user_by_sis_id("S2003")
    assert state.observer_ids(zoe.id) == [state.user_by_sis_id("P2004").id]
    (batch,) = state.sis_imports.values()
    assert batch.workflow_state == "imported_with_messages"


def test_without_the_errors_file_messages_are_placed_by_sis_id(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real Canvas may serve the errors file from another host, which the client refuses
    # to send the token to; then only processing_warnings (no rows) are left.
    real = client.request

    def no_files(method: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        if "/files/" in path:
            from canvas_wizard.core.canvas.errors import CanvasError

            raise CanvasError("Refused to send the Canvas sign-in to another server (files).")
        return real(method, path, **kw)

    monkeypatch.setattr(client, "request", no_files)
    plan = _plan([_create("S2001", "Li Wei", "li.wei"), _create("S2002", "Ava D", "ava.thompson")])
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = _by_key(applier.apply(plan, snapshot, progress=lambda p: None, cancel=CancelToken()))
    assert outcomes["S2001"].status is OutcomeStatus.DONE
    assert outcomes["S2002"].status is OutcomeStatus.FAILED
    assert "already claimed" in outcomes["S2002"].message


def test_cancel_aborts_the_running_import(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    canvas.job_step_delay = 0.02  # 60 rows take over a second: time to cancel
    plan = _plan([_create(f"S3{i:03d}", f"Kid {i}", f"kid{i}") for i in range(60)])
    cancel = CancelToken()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.done > 0:
            cancel.cancel()

    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = applier.apply(plan, snapshot, progress=progress, cancel=cancel)

    (batch,) = canvas.state.sis_imports.values()
    assert batch.abort_requested and batch.workflow_state == "aborted"
    assert {o.status for o in outcomes} == {OutcomeStatus.NOT_RUN}
    assert "stopped before it finished" in outcomes[0].message
    created = sum(1 for i in range(60) if canvas.state.user_by_sis_id(f"S3{i:03d}"))
    assert 0 < created < 60
    assert seen[-1].done < 100


def test_cancel_before_upload_sends_nothing(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    cancel = CancelToken()
    cancel.cancel()
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = applier.apply(
        _plan([_create("S2001", "Li Wei", "li.wei")]),
        snapshot,
        progress=lambda p: None,
        cancel=cancel,
    )
    assert [o.status for o in outcomes] == [OutcomeStatus.NOT_RUN]
    assert "nothing was written" in outcomes[0].message
    assert canvas.state.sis_imports == {}


def test_a_sub_account_is_refused_before_anything_is_sent(
    canvas: SandboxCanvas, client: CanvasClient, sam_client: CanvasClient, snapshot: Snapshot
) -> None:
    plan = _plan([_create("S2001", "Li Wei", "li.wei")])
    for who in (client, sam_client):
        applier = SisImportApplier(who, 3, poll_interval=0.01)
        with pytest.raises(WizardError) as info:
            applier.apply(plan, snapshot, progress=lambda p: None, cancel=CancelToken())
        assert "root account" in info.value.message
        assert "API method" in info.value.hint
    assert canvas.state.sis_imports == {}
    assert canvas.state.user_by_sis_id("S2001") is None


def test_a_failed_import_fails_every_record_it_carried(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canvas_wizard.sandbox import sis_rows

    def broken(*args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(sis_rows, "apply_user", broken)
    plan = _plan([_create("S2001", "Li Wei", "li.wei")])
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    (outcome,) = applier.apply(plan, snapshot, progress=lambda p: None, cancel=CancelToken())
    assert outcome.status is OutcomeStatus.FAILED
    assert "failed in Canvas" in outcome.message and "database went away" in outcome.message


def test_cancel_as_the_import_finishes_reports_what_canvas_imported(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    """Canvas answers 404 to aborting an import that has just finished
    (sis_imports_api_controller.rb ``abort``: ``sis_batches.not_completed.find``).
    The applier must read the import again and report its real result."""
    plan = _plan([_create(f"S4{i:03d}", f"Kid {i}", f"kid.b{i}") for i in range(3)])
    cancel = CancelToken()
    real_put = client.put

    def put_after_the_import_finished(path: str, *args: object, **kwargs: object) -> object:
        if path.endswith("/abort"):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(
                b.workflow_state in ("created", "importing")
                for b in canvas.state.sis_imports.values()
            ):
                time.sleep(0.01)
        return real_put(path, *args, **kwargs)  # type: ignore[arg-type]

    client.put = put_after_the_import_finished  # type: ignore[method-assign]

    def progress(p: Progress) -> None:
        if "Uploading" in p.activity:
            cancel.cancel()  # the admin clicks Cancel while the zip goes up

    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = _by_key(applier.apply(plan, snapshot, progress=progress, cancel=cancel))

    (batch,) = canvas.state.sis_imports.values()
    assert batch.workflow_state == "imported"
    assert {o.status for o in outcomes.values()} == {OutcomeStatus.DONE}
    assert all(canvas.state.user_by_sis_id(f"S4{i:03d}") for i in range(3))


def test_rows_past_canvass_24_messages_are_not_claimed_done_unchecked(
    canvas: SandboxCanvas, client: CanvasClient, snapshot: Snapshot
) -> None:
    """Canvas's JSON lists 24 messages, then "There were N more warnings"
    (app/models/sis_batch.rb ``limit_size_of_messages``). When the errors file cannot
    be read either, a skipped row may go unnamed: it must not read as plainly done."""
    skipped = [_create(f"S5{i:03d}", f"Twin {i}", "ava.thompson") for i in range(30)]
    plan = _plan([*skipped, _create("S5900", "Noor Haddad", "noor.haddad")])
    real_request = client.request

    def no_errors_file(method: str, url: str, *args: object, **kwargs: object) -> object:
        if "/files/" in url:
            raise CanvasError("The errors file could not be downloaded.")
        return real_request(method, url, *args, **kwargs)  # type: ignore[arg-type]

    client.request = no_errors_file  # type: ignore[method-assign]
    applier = SisImportApplier(client, 1, poll_interval=0.01)
    outcomes = _by_key(applier.apply(plan, snapshot, progress=lambda p: None, cancel=CancelToken()))

    (batch,) = canvas.state.sis_imports.values()
    assert len(batch.warnings) == 30
    named = [o for o in outcomes.values() if o.status is OutcomeStatus.FAILED]
    assert len(named) == 24  # the ones Canvas's JSON names
    unnamed = [o for o in outcomes.values() if o.status is OutcomeStatus.DONE]
    assert len(unnamed) == 7  # six skipped rows Canvas did not list, and Noor
    assert all("not confirmed" in o.message and "6 more" in o.message for o in unnamed)
