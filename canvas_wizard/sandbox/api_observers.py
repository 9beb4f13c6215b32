"""Observer links: parent (observer) → student (user_observees_controller.rb).

``PUT`` is idempotent: it creates the link, restores a deleted one, or returns
the existing one. ``DELETE`` is a 404 when there is no live link. Managing
another user's links needs "manage user observers" on the root account the two
share — a sub-account admin does not have it there.
"""

from __future__ import annotations

from canvas_wizard.sandbox.http import Response, bad_request, not_found
from canvas_wizard.sandbox.lookup import DOMAIN_ROOT_ACCOUNT_ID, find_user, require
from canvas_wizard.sandbox.paging import paginate
from canvas_wizard.sandbox.server import Ctx, Route, route
from canvas_wizard.sandbox.state import User
from canvas_wizard.sandbox.views import model_error, user_json


def _may_manage(ctx: Ctx, *users: User) -> None:
    roots = {ctx.state.root_of(u.home_account_id) for u in users}
    for root in roots:
        require(ctx, root, "manage_user_observers")


def _self_or_manager(ctx: Ctx, user: User) -> None:
    if user.id != ctx.user_id:
        _may_manage(ctx, user)


def _student_json(ctx: Ctx, student: User) -> dict[str, object]:
    return user_json(ctx.state, student, ctx.user_id, DOMAIN_ROOT_ACCOUNT_ID)


def add_observee(ctx: Ctx) -> Response:
    observer = find_user(ctx, ctx.args["user_id"])
    student = find_user(ctx, ctx.args["observee_id"])
    _may_manage(ctx, observer, student)
    if observer.id == student.id:
        raise bad_request(
            {
                "errors": {
                    "observer_id": [
                        model_error("observer_id", "invalid", "Cannot observe yourself")
                    ]
                }
            }
        )
    link = ctx.state.link_observer(observer.id, student.id)
    body = _student_json(ctx, student)
    body["observation_link_root_account_ids"] = [link.root_account_id]
    return Response.json(body)


def remove_observee(ctx: Ctx) -> Response:
    state = ctx.state
    observer = find_user(ctx, ctx.args["user_id"])
    student = find_user(ctx, ctx.args["observee_id"])
    _self_or_manager(ctx, observer)
    with state.lock:
        link = state.find_link(observer.id, student.id)
        if link is None or link.workflow_state != "active":
            raise not_found()
        state.unlink_observer(link)
    return Response.json(_student_json(ctx, student))


def show_observee(ctx: Ctx) -> Response:
    observer = find_user(ctx, ctx.args["user_id"])
    student = find_user(ctx, ctx.args["observee_id"])
    _self_or_manager(ctx, observer)
    if student.id not in ctx.state.observee_ids(observer.id):
        raise not_found()
    return Response.json(_student_json(ctx, student))


def _user_page(ctx: Ctx, ids: list[int]) -> Response:
    state = ctx.state
    with state.lock:
        users = [state.users[i] for i in ids if state.users[i].workflow_state != "deleted"]
    users.sort(key=lambda u: (u.sortable_name.casefold(), u.id))
    chunk, link = paginate(users, ctx.request, ctx.base_url, with_last=True)
    body = [_student_json(ctx, u) for u in chunk]
    return Response.json(body, headers=[("Link", link)])


def list_observees(ctx: Ctx) -> Response:
    observer = find_user(ctx, ctx.args["user_id"])
    _self_or_manager(ctx, observer)
    return _user_page(ctx, ctx.state.observee_ids(observer.id))


def list_observers(ctx: Ctx) -> Response:
    student = find_user(ctx, ctx.args["user_id"])
    _self_or_manager(ctx, student)
    return _user_page(ctx, ctx.state.observer_ids(student.id))


def show_observer(ctx: Ctx) -> Response:
    student = find_user(ctx, ctx.args["user_id"])
    observer = find_user(ctx, ctx.args["observer_id"])
    _self_or_manager(ctx, student)
    if observer.id not in ctx.state.observer_ids(student.id):
        raise not_found()
    return Response.json(_student_json(ctx, observer))


ROUTES: list[Route] = [
    route("GET", "/api/v1/users/:user_id/observees", list_observees),
    route("GET", "/api/v1/users/:user_id/observees/:observee_id", show_observee),
    route("PUT", "/api/v1/users/:user_id/observees/:observee_id", add_observee),
    route("DELETE", "/api/v1/users/:user_id/observees/:observee_id", remove_observee),
    route("GET", "/api/v1/users/:user_id/observers", list_observers),
    route("GET", "/api/v1/users/:user_id/observers/:observer_id", show_observer),
]
