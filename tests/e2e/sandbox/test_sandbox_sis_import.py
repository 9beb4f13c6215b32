"""SIS Imports: upload, background processing, messages, the errors CSV, abort, diffing."""

from __future__ import annotations

import csv
import io
import zipfile

import requests
from canvas_sandbox_helpers import wait_for

RUNNING = ("initializing", "created", "importing")
USERS_HEADER = "user_id,login_id,full_name,email,status\n"


def _zip(**files: str | bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name.replace("_csv", ".csv"), content)
    return buffer.getvalue()


def _upload(api, data: bytes, filename: str = "sync.zip", **params: str):
    return api.post(
        "/api/v1/accounts/1/sis_imports",
        params={"import_type": "instructure_csv", **params},
        files={"attachment": (filename, data, "application/zip")},
    )


def _finished(api, import_id: int) -> dict:
    def done():
        body = api.get(f"/api/v1/accounts/1/sis_imports/{import_id}").json()
        return body if body["workflow_state"] not in RUNNING else None

    return wait_for(done)


def test_users_then_observers_end_in_canvas(canvas, alex):
    # Observers first in the zip: Canvas still imports users before observers.
    data = _zip(
        user_observers_csv="observer_id,student_id,status\nP3001,S1020,active\nP3001,S1001,active\n",
        people_csv=USERS_HEADER
        + "S1020,li.wei,Li Wei,li.wei@students.example,active\n"
        + "P3001,hannah.wei@home.example,Hannah Wei,hannah.wei@home.example,active\n",
    )
    started = _upload(alex, data)
    assert started.status_code == 200, started.text
    assert started.json()["workflow_state"] in RUNNING
    body = _finished(alex, started.json()["id"])
    assert body["workflow_state"] == "imported"
    assert body["progress"] == 100
    assert body["data"]["counts"]["users"] == 2
    assert body["data"]["counts"]["user_observers"] == 2
    assert body["data"]["supplied_batches"] == ["user", "user_observer"]
    assert "processing_warnings" not in body and "errors_attachment" not in body
    state = canvas.state
    li, hannah = state.user_by_sis_id("S1020"), state.user_by_sis_id("P3001")
    assert li.name == "Li Wei" and state.email_of(li.id) == "li.wei@students.example"
    assert set(state.observee_ids(hannah.id)) == {li.id, state.user_by_sis_id("S1001").id}
    assert state.login_by_sis_id("S1020").sis_batch_id == body["id"]


def test_skipped_rows_are_warnings_with_a_downloadable_errors_csv(canvas, alex):
    data = _zip(
        users_csv=USERS_HEADER
        + "S1050,AVA.THOMPSON,Someone Else,,active\n"  # login of S1001: claimed
        + "S1052,amir.khan,Amir Khan,,enrolled\n"  # bad status
        + "S1053,no.name,,,active\n"  # no name: becomes the login id
    )
    body = _finished(alex, _upload(alex, data).json()["id"])
    assert body["workflow_state"] == "imported_with_messages"
    assert body["data"]["counts"]["users"] == 1
    assert body["data"]["counts"]["warning_count"] == 2
    assert body["processing_warnings"] == [
        [
            "users.csv",
            "An existing Canvas user with the SIS ID S1001 has already claimed S1050's "
            "user_id requested login information, skipping",
        ],
        ["users.csv", "Improper status for user S1052"],
    ]
    assert canvas.state.user_by_sis_id("S1053").name == "no.name"
    assert canvas.state.user_by_sis_id("S1050") is None
    url = body["errors_attachment"]["url"]
    with requests.get(url, timeout=10) as download:  # the verifier in the URL is enough
        assert download.status_code == 200
        rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["sis_import_id", "file", "message", "row"]
    assert [r[3] for r in rows[1:]] == ["2", "3"]
    assert all(r[0] == str(body["id"]) for r in rows[1:])


def test_a_login_without_sis_id_is_adopted_by_the_import(canvas, alex):
    jordan = canvas.state.user_by_login("jordan.lee")
    data = _zip(users_csv=USERS_HEADER + "S1060,jordan.lee,Jordan Lee-Park,,active\n")
    body = _finished(alex, _upload(alex, data).json()["id"])
    assert body["workflow_state"] == "imported"
    # Canvas matched the username and took the login over, renaming its user.
    assert canvas.state.user_by_sis_id("S1060").id == jordan.id
    assert canvas.state.users[jordan.id].name == "Jordan Lee-Park"


def test_bad_encoding_fails_the_file(alex):
    data = _zip(users_csv=(USERS_HEADER + "S1070,zoe,Zoë Hart,,active\n").encode("latin-1"))
    body = _finished(alex, _upload(alex, data).json()["id"])
    assert body["workflow_state"] == "failed_with_messages"
    assert body["processing_errors"] == [["users.csv", "Invalid UTF-8"]]
    assert body["data"]["counts"]["error_count"] == 1


def test_unknown_headers_are_an_error(alex):
    data = _zip(staff_csv="staff_number,name\n1,A\n")
    body = _finished(alex, _upload(alex, data).json()["id"])
    assert body["processing_errors"] == [["staff.csv", "Couldn't find Canvas CSV import headers"]]


def test_raw_csv_body_with_extension(canvas, alex):
    response = alex.post(
        "/api/v1/accounts/1/sis_imports",
        params={"import_type": "instructure_csv", "extension": "csv"},
        data=(USERS_HEADER + "S1080,raw.body,Raw Body,,active\n").encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert _finished(alex, response.json()["id"])["workflow_state"] == "imported"
    assert canvas.state.user_by_sis_id("S1080").name == "Raw Body"


def test_sub_accounts_cannot_import(alex, sam):
    response = alex.post(
        "/api/v1/accounts/3/sis_imports",
        params={"import_type": "instructure_csv"},
        files={"attachment": ("x.zip", _zip(users_csv=USERS_HEADER), "application/zip")},
    )
    assert response.status_code == 400
    assert response.json() == {"errors": ["SIS imports can only be executed on root accounts"]}
    assert _upload(sam, _zip(users_csv=USERS_HEADER)).status_code == 401


def test_progress_rises_and_abort_stops_the_import(canvas, alex):
    canvas.job_step_delay = 0.02
    rows = "".join(f"S2{n:03d},bulk{n},Bulk {n},,active\n" for n in range(100))
    import_id = _upload(alex, _zip(users_csv=USERS_HEADER + rows)).json()["id"]

    def mid_import():
        body = alex.get(f"/api/v1/accounts/1/sis_imports/{import_id}").json()
        return body if body["workflow_state"] == "importing" and body["progress"] > 0 else None

    assert 0 < wait_for(mid_import)["progress"] < 100
    aborted = alex.put(f"/api/v1/accounts/1/sis_imports/{import_id}/abort")
    assert aborted.status_code == 200
    body = _finished(alex, import_id)
    assert body["workflow_state"] == "aborted"
    assert body["data"]["counts"]["users"] < 100


def test_diffing_deletes_rows_that_disappeared(canvas, alex):
    two = USERS_HEADER + "S3001,d.one,Dee One,,active\nS3002,d.two,Dee Two,,active\n"
    first = _finished(
        alex, _upload(alex, _zip(users_csv=two), diffing_data_set_identifier="cw").json()["id"]
    )
    assert first["workflow_state"] == "imported"
    one = USERS_HEADER + "S3001,d.one,Dee One,,active\n"
    second = _finished(
        alex, _upload(alex, _zip(users_csv=one), diffing_data_set_identifier="cw").json()["id"]
    )
    assert second["diffed_against_import_id"] == first["id"]
    # Only the change was imported: S3002 dropped out of the file, so it is deleted.
    assert second["data"]["counts"]["users"] == 1
    assert canvas.state.login_by_sis_id("S3002").workflow_state == "deleted"
    assert canvas.state.login_by_sis_id("S3001").workflow_state == "active"


def test_rows_over_canvas_limits_are_skipped_with_a_warning(canvas, alex):
    data = _zip(
        users_csv=USERS_HEADER
        + f"S1080,{'l' * 101},Long Login,,active\n"
        + f"S1081,lena,{'N' * 256},,active\n"
        + "S1082,ok.kid,Ok Kid,,active\n"
    )
    body = _finished(alex, _upload(alex, data).json()["id"])
    assert body["processing_warnings"] == [
        [
            "users.csv",
            "Could not save the user with user_id: 'S1080'. Unknown reason: unique_id is too "
            "long (maximum is 100 characters)",
        ],
        [
            "users.csv",
            "Could not save the user with user_id: 'S1081'. Unknown reason: name is too long "
            "(maximum is 255 characters)",
        ],
    ]
    assert canvas.state.user_by_sis_id("S1080") is None
    assert canvas.state.user_by_sis_id("S1081") is None
    assert canvas.state.user_by_sis_id("S1082") is not None
