"""Accounts: the tree an admin picks from, and whether a sync may run there."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from canvas_wizard.core.canvas import (
    SYNC_PERMISSIONS,
    Account,
    CanvasClient,
    StaticToken,
    build_account_tree,
    check_sync_permissions,
    current_user,
    list_account_tree,
)

BASE = "https://canvas.school.test"
DENIED = {"status": "unauthorized", "errors": [{"message": "user not authorized"}]}


def account_json(id: int, name: str, parent: int | None = None, root: int | None = None) -> dict:
    return {
        "id": id,
        "name": name,
        "uuid": f"uuid-{id}",
        "parent_account_id": parent,
        "root_account_id": root,
        "workflow_state": "active",
    }


ROOT = account_json(1, "Springfield District")
HIGH = account_json(2, "High School", parent=1, root=1)
ELEMENTARY = account_json(3, "elementary", parent=1, root=1)
ARTS = account_json(4, "Arts", parent=2, root=1)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> Iterator[CanvasClient]:
    with requests.Session() as session:
        yield CanvasClient(BASE, StaticToken("tok"), session=session, sleep=lambda s: None)


def names(nodes) -> list[str]:
    return [n.account.name for n in nodes]


def test_account_from_canvas_json() -> None:
    root = Account.from_json({**ROOT, "sis_account_id": "D1"})
    assert root.is_root and root.root_id == 1 and root.sis_account_id == "D1"
    sub = Account.from_json(HIGH)
    assert not sub.is_root and sub.root_id == 1 and sub.sis_account_id is None


def test_tree_puts_roots_first_and_sorts_children_by_name() -> None:
    orphan = Account.from_json(account_json(9, "Adult Ed", parent=77, root=1))
    accounts = [Account.from_json(a) for a in (ARTS, HIGH, ELEMENTARY, ROOT)] + [orphan]
    tree = build_account_tree(accounts)
    assert names(tree) == ["Springfield District", "Adult Ed"]  # the orphan is a top node
    assert names(tree[0].children) == ["elementary", "High School"]  # case-insensitive
    assert names(tree[0].children[1].children) == ["Arts"]
    assert [n.account.id for n in tree[0].walk()] == [1, 3, 2, 4]


def test_tree_from_manageable_accounts_over_pages(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    page2 = f"{BASE}/api/v1/manageable_accounts?page=2&per_page=100"
    rsps.get(
        f"{BASE}/api/v1/manageable_accounts",
        json=[ROOT, HIGH],
        headers={"Link": f'<{page2}>; rel="next"'},
        match=[matchers.query_param_matcher({"per_page": "100"})],
    )
    rsps.get(page2, json=[ARTS, {**ELEMENTARY, "workflow_state": "deleted"}])
    tree = list_account_tree(client)
    assert names(tree) == ["Springfield District"]
    assert names(tree[0].children) == ["High School"]
    assert names(tree[0].children[0].children) == ["Arts"]


@pytest.mark.parametrize("refusal", [dict(json=[]), dict(status=401, json=DENIED)])
def test_tree_falls_back_to_admin_accounts_and_their_subaccounts(
    refusal: dict, rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(f"{BASE}/api/v1/manageable_accounts", **refusal)
    rsps.get(f"{BASE}/api/v1/accounts", json=[HIGH])
    rsps.get(
        f"{BASE}/api/v1/accounts/2/sub_accounts",
        json=[ARTS],
        match=[matchers.query_param_matcher({"recursive": "true", "per_page": "100"})],
    )
    tree = list_account_tree(client)
    assert names(tree) == ["High School"]  # its parent is not visible: a top node
    assert names(tree[0].children) == ["Arts"]


def test_current_user(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(
        f"{BASE}/api/v1/users/self",
        json={"id": 5, "name": "Pat Admin", "login_id": "pat", "primary_email": "pat@s.test"},
    )
    user = current_user(client)
    assert (user.id, user.name, user.login_id, user.email) == (5, "Pat Admin", "pat", "pat@s.test")


# -- Permissions ------------------------------------------------------------------------


def perms(granted: set[str], as_strings: bool = False) -> dict:
    names = [*SYNC_PERMISSIONS, "import_sis", "read_reports", "read_email_addresses"]
    names.append("manage_students")
    if as_strings:
        return {n: "true" if n in granted else "false" for n in names}
    return {n: n in granted for n in names}


ALL = set(SYNC_PERMISSIONS)


def asked(call: responses.Call) -> list[str]:
    return parse_qs(urlsplit(call.request.url).query)["permissions[]"]


EXTRA = {"import_sis", "read_reports", "read_email_addresses", "manage_students"}


def test_root_admin_with_everything(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(f"{BASE}/api/v1/accounts/1/permissions", json=perms(ALL | EXTRA))
    rsps.get(f"{BASE}/api/v1/accounts/1/sis_imports", json={"sis_imports": []})
    report = check_sync_permissions(client, Account.from_json(ROOT))
    assert report.ok and report.missing == [] and report.unknown == []
    assert all(report.granted.values())
    assert report.sis_import_allowed
    assert report.explanation == ["You have every permission the sync needs."]
    assert set(asked(rsps.calls[0])) == ALL | EXTRA
    # A root account is asked once, and whether its SIS imports are switched on.
    assert len(rsps.calls) == 2


def test_missing_permissions_are_named_in_words(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    granted = ALL - {"manage_sis", "manage_user_observers"}
    rsps.get(f"{BASE}/api/v1/accounts/1/permissions", json=perms(granted, as_strings=True))
    rsps.get(f"{BASE}/api/v1/accounts/1/sis_imports", json={"sis_imports": []})
    report = check_sync_permissions(client, Account.from_json(ROOT))
    assert report.missing == ["set SIS IDs", "link parents to students"]
    assert report.granted["manage_user_logins"] is True
    assert report.granted["manage_sis"] is False
    assert not report.sis_import_allowed
    assert any("manage_user_observers" in line for line in report.explanation)


def test_sub_account_is_judged_on_the_root_for_logins(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    # Full rights in the sub-account, but no login rights on the root: logins are made there.
    rsps.get(f"{BASE}/api/v1/accounts/2/permissions", json=perms(ALL | {"import_sis"}))
    rsps.get(f"{BASE}/api/v1/accounts/1/permissions", json=perms({"read_sis"}))
    report = check_sync_permissions(client, Account.from_json(HIGH))
    assert report.missing == [
        "create and edit users' logins",
        "set SIS IDs",
        "link parents to students",
    ]
    assert report.granted["read_sis"] and report.granted["view_user_logins"]
    assert not report.sis_import_allowed  # never on a sub-account
    assert any("Missing on the root account" in line for line in report.explanation)


def test_sub_account_admin_who_may_not_read_the_root(
    rsps: responses.RequestsMock, client: CanvasClient
) -> None:
    rsps.get(f"{BASE}/api/v1/accounts/2/permissions", json=perms(ALL))
    rsps.get(f"{BASE}/api/v1/accounts/1/permissions", status=401, json=DENIED)
    report = check_sync_permissions(client, Account.from_json(HIGH))
    assert report.unknown == ["manage_user_logins", "manage_sis", "manage_user_observers"]
    assert "create and edit users' logins" in report.missing
    assert not report.ok
    text = " ".join(report.explanation)
    assert "root account (id 1)" in text and "refused" in text


def test_account_that_refuses_the_check(rsps: responses.RequestsMock, client: CanvasClient) -> None:
    rsps.get(f"{BASE}/api/v1/accounts/1/permissions", status=403, json=DENIED)
    report = check_sync_permissions(client, Account.from_json(ROOT))
    assert report.unknown == list(SYNC_PERMISSIONS)
    assert report.missing == list(SYNC_PERMISSIONS.values())
    assert not report.sis_import_allowed
