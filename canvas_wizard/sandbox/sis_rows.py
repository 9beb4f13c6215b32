"""Applying SIS rows to the sandbox, as lib/sis/user_importer.rb and
user_observer_importer.rb do. Each function returns a warning message for a
row Canvas skips, or None when the row was imported.

Two Canvas behaviours worth knowing:

* a row whose login_id matches a live login *without* a SIS ID adopts that login
  (and renames its user) — Canvas only refuses when the login already belongs to
  another SIS ID, or when the row's SIS ID lives on a different login;
* a row without any name gets the login id as its name;
* a row's ``email`` edits the login's SIS channel in place, or takes the user's
  channel with that address, or adds a new channel *at the bottom*: it never
  becomes the default email unless the SIS channel already was
  (lib/sis/user_importer.rb, the ``email.present?`` branch). ``short_name`` is
  set only when the row has one.
"""

from __future__ import annotations

from canvas_wizard.sandbox.limits import sis_user_row_warning
from canvas_wizard.sandbox.state import Login, SandboxState, SisImport, User, sortable_from

USER_STATUSES = ("active", "suspended", "deleted")


def _infer_name(row: dict[str, str]) -> str:
    full = row.get("full_name", "")
    first, last = row.get("first_name", ""), row.get("last_name", "")
    if full:
        return full
    if first or last:
        return f"{first} {last}".strip()
    return row.get("sortable_name") or row.get("short_name") or row.get("login_id", "")


def _infer_sortable(row: dict[str, str], name: str) -> str:
    if row.get("sortable_name"):
        return row["sortable_name"]
    first, last = row.get("first_name", ""), row.get("last_name", "")
    if not row.get("full_name") and (first or last):
        return f"{last}, {first}".strip(", ")
    return sortable_from(name)


def _claimed(holder: Login, user_id: str) -> str:
    who = f"SIS ID {holder.sis_user_id}" if holder.sis_user_id else f"Canvas ID {holder.user_id}"
    return (
        f"An existing Canvas user with the {who} has already claimed {user_id}'s "
        "user_id requested login information, skipping"
    )


def apply_user(state: SandboxState, batch: SisImport, row: dict[str, str]) -> str | None:
    user_id, login_id = row.get("user_id", ""), row.get("login_id", "")
    status = row.get("status", "").lower()
    if not user_id:
        return "No user_id given for a user"
    if not login_id:
        return f"No login_id given for user {user_id}"
    if status not in USER_STATUSES:
        return f"Improper status for user {user_id}"
    names = {k: row[k] for k in ("full_name", "short_name", "sortable_name") if row.get(k)}
    too_long = sis_user_row_warning(
        user_id, login_id, {("name" if k == "full_name" else k): v for k, v in names.items()}
    )
    if too_long is not None:
        return too_long
    active = status != "deleted"
    provider_id: int | None = None
    wanted_provider = row.get("authentication_provider_id", "").strip()
    if wanted_provider:
        provider = state.find_auth_provider(batch.account_id, wanted_provider)
        if provider is None:
            return (
                f"unrecognized authentication provider {wanted_provider} for user {user_id}, "
                "skipping"
            )
        provider_id = provider.id
    by_sis = state.login_by_sis_id(user_id)
    by_login = state.login_by_unique_id(login_id)
    login = by_sis or by_login
    if login is not None:
        if login.sis_user_id and login.sis_user_id != user_id:
            return _claimed(login, user_id)
        if by_login is not None and by_login is not login and active:
            return _claimed(by_login, user_id)
        user = state.users[login.user_id]
        if not active and user.id == batch.user_id:
            return f"Can't remove yourself user_id '{user_id}'"
    else:
        user = User(
            id=state.next_id("user"),
            name="",
            sortable_name="",
            short_name="",
            home_account_id=batch.account_id,
        )
        state.users[user.id] = user
        login = Login(
            id=state.next_id("login"),
            user_id=user.id,
            account_id=batch.account_id,
            unique_id=login_id,
            authentication_provider_id=provider_id,
        )
        state.logins[login.id] = login
    name = _infer_name(row)
    user.name = name
    user.sortable_name = _infer_sortable(row, name)
    user.short_name = row.get("short_name") or (user.short_name or name)
    user.workflow_state = "registered"
    login.unique_id = login_id
    login.sis_user_id = user_id
    if row.get("integration_id"):
        login.integration_id = row["integration_id"]
    if provider_id is not None:
        # A blank cell leaves an existing login's provider as it is in the sandbox;
        # what real Canvas does then is not verified, so the client never relies on it.
        login.authentication_provider_id = provider_id
    login.workflow_state = status
    login.sis_batch_id = batch.id
    email = row.get("email", "")
    if email and "@" in email:
        if active:
            _sis_email(state, login, email)
        else:
            for channel in state.channels_of(user.id):
                if channel.address.casefold() == email.casefold():
                    channel.workflow_state = "retired"
    return None


def _sis_email(state: SandboxState, login: Login, email: str) -> None:
    owned = [c for c in state.channels_of(login.user_id) if c.type == "email"]
    same = next((c for c in owned if c.address.casefold() == email.casefold()), None)
    mine = next((c for c in owned if c.id == login.sis_channel_id), None)
    if same is None and mine is not None:
        mine.address = email  # edited in place: keeps its position
        mine.workflow_state = "active"
        return
    channel = same or state.add_channel(login.user_id, email, confirmed=True)
    channel.workflow_state = "active"
    login.sis_channel_id = channel.id


def apply_observer(state: SandboxState, batch: SisImport, row: dict[str, str]) -> str | None:
    observer_id, student_id = row.get("observer_id", ""), row.get("student_id", "")
    status = row.get("status", "")
    if not observer_id:
        return "No observer_id given for a user observer"
    if not student_id:
        return "No user_id given for a user observer"
    if student_id == observer_id:
        return f"Can't observe yourself user {student_id}"
    if status.lower() not in ("active", "deleted"):
        return f'Improper status "{status}" for a user_observer'
    observer_login = state.login_by_sis_id(observer_id, include_deleted=False)
    if observer_login is None:
        return f"An observer referenced a non-existent user {observer_id}"
    student_login = state.login_by_sis_id(student_id, include_deleted=False)
    if student_login is None:
        return f"A student referenced a non-existent user {student_id}"
    if observer_login.user_id == student_login.user_id:
        return f"Can't observe yourself user {student_id}"
    if status.lower() == "active":
        state.link_observer(observer_login.user_id, student_login.user_id, sis_batch_id=batch.id)
        return None
    link = state.find_link(observer_login.user_id, student_login.user_id)
    if link is None or link.workflow_state != "active":
        return (
            "Can't delete a non-existent observer for observer: "
            f"{observer_id}, student: {student_id}"
        )
    state.unlink_observer(link)
    link.sis_batch_id = batch.id
    return None
