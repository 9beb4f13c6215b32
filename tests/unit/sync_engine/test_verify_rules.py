"""Which writes Canvas's own answers confirm, and which the check must read back."""

from __future__ import annotations

from canvas_wizard.core.roster import Person, Role
from canvas_wizard.core.sync.model import (
    ActionKind,
    FieldChange,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
)
from canvas_wizard.core.sync.outcome import OutcomeStatus, RecordOutcome
from canvas_wizard.core.sync.verify import WriteCheck


def _create(sis: str, email: str) -> PersonAction:
    person = Person(sis, "Ava Thompson", "ava.t", Role.STUDENT, email)
    changes = (
        FieldChange("name", None, "Ava Thompson"),
        FieldChange("email", None, email),
        FieldChange("login", None, "ava.t"),
    )
    return PersonAction(ActionKind.CREATE, sis, person, None, changes, role=Role.STUDENT)


def _check(
    actions: list[PersonAction], links: list[LinkAction], answers: dict
) -> tuple[list[RecordOutcome], WriteCheck]:  # type: ignore[type-arg]
    plan = Plan(people=actions, links=links, options=SyncOptions())
    outcomes = [
        RecordOutcome("person", a.kind, a.sis_id, OutcomeStatus.DONE, "Created.", 7)
        for a in actions
    ] + [
        RecordOutcome(
            "link", a.kind, f"{a.parent_sis_id}→{a.student_sis_id}", OutcomeStatus.DONE, "Linked."
        )
        for a in links
    ]
    check = WriteCheck(plan, Snapshot(1, 1), outcomes, answers)
    return check.from_answers(), check


ANSWER = {"name": "Ava Thompson", "login": "ava.t", "sis_id": "S1"}


def test_a_create_answer_with_name_login_and_sis_id_confirms_it_without_reading() -> None:
    out, check = _check([_create("S1", "ava@students.example")], [], {("person", "S1"): ANSWER})
    assert out[0].status is OutcomeStatus.DONE
    assert check.to_reread == []  # the email has the shape Canvas accepts: trusted


def test_an_email_canvas_may_have_dropped_is_read_back() -> None:
    out, check = _check([_create("S1", "ava@localhost")], [], {("person", "S1"): ANSWER})
    assert out[0].status is OutcomeStatus.DONE and check.to_reread == [0]


def test_an_answer_showing_another_value_fails_the_record() -> None:
    answer = dict(ANSWER, login="someone.else")
    out, check = _check([_create("S1", "ava@students.example")], [], {("person", "S1"): answer})
    assert out[0].status is OutcomeStatus.FAILED
    assert "reading it back shows this is not done" in out[0].message
    assert "login 'someone.else' → 'ava.t'" in out[0].message
    assert check.to_reread == []


def test_names_and_usernames_compare_as_the_planner_compares_them() -> None:
    answer = {"name": "Ava  Thompson", "login": "AVA.T", "sis_id": "S1"}
    out, _ = _check([_create("S1", "ava@students.example")], [], {("person", "S1"): answer})
    assert out[0].status is OutcomeStatus.DONE


def test_writes_without_an_answer_are_read_back_links_included() -> None:
    link = LinkAction(ActionKind.LINK, "P1", "S1", 8, 7)
    out, check = _check([_create("S1", "ava@students.example")], [link], {})
    assert [o.status for o in out] == [OutcomeStatus.DONE, OutcomeStatus.DONE]
    assert check.to_reread == [0, 1]
    _, confirmed = _check([], [link], {("link", "P1→S1"): {"linked": "yes"}})
    assert confirmed.to_reread == []
