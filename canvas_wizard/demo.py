"""`--demo`: the whole app against a sandbox Canvas on this computer.

The sandbox gets a developer key registered for exactly the redirect address
the demo profile uses, so the real sign-in flow runs end to end in the admin's
own browser. Demo files go to a temporary folder (unless --config-dir says
otherwise) and secrets stay in memory, so a demo never touches a real setup.
"""

from __future__ import annotations

import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.store import Profile
from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas
from canvas_wizard.sandbox.jobs import JobCost
from canvas_wizard.sandbox.seed import seed_lived_in


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


#: A demo's report or SIS Import: a second, and a second more per 1,000 users.
DEMO_JOB_COST = JobCost(1.0, 1.0)


@dataclass
class DemoEnvironment:
    sandbox: SandboxCanvas
    key: DeveloperKey
    redirect_port: int
    home: Path

    @classmethod
    def start(cls, home: Path | None = None, *, latency: float = 0.05) -> DemoEnvironment:
        # Reports and SIS Imports take a little while, as in a real Canvas (shortened).
        sandbox = SandboxCanvas(
            seed=True, latency=latency, report_cost=DEMO_JOB_COST, sis_import_cost=DEMO_JOB_COST
        )
        # The demo school's Canvas is lived in: self-registered parents, older SIS IDs.
        seed_lived_in(sandbox.state)
        sandbox.start()
        port = free_loopback_port()
        key = sandbox.add_developer_key(redirect_uris=[redirect_uri_for(port)])
        if home is None:
            home = Path(tempfile.mkdtemp(prefix="canvas-wizard-demo-"))
        return cls(sandbox=sandbox, key=key, redirect_port=port, home=home)

    def adopt(self, profile: Profile) -> None:
        """A demo folder opened again: last time's sandbox, its key and its redirect port
        are gone, so the saved setup is pointed at this one ("redirect_uri does not match"
        otherwise). The wizard then resumes at the developer key, filled in for the demo."""
        profile.canvas_url = self.sandbox.url
        profile.client_id = ""
        profile.redirect_port = self.redirect_port
        profile.signed_in_as = None
        profile.account = None

    def stop(self) -> None:
        self.sandbox.stop()
