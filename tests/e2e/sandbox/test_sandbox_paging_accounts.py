"""Pagination (per_page, Link headers, bookmarks) and the account endpoints."""

from __future__ import annotations

import re

import pytest
from canvas_sandbox_helpers import Api, sign_in

from canvas_wizard.sandbox.state import Login, User

LINK_ITEM = re.compile(r'^<(http://[^>]+)>; rel="(current|next|prev|first|last)"$')


def _rels(link_header: str) -> dict[str, str]:
    # Canvas joins links with a bare comma, no space.
    assert ", <" not in link_header
    out = {}
    for item in link_header.split(","):
        match = LINK_ITEM.match(item)
        assert match, item
        out[match.group(2)] = match.group(1)
    return out


@pytest.mark.parametrize(("asked", "got"), [(None, 10), ("0", 10), ("-3", 10), ("3", 3)])
def test_per_page_defaults_to_10_and_ignores_nonsense(alex, asked, got):
    params = {"per_page": asked} if asked else {}
    response = alex.get("/api/v1/accounts/1/users", params=params)
    assert len(response.json()) == got


def test_per_page_is_capped_at_100(canvas, alex):
    with canvas.state.lock:
        for n in range(120):
            uid = canvas.state.next_id("user")
            canvas.state.users[uid] = User(uid, f"Extra {n:03d}", f"{n:03d}, Extra", "x", 1)
            lid = canvas.state.next_id("login")
            canvas.state.logins[lid] = Login(lid, uid, 1, f"extra{n:03d}")
    response = alex.get("/api/v1/accounts/1/users", params={"per_page": "1000"})
    assert len(response.json()) == 100
    assert "per_page=100" in _rels(response.headers["Link"])["next"]


def test_users_link_header_has_current_next_first_but_never_last(alex):
    response = alex.get("/api/v1/accounts/1/users", params={"per_page": "5", "include[]": "email"})
    rels = _rels(response.headers["Link"])
    assert set(rels) == {"current", "next", "first"}
    assert "page=2" in rels["next"] and "include%5B%5D=email" in rels["next"]
    second = alex.get(rels["next"])
    assert set(_rels(second.headers["Link"])) >= {"current", "prev", "first"}


def test_following_next_reaches_every_user_once(canvas, alex):
    users = alex.all_pages("/api/v1/accounts/1/users", params={"per_page": "4"})
    ids = [u["id"] for u in users]
    assert len(ids) == len(set(ids))
    expected = {u.id for u in canvas.state.users_in_account(1)}
    assert set(ids) == expected
    # Sorted by sortable name, as Canvas does.
    names = [u["sortable_name"].casefold() for u in users]
    assert names == sorted(names)
    # The user whose only login is deleted is not listed.
    assert canvas.state.login_by_sis_id("S1099").user_id not in ids


def test_user_fields_follow_permissions(alex):
    alex_view = alex.get("/api/v1/accounts/3/users", params={"include[]": "email"}).json()
    isla = next(u for u in alex_view if u["name"] == "Isla Davies")
    assert isla["sis_user_id"] == "S1005"
    assert isla["login_id"] == "isla.davies"
    assert isla["email"] == "isla.davies@students.northfield.example"
    without_email = alex.get("/api/v1/accounts/3/users").json()
    assert all("email" not in u for u in without_email)


def test_sub_account_admin_sees_only_their_subtree(sam):
    users = sam.all_pages("/api/v1/accounts/3/users")
    names = {u["name"] for u in users}
    assert "Grace Evans" in names  # Sixth Form sits under Secondary
    assert "Ava Thompson" not in names  # Primary is not Sam's


def test_search_term_needs_three_characters(alex):
    response = alex.get("/api/v1/accounts/1/users", params={"search_term": "av"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "3 or more characters is required"


def test_search_finds_by_name_login_and_sis_id(alex):
    def found(term: str) -> list[str]:
        response = alex.get("/api/v1/accounts/1/users", params={"search_term": term})
        return [u["name"] for u in response.json()]

    assert found("thomps") == ["Ava Thompson", "Emma Thompson"]
    assert found("S1007") == ["Grace Evans"]
    assert found("jordan.l") == ["Jordan Lee"]


def test_accounts_use_bookmark_pages(canvas, alex):
    with canvas.state.lock:
        for account_id in (2, 3):
            canvas.state.grant_admin(1, account_id)
    first = alex.get("/api/v1/accounts", params={"per_page": "2"})
    rels = _rels(first.headers["Link"])
    assert "page=first" in rels["current"]
    assert "page=bookmark%3A" in rels["next"] or "page=bookmark:" in rels["next"]
    assert "last" not in rels
    every = alex.all_pages("/api/v1/accounts", params={"per_page": "2"})
    assert [a["id"] for a in every] == [1, 2, 3]


def test_root_account_json(alex):
    account = alex.get("/api/v1/accounts/1").json()
    assert account["name"] == "Northfield Academy Trust"
    assert account["parent_account_id"] is None and account["root_account_id"] is None
    sixth = alex.get("/api/v1/accounts/4").json()
    assert sixth["parent_account_id"] == 3 and sixth["root_account_id"] == 1


def test_recursive_sub_accounts_is_the_whole_tree_without_last(alex):
    response = alex.get("/api/v1/accounts/1/sub_accounts", params={"recursive": "true"})
    assert sorted(a["id"] for a in response.json()) == [2, 3, 4]
    assert "last" not in _rels(response.headers["Link"])
    direct = alex.get("/api/v1/accounts/1/sub_accounts").json()
    assert sorted(a["id"] for a in direct) == [2, 3]


def test_manageable_accounts_include_descendants(alex, sam):
    assert [a["id"] for a in sam.all_pages("/api/v1/manageable_accounts")] == [3, 4]
    assert [a["id"] for a in sam.all_pages("/api/v1/accounts")] == [3]
    assert [a["id"] for a in alex.all_pages("/api/v1/manageable_accounts")] == [1, 2, 3, 4]


PERMISSIONS = [
    "manage_user_logins",
    "manage_sis",
    "import_sis",
    "read_sis",
    "view_user_logins",
    "manage_user_observers",
]


def test_permissions_answer_each_name_for_the_caller(alex, sam):
    params = {"permissions[]": PERMISSIONS}
    assert alex.get("/api/v1/accounts/1/permissions", params=params).json() == dict.fromkeys(
        PERMISSIONS, True
    )
    sam_root = sam.get("/api/v1/accounts/1/permissions", params=params).json()
    assert sam_root == dict.fromkeys(PERMISSIONS, False)
    sam_sub = sam.get("/api/v1/accounts/3/permissions", params=params).json()
    assert sam_sub["read_sis"] is True and sam_sub["view_user_logins"] is True
    assert sam_sub["manage_sis"] is False and sam_sub["manage_user_logins"] is False


def test_sis_ids_and_logins_are_hidden_without_those_permissions(canvas, key, http):
    rachel = canvas.state.user_by_sis_id("T9001")
    canvas.state.grant_admin(rachel.id, 2, {"read_roster"}, role="Roster only")
    api = Api(http, canvas.url, sign_in(canvas, key, rachel.id)["access_token"])
    users = api.get("/api/v1/accounts/2/users").json()
    assert users and all("sis_user_id" not in u and "login_id" not in u for u in users)
    assert api.get("/api/v1/accounts/3/users").status_code == 401
