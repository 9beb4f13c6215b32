"""The About dialog, the app icon, and the "where are my logs" helpers it offers.

``open_folder`` and ``save_support_bundle`` are also what a Help menu and the
crash dialog call, so the three places behave the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from canvas_wizard import APP_TITLE, __version__
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.store import SecretStore
from canvas_wizard.resources import resource_path
from canvas_wizard.ui.widgets import StatusLine, documents_dir, plain_label

log = logging.getLogger(__name__)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app's icon at every size we ship (window, taskbar, dialogs); empty if missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        try:
            icon.addFile(str(resource_path(f"icons/canvas-wizard-{size}.png")))
        except FileNotFoundError:
            log.warning("App icon size %s px is missing", size)
    return icon


def open_folder(path: Path) -> bool:
    """Show ``path`` in the file manager (creating it first, so there is something to show)."""
    path.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def ask_bundle_path(parent: QWidget | None, suggested: Path) -> Path | None:
    """Ask where to save the support bundle; None if the admin cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(
        parent, "Save support bundle", str(suggested), "Zip files (*.zip)"
    )
    return Path(chosen) if chosen else None


def save_support_bundle(
    parent: QWidget | None,
    paths: AppPaths,
    secrets: SecretStore,
    *,
    ask: Callable[[QWidget | None, Path], Path | None] = ask_bundle_path,
) -> Path:
    """Ask for a file name and write the bundle there; WizardError if cancelled or it fails."""
    from canvas_wizard.support import build_support_bundle, default_bundle_name

    target = ask(parent, documents_dir() / default_bundle_name())
    if target is None:
        raise WizardError("No support bundle was saved.")
    result = build_support_bundle(paths, target, secrets=secrets)
    log.info("Support bundle saved to %s", result.path)
    return result.path


def version_text(secrets: SecretStore) -> str:
    """The lines a helper asks for first; also what "Copy version info" copies."""
    from canvas_wizard.support import environment

    env = environment(secrets)
    return "\n".join(f"{key}: {value}" for key, value in env.items())


def secrets_text(secrets: SecretStore) -> str:
    """Where the Client Secret and sign-in tokens are in this run, truthfully."""
    if not secrets.persistent:
        return (
            "Kept in memory for this run only (session-only: a demo, or no keyring was "
            "available); never written to a file. You will sign in again next time."
        )
    return f"Kept in {secrets.backend_name}, never in a file."


class AboutDialog(QDialog):
    """Name, version, what the app is, its folders; open the log folder, save a support bundle."""

    def __init__(
        self, paths: AppPaths, secrets: SecretStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.secrets = secrets
        self.setWindowTitle(f"About {APP_TITLE}")
        layout = QVBoxLayout(self)

        head = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        logo.setAccessibleName("App icon")
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        title = QVBoxLayout()
        name = plain_label(f"{APP_TITLE} {__version__}")
        font = name.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        name.setFont(font)
        title.addWidget(name)
        title.addWidget(
            plain_label(
                "Connects your school's Cloudwork accounts to Canvas LMS: a guided setup, "
                "then a sync of students, parents and parent–student links you can preview "
                "before anything is written."
            )
        )
        head.addLayout(title, 1)
        layout.addLayout(head)

        self.version_info = version_text(secrets)
        details = QFormLayout()
        self.details_label = plain_label(self.version_info)
        details.addRow("This installation:", self.details_label)
        details.addRow("Settings and setups:", plain_label(str(paths.config_dir)))
        details.addRow("Run history:", plain_label(str(paths.data_dir)))
        details.addRow("Logs:", plain_label(str(paths.log_dir)))
        layout.addLayout(details)
        self.secrets_label = plain_label(secrets_text(secrets))
        self.secrets_label.setAccessibleName("Where secrets are kept in this run")
        details.addRow("Secrets:", self.secrets_label)
        layout.addWidget(
            plain_label(
                "Built with Qt for Python (PySide6, LGPLv3), requests, keyring, platformdirs "
                "and truststore."
            )
        )
        self.status = StatusLine()
        layout.addWidget(self.status)

        buttons = QDialogButtonBox()
        self.open_logs_button = QPushButton("Open log folder")
        self.open_logs_button.setAccessibleName("Open the log folder")
        self.bundle_button = QPushButton("Save support bundle…")
        self.bundle_button.setAccessibleName("Save a support bundle")
        self.copy_button = QPushButton("Copy version info")
        self.copy_button.setAccessibleName("Copy the version information")
        for button in (self.open_logs_button, self.bundle_button, self.copy_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        self.open_logs_button.clicked.connect(self._on_open_logs)
        self.bundle_button.clicked.connect(self._on_bundle)
        self.copy_button.clicked.connect(self._on_copy)
        layout.addWidget(buttons)
        self.ask_bundle_path: Callable[[QWidget | None, Path], Path | None] = ask_bundle_path
        self.setMinimumWidth(560)

    def _on_open_logs(self) -> None:
        if not open_folder(self.paths.log_dir):
            self.status.show_status("info", f"The logs are in {self.paths.log_dir}")

    def _on_copy(self) -> None:
        QGuiApplication.clipboard().setText(f"{APP_TITLE} {__version__}\n{self.version_info}")
        self.status.show_status("ok", "Version information copied.")

    def _on_bundle(self) -> None:
        try:
            path = save_support_bundle(self, self.paths, self.secrets, ask=self.ask_bundle_path)
        except WizardError as exc:
            self.status.show_error(exc)
            return
        self.status.show_status(
            "ok", f"Saved {path}. It holds no passwords or tokens; send it to your helper."
        )


__all__ = [
    "AboutDialog",
    "app_icon",
    "ask_bundle_path",
    "open_folder",
    "save_support_bundle",
    "version_text",
]
