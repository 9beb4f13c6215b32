"""Parent → student observer links."""

from __future__ import annotations


def _ids(canvas, *sis_ids: str) -> list[int]:
    return [canvas.state.user_by_sis_id(s).id for s in sis_ids]


def test_put_is_idempotent_and_answers_with_the_student(canvas, alex):
    parent, student = _ids(canvas, "P2003", "S1005")
    first = alex.put(f"/api/v1/users/{parent}/observees/{student}")
    second = alex.put(f"/api/v1/users/{parent}/observees/{student}")
    assert first.status_code == second.status_code == 200
    body = second.json()
    assert body["id"] == student and body["name"] == "Isla Davies"
    assert body["observation_link_root_account_ids"] == [1]
    links = [
        lk
        for lk in canvas.state.observer_links.values()
        if (lk.observer_id, lk.student_id) == (parent, student)
    ]
    assert len(links) == 1
    assert canvas.state.observee_ids(parent) == [student]


def test_put_restores_a_deleted_link(canvas, alex):
    parent, student = _ids(canvas, "P2002", "S1003")
    assert alex.delete(f"/api/v1/users/{parent}/observees/{student}").status_code == 200
    assert canvas.state.observee_ids(parent) == []
    assert alex.put(f"/api/v1/users/{parent}/observees/{student}").status_code == 200
    assert canvas.state.observee_ids(parent) == [student]
    assert canvas.state.find_link(parent, student).workflow_state == "active"


def test_delete_without_a_link_is_404(canvas, alex):
    parent, student = _ids(canvas, "P2004", "S1001")
    response = alex.delete(f"/api/v1/users/{parent}/observees/{student}")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def test_observing_yourself_is_refused(canvas, alex):
    (parent,) = _ids(canvas, "P2004")
    response = alex.put(f"/api/v1/users/{parent}/observees/{parent}")
    assert response.status_code == 400
    assert "observer_id" in response.json()["errors"]
    assert canvas.state.observee_ids(parent) == []


def test_observees_and_observers_are_listed_in_pages(canvas, alex):
    parent, ava, noah = _ids(canvas, "P2001", "S1001", "S1002")
    page = alex.get(f"/api/v1/users/{parent}/observees", params={"per_page": "1"})
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["Link"]
    everyone = alex.all_pages(f"/api/v1/users/{parent}/observees", params={"per_page": "1"})
    assert sorted(u["id"] for u in everyone) == sorted([ava, noah])
    observers = alex.get(f"/api/v1/users/{ava}/observers").json()
    assert [u["id"] for u in observers] == [parent]


def test_sub_account_admin_cannot_link(canvas, sam):
    parent, student = _ids(canvas, "P2003", "S1005")
    response = sam.put(f"/api/v1/users/{parent}/observees/{student}")
    assert response.status_code == 401
    assert canvas.state.observee_ids(parent) == []
