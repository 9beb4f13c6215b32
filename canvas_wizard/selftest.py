"""`canvas-wizard --self-test`: does this installation work, without a screen or a Canvas?

Checks what a broken install or a bad build gets wrong: the app's resource files,
Qt with its platform plugin (started offscreen), the setup wizard opening and
closing, the keyring backends, and the TLS trust store. Prints one line per
check and exits 0 when the app can run. A keyring that cannot store secrets is
a warning, not a failure: the app then offers session-only mode.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from canvas_wizard import APP_TITLE, __version__

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class CheckResult:
    status: str  # OK | WARN | FAIL
    label: str
    detail: str


def _check_resources() -> CheckResult:
    from canvas_wizard.resources import resource_path

    found = [resource_path(n) for n in ("icons/canvas-wizard.svg", "sample-cloudwork-export.csv")]
    return CheckResult(OK, "resources", str(found[0].parent.parent))


def _check_qt_and_wizard() -> CheckResult:
    # Offscreen always: the self-test must run on a build server and over SSH.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from canvas_wizard.core.paths import app_paths
    from canvas_wizard.core.setup import SetupSession
    from canvas_wizard.core.store import Profile, ProfileStore, SecretStore
    from canvas_wizard.ui.about import app_icon
    from canvas_wizard.ui.wizard import SetupWizard, WizardContext

    app = QApplication.instance() or QApplication([sys.argv[0], "-platform", "offscreen"])
    icon = app_icon()
    if icon.isNull():
        return CheckResult(FAIL, "qt", "the app icon could not be loaded (image plugins missing?)")
    # A throwaway home and in-memory secrets: the self-test never touches a real setup.
    with tempfile.TemporaryDirectory(prefix="canvas-wizard-selftest-") as home:
        store = ProfileStore(app_paths(home).ensure())
        profile = Profile(name="self-test", canvas_url="", client_id="")
        session = SetupSession(store, SecretStore(session_only=True), profile)
        try:
            wizard = SetupWizard(WizardContext(session=session))
            wizard.show()
            app.processEvents()
            pages = len(wizard.pageIds())
            shown = wizard.currentPage() is not None and wizard.isVisible()
            # done(), not reject(): reject() asks the technician before closing a setup.
            wizard.done(0)
            wizard.deleteLater()
            app.processEvents()
        finally:
            session.close()
    if not shown:
        return CheckResult(FAIL, "qt", "the setup wizard did not open")
    platform_name = QGuiApplication.platformName()
    return CheckResult(
        OK, "qt", f"{_qt()} on platform '{platform_name}'; setup wizard opened ({pages} pages)"
    )


def _qt() -> str:
    from canvas_wizard.support import qt_versions

    return qt_versions()


def _check_desktop_libraries() -> CheckResult:
    # The Qt check runs offscreen; an X11 desktop also needs system libraries that only
    # the package manager provides. A warning: offscreen, Wayland and the CLI still work.
    from canvas_wizard.desktop_libraries import missing_xcb_libraries

    if not sys.platform.startswith("linux"):
        return CheckResult(OK, "desktop libraries", "not needed on this system")
    missing = missing_xcb_libraries()
    if missing is None:
        return CheckResult(OK, "desktop libraries", "everything Qt needs on an X11 desktop")
    return CheckResult(WARN, "desktop libraries", missing.message())


def _check_keyring() -> CheckResult:
    import keyring.backend

    from canvas_wizard.core.store import SecretStore
    from canvas_wizard.support import keyring_status

    backends = sorted(
        {type(b).__module__.rsplit(".", 1)[-1] for b in keyring.backend.get_all_keyring()}
    )
    status = keyring_status(SecretStore())
    detail = f"{status} (backends available: {', '.join(backends) or 'none'})"
    return CheckResult(WARN if "NOT usable" in status else OK, "keyring", detail)


def _check_tls() -> CheckResult:
    import ssl

    import truststore

    from canvas_wizard.support import tls_trust_store

    # Building the context is what loads the platform's trust machinery.
    truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return CheckResult(OK, "tls", tls_trust_store())


CHECKS: tuple[Callable[[], CheckResult], ...] = (
    _check_resources,
    _check_qt_and_wizard,
    _check_desktop_libraries,
    _check_keyring,
    _check_tls,
)


def run_self_test(out: TextIO) -> int:
    """Run every check, print one line each; 0 unless one FAILed."""
    frozen = " (frozen build)" if getattr(sys, "frozen", False) else ""
    print(f"{APP_TITLE} {__version__}{frozen} self-test", file=out)
    failed = False
    for check in CHECKS:
        label = check.__name__.removeprefix("_check_")
        try:
            result = check()
        except Exception as exc:  # a check that crashes is a failed check, reported as such
            result = CheckResult(FAIL, label, f"{type(exc).__name__}: {exc}")
        failed |= result.status == FAIL
        print(f"{result.status:<4} {result.label}: {result.detail}", file=out)
    print("Self-test failed." if failed else "Self-test passed.", file=out)
    out.flush()
    return 1 if failed else 0


__all__ = ["CheckResult", "run_self_test"]
