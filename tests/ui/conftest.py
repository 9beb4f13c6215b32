"""Fixtures for driving the real wizard against a sandbox Canvas over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests

from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.setup import SetupSession
from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
from canvas_wizard.demo import free_loopback_port
from canvas_wizard.sandbox import DeveloperKey, SandboxCanvas
from canvas_wizard.ui.tasks import task_pool
from canvas_wizard.ui.wizard import SetupWizard, WizardContext


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread(qapp) -> None:
    """As the app does (ui/gc_guard.py): never let a worker thread free Qt objects."""
    from canvas_wizard.ui import gc_guard

    gc_guard.install(qapp)


@pytest.fixture(autouse=True)
def _closing_the_wizard_is_confirmed(monkeypatch) -> list[str]:
    """The wizard asks before closing half-way; tests that close it mean it."""
    import canvas_wizard.ui.wizard as wizard_module

    asked: list[str] = []
    monkeypatch.setattr(wizard_module, "ask_close_setup", lambda _p: asked.append("close?") or True)
    return asked


@pytest.fixture
def sandbox() -> Iterator[SandboxCanvas]:
    with SandboxCanvas(seed=True) as canvas:
        yield canvas


@dataclass
class FakeAdmin:
    """Stands in for the admin at the browser: follows the consent page, then the redirect."""

    sandbox: SandboxCanvas
    cancel: bool = False
    opened: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def open_url(self, url: str) -> bool:
        self.opened.append(url)
        if "/login/oauth2/auth" not in url:
            return True
        threading.Thread(target=self._browse, args=(url,), daemon=True).start()
        return True

    def _browse(self, url: str) -> None:
        try:
            location = self.sandbox.approve_consent(url, cancel=self.cancel)
            with requests.get(location, timeout=10) as response:
                response.raise_for_status()
        except BaseException as exc:  # surfaced by the test
            self.errors.append(exc)


@dataclass
class WizardHarness:
    wizard: SetupWizard
    ctx: WizardContext
    key: DeveloperKey
    admin: FakeAdmin
    store: ProfileStore
    port: int


@pytest.fixture
def make_wizard(qtbot, sandbox: SandboxCanvas) -> Iterator[Callable[..., WizardHarness]]:
    made: list[WizardHarness] = []

    def make(*, register_port: bool = True, timeout: float = 30.0) -> WizardHarness:
        port = free_loopback_port()
        key = sandbox.add_developer_key(
            redirect_uris=[redirect_uri_for(port)] if register_port else ["http://127.0.0.1:1/x"]
        )
        store = ProfileStore(app_paths().ensure())
        profile = Profile(name="school", canvas_url="", client_id="", redirect_port=port)
        admin = FakeAdmin(sandbox)
        ctx = WizardContext(
            session=SetupSession(store, SecretStore(), profile),
            open_url=admin.open_url,
            sign_in_timeout=timeout,
        )
        wizard = SetupWizard(ctx)
        qtbot.addWidget(wizard)
        wizard.show()
        harness = WizardHarness(wizard, ctx, key, admin, store, port)
        made.append(harness)
        return harness

    yield make
    for h in made:
        h.ctx.session.cancel_sign_in()
    # While the sandbox still runs: no background task may outlive its test.
    assert task_pool().waitForDone(10_000), "a background task was still running after the test"
    for h in made:
        h.ctx.session.close()


@dataclass
class Connected:
    store: ProfileStore
    secrets: SecretStore
    profile: Profile
    sandbox: SandboxCanvas


@pytest.fixture
def connected(sandbox: SandboxCanvas) -> Connected:
    """A saved profile signed in to the sandbox and connected to its root account (no browser)."""

    from canvas_wizard.core.auth import TokenManager
    from canvas_wizard.core.store import ConnectedAccount, SecretKind
    from canvas_wizard.sandbox.signin import sign_in

    uri = redirect_uri_for(free_loopback_port())
    key = sandbox.add_developer_key(redirect_uris=[uri])
    tokens = sign_in(sandbox, key, uri)
    store = ProfileStore(app_paths().ensure())
    profile = Profile(name="school", canvas_url=sandbox.url, client_id=key.client_id)
    profile.account = ConnectedAccount(id=1, name="Northfield Academy Trust", is_root=True)
    profile.signed_in_as = "Alex Morgan"
    store.save(profile)
    secrets = SecretStore()
    secrets.set(profile, SecretKind.CLIENT_SECRET, key.client_secret)
    with requests.Session() as http:
        TokenManager(profile, secrets, http).store(tokens)
    return Connected(store, secrets, profile, sandbox)


@pytest.fixture
def main_window(qtbot, connected):  # type: ignore[no-untyped-def]
    """The app's main window on the connected sandbox, shown; its runs stopped after."""
    from canvas_wizard.ui.main_window import MainWindow

    win = MainWindow(connected.store, connected.secrets, connected.profile)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.sync_tab.cancel()
    task_pool().waitForDone(10_000)
