"""A sandbox Canvas for the benchmark: an empty root account, an admin, a signed-in client.

``SandboxCanvas(seed=False)`` holds nothing at all, so :func:`seed_empty_root`
adds what an empty Canvas still has: the root account, one sub-account (for the
sub-account resync) and the admin who signs in, with every permission. The
token comes from the real OAuth flow without a browser (the sandbox approves
its own consent page), lives for a day, and is never printed.
"""

from __future__ import annotations

import hashlib
import os
import time

import requests
from school import School

from canvas_wizard.sandbox import SandboxCanvas, SandboxState, ThrottleConfig
from canvas_wizard.sandbox.jobs import REALISTIC_JOB_COST, JobCost
from canvas_wizard.sandbox.signin import sign_in as sandbox_sign_in
from canvas_wizard.sandbox.state import (
    ALL_PERMISSIONS,
    Account,
    CommunicationChannel,
    Login,
    ObserverLink,
    User,
    sortable_from,
)

ROOT_ID = 1
SUB_ACCOUNT_ID = 2
REDIRECT = "http://127.0.0.1:8765/canvas/authorize"
DAY = 24 * 3600.0


def seed_empty_root(state: SandboxState) -> int:
    """Root account 1, sub-account 2 and their admin (returned: the admin's user id)."""
    with state.lock:
        for account_id, name, parent in (
            (ROOT_ID, "Benchmark District", None),
            (SUB_ACCOUNT_ID, "Benchmark School", ROOT_ID),
        ):
            state.next_id("account")
            state.accounts[account_id] = Account(
                id=account_id,
                name=name,
                parent_account_id=parent,
                root_account_id=None if parent is None else ROOT_ID,
                uuid=hashlib.sha1(f"bench-{account_id}".encode()).hexdigest(),
            )
        admin = User(
            id=state.next_id("user"),
            name="Bench Admin",
            sortable_name="Admin, Bench",
            short_name="Bench Admin",
            home_account_id=ROOT_ID,
        )
        state.users[admin.id] = admin
        login = Login(
            id=state.next_id("login"),
            user_id=admin.id,
            account_id=ROOT_ID,
            unique_id="admin@district.example",
            sis_user_id=None,
        )
        state.logins[login.id] = login
        state.grant_admin(admin.id, ROOT_ID, ALL_PERMISSIONS)
        return admin.id


def bench_throttle(latency: float) -> ThrottleConfig:
    """Canvas's defaults, with request costs as real Canvas charges them.

    Canvas charges a request its own CPU plus database seconds
    (request_throttle.rb, ``calculate_cost``), so a request can cost at most
    about as much as it takes. The benchmark charges a write its whole latency
    (the worst case: the server busy all the time) and a read half of it. The
    sandbox's default costs (1 and 2 units) would charge a 0.1 s write like 2 s
    of server time, which no Canvas does.
    """
    return ThrottleConfig(get_cost=latency / 2, write_cost=latency)


def sign_in(sandbox: SandboxCanvas, user_id: int, session: requests.Session) -> str:
    """An access token for ``user_id`` through the real authorization-code flow."""
    key = sandbox.add_developer_key(redirect_uris=[REDIRECT])
    return sandbox_sign_in(sandbox, key, REDIRECT, as_user_id=user_id, session=session).access_token


class CanvasControl:
    """One running empty sandbox, signed in as its admin, and what a benchmark asks of it.

    Lives wherever the sandbox runs: in the benchmark's process (the smoke test) or
    in a process of its own (:mod:`remote`), so that the stand-in Canvas's own CPU
    does not compete with the app under test for one interpreter lock.
    """

    def __init__(
        self,
        latency: float,
        jitter: float = 0.0,
        throttle: ThrottleConfig | None = None,
        job_cost: tuple[float, float] = (REALISTIC_JOB_COST.base, REALISTIC_JOB_COST.per_1000),
    ):
        cost = JobCost(*job_cost)
        self.sandbox = SandboxCanvas(
            seed=False,
            latency=latency,
            jitter=jitter,
            throttle=throttle if throttle is not None else bench_throttle(latency),
            access_token_ttl=DAY,
            # Reports and SIS Imports take Canvas's time (an assumption: README, Performance).
            report_cost=cost,
            sis_import_cost=cost,
        )
        # The job's time is the cost above; no extra pause per row or step on top.
        self.sandbox.job_step_delay = 0.0
        self.admin_id = seed_empty_root(self.sandbox.state)
        self.sandbox.start()
        with requests.Session() as http:
            self._token = sign_in(self.sandbox, self.admin_id, http)

    @property
    def url(self) -> str:
        return self.sandbox.url

    def token(self) -> str:
        return self._token

    def counts(self) -> dict[str, int]:
        """Requests by method (and "throttled"), plus "jobs": reports and SIS Imports started."""
        counts = self.sandbox.request_counts()
        state = self.sandbox.state
        with state.lock:
            counts["jobs"] = len(state.reports) + len(state.sis_imports)
        return counts

    def set_job_step_delay(self, seconds: float) -> None:
        self.sandbox.job_step_delay = seconds

    def holdings(self) -> dict[str, int]:
        """What Canvas holds now: users with a SIS ID, active observer links."""
        state = self.sandbox.state
        with state.lock:
            sis = sum(1 for lg in state.logins.values() if lg.sis_user_id)
            links = sum(1 for lk in state.observer_links.values() if lk.workflow_state == "active")
        return {"sis_logins": sis, "links": links}

    def load_school(self, school: School, account_id: int) -> None:
        """Put ``school`` into Canvas directly, as a previous sync would have left it."""
        state = self.sandbox.state
        with state.lock:
            ids: dict[str, int] = {}
            for p in school.people:
                user = User(
                    id=state.next_id("user"),
                    name=p.full_name,
                    sortable_name=sortable_from(p.full_name),
                    short_name=p.full_name,
                    home_account_id=account_id,
                )
                state.users[user.id] = user
                login_id = state.next_id("login")
                state.logins[login_id] = Login(login_id, user.id, ROOT_ID, p.username, p.sis_id)
                channel_id = state.next_id("channel")
                state.channels[channel_id] = CommunicationChannel(
                    channel_id, user.id, p.email, 1, workflow_state="active"
                )
                ids[p.sis_id] = user.id
            for parent, student in school.links:
                link_id = state.next_id("observer_link")
                state.observer_links[link_id] = ObserverLink(
                    link_id, ids[parent], ids[student], ROOT_ID
                )

    def stop(self) -> None:
        self.sandbox.stop()

    def __enter__(self) -> CanvasControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def machine() -> dict[str, object]:
    """What the figures were measured on: cores, CPU model, RAM, load."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram_gb = 0.0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    ram_gb = int(line.split()[1]) / 1024 / 1024
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or "unknown",
        "ram_gb": round(ram_gb, 1),
        "load_at_start": list(load()),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)
