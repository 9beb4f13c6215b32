"""`--demo --config-dir DIR` opened a second time: the new demo Canvas knows the port used."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from canvas_wizard import demo
from canvas_wizard.app import run_gui
from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.store import Profile, ProfileStore
from canvas_wizard.ui.wizard import SetupWizard
from canvas_wizard.ui.wizard.page_key import DeveloperKeyPage


def test_a_reopened_demo_folder_uses_the_new_demo_keys_port(qapp, tmp_path, monkeypatch):
    home = tmp_path / "demo-home"
    # What the first demo left behind: its port and key, both unknown to the next sandbox.
    ProfileStore(app_paths(home).ensure()).save(
        Profile(
            name="127-0-0-1",
            canvas_url="http://127.0.0.1:1",
            client_id="10000000000099",
            redirect_port=1025,
        )
    )
    started: list[demo.DemoEnvironment] = []
    original = demo.DemoEnvironment.start.__func__  # type: ignore[attr-defined]

    def start(cls, *args, **kwargs):
        env = original(cls, *args, **kwargs)
        started.append(env)
        return env

    monkeypatch.setattr(demo.DemoEnvironment, "start", classmethod(start))
    seen: dict[str, object] = {}

    def inspect() -> None:
        wizard = next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, SetupWizard)), None
        )
        if wizard is None or not wizard.isVisible():
            QTimer.singleShot(50, inspect)
            return
        seen["page"] = type(wizard.currentPage())
        seen["redirect"] = wizard.key.redirect_uri.value()
        seen["client_id"] = wizard.key.client_id.text()
        wizard.reject()

    QTimer.singleShot(0, inspect)
    assert run_gui(config_dir=str(home), demo=True) == 0
    (env,) = started
    assert seen["page"] is DeveloperKeyPage, "resumes at the key, filled in for this demo"
    assert seen["redirect"] == redirect_uri_for(env.redirect_port)
    assert redirect_uri_for(env.redirect_port) in env.key.redirect_uris
    assert seen["client_id"] == env.key.client_id
