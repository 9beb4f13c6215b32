"""What the signed-in admin may do that decides *how* a sync reads and writes.

None of these stops a sync through the API; each missing one costs something,
and the sync chooses around it (canvas-facts.md, "Permissions worth checking"):

* ``import_sis`` on the root starts a SIS Import (sis_imports_api_controller.rb
  ``create``: ``manage_sis`` alone is not enough), and the root's "SIS imports"
  setting must be on (``check_account``: 403 "SIS imports are not enabled for this
  account"). Without either, the sync writes through the API.
* ``read_reports`` runs the provisioning report (account_reports_controller.rb).
  Without it Canvas is read page by page, and a SIS Import is not used either:
  only the report shows deleted logins, which a SIS Import would revive.
* ``read_email_addresses`` puts emails in user listings (lib/api/v1/user.rb).
  Without it every email looks empty: emails are then neither compared nor changed.
* ``manage_students`` on the root makes ``communication_channel[skip_confirmation]``
  count (users_controller.rb ``create_user``). Without it a new person's address
  stays unconfirmed and Canvas asks them to confirm it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canvas_wizard.core.canvas.client import CanvasClient
from canvas_wizard.core.canvas.errors import (
    CanvasError,
    CanvasNotFound,
    CanvasPermissionError,
    SisImportsDisabled,
)

#: Asked on the root account (or, for read_email_addresses, the connected one).
ROOT_CAPABILITIES = ("import_sis", "read_reports", "manage_students")
HERE_CAPABILITIES = ("read_email_addresses",)
#: ``read_reports`` on the connected sub-account itself (its own, scoped report).
REPORTS_HERE = "read_reports_here"

#: What happens without each, in the words shown to the admin.
COSTS: dict[str, str] = {
    "import_sis": "SIS Imports cannot be started, so the sync writes through the API "
    "(one request per change: slower for thousands of changes).",
    "read_reports": "the provisioning report cannot be run, so Canvas is read page by "
    "page (more requests for a large school), and SIS Imports are not used (only the "
    "report shows deleted logins, which an import would revive).",
    "read_email_addresses": "Canvas does not show email addresses, so emails are neither "
    "compared nor changed: an email changed in the roster does not reach Canvas.",
    "manage_students": "new people's email addresses are not confirmed by the sync: Canvas "
    "sends each new person a message asking them to confirm their address.",
}
SIS_DISABLED = (
    'SIS imports are switched off for this Canvas account (the "SIS imports" setting), so '
    "the sync writes through the API."
)


@dataclass(frozen=True)
class Capabilities:
    """Each is None when it could not be checked (then the sync behaves as if granted)."""

    is_root: bool
    granted: dict[str, bool | None]
    sis_imports_enabled: bool | None

    def has(self, name: str) -> bool:
        return self.granted.get(name) is not False

    @property
    def sis_import_possible(self) -> bool:
        return (
            self.is_root
            and self.has("import_sis")
            and self.has("read_reports")
            and self.sis_imports_enabled is not False
        )

    def costs(self, relevant: set[str] | None = None) -> list[str]:
        """One sentence per missing capability: what it is and what the sync does instead.

        ``relevant``: the names that matter to this run (None: all); "sis_imports"
        stands for the SIS imports setting.
        """
        wanted = relevant if relevant is not None else {*COSTS, "sis_imports"}
        lines = [
            f"Without the Canvas permission {name}, {COSTS[name]}"
            for name in (*HERE_CAPABILITIES, *ROOT_CAPABILITIES)
            if self.granted.get(name) is False
            and name in wanted
            and (self.is_root or name not in ("import_sis", "read_reports"))
        ]
        if self.is_root and self.sis_imports_enabled is False and "sis_imports" in wanted:
            lines.append(SIS_DISABLED)
        return lines


def capabilities_from(
    is_root: bool,
    here: dict[str, bool] | None,
    root: dict[str, bool] | None,
    sis_imports_enabled: bool | None,
) -> Capabilities:
    granted: dict[str, bool | None] = {}
    for name in HERE_CAPABILITIES:
        granted[name] = here.get(name) if here is not None else None
    for name in ROOT_CAPABILITIES:
        granted[name] = root.get(name) if root is not None else None
    # On a sub-account, its own report (scoped to its users) may be allowed where the
    # root's is not: kept apart, for the read (snapshot.py reads that report then).
    if not is_root and here is not None and "read_reports" in here:
        granted[REPORTS_HERE] = here["read_reports"]
    return Capabilities(is_root, granted, sis_imports_enabled)


def sis_imports_enabled(client: CanvasClient, root_id: int) -> bool | None:
    """False when the root's SIS imports are switched off; None when it cannot be told."""
    try:
        client.get(f"/api/v1/accounts/{root_id}/sis_imports", {"per_page": 1})
    except SisImportsDisabled:
        return False
    except (CanvasPermissionError, CanvasNotFound):
        return None
    return True


def ask_permissions(
    client: CanvasClient, account_id: int, names: list[str]
) -> tuple[dict[str, bool] | None, str]:
    """Canvas's ``rights_status`` for ``names``, or None and why it could not be had."""
    try:
        body: Any = client.get(
            f"/api/v1/accounts/{account_id}/permissions", {"permissions[]": names}
        )
    except CanvasPermissionError:
        return None, "Canvas refused to show them to your account"
    except CanvasNotFound:
        return None, "Canvas could not find that account"
    if not isinstance(body, dict):
        raise CanvasError(
            "Canvas answered the permission check in a form the app does not know.",
            hint="This Canvas may be a different version than the app expects; please report it.",
            url=f"/api/v1/accounts/{account_id}/permissions",
        )
    # Canvas answers booleans; its API docs show strings ("true"/"false"): take both.
    return {name: body.get(name) in (True, "true") for name in names}, ""


def read_capabilities(client: CanvasClient, account_id: int, root_id: int) -> Capabilities:
    """Ask Canvas (two or three requests) what decides the sync's read and write methods."""
    is_root = account_id == root_id
    root, _ = ask_permissions(client, root_id, [*ROOT_CAPABILITIES, *HERE_CAPABILITIES])
    here = (
        root
        if is_root
        else ask_permissions(client, account_id, [*HERE_CAPABILITIES, "read_reports"])[0]
    )
    enabled = sis_imports_enabled(client, root_id) if is_root and root else None
    return capabilities_from(is_root, here, root, enabled)
