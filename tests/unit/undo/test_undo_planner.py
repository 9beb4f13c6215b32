"""plan_undo: the inverse of recorded writes against a snapshot, as a pure function."""

from __future__ import annotations

from canvas_wizard.core.sync.model import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    FieldChange,
    Snapshot,
)
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.undo.planner import LaterRun, UndoInput, plan_undo
from canvas_wizard.core.undo.records import WrittenRecord

ROOT = 1


def snapshot(*people: CanvasPerson, links: set[tuple[int, int]] | None = None) -> Snapshot:
    return Snapshot(ROOT, ROOT, {p.id: p for p in people}, links or set())


def person(uid: int, sis: str, name: str, email: str | None, login: str, state: str = "active"):  # type: ignore[no-untyped-def]
    return CanvasPerson(
        uid, name, email, (CanvasLogin(uid * 10, login, sis, state, ROOT),), "registered"
    )


def update(sis: str, uid: int, *changes: FieldChange) -> WrittenRecord:
    return WrittenRecord("person", ActionKind.UPDATE, sis, uid, uid * 10, tuple(changes))


def test_a_field_as_the_run_left_it_is_put_back() -> None:
    w = update("S1", 1, FieldChange("name", "Ann Lee", "Anne Lee"))
    plan = plan_undo(UndoInput(7, [w]), snapshot(person(1, "S1", "Anne Lee", None, "ann")))
    (action,) = plan.people
    assert action.kind is ActionKind.UPDATE
    assert action.changes == (FieldChange("name", "Anne Lee", "Ann Lee"),)


def test_a_field_changed_since_is_a_conflict_naming_both_values() -> None:
    w = update(
        "S1",
        1,
        FieldChange("name", "Ann Lee", "Anne Lee"),
        FieldChange("email", "a@x.example", "b@x.example"),
    )
    now = person(1, "S1", "Annie Lee", "b@x.example", "ann")
    (action,) = plan_undo(UndoInput(7, [w]), snapshot(now)).people
    assert action.kind is ActionKind.CONFLICT
    assert "'Anne Lee'" in action.reason and "'Annie Lee'" in action.reason
    assert action.changes == ()  # nothing is written for this person


def test_already_as_before_writes_nothing() -> None:
    w = update("S1", 1, FieldChange("login", "ann", "ann.lee"))
    now = person(1, "S1", "Ann Lee", None, "ANN")  # usernames compare as Canvas does
    (action,) = plan_undo(UndoInput(7, [w]), snapshot(now)).people
    assert action.kind is ActionKind.UNCHANGED


def test_an_email_that_did_not_exist_before_cannot_be_undone() -> None:
    w = update("S1", 1, FieldChange("email", None, "new@x.example"))
    now = person(1, "S1", "Ann Lee", "new@x.example", "ann")
    (action,) = plan_undo(UndoInput(7, [w]), snapshot(now)).people
    assert action.kind is ActionKind.SKIP and "Cannot undo" in action.reason


def test_created_user_is_removed_or_suspended_when_used_since() -> None:
    created = WrittenRecord("person", ActionKind.CREATE, "S2", changes=())
    now = snapshot(person(2, "S2", "New Kid", None, "kid"))
    data = UndoInput(7, [created], created_ids={"S2": 2})
    (removed,) = plan_undo(data, now).people
    assert removed.kind is ActionKind.REMOVE and removed.canvas_id == 2
    (suspended,) = plan_undo(data, now, {2: "they have signed in"}).people
    assert suspended.kind is ActionKind.SUSPEND and "signed in" in suspended.reason


def test_sis_id_now_on_another_user_is_left_alone() -> None:
    created = WrittenRecord("person", ActionKind.CREATE, "S2")
    data = UndoInput(7, [created], created_ids={"S2": 2})
    (action,) = plan_undo(data, snapshot(person(3, "S2", "Someone", None, "x"))).people
    assert action.kind is ActionKind.CONFLICT and "user 3" in action.reason


def test_a_record_a_later_run_wrote_is_a_conflict() -> None:
    w = update("S1", 1, FieldChange("name", "Ann Lee", "Anne Lee"))
    data = UndoInput(7, [w], later={"S1": LaterRun(9)})
    (action,) = plan_undo(data, snapshot(person(1, "S1", "Anne Lee", None, "ann"))).people
    assert action.kind is ActionKind.CONFLICT and "Run 9" in action.reason


def test_links_added_are_removed_and_links_removed_restored() -> None:
    parent, kid = person(1, "P1", "Pa", None, "pa"), person(2, "S1", "Kid", None, "kid")
    linked = WrittenRecord(
        "link", ActionKind.LINK, "P1→S1", parent_sis_id="P1", student_sis_id="S1"
    )
    unlinked = WrittenRecord(
        "link",
        ActionKind.UNLINK,
        "P1→S1",
        parent_sis_id="P1",
        student_sis_id="S1",
        parent_canvas_id=1,
        student_canvas_id=2,
    )
    (undo_link,) = plan_undo(UndoInput(7, [linked]), snapshot(parent, kid, links={(1, 2)})).links
    assert undo_link.kind is ActionKind.UNLINK
    (restore,) = plan_undo(UndoInput(7, [unlinked]), snapshot(parent, kid)).links
    assert restore.kind is ActionKind.LINK and (
        restore.parent_canvas_id,
        restore.student_canvas_id,
    ) == (1, 2)


def test_a_run_without_before_states_lists_what_it_cannot_undo() -> None:
    old = RecordOutcome("person", ActionKind.UPDATE, "S1", OutcomeStatus.DONE, "Updated name.", 1)
    plan = plan_undo(UndoInput(3, [], unrecorded=[old]), snapshot())
    (action,) = plan.people
    assert action.kind is ActionKind.SKIP
    assert "run 3 was made before this version recorded" in action.reason
    assert plan.writes() == 0


def test_written_records_survive_the_history_round_trip() -> None:
    w = update("S1", 1, FieldChange("email", None, "a@x.example"))
    back = WrittenRecord.from_row(w.record, w.action.value, w.key, w.to_json())
    assert back == w


def test_a_takeover_is_not_undone_and_says_so() -> None:
    w = WrittenRecord(
        "person",
        ActionKind.ADOPT,
        "S1",
        1,
        10,
        (FieldChange("sis_id", None, "S1"), FieldChange("name", "ann lee", "Ann Lee")),
    )
    now = person(1, "S1", "Ann Lee", None, "ann")
    (action,) = plan_undo(UndoInput(7, [w]), snapshot(now)).people
    assert action.kind is ActionKind.SKIP
    assert "took this existing Canvas user over" in action.reason
    assert action.changes == ()
