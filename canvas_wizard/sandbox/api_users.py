"""Users: list and search an account's users, show, create, edit, remove.

Creation follows users_controller#create_user as canvas-facts.md describes it:
the login is made in the root account whatever account the user is created in,
so the caller needs login rights on the root; ``pseudonym[sis_user_id]`` is
dropped without a word unless the caller may manage SIS data; a username is
taken case-insensitively among live logins, a SIS ID exactly among *all* logins
(a deleted login still holds its SIS ID).

The new user is associated with the **root** account only, whatever account the
call names: Canvas derives account associations from logins (made in the root)
and enrolments (users_controller.rb ``create``, user.rb
``update_account_associations``), so ``GET /accounts/:sub/users`` does not list
an API-created user until they are enrolled there.
"""

from __future__ import annotations

from typing import Any

from canvas_wizard.sandbox.http import Response, bad_request, not_found, unauthorized
from canvas_wizard.sandbox.limits import login_errors, user_errors
from canvas_wizard.sandbox.lookup import (
    DOMAIN_ROOT_ACCOUNT_ID,
    find_account,
    find_user,
    require,
    require_over_user,
)
from canvas_wizard.sandbox.paging import paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import Login, SandboxState, User, sortable_from
from canvas_wizard.sandbox.views import model_error, user_json

MIN_SEARCH_TERM = 3
SEARCH_TERM_TOO_SHORT = {
    "errors": [
        {
            "field": "search_term",
            "code": "invalid",
            "message": f"{MIN_SEARCH_TERM} or more characters is required",
        }
    ]
}
UNIQUE_ID_TAKEN = "ID already in use for this account and authentication provider"


def _includes(ctx: Ctx) -> set[str]:
    return set(ctx.request.params("include[]"))


def _matches(ctx: Ctx, account_id: int, user: User, term: str) -> bool:
    state, me = ctx.state, ctx.user_id
    needle = term.casefold()
    if term.isdigit() and int(term) == user.id:
        return True
    if needle in user.name.casefold():
        return True
    logins = state.logins_of(user.id)
    if state.grants(me, account_id, "view_user_logins") and any(
        needle in lg.unique_id.casefold() for lg in logins
    ):
        return True
    if state.grants(me, account_id, "read_sis", "manage_sis") and any(
        lg.sis_user_id and needle in lg.sis_user_id.casefold() for lg in logins
    ):
        return True
    email = state.email_of(user.id)
    return bool(
        email
        and state.grants(me, account_id, "read_email_addresses")
        and needle in email.casefold()
    )


def list_users(ctx: Ctx) -> Response:
    account = find_account(ctx, ctx.args["account_id"])
    require(ctx, account.id, "read_roster")
    users = ctx.state.users_in_account(account.id)
    term = (ctx.request.param("search_term") or "").strip()
    if term:
        if len(term) < MIN_SEARCH_TERM:
            raise bad_request(SEARCH_TERM_TOO_SHORT)
        users = [u for u in users if _matches(ctx, account.id, u, term)]
    # Canvas does not count account users: no rel="last".
    chunk, link = paginate(users, ctx.request, ctx.base_url, with_last=False)
    includes = _includes(ctx) & {"email", "uuid"}
    body = [user_json(ctx.state, u, ctx.user_id, account.id, includes) for u in chunk]
    return Response.json(body, headers=[("Link", link)])


def _may_read(ctx: Ctx, user: User) -> None:
    if user.id != ctx.user_id:
        require_over_user(ctx, user, "read_roster")


def show_user(ctx: Ctx) -> Response:
    user = find_user(ctx, ctx.args["user_id"])
    _may_read(ctx, user)
    includes = {"email", "locale", "effective_locale"}
    data = user_json(ctx.state, user, ctx.user_id, DOMAIN_ROOT_ACCOUNT_ID, includes)
    if "last_login" in _includes(ctx):
        # users_controller.rb api_show: the latest current_login_at of the user's logins.
        seen = [lg.current_login_at for lg in ctx.state.logins_of(user.id) if lg.current_login_at]
        data["last_login"] = max(seen) if seen else None
    return Response.json(data)


def show_profile(ctx: Ctx) -> Response:
    user = find_user(ctx, ctx.args["user_id"])
    _may_read(ctx, user)
    state = ctx.state
    login = state.primary_login(user.id)
    return Response.json(
        {
            "id": user.id,
            "name": user.name,
            "short_name": user.short_name,
            "sortable_name": user.sortable_name,
            "title": None,
            "bio": None,
            "primary_email": state.email_of(user.id),
            "login_id": login.unique_id if login else None,
            "integration_id": login.integration_id if login else None,
            "time_zone": "Europe/London",
            "locale": user.locale,
            "effective_locale": user.locale or "en-GB",
            "avatar_url": f"{ctx.base_url}/images/messages/avatar-50.png",
            "calendar": {"ics": f"{ctx.base_url}/feeds/calendars/user_{user.id}.ics"},
            "lti_user_id": f"sandbox-lti-{user.id}",
            "k5_user": False,
        }
    )


def _create_errors(
    ctx: Ctx,
    unique_id: str,
    sis_id: str | None,
    reactivating: Login | None,
    provider_id: int | None = None,
) -> dict[str, Any]:
    state = ctx.state
    errors: dict[str, list[dict[str, str]]] = {}
    if not unique_id:
        errors["unique_id"] = [model_error("unique_id", "blank", "can't be blank")]
    elif limits := login_errors(unique_id, None):
        errors |= limits
    else:
        # Unique per root account *and provider*: the same username under another
        # provider is another login, which Canvas allows.
        key = unique_id.casefold()
        taken = next(
            (
                lg
                for lg in state.logins.values()
                if lg.unique_id.casefold() == key
                and lg.workflow_state != "deleted"
                and lg.authentication_provider_id == provider_id
            ),
            None,
        )
        if taken is not None and taken is not reactivating:
            errors["unique_id"] = [model_error("unique_id", "taken", UNIQUE_ID_TAKEN)]
    if sis_id and (limits := login_errors(None, sis_id)):
        errors |= limits
    elif sis_id:
        holder = state.login_by_sis_id(sis_id)
        if holder is not None and holder is not reactivating:
            message = f'SIS ID "{sis_id}" is already in use'
            errors["sis_user_id"] = [model_error("sis_user_id", "taken", message)]
    return errors


def create_user(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    root_id = state.root_of(account.id)
    require(ctx, root_id, "manage_user_logins")
    unique_id = (req.param("pseudonym[unique_id]") or "").strip()
    sis_id: str | None = None
    integration_id: str | None = None
    if state.grants(ctx.user_id, account.id, "manage_sis"):
        sis_id = (req.param("pseudonym[sis_user_id]") or "").strip() or None
        integration_id = (req.param("pseudonym[integration_id]") or "").strip() or None
    provider_id: int | None = None
    wanted_provider = (req.param("pseudonym[authentication_provider_id]") or "").strip()
    if wanted_provider:
        # authentication_providers.active.find(...): an id or a type; unknown is a 404.
        provider = state.find_auth_provider(root_id, wanted_provider)
        if provider is None:
            raise not_found()
        provider_id = provider.id
    with state.lock:
        reactivating = None
        if sis_id and req.flag("enable_sis_reactivation"):
            holder = state.login_by_sis_id(sis_id)
            if holder is not None and holder.workflow_state == "deleted":
                reactivating = holder
        errors = _create_errors(ctx, unique_id, sis_id, reactivating, provider_id)
        too_long = user_errors(
            name=req.param("user[name]"),
            short_name=req.param("user[short_name]"),
            sortable_name=req.param("user[sortable_name]"),
        )
        if errors or too_long:
            raise bad_request(
                {
                    "errors": {
                        "user": too_long,
                        "pseudonym": errors,
                        "observee": {},
                        "pairing_code": {},
                        "recaptcha": None,
                    }
                }
            )
        name = (req.param("user[name]") or "").strip() or unique_id
        if reactivating is not None:
            user = state.users[reactivating.user_id]
            reactivating.workflow_state = "active"
            reactivating.unique_id = unique_id
            user.workflow_state = "registered"
            user.name = name
        else:
            registered = req.flag("user[skip_registration]")
            user = User(
                id=state.next_id("user"),
                name=name,
                sortable_name="",
                short_name="",
                # Associated with the root only (see the module docstring).
                home_account_id=root_id,
                workflow_state="registered" if registered else "pre_registered",
            )
            state.users[user.id] = user
            login = Login(
                id=state.next_id("login"),
                user_id=user.id,
                account_id=root_id,
                unique_id=unique_id,
                sis_user_id=sis_id,
                integration_id=integration_id,
                authentication_provider_id=provider_id,
            )
            state.logins[login.id] = login
        user.short_name = (req.param("user[short_name]") or "").strip() or name
        user.sortable_name = (req.param("user[sortable_name]") or "").strip() or sortable_from(name)
        user.locale = req.param("user[locale]") or user.locale
        _add_creation_email(ctx, user, unique_id)
    return Response.json(user_json(state, user, ctx.user_id, account.id, {"locale"}))


def _add_creation_email(ctx: Ctx, user: User, unique_id: str) -> None:
    req = ctx.request
    kind = req.param("communication_channel[type]") or "email"
    address = (req.param("communication_channel[address]") or "").strip()
    if not address and "@" in unique_id:
        address = unique_id  # Canvas falls back to a username that is an email address
    if kind != "email" or "@" not in address:
        return
    # skip_confirmation counts only for those who may manage students on the root
    # (users_controller.rb ``create_user``: ``manage_students`` on the domain root);
    # otherwise the address stays unconfirmed and Canvas asks the person to confirm it.
    confirmed = req.flag("communication_channel[skip_confirmation]") and ctx.state.grants(
        ctx.user_id, ctx.state.root_of(user.home_account_id), "manage_students"
    )
    ctx.state.add_channel(user.id, address, confirmed=confirmed)


EDITABLE = ("name", "short_name", "sortable_name", "email")


def update_user(ctx: Ctx) -> Response:
    req, state = ctx.request, ctx.state
    user = find_user(ctx, ctx.args["user_id"])
    wanted = {f: req.param(f"user[{f}]") for f in (*EDITABLE, "locale")}
    # One field the caller may not edit fails the whole call, as in Canvas.
    if any(wanted[f] is not None for f in EDITABLE) and not state.grants(
        ctx.user_id, user.home_account_id, "manage_user_logins"
    ):
        raise unauthorized()
    if user.id != ctx.user_id:
        require_over_user(ctx, user, "read_roster")
    too_long = user_errors(
        name=wanted["name"], short_name=wanted["short_name"], sortable_name=wanted["sortable_name"]
    )
    if too_long:
        raise bad_request({"errors": too_long})
    with state.lock:
        if wanted["name"] is not None and wanted["name"].strip():
            old = user.name
            user.name = wanted["name"].strip()
            if wanted["sortable_name"] is None and user.sortable_name == sortable_from(old):
                user.sortable_name = sortable_from(user.name)
            if wanted["short_name"] is None and user.short_name == old:
                user.short_name = user.name
        if wanted["short_name"] is not None:
            user.short_name = wanted["short_name"].strip() or user.name
        if wanted["sortable_name"] is not None:
            user.sortable_name = wanted["sortable_name"].strip() or sortable_from(user.name)
        if wanted["locale"] is not None:
            user.locale = wanted["locale"] or None
        if wanted["email"]:
            state.add_channel(user.id, wanted["email"].strip(), confirmed=False, make_default=True)
    includes = {"email", "locale"}
    return Response.json(user_json(state, user, ctx.user_id, DOMAIN_ROOT_ACCOUNT_ID, includes))


def remove_user(ctx: Ctx) -> Response:
    """DELETE /api/v1/accounts/:id/users/:user_id: remove the user from a root account.

    As accounts_controller.rb ``remove_user`` and User#remove_from_root_account do:
    404 unless the account is a root account the user belongs to; the user's logins
    there are soft-deleted (keeping their SIS IDs), that root's enrolments deleted,
    and every observer link of the user removed. The user record stays. Needs
    manage_user_logins, and manage_sis for a login that carries an SIS ID.
    """
    state = ctx.state
    account = find_account(ctx, ctx.args["account_id"])
    if not state.is_root(account.id):
        raise not_found()
    user = find_user(ctx, ctx.args["user_id"])
    logins = [lg for lg in state.logins_of(user.id) if lg.account_id == account.id]
    if not logins:
        raise not_found()
    require(ctx, account.id, "manage_user_logins")
    if any(lg.sis_user_id for lg in logins):
        require(ctx, account.id, "manage_sis")
    with state.lock:
        for login in logins:
            login.workflow_state = "deleted"
        for enrollment in state.enrollments.values():
            if enrollment.user_id == user.id and enrollment.root_account_id == account.id:
                enrollment.workflow_state = "deleted"
        for link in state.observer_links.values():
            if user.id in (link.observer_id, link.student_id):
                link.workflow_state = "deleted"
                _drop_linked_enrollments(state, link.observer_id, link.student_id)
    return Response.json(user_json(state, user, ctx.user_id, account.id))


def _drop_linked_enrollments(state: SandboxState, observer_id: int, student_id: int) -> None:
    for enrollment in state.enrollments.values():
        if enrollment.user_id == observer_id and enrollment.associated_user_id == student_id:
            enrollment.workflow_state = "deleted"


def list_enrollments(ctx: Ctx) -> Response:
    """GET /api/v1/users/:id/enrollments, filtered by ``state[]`` (default active, invited)."""
    user = find_user(ctx, ctx.args["user_id"])
    _may_read(ctx, user)
    states = set(ctx.request.params("state[]")) or {"active", "invited"}
    types = set(ctx.request.params("type[]"))
    found = [
        e
        for e in sorted(ctx.state.enrollments.values(), key=lambda e: e.id)
        if e.user_id == user.id and e.workflow_state in states and (not types or e.type in types)
    ]
    chunk, link = paginate(found, ctx.request, ctx.base_url, with_last=True)
    body = [
        {
            "id": e.id,
            "user_id": e.user_id,
            "course_id": e.course_id,
            "root_account_id": e.root_account_id,
            "type": e.type,
            "enrollment_state": e.workflow_state,
            "associated_user_id": e.associated_user_id,
        }
        for e in chunk
    ]
    return Response.json(body, headers=[("Link", link)])


ROUTES: list[Route] = [
    route("GET", "/api/v1/accounts/:account_id/users", list_users),
    route("POST", "/api/v1/accounts/:account_id/users", create_user),
    route("DELETE", "/api/v1/accounts/:account_id/users/:user_id", remove_user),
    route("GET", "/api/v1/users/:user_id", show_user),
    route("PUT", "/api/v1/users/:user_id", update_user),
    route("GET", "/api/v1/users/:user_id/profile", show_profile),
    route("GET", "/api/v1/users/:user_id/enrollments", list_enrollments),
]
