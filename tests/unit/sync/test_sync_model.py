"""The snapshot's indexes and the plan's data types."""

from __future__ import annotations

import dataclasses

import pytest

from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.sync import (
    ActionKind,
    CanvasLogin,
    CanvasPerson,
    FieldChange,
    LinkAction,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
    login_key,
)

K = ActionKind


def person(pid: int, *logins: CanvasLogin, state: str = "registered") -> CanvasPerson:
    return CanvasPerson(pid, f"User {pid}", None, logins, state)


def login(lid: int, unique_id: str, sis: str | None, state: str = "active", account: int = 1):
    return CanvasLogin(lid, unique_id, sis, state, account)


def test_by_sis_id_is_exact() -> None:
    snap = Snapshot(
        1, 1, {1: person(1, login(11, "a", "S01")), 2: person(2, login(21, "b", "s01"))}
    )
    assert snap.by_sis_id["S01"].person.id == 1
    assert snap.by_sis_id["s01"].person.id == 2
    assert "S1" not in snap.by_sis_id


def test_by_sis_id_keeps_deleted_logins_flagged_and_prefers_live_ones() -> None:
    snap = Snapshot(
        1,
        1,
        {
            1: person(1, login(11, "old", "S1", "deleted")),
            2: person(2, login(21, "new", "S1")),
            3: person(3, login(31, "gone", "S3"), state="deleted"),
        },
    )
    assert snap.by_sis_id["S1"].person.id == 2
    assert not snap.by_sis_id["S1"].deleted
    assert snap.by_sis_id["S3"].deleted  # a deleted user's logins count as deleted


def test_by_login_ignores_case_and_deleted_logins_but_keeps_suspended() -> None:
    snap = Snapshot(
        1,
        1,
        {
            1: person(1, login(11, "Jordan.Lee", None)),
            2: person(2, login(21, "jordan.lee", "S2", "suspended")),
            3: person(3, login(31, "JORDAN.LEE", None, "deleted")),
        },
    )
    assert [h.person.id for h in snap.by_login[login_key("JoRdAn.lEe")]] == [1, 2]


def test_logins_of_other_root_accounts_are_not_indexed() -> None:
    snap = Snapshot(5, 1, {1: person(1, login(11, "a", "S1", account=2))})
    assert snap.by_sis_id == {}
    assert snap.by_login == {}


def test_login_key_lowercases_like_canvas_without_folding() -> None:
    assert login_key("Ana.Ruiz") == "ana.ruiz"
    # Canvas uses SQL LOWER(), which does not fold "ß" into "ss".
    assert login_key("Straße") != login_key("STRASSE")


def test_reindex_after_people_change() -> None:
    snap = Snapshot(1, 1)
    assert snap.by_sis_id == {}
    snap.people[1] = person(1, login(11, "a", "S1"))
    snap.reindex()
    assert "S1" in snap.by_sis_id


def _fields(obj: object) -> dict[str, object]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


def test_action_types_behave_as_frozen_dataclasses() -> None:
    change = (FieldChange("name", "a", "b"),)
    full = PersonAction(K.UPDATE, "S1", None, 5, change, "why", Role.PARENT, 9)
    assert _fields(full) == {
        "kind": K.UPDATE,
        "sis_id": "S1",
        "person": None,
        "canvas_id": 5,
        "changes": change,
        "reason": "why",
        "role": Role.PARENT,
        "login_id": 9,
    }
    short = PersonAction(K.CREATE, "S2", None, None)
    assert (short.changes, short.reason, short.role, short.login_id) == ((), "", None, None)
    assert dataclasses.replace(full, reason="other").reason == "other"
    assert full == PersonAction(**_fields(full))  # type: ignore[arg-type]
    assert hash(full) == hash(PersonAction(**_fields(full)))  # type: ignore[arg-type]
    link = LinkAction(K.LINK, "P1", "S1", None, 4)
    assert link.reason == "" and "student_canvas_id=4" in repr(link)
    assert dataclasses.asdict(link)["parent_sis_id"] == "P1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.kind = K.UNLINK  # type: ignore[misc]
    with pytest.raises(TypeError):
        LinkAction(K.LINK, "P1")  # type: ignore[call-arg]


def _plan() -> Plan:
    return Plan(
        people=[
            PersonAction(K.CREATE, "S1", None, None, (FieldChange("login", None, "a"),)),
            PersonAction(K.UNCHANGED, "S2", None, 2),
            PersonAction(K.CONFLICT, "S3", None, None, reason="held"),
            PersonAction(K.SUSPEND, "S4", None, 4, login_id=40),
        ],
        links=[
            LinkAction(K.LINK, "P1", "S1", 7, None),
            LinkAction(K.UNCHANGED, "P1", "S2", 7, 2),
            LinkAction(K.SKIP, "P1", "S3", None, None, "conflict"),
        ],
        options=SyncOptions(),
    )


def test_plan_totals_and_helpers() -> None:
    plan = _plan()
    totals = plan.totals()
    assert set(totals) == set(ActionKind)
    assert totals[K.UNCHANGED] == 2
    assert totals[K.CREATE] == totals[K.SUSPEND] == totals[K.LINK] == 1
    assert plan.person_totals()[K.UNCHANGED] == 1
    assert plan.link_totals()[K.SKIP] == 1
    assert plan.writes() == 3
    assert [a.sis_id for a in plan.conflicts] == ["S3"]
    assert [a.student_sis_id for a in plan.links_of(K.LINK)] == ["S1"]


def test_fingerprint_names_the_writes() -> None:
    plan = _plan()
    assert plan.fingerprint() == _plan().fingerprint()
    quiet = _plan()
    quiet.people[1] = PersonAction(K.UNCHANGED, "S2", None, 2, reason="note")
    assert quiet.fingerprint() == plan.fingerprint()  # no write changed
    other = _plan()
    other.people[0] = PersonAction(K.CREATE, "S1", None, None, (FieldChange("login", None, "b"),))
    assert other.fingerprint() != plan.fingerprint()
