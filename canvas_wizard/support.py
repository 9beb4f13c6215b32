"""The support bundle: one zip a technician can send to whoever helps them.

It holds what a helper asks first — app, OS, Python and Qt versions, where the
secrets are kept, the setups (without secrets), the last runs' summaries and the
recent log — and nothing secret. Every file in it passes :func:`logs.redact`,
and the profiles' actual secrets, read from the keyring for this purpose only,
are searched for and replaced as a last guard.
"""

from __future__ import annotations

import json
import platform
import ssl
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canvas_wizard import APP_TITLE, __version__
from canvas_wizard.core.auth import redirect_uri_for
from canvas_wizard.core.errors import WizardError
from canvas_wizard.core.paths import AppPaths
from canvas_wizard.core.settings import load_settings
from canvas_wizard.core.store import Profile, ProfileStore, SecretKind, SecretStore
from canvas_wizard.core.store.history import HistoryStore, RunSummary
from canvas_wizard.logs import recent_log_lines, redact

#: Runs per profile and log lines a bundle carries: enough to see a pattern, small to email.
RUNS_PER_PROFILE = 20
LOG_LINES = 2000
# Where OpenSSL-based systems keep the CA bundle truststore reads on Linux.
_LINUX_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)


@dataclass(frozen=True)
class BundleResult:
    path: Path
    files: tuple[str, ...]
    profiles: tuple[str, ...]


def qt_versions() -> str:
    """ "Qt 6.x (PySide6 6.x)", or why Qt is not there (the CLI runs without it)."""
    try:
        import PySide6
        from PySide6 import QtCore
    except ImportError as exc:
        return f"Qt not available ({exc})"
    return f"Qt {QtCore.qVersion()} (PySide6 {PySide6.__version__})"


def tls_trust_store() -> str:
    """Which certificates decide whether Canvas's HTTPS certificate is trusted."""
    try:
        import truststore

        version = f"truststore {truststore.__version__}"
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        return "Python's default certificates (truststore missing)"
    if sys.platform == "win32":
        where = "the Windows certificate store"
    elif sys.platform == "darwin":
        where = "the macOS Keychain"
    else:
        found = next((f for f in _LINUX_CA_FILES if Path(f).is_file()), None)
        default = ssl.get_default_verify_paths()
        where = (
            f"the system CA bundle {found or default.cafile or default.capath or '(none found)'}"
        )
    return f"operating system trust store: {where} ({version}, {ssl.OPENSSL_VERSION})"


def keyring_status(secrets: SecretStore) -> str:
    """The keyring in use, and whether it really stores secrets right now."""
    try:
        name = secrets.backend_name
    except Exception as exc:  # a broken keyring config must not stop a diagnosis
        return f"unknown ({type(exc).__name__})"
    try:
        secrets.check()
    except WizardError as exc:
        return f"{name}: NOT usable: {exc.message}"
    return f"{name}: works"


def environment(secrets: SecretStore) -> dict[str, Any]:
    return {
        "app": f"{APP_TITLE} {__version__}",
        "frozen_build": bool(getattr(sys, "frozen", False)),
        "os": platform.platform(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "qt": qt_versions(),
        "keyring": keyring_status(secrets),
        "tls": tls_trust_store(),
    }


def _profile_json(profile: Profile, saved: dict[str, bool | str]) -> dict[str, Any]:
    account = profile.account
    return {
        "name": profile.name,
        "canvas_url": profile.canvas_url,
        "client_id": profile.client_id,
        "redirect_uri": redirect_uri_for(profile.redirect_port),
        "signed_in_as": profile.signed_in_as,
        "account": None
        if account is None
        else {"id": account.id, "name": account.name, "is_root": account.is_root},
        "options": profile.options,
        "secrets_saved": saved,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def _run_json(run: RunSummary) -> dict[str, Any]:
    return {
        "id": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status.value,
        "method": run.method.value,
        "dry_run": run.dry_run,
        "who": run.who,
        "source": run.source,
        "counts": run.counts,
        "approved_by": run.approved_by,
        "breaches": list(run.breaches),
        "error": run.error,
    }


def _secrets_of(profile: Profile, secrets: SecretStore) -> tuple[dict[str, bool | str], set[str]]:
    """Whether each secret is saved (for the bundle) and the values (to scrub them out)."""
    saved: dict[str, bool | str] = {}
    values: set[str] = set()
    for kind in SecretKind:
        try:
            value = secrets.get(profile, kind)
        except WizardError as exc:
            saved[kind.value] = f"unknown: {exc.message}"
            continue
        saved[kind.value] = value is not None
        if value:
            values.add(value)
    return saved, values


def build_support_bundle(
    paths: AppPaths,
    output: Path,
    *,
    secrets: SecretStore,
    profile_names: list[str] | None = None,
    runs_per_profile: int = RUNS_PER_PROFILE,
    log_lines: int = LOG_LINES,
) -> BundleResult:
    """Write the bundle to ``output`` (a .zip); ``profile_names`` None means every profile."""
    store = ProfileStore(paths)
    names = store.names() if profile_names is None else [store.get(n).name for n in profile_names]
    known: set[str] = set()
    files: dict[str, str] = {}
    problems: list[str] = []

    profiles: list[Profile] = []
    for name in names:
        try:
            profiles.append(store.get(name))
        except WizardError as exc:
            problems.append(f"profile {name}: {exc.message}")
    for profile in profiles:
        saved, values = _secrets_of(profile, secrets)
        known |= values
        files[f"profiles/{profile.name}.json"] = _dump(_profile_json(profile, saved))

    if paths.history_db.exists():
        try:
            with HistoryStore(paths.history_db) as history:
                for profile in profiles:
                    runs = history.list_runs(profile.name, limit=runs_per_profile)
                    files[f"history/{profile.name}.json"] = _dump([_run_json(r) for r in runs])
        except WizardError as exc:
            problems.append(f"run history: {exc.message}")

    try:
        settings: Any = _settings_json(paths)
    except WizardError as exc:
        settings = {"problem": exc.message}
    files["settings.json"] = _dump(settings)
    files["logs/recent.log"] = "\n".join(recent_log_lines(paths, log_lines, known)) + "\n"
    about = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment(secrets),
        "folders": {
            "config": str(paths.config_dir),
            "data": str(paths.data_dir),
            "logs": str(paths.log_dir),
        },
        "profiles": [p.name for p in profiles],
        "problems": problems,
    }
    files["about.json"] = _dump(about)
    files["README.txt"] = _README

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for member, text in files.items():
                clean = redact(text, known)
                # The last guard: if a secret survived redaction, leave it out rather than send it.
                if any(secret in clean for secret in known):
                    clean = "(left out: it still contained a secret after redaction)\n"
                bundle.writestr(member, clean)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WizardError(
            f"The support bundle could not be written to {output}: {exc.strerror or exc}.",
            hint="Choose a folder you may write to, for example your Desktop or Documents.",
        ) from None
    return BundleResult(path=output, files=tuple(files), profiles=tuple(p.name for p in profiles))


def _settings_json(paths: AppPaths) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(load_settings(paths))


def _dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def default_bundle_name() -> str:
    return f"canvas-wizard-support-{datetime.now().strftime('%Y%m%d-%H%M%S')}.zip"


_README = f"""\
{APP_TITLE} support bundle

about.json        app, operating system, Python, Qt, keyring and TLS details; folders
settings.json     the app's settings (log level, default safety limits, redirect port)
profiles/*.json   each setup: Canvas address, Client ID, account; whether secrets are saved
history/*.json    the newest sync runs of each setup: when, status, counts, errors
logs/recent.log   the newest lines of the app's log

No client secret, access token, refresh token or authorization code is in this
bundle: they were removed before it was written. Names of Canvas accounts and of
the person who signed in are included, because they help to find the problem.
"""

__all__ = [
    "BundleResult",
    "build_support_bundle",
    "default_bundle_name",
    "environment",
    "keyring_status",
    "qt_versions",
    "tls_trust_store",
]
