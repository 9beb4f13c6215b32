"""The chaos suite's shared pieces: a connected profile, a 1,000-person school, and the
checks that Canvas ended in exactly the state the roster asks for.

A profile is connected the way the wizard connects one, without a browser: the
sandbox approves the consent page as Alex Morgan (root admin), the app's own
``exchange_code`` trades the code, and the tokens go to the real keyring through
``TokenManager.store``. CLI subprocesses inherit CANVAS_WIZARD_HOME and the
test session's Secret Service, so they see the same profile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from canvas_wizard.core.auth import TokenManager
from canvas_wizard.core.auth.oauth import redirect_uri_for
from canvas_wizard.core.canvas import CanvasClient
from canvas_wizard.core.paths import AppPaths, app_paths
from canvas_wizard.core.roster import Roster, read_roster
from canvas_wizard.core.store import (
    ConnectedAccount,
    Profile,
    ProfileStore,
    SecretKind,
    SecretStore,
)
from canvas_wizard.core.sync.outcome import OutcomeStatus
from canvas_wizard.core.sync.service import ProfileSync, SyncOutcome, SyncRequest
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas
from canvas_wizard.sandbox.server import Ctx, Route
from canvas_wizard.sandbox.signin import sign_in as sandbox_sign_in
from canvas_wizard.sandbox.throttle import ThrottleConfig

ROOT = 1
HEADER = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"


# -- a school ----------------------------------------------------------------------------


def school_csv(people: int, *, prefix: str = "C") -> str:
    """A Cloudwork export: 60 % students, 40 % parents; each parent has one or two children.

    SIS IDs ``C00001``... never collide with the seeded Northfield people.
    """
    students = people * 3 // 5
    parents = people - students
    guardians: dict[int, list[str]] = {s: [] for s in range(students)}
    for p in range(parents):
        guardians[p % students].append(f"{prefix}P{p:05d}")
        if p % 3 == 0:  # every third parent also has a second child
            guardians[(p + 7) % students].append(f"{prefix}P{p:05d}")
    rows = [HEADER]
    for p in range(parents):
        rows.append(
            f"{prefix}P{p:05d},Parent {p} Family,parent{p}@home.example,parent{p}@home.example,"
            "Parent,,\n"
        )
    for s in range(students):
        two = (guardians[s] + ["", ""])[:2]
        rows.append(
            f"{prefix}S{s:05d},Student {s} Family,student{s}@students.example,student{s},Student,"
            f"{two[0]},{two[1]}\n"
        )
    return "".join(rows)


@pytest.fixture
def school(tmp_path: Path) -> Callable[[int], tuple[Path, Roster]]:
    """``school(1000)`` → the export's path and the roster the app reads from it."""

    def make(people: int = 1000) -> tuple[Path, Roster]:
        path = tmp_path / f"school-{people}.csv"
        path.write_text(school_csv(people), encoding="utf-8")
        roster = read_roster(path)
        assert not roster.errors, roster.errors[:3]
        return path, roster

    return make


# -- a connected profile -----------------------------------------------------------------


@dataclass
class Connected:
    canvas: SandboxCanvas
    paths: AppPaths
    profile: Profile
    key: DeveloperKey
    secrets: SecretStore = field(default_factory=SecretStore)

    def sign_in_again(self) -> None:
        """What `canvas-wizard authorize` does: a new consent, new tokens in the keyring."""
        sign_in(self.canvas, self.profile, self.key, self.secrets)

    def tokens(self) -> dict[SecretKind, str | None]:
        return {kind: self.secrets.get(self.profile, kind) for kind in SecretKind}

    def sync(
        self,
        source: Path,
        *,
        roster: Roster | None = None,
        method: str = "api",
        timeout: float = 10.0,
        max_attempts: int = 6,
    ) -> SyncOutcome:
        """One real sync through ProfileSync, with retries that do not sleep for real."""

        def client(url: str, tokens: TokenManager, http: requests.Session) -> CanvasClient:
            return CanvasClient(
                url,
                tokens,
                session=http,
                timeout=(2.0, timeout),
                max_attempts=max_attempts,
                sleep=quick_sleep,
            )

        sync = ProfileSync(self.paths, self.secrets, self.profile, client_factory=client)
        try:
            request = SyncRequest(source=source, method=method, dry_run=False, approve=True)
            return sync.run(request, roster=roster)
        finally:
            sync.close()


def quick_sleep(seconds: float) -> None:
    """Backoff waits cut to a hundredth: retries still spread out, tests stay fast."""
    time.sleep(min(seconds / 100, 0.05))


def sign_in(
    canvas: SandboxCanvas, profile: Profile, key: DeveloperKey, secrets: SecretStore
) -> None:
    with requests.Session() as http:
        tokens = sandbox_sign_in(canvas, key, redirect_uri_for(profile.redirect_port), session=http)
        TokenManager(profile, secrets, http).store(tokens)


def connect(canvas: SandboxCanvas, name: str = "school") -> Connected:
    paths = app_paths().ensure()
    port = free_loopback_port()
    key = canvas.add_developer_key(redirect_uris=[redirect_uri_for(port)])
    profile = Profile(
        name=name,
        canvas_url=canvas.url,
        client_id=key.client_id,
        redirect_port=port,
        account=ConnectedAccount(ROOT, "Northfield Academy Trust", True),
        signed_in_as="Alex Morgan",
    )
    ProfileStore(paths).save(profile)
    secrets = SecretStore()
    secrets.set(profile, SecretKind.CLIENT_SECRET, key.client_secret)
    sign_in(canvas, profile, key, secrets)
    return Connected(canvas, paths, profile, key, secrets)


#: Canvas's bucket leaks by CPU time spent; the sandbox charges flat units, and at its
#: default 10 units/s a 1,000-person sync would spend a minute waiting on the gate.
#: A fast leak keeps the throttle's mechanics (in-flight reservations) and the speed.
FAST_LEAK = ThrottleConfig(outflow=1000.0)


@pytest.fixture
def canvas() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True, latency=0.0, throttle=FAST_LEAK) as sandbox:
        yield sandbox


@pytest.fixture
def connected(canvas: SandboxCanvas) -> Iterator[Connected]:
    c = connect(canvas)
    yield c
    c.secrets.forget_all(c.profile)


# -- what Canvas holds -------------------------------------------------------------------


def canvas_fingerprint(
    canvas: SandboxCanvas, exclude_sis: set[str]
) -> dict[int, tuple[object, ...]]:
    """Every user not in ``exclude_sis``: name, email, logins and links, to compare later."""
    state = canvas.state
    with state.lock:
        out: dict[int, tuple[object, ...]] = {}
        for user in state.users.values():
            logins = tuple(
                sorted(
                    (g.id, g.unique_id, g.sis_user_id, g.workflow_state)
                    for g in state.logins_of(user.id, include_deleted=True)
                )
            )
            if any(login[2] in exclude_sis for login in logins):
                continue
            links = tuple(sorted(state.observee_ids(user.id)))
            out[user.id] = (user.name, user.workflow_state, state.email_of(user.id), logins, links)
        return out


def assert_converged(canvas: SandboxCanvas, roster: Roster, untouched: dict[int, object]) -> None:
    """Canvas holds exactly the roster: one user per SIS ID, right fields and links,
    and every user the roster does not name exactly as it was."""
    state = canvas.state
    with state.lock:
        holders: dict[str, list[int]] = {}
        for login in state.logins.values():
            if login.sis_user_id is not None and login.workflow_state != "deleted":
                holders.setdefault(login.sis_user_id, []).append(login.user_id)
        wrong: list[str] = []
        ids: dict[str, int] = {}
        for sis, person in roster.people.items():
            users = holders.get(sis, [])
            if len(users) != 1:
                wrong.append(f"{sis} is held by {len(users)} users")
                continue
            uid = ids[sis] = users[0]
            login = state.primary_login(uid)
            got = (
                state.users[uid].name,
                login.unique_id if login else None,
                state.email_of(uid),
            )
            want = (person.full_name, person.username, person.email)
            if got != want:
                wrong.append(f"{sis}: Canvas has {got}, roster says {want}")
        assert not wrong, f"{len(wrong)} people wrong, e.g. {wrong[:5]}"
        by_name: dict[str, int] = {}
        for user in state.users.values():
            by_name[user.name] = by_name.get(user.name, 0) + 1
        twice = [n for n, c in by_name.items() if c > 1 and n.endswith(" Family")]
        assert not twice, f"users created twice: {twice[:5]}"
        want_links = {(ids[link.parent_sis_id], ids[link.student_sis_id]) for link in roster.links}
        parents = {ids[s] for s, p in roster.people.items() if p.role.value == "parent"}
        have_links = {
            (link.observer_id, link.student_id)
            for link in state.observer_links.values()
            if link.workflow_state == "active" and link.observer_id in parents
        }
        assert have_links == want_links, (
            f"links missing: {len(want_links - have_links)}, extra: {len(have_links - want_links)}"
        )
    after = canvas_fingerprint(canvas, set(roster.people))
    assert after == untouched, "a user outside the roster was changed"


def assert_report_accounts_for_everything(outcome: SyncOutcome, roster: Roster) -> None:
    """Exactly one outcome per roster person and per link, none of them lost."""
    outcomes = outcome.result.report.outcomes
    people = [o.key for o in outcomes if o.record == "person"]
    links = [o.key for o in outcomes if o.record == "link"]
    assert len(people) == len(set(people)) and len(links) == len(set(links))
    assert set(roster.people) <= set(people)
    assert {f"{link.parent_sis_id}→{link.student_sis_id}" for link in roster.links} <= set(links)


def statuses(outcome: SyncOutcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcome.result.report.outcomes:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    return counts


def failed(outcome: SyncOutcome) -> list[str]:
    return [
        f"{o.key}: {o.message}"
        for o in outcome.result.report.outcomes
        if o.status in (OutcomeStatus.FAILED, OutcomeStatus.CONFLICT)
    ]


def catch_codes(canvas: SandboxCanvas) -> list[str]:
    """Every authorization code sent to Canvas's token endpoint, as Canvas saw it."""
    codes: list[str] = []
    for i, found in enumerate(canvas.routes):
        if found.method == "POST" and found.pattern.pattern == "^/login/oauth2/token$":
            inner = found.handler

            def handler(ctx: Ctx, inner=inner):  # type: ignore[no-untyped-def]
                code = ctx.request.param("code")
                if code:
                    codes.append(code)
                return inner(ctx)

            canvas.routes[i] = Route(
                found.method, found.pattern, handler, found.api, found.needs_user
            )
    return codes


# -- the command line --------------------------------------------------------------------


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["BROWSER"] = f"{sys.executable} -m canvas_wizard.sandbox.browser %s"
    env.update(extra)
    return env


def cli(
    *args: str, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "canvas_wizard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "canvas_wizard", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)
