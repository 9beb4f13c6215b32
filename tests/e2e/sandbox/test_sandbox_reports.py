"""The provisioning report: what Canvas holds, read back in bulk."""

from __future__ import annotations

import csv
import io
import zipfile

import requests
from canvas_sandbox_helpers import wait_for

from canvas_wizard.sandbox.reports import OBSERVER_COLUMNS, USER_COLUMNS


def _run(api, **parameters: str) -> dict:
    form = {f"parameters[{k}]": v for k, v in parameters.items()}
    started = api.post("/api/v1/accounts/1/reports/provisioning_csv", data=form)
    assert started.status_code == 200, started.text
    report_id = started.json()["id"]

    def complete():
        body = api.get(f"/api/v1/accounts/1/reports/provisioning_csv/{report_id}").json()
        return body if body["status"] in ("complete", "error") else None

    return wait_for(complete)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_users_and_observers_come_as_a_zip_with_canvas_columns(canvas, alex):
    # A link made through the API must be in the report (unlike sis_export_csv).
    parent, student = canvas.state.user_by_sis_id("P2004"), canvas.state.user_by_sis_id("S1006")
    assert alex.put(f"/api/v1/users/{parent.id}/observees/{student.id}").status_code == 200
    report = _run(alex, users="true", user_observers="true")
    assert report["status"] == "complete" and report["progress"] == 100
    with requests.get(report["attachment"]["url"], timeout=10) as download:
        assert download.status_code == 200
        content = download.content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["user_observers.csv", "users.csv"]
        users_data, links_data = archive.read("users.csv"), archive.read("user_observers.csv")
    assert users_data.decode().splitlines()[0] == ",".join(USER_COLUMNS)
    assert links_data.decode().splitlines()[0] == ",".join(OBSERVER_COLUMNS)
    users = {r["login_id"]: r for r in _rows(users_data)}
    assert users["ava.thompson"]["user_id"] == "S1001"
    assert users["ava.thompson"]["full_name"] == "Ava Thompson"
    assert users["ava.thompson"]["email"] == "ava.thompson@students.northfield.example"
    assert users["ava.thompson"]["status"] == "active"
    assert users["jordan.lee"]["user_id"] == ""  # users without SIS IDs are included
    assert "ethan.clarke" not in users  # deleted logins are not
    links = {(r["observer_id"], r["student_id"]): r for r in _rows(links_data)}
    assert set(links) == {
        ("P2001", "S1001"),
        ("P2001", "S1002"),
        ("P2002", "S1003"),
        ("P2004", "S1006"),
    }
    assert links[("P2004", "S1006")]["canvas_observer_id"] == str(parent.id)
    assert links[("P2004", "S1006")]["created_by_sis"] == "false"


def test_one_csv_comes_as_a_csv(alex):
    report = _run(alex, users="true")
    assert report["attachment"]["content-type"] == "text/csv"
    with requests.get(report["attachment"]["url"], timeout=10) as download:
        assert download.text.splitlines()[0] == ",".join(USER_COLUMNS)


def test_sub_account_report_covers_only_its_users(sam):
    started = sam.post(
        "/api/v1/accounts/3/reports/provisioning_csv", data={"parameters[users]": "true"}
    )
    report_id = started.json()["id"]

    def complete():
        body = sam.get(f"/api/v1/accounts/3/reports/provisioning_csv/{report_id}").json()
        return body if body["status"] == "complete" else None

    url = wait_for(complete)["attachment"]["url"]
    with requests.get(url, timeout=10) as download:
        logins = {r["login_id"] for r in _rows(download.content)}
    assert "grace.evans" in logins and "ava.thompson" not in logins


def test_include_deleted_adds_only_deleted_logins_that_hold_a_sis_id(canvas, alex):
    # Canvas's provisioning report adds deleted logins only where sis_user_id is set.
    jordan = canvas.state.user_by_login("jordan.lee")
    assert jordan is not None
    (login,) = canvas.state.logins_of(jordan.id)
    login.workflow_state = "deleted"  # a deleted login without a SIS ID
    report = _run(alex, users="true", include_deleted="true")
    with requests.get(report["attachment"]["url"], timeout=10) as download:
        users = {r["login_id"]: r for r in _rows(download.content)}
    assert users["ethan.clarke"]["status"] == "deleted"  # holds SIS ID S1099
    assert users["ethan.clarke"]["user_id"] == "S1099"
    assert "jordan.lee" not in users
