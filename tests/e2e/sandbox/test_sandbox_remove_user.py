"""DELETE /api/v1/accounts/:id/users/:user_id, as accounts_controller.rb remove_user and
User#remove_from_root_account behave; GET a user's last_login and enrolments."""

from __future__ import annotations

from canvas_sandbox_helpers import SAM

from canvas_wizard.sandbox.models import ALL_PERMISSIONS


def test_remove_deletes_logins_keeps_sis_ids_and_drops_links_and_enrolments(canvas, alex):
    state = canvas.state
    parent, student = state.user_by_sis_id("P2001"), state.user_by_sis_id("S1001")
    assert parent is not None and student is not None
    own = state.enroll(student.id, 7)
    derived = state.enroll(parent.id, 7, type="ObserverEnrollment", associated_user_id=student.id)

    response = alex.delete(f"/api/v1/accounts/1/users/{student.id}")

    assert response.status_code == 200, response.text
    assert response.json()["id"] == student.id
    (login,) = state.logins_of(student.id, include_deleted=True)
    assert login.workflow_state == "deleted" and login.sis_user_id == "S1001"
    assert state.user_by_sis_id("S1001") is None
    assert student.id not in state.observee_ids(parent.id)
    assert own.workflow_state == "deleted" and derived.workflow_state == "deleted"
    assert state.users[student.id].workflow_state != "deleted"  # the user record stays
    again = alex.delete(f"/api/v1/accounts/1/users/{student.id}")
    assert again.status_code == 404


def test_remove_is_root_only_and_needs_the_rights(canvas, alex, sam):
    student = canvas.state.user_by_sis_id("S1005")
    assert student is not None
    assert alex.delete(f"/api/v1/accounts/2/users/{student.id}").status_code == 404
    canvas.state.grant_admin(SAM, 1, ALL_PERMISSIONS - {"manage_sis"})
    refused = sam.delete(f"/api/v1/accounts/1/users/{student.id}")
    assert refused.status_code == 401
    assert refused.json()["status"] == "unauthorized"
    assert canvas.state.user_by_sis_id("S1005") is not None


def test_last_login_and_enrolments_of_a_user(canvas, alex):
    state = canvas.state
    student = state.user_by_sis_id("S1002")
    assert student is not None
    shown = alex.get(f"/api/v1/users/{student.id}", params={"include[]": "last_login"}).json()
    assert shown["last_login"] is None
    state.record_sign_in(student.id, "2026-09-01T08:00:00Z")
    state.enroll(student.id, 9)
    shown = alex.get(f"/api/v1/users/{student.id}", params={"include[]": "last_login"}).json()
    assert shown["last_login"] == "2026-09-01T08:00:00Z"
    assert "last_login" not in alex.get(f"/api/v1/users/{student.id}").json()
    (enrolment,) = alex.get(f"/api/v1/users/{student.id}/enrollments").json()
    assert enrolment["course_id"] == 9 and enrolment["type"] == "StudentEnrollment"
