"""Creating, finding and editing users and their logins and email addresses."""

from __future__ import annotations

from canvas_sandbox_helpers import SAM


def _new_student(**overrides: str) -> dict[str, str]:
    form = {
        "user[name]": "Zara Ahmed",
        "user[short_name]": "Zara",
        "user[sortable_name]": "Ahmed, Zara",
        "user[skip_registration]": "true",
        "pseudonym[unique_id]": "zara.ahmed",
        "pseudonym[sis_user_id]": "S1010",
        "pseudonym[send_confirmation]": "false",
        "communication_channel[type]": "email",
        "communication_channel[address]": "zara.ahmed@students.northfield.example",
        "communication_channel[skip_confirmation]": "true",
    }
    form.update(overrides)
    return form


def test_create_in_a_sub_account_makes_the_login_in_the_root(canvas, alex):
    response = alex.post("/api/v1/accounts/2/users", data=_new_student())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Zara Ahmed" and body["sis_user_id"] == "S1010"
    assert body["login_id"] == "zara.ahmed"
    state = canvas.state
    user = state.user_by_sis_id("S1010")
    assert user is not None and user.id == body["id"]
    assert user.home_account_id == 1 and user.workflow_state == "registered"
    (login,) = state.logins_of(user.id)
    assert login.account_id == 1
    (channel,) = state.channels_of(user.id)
    assert channel.address == "zara.ahmed@students.northfield.example"
    assert channel.workflow_state == "active"
    # As in Canvas: associated with the root only until enrolled in the sub-account.
    assert user.id not in {u.id for u in state.users_in_account(2)}
    assert user.id in {u.id for u in state.users_in_account(1)}


def test_taken_username_is_case_insensitive_and_a_nested_400(alex):
    response = alex.post(
        "/api/v1/accounts/1/users", data=_new_student(**{"pseudonym[unique_id]": "Jordan.LEE"})
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["pseudonym"]["unique_id"] == [
        {
            "attribute": "unique_id",
            "type": "taken",
            "message": "ID already in use for this account and authentication provider",
        }
    ]


def test_a_deleted_login_still_holds_its_sis_id(alex, canvas):
    # Not found by SIS ID (the login is deleted) ...
    assert alex.get("/api/v1/users/sis_user_id:S1099").status_code == 404
    # ... yet creating a user with it fails.
    response = alex.post(
        "/api/v1/accounts/1/users", data=_new_student(**{"pseudonym[sis_user_id]": "S1099"})
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]["pseudonym"]["sis_user_id"]
    assert error["type"] == "taken"
    assert error["message"] == 'SIS ID "S1099" is already in use'
    assert canvas.state.user_by_login("zara.ahmed") is None


def test_sis_reactivation_revives_the_deleted_login(alex, canvas):
    form = _new_student(**{"pseudonym[sis_user_id]": "S1099", "enable_sis_reactivation": "true"})
    response = alex.post("/api/v1/accounts/1/users", data=form)
    assert response.status_code == 200, response.text
    user = canvas.state.user_by_sis_id("S1099")
    assert user is not None and user.name == "Zara Ahmed"


def test_sis_id_is_silently_dropped_without_manage_sis(canvas, sam):
    canvas.state.grant_admin(SAM, 1, {"manage_user_logins", "read_roster"}, role="Logins only")
    response = sam.post("/api/v1/accounts/3/users", data=_new_student())
    assert response.status_code == 200, response.text
    user = canvas.state.user_by_login("zara.ahmed")
    assert user is not None
    assert canvas.state.sis_id_of(user.id) is None
    assert canvas.state.user_by_sis_id("S1010") is None


def test_sub_account_admin_cannot_create_without_root_login_rights(canvas, sam):
    response = sam.post("/api/v1/accounts/3/users", data=_new_student())
    assert response.status_code == 401
    assert response.json()["status"] == "unauthorized"
    assert canvas.state.user_by_login("zara.ahmed") is None


def test_users_are_found_by_sis_id_and_hex_sis_id(alex):
    by_sis = alex.get("/api/v1/users/sis_user_id:S1003").json()
    assert by_sis["name"] == "Mia Johnson"
    by_hex = alex.get("/api/v1/users/hex:sis_user_id:" + b"S1003".hex()).json()
    assert by_hex["id"] == by_sis["id"]
    assert alex.get("/api/v1/users/sis_user_id:NOPE").status_code == 404


def test_edit_name_and_default_email(canvas, alex):
    mia = canvas.state.user_by_sis_id("S1003")
    response = alex.put(
        f"/api/v1/users/{mia.id}",
        data={"user[name]": "Mia Johnson-Smith", "user[email]": "mia.js@students.example"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Mia Johnson-Smith"
    assert body["sortable_name"] == "Johnson-Smith, Mia"
    assert body["email"] == "mia.js@students.example"
    assert canvas.state.email_of(mia.id) == "mia.js@students.example"


def test_an_edit_the_caller_may_not_make_fails_whole(canvas, sam):
    isla = canvas.state.user_by_sis_id("S1005")
    response = sam.put(f"/api/v1/users/{isla.id}", data={"user[name]": "Changed"})
    assert response.status_code == 401
    assert canvas.state.users[isla.id].name == "Isla Davies"


def test_logins_list_and_edit_through_any_account_of_the_root(canvas, alex):
    ava = canvas.state.user_by_sis_id("S1001")
    logins = alex.get(f"/api/v1/users/{ava.id}/logins")
    assert logins.status_code == 200
    (login,) = logins.json()
    assert login["unique_id"] == "ava.thompson" and login["sis_user_id"] == "S1001"
    assert 'rel="current"' in logins.headers["Link"]
    # An edit works through a sub-account's URL too: only creating a login needs the
    # root (pseudonyms_controller.rb ``context_is_root_account?``).
    via_sub = alex.put(
        f"/api/v1/accounts/3/logins/{login['id']}", data={"login[unique_id]": "ava.t"}
    )
    assert via_sub.status_code == 200, via_sub.text
    assert canvas.state.logins[login["id"]].unique_id == "ava.t"
    taken = alex.put(
        f"/api/v1/accounts/1/logins/{login['id']}", data={"login[sis_user_id]": "S1099"}
    )
    assert taken.status_code == 400
    assert taken.json()["errors"]["sis_user_id"][0]["type"] == "taken"
    ok = alex.put(
        f"/api/v1/accounts/1/logins/{login['id']}",
        data={"login[unique_id]": "ava.t", "login[workflow_state]": "suspended"},
    )
    assert ok.status_code == 200, ok.text
    stored = canvas.state.logins[login["id"]]
    assert (stored.unique_id, stored.workflow_state) == ("ava.t", "suspended")


def test_add_an_email_channel(canvas, alex):
    jordan = canvas.state.user_by_login("jordan.lee")
    form = {
        "communication_channel[address]": "jordan@home.example",
        "communication_channel[type]": "email",
        "skip_confirmation": "true",
    }
    response = alex.post(f"/api/v1/users/{jordan.id}/communication_channels", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["workflow_state"] == "active"
    again = alex.post(f"/api/v1/users/{jordan.id}/communication_channels", data=form)
    assert again.status_code == 400
    listed = alex.get(f"/api/v1/users/{jordan.id}/communication_channels").json()
    assert [c["address"] for c in listed] == [
        "jordan.lee@northfield.example",
        "jordan@home.example",
    ]


def test_json_body_works_like_a_form(canvas, alex):
    body = {
        "user": {"name": "Kai Turner", "skip_registration": True},
        "pseudonym": {"unique_id": "kai.turner", "sis_user_id": "S1011"},
    }
    response = alex.post("/api/v1/accounts/1/users", json=body)
    assert response.status_code == 200, response.text
    assert canvas.state.user_by_sis_id("S1011").name == "Kai Turner"


def test_values_over_canvas_limits_fail_the_whole_create_with_nested_errors(canvas, alex):
    before = len(canvas.state.users)
    response = alex.post(
        "/api/v1/accounts/1/users",
        data=_new_student(**{"user[name]": "Z" * 10_000, "pseudonym[unique_id]": "z" * 101}),
    )
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert errors["user"]["name"] == [
        {
            "attribute": "name",
            "type": "too_long",
            "message": "is too long (maximum is 255 characters)",
        }
    ]
    assert errors["pseudonym"]["unique_id"][0]["type"] == "too_long"
    sis = alex.post(
        "/api/v1/accounts/1/users", data=_new_student(**{"pseudonym[sis_user_id]": "S" * 256})
    )
    assert sis.json()["errors"]["pseudonym"]["sis_user_id"][0]["type"] == "too_long"
    tab = alex.post(
        "/api/v1/accounts/1/users", data=_new_student(**{"pseudonym[unique_id]": "zara\tahmed"})
    )
    assert tab.json()["errors"]["pseudonym"]["unique_id"][0]["type"] == "invalid"
    assert len(canvas.state.users) == before, "nothing half-made"
    exactly = alex.post(
        "/api/v1/accounts/1/users",
        data=_new_student(**{"user[name]": "Z" * 255, "pseudonym[unique_id]": "z" * 100}),
    )
    assert exactly.status_code == 200, "the limits themselves are allowed"


def test_edits_over_canvas_limits_change_nothing(canvas, alex):
    mia = canvas.state.user_by_sis_id("S1003")
    long_name = alex.put(
        f"/api/v1/users/{mia.id}",
        data={"user[name]": "M" * 256, "user[email]": "mia.new@students.example"},
    )
    assert long_name.status_code == 400
    assert long_name.json()["errors"]["name"][0]["type"] == "too_long"
    assert canvas.state.users[mia.id].name != "M" * 256
    assert canvas.state.email_of(mia.id) != "mia.new@students.example"
    (login,) = alex.get(f"/api/v1/users/{mia.id}/logins").json()
    for field, value in (("unique_id", "m" * 101), ("sis_user_id", "S" * 256)):
        response = alex.put(
            f"/api/v1/accounts/1/logins/{login['id']}", data={f"login[{field}]": value}
        )
        assert response.status_code == 400
        assert response.json()["errors"][field][0]["type"] == "too_long"
    stored = canvas.state.logins[login["id"]]
    assert (stored.unique_id, stored.sis_user_id) == (login["unique_id"], "S1003")
