"""The app's log: one rotating file under AppPaths.log_dir, with secrets taken out.

Every record passes :class:`RedactingFilter` on its way to the file, so a client
secret, token or authorization code that reaches a log call by mistake (ours or
a library's, in the message, its arguments or a traceback) is written as
``[redacted]``. The same :func:`redact` cleans log lines again when they go into
a support bundle, so a log written by an older version is safe to send too.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from canvas_wizard.core.paths import AppPaths

LOG_FILE_NAME = "canvas-wizard.log"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
MASK = "[redacted]"
#: 1 MB a file, five old ones kept: weeks of ordinary use, small enough to email.
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s [%(process)d %(threadName)s] %(name)s: %(message)s"

# Names under which a secret travels in URLs, form bodies, JSON and Python reprs.
_KEYS = (
    r"client_secret|access_token|refresh_token|id_token|code_verifier|code|password|"
    r"secret|assertion|api_key|apikey"
)


def _auth_header(match: re.Match[str]) -> str:
    scheme = match.group(2)
    return f"{match.group(1)}{scheme} {MASK}" if scheme else f"{match.group(1)}{MASK}"


_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # Authorization / Proxy-Authorization headers, as text or inside a dict repr;
    # the scheme (Bearer, Basic) stays so the log still says what kind it was.
    (
        re.compile(
            r"""((?:proxy-)?authorization["']?\s*[:=]\s*["']?)"""
            r"""(?:(bearer|basic|token|digest)\s+)?[^\s"',}]+""",
            re.IGNORECASE,
        ),
        _auth_header,
    ),
    (
        re.compile(r"""((?:set-)?cookie["']?\s*[:=]\s*["']?)[^"'\r\n}]+""", re.IGNORECASE),
        r"\1" + MASK,
    ),
    # A bearer token anywhere else ("Bearer abc..." in an error text).
    (
        re.compile(r"\b(bearer)\s+(?!\[redacted\])[A-Za-z0-9.~+/-]{8,}=*(?![\w=])", re.IGNORECASE),
        r"\1 " + MASK,
    ),
    # "key": "value" and 'key': 'value' (JSON bodies, dict reprs).
    (
        re.compile(
            rf"""(["'])({_KEYS})\1(\s*:\s*)(["'])(?:\\.|(?!\4).)*\4""",
            re.IGNORECASE,
        ),
        rf"\1\2\1\3\4{MASK}\4",
    ),
    # key=value in query strings, form bodies and reprs (quoted or not); "error_code=5"
    # and "response_type=code" are left alone: the key must stand on its own.
    (
        re.compile(
            rf"""(?<![\w.-])({_KEYS})(\s*=\s*)(?!\[redacted\])(?:'[^']*'|"[^"]*"|[^&\s#'"<>,;)\]}}]+)""",
            re.IGNORECASE,
        ),
        rf"\1\2{MASK}",
    ),
    # The same inside a URL that is itself a parameter (redirect_uri=...%3Fcode%3D...).
    (
        re.compile(
            rf"(?:(?<![\w.-])|(?<=%3F)|(?<=%26))({_KEYS})(%3D)(?:[^&\s%'\"]|%(?!26))+",
            re.IGNORECASE,
        ),
        rf"\1\2{MASK}",
    ),
    # "key: value" without quotes (YAML-ish text, exception messages). Not "code:",
    # which is too common in ordinary sentences ("error code: 404").
    (
        re.compile(
            rf"""(?<![\w.-])((?!code\b)(?:{_KEYS}))(\s*:\s*)(?!\[redacted\])(?:'[^']*'|"[^"]*"|[^\s,'"}}]+)""",
            re.IGNORECASE,
        ),
        rf"\1\2{MASK}",
    ),
    # Canvas access and refresh tokens look like "<shard>~<64 letters and digits>".
    (re.compile(r"\b\d{1,8}~[A-Za-z0-9]{20,}"), MASK),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret-shaped part, and each of ``secrets``, replaced by [redacted]."""
    # Known values first: a pattern could cut one in half and leave the rest readable.
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with :func:`redact`.

    Attach it to a handler, not a logger: a handler's filters see every record
    that reaches it, also those propagated from libraries' loggers.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files readable by their owner only: they name the school's Canvas and people."""

    def _open(self):  # type: ignore[no-untyped-def]  # typeshed's signature differs by version
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


_handler: logging.Handler | None = None


def log_file(paths: AppPaths) -> Path:
    return paths.log_dir / LOG_FILE_NAME


def normalize_level(level: str | int) -> str:
    """A level name from LOG_LEVELS; ValueError naming the choices otherwise."""
    name = logging.getLevelName(level) if isinstance(level, int) else str(level).strip().upper()
    if name not in LOG_LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LOG_LEVELS)}")
    return str(name)


def setup_logging(
    paths: AppPaths,
    level: str | int = DEFAULT_LEVEL,
    *,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> Path:
    """Send the root logger to the rotating log file; returns its path.

    Calling it again (another --config-dir, a new level) replaces the previous
    file handler, so there is only ever one.
    """
    global _handler
    name = normalize_level(level)
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    path = log_file(paths)
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    shutdown_logging()
    root.addHandler(handler)
    root.setLevel(name)
    _handler = handler
    return path


def set_log_level(level: str | int) -> None:
    """Change the level of the running app (the settings dialog calls this)."""
    logging.getLogger().setLevel(normalize_level(level))


def shutdown_logging() -> None:
    """Detach and close the file handler setup_logging installed (if any)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def current_log_file() -> Path | None:
    """The file the running app logs to, or None before setup_logging."""
    if isinstance(_handler, logging.FileHandler):
        return Path(_handler.baseFilename)
    return None


def recent_log_lines(paths: AppPaths, limit: int = 1000, secrets: Iterable[str] = ()) -> list[str]:
    """The newest ``limit`` lines of the log (older rotated files first), redacted."""
    base = log_file(paths)
    files = [base.with_name(f"{base.name}.{i}") for i in range(BACKUP_COUNT, 0, -1)] + [base]
    lines: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines.extend(text.splitlines())
        del lines[:-limit]
    known = set(secrets)
    return [redact(line, known) for line in lines[-limit:]] if limit > 0 else []


__all__ = [
    "LOG_FILE_NAME",
    "LOG_LEVELS",
    "MASK",
    "RedactingFilter",
    "current_log_file",
    "log_file",
    "normalize_level",
    "recent_log_lines",
    "redact",
    "set_log_level",
    "setup_logging",
    "shutdown_logging",
]
