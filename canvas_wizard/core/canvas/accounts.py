"""Who is signed in, which Canvas accounts they manage, and whether a sync can run there."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from canvas_wizard.core.canvas.capabilities import (
    HERE_CAPABILITIES,
    ROOT_CAPABILITIES,
    ask_permissions,
    capabilities_from,
    sis_imports_enabled,
)
from canvas_wizard.core.canvas.client import CanvasClient
from canvas_wizard.core.canvas.errors import CanvasNotFound, CanvasPermissionError


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    parent_account_id: int | None
    root_account_id: int | None
    workflow_state: str
    sis_account_id: str | None

    @property
    def is_root(self) -> bool:
        # Canvas sends null parent_account_id (and root_account_id) for a root account.
        return self.parent_account_id is None

    @property
    def root_id(self) -> int | None:
        """The id of this account's root account (its own id for a root)."""
        return self.id if self.is_root else self.root_account_id

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name") or f"Account {data['id']}"),
            parent_account_id=_int_or_none(data.get("parent_account_id")),
            root_account_id=_int_or_none(data.get("root_account_id")),
            workflow_state=str(data.get("workflow_state") or "active"),
            sis_account_id=_str_or_none(data.get("sis_account_id")),
        )


@dataclass
class AccountNode:
    account: Account
    children: list[AccountNode] = field(default_factory=list)

    def walk(self) -> Iterator[AccountNode]:
        """This node and every node below it, depth first, in display order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class CanvasUser:
    id: int
    name: str
    login_id: str | None
    sortable_name: str | None = None
    short_name: str | None = None
    email: str | None = None
    sis_user_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CanvasUser:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name") or ""),
            login_id=_str_or_none(data.get("login_id")),
            sortable_name=_str_or_none(data.get("sortable_name")),
            short_name=_str_or_none(data.get("short_name")),
            email=_str_or_none(data.get("email") or data.get("primary_email")),
            sis_user_id=_str_or_none(data.get("sis_user_id")),
        )


def current_user(client: CanvasClient) -> CanvasUser:
    """The Canvas user the token belongs to."""
    return CanvasUser.from_json(client.get("/api/v1/users/self"))


# -- The account tree -------------------------------------------------------------------


def list_account_tree(client: CanvasClient) -> list[AccountNode]:
    """The accounts the signed-in admin can pick, as a tree: roots first, children by name.

    ``manageable_accounts`` lists admin accounts *with* their sub-accounts, but only
    those where the admin may manage courses (accounts_controller.rb), so an admin
    whose role covers users only gets an empty list. Then: the accounts they are an
    admin of, each with ``sub_accounts?recursive=true``.
    """
    try:
        accounts = [Account.from_json(a) for a in client.get_all("/api/v1/manageable_accounts")]
    except (CanvasPermissionError, CanvasNotFound):
        accounts = []
    if not accounts:
        accounts = _admin_accounts_and_subaccounts(client)
    return build_account_tree(a for a in accounts if a.workflow_state != "deleted")


def _admin_accounts_and_subaccounts(client: CanvasClient) -> list[Account]:
    found: list[Account] = []
    for data in client.get_all("/api/v1/accounts"):
        account = Account.from_json(data)
        found.append(account)
        try:
            subs = client.get_all(
                f"/api/v1/accounts/{account.id}/sub_accounts", {"recursive": "true"}
            )
            found.extend(Account.from_json(s) for s in subs)
        except (CanvasPermissionError, CanvasNotFound):
            continue  # listed, but its subtree is not ours to see: offer the account alone
    return found


def build_account_tree(accounts: Iterable[Account]) -> list[AccountNode]:
    """Nest accounts under their parents; an account whose parent is unseen is a top node."""
    nodes: dict[int, AccountNode] = {}
    for account in accounts:
        nodes.setdefault(account.id, AccountNode(account))
    top: list[AccountNode] = []
    for node in nodes.values():
        parent = node.account.parent_account_id
        if parent is not None and parent in nodes and parent != node.account.id:
            nodes[parent].children.append(node)
        else:
            top.append(node)

    def by_name(node: AccountNode) -> tuple[str, int]:
        return (node.account.name.casefold(), node.account.id)

    for node in nodes.values():
        node.children.sort(key=by_name)
    top.sort(key=lambda n: (not n.account.is_root, *by_name(n)))
    return top


# -- Permissions --------------------------------------------------------------------------

#: What a sync needs, each with the words shown to the admin.
SYNC_PERMISSIONS: dict[str, str] = {
    "manage_user_logins": "create and edit users' logins",
    "manage_sis": "set SIS IDs",
    "manage_user_observers": "link parents to students",
    "read_sis": "see SIS IDs",
    "view_user_logins": "see users' login IDs",
}

# Judged on the root account: logins are always made there (pseudonyms belong to the
# root), SIS IDs live on those logins, and user_observees_controller.rb grants
# manage_user_observers through the users' common *root* accounts.
ROOT_PERMISSIONS = ("manage_user_logins", "manage_sis", "manage_user_observers")


@dataclass
class PermissionReport:
    account: Account
    granted: dict[str, bool]
    missing: list[str]  # labels of SYNC_PERMISSIONS not granted (or not checkable)
    sis_import_allowed: bool
    explanation: list[str]
    unknown: list[str] = field(default_factory=list)  # names that could not be checked
    #: Permissions a sync works around, each with what it costs (capabilities.py).
    costs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


def check_sync_permissions(client: CanvasClient, account: Account) -> PermissionReport:
    """Which of SYNC_PERMISSIONS the signed-in user holds for a sync into ``account``."""
    asked = [*SYNC_PERMISSIONS, *ROOT_CAPABILITIES, *HERE_CAPABILITIES]
    here, why_here = ask_permissions(client, account.id, asked)
    root: dict[str, bool] | None
    root_id = account.root_id
    if account.is_root:
        root, why_root = here, why_here
    elif root_id is None:
        root, why_root = None, "Canvas did not say which root account this one belongs to"
    else:
        root, why_root = ask_permissions(client, root_id, asked)

    granted: dict[str, bool] = {}
    unknown: list[str] = []
    for name in SYNC_PERMISSIONS:
        source = root if name in ROOT_PERMISSIONS else here
        if source is None:
            unknown.append(name)
        granted[name] = bool(source and source.get(name))
    missing = [label for name, label in SYNC_PERMISSIONS.items() if not granted[name]]
    enabled = sis_imports_enabled(client, account.id) if account.is_root and root else None
    capabilities = capabilities_from(account.is_root, here, root, enabled)
    sis_import_allowed = bool(root) and capabilities.sis_import_possible

    lines: list[str] = []
    if here is None:
        lines.append(f'Could not read your permissions on "{account.name}": {why_here}.')
    if root is None and not account.is_root:
        lines.append(
            f"Could not read your permissions on the root account (id {root_id}): {why_root}. "
            "Logins, SIS IDs and parent links are made in the root account, so you need "
            "those rights there too: ask a root account administrator to check them."
        )
    for name, label in SYNC_PERMISSIONS.items():
        if not granted[name] and name not in unknown:
            where = (
                "the root account"
                if name in ROOT_PERMISSIONS and not account.is_root
                else (f'"{account.name}"')
            )
            lines.append(f"Missing on {where}: {label} (Canvas permission {name}).")
    costs = capabilities.costs()
    lines += costs
    if not account.is_root:
        lines.append("SIS Imports run only on a root account, so this sync will use the API.")
    if not missing:
        lines.append("You have every permission the sync needs.")
    return PermissionReport(account, granted, missing, sis_import_allowed, lines, unknown, costs)
