"""The log file: secrets never reach it, whatever shape they come in; level and rotation work."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from canvas_wizard.core.errors import UsageError
from canvas_wizard.core.paths import app_paths
from canvas_wizard.core.settings import (
    AppSettings,
    load_settings,
    load_settings_or_defaults,
    save_settings,
    settings_path,
)
from canvas_wizard.logs import (
    MASK,
    RedactingFilter,
    log_file,
    recent_log_lines,
    redact,
    set_log_level,
    setup_logging,
    shutdown_logging,
)

SECRET = "Zq8s3CretValue9"
TOKEN = "1~" + "A" * 30 + "b" * 34
CODE = "9f" * 32

# (what the text looks like, the secret in it). Each is a shape seen in real logs:
# requests/urllib3 debug lines, oauthlib bodies, reprs of dicts and dataclasses, headers.
SHAPES = [
    (f"GET /canvas/authorize?code={CODE}&state=xyz HTTP/1.1", CODE),
    (f"http://127.0.0.1:57316/canvas/authorize?state=s&code={CODE}", CODE),
    (f"grant_type=authorization_code&client_id=10000&client_secret={SECRET}&code=x", SECRET),
    (f"grant_type=authorization_code&code={CODE}&redirect_uri=http%3A%2F%2F127.0.0.1", CODE),
    (f"grant_type=refresh_token&refresh_token={TOKEN}&client_id=1", TOKEN),
    (f"https://canvas.example.org/api/v1/users/self?access_token={TOKEN}", TOKEN),
    (f"code_verifier={SECRET}&code=1", SECRET),
    (f"Authorization: Bearer {TOKEN}", TOKEN),
    (f"authorization: bearer {SECRET}", SECRET),
    (f"Authorization: Basic {SECRET}", SECRET),
    (f"{{'Authorization': 'Bearer {SECRET}', 'User-Agent': 'canvas-wizard'}}", SECRET),
    (f'{{"access_token": "{TOKEN}", "token_type": "Bearer", "expires_in": 3600}}', TOKEN),
    (f'{{"refresh_token":"{TOKEN}"}}', TOKEN),
    (f"{{'client_secret': '{SECRET}', 'client_id': '10000'}}", SECRET),
    (f"{{'code': '{CODE}'}}", CODE),
    (f"TokenSet(access_token='{SECRET}', refresh_token='{SECRET}x', expires_at=1)", SECRET),
    (f"client_secret: {SECRET}", SECRET),
    (f"redirect=https://x/login?next=%2Fcb%3Fcode%3D{CODE}%26state%3D1", CODE),
    (f"Invalid token {TOKEN} for user 5", TOKEN),
    (f"Proxy-Authorization: Basic {SECRET}", SECRET),
    (f"Cookie: canvas_session={SECRET}; path=/", SECRET),
]


@pytest.fixture
def logging_to_file(app_home: Path) -> Iterator[Path]:
    paths = app_paths().ensure()
    saved_level = logging.getLogger().level
    path = setup_logging(paths, "DEBUG")
    yield path
    shutdown_logging()
    logging.getLogger().setLevel(saved_level)


@pytest.mark.parametrize(("text", "secret"), SHAPES)
def test_redact_removes_every_secret_shape(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned
    assert redact(cleaned) == cleaned, "redacting twice (file, then bundle) changes nothing"


@pytest.mark.parametrize(
    "text",
    [
        "error_code=5 response_type=code grant_type=authorization_code",
        "GET /api/v1/accounts/1/users?per_page=100 -> 200",
        "Canvas answered with error code: 404",
        "token_type=Bearer expires_in=3600",
        "Sign-in catcher: received the authorization code",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_replaces_known_secret_values_anywhere() -> None:
    assert redact(f"weird {SECRET}-suffix", [SECRET]) == f"weird {MASK}-suffix"


def test_every_shape_logged_through_args_and_messages_stays_out_of_the_file(
    logging_to_file: Path,
) -> None:
    logger = logging.getLogger("urllib3.connectionpool")  # a library's logger, propagating
    for text, _ in SHAPES:
        logger.debug("%s", text)  # in the arguments
        logger.info(text)  # in the message itself
    logging.getLogger("canvas_wizard.test").warning("body: %r", {"client_secret": SECRET})
    shutdown_logging()
    written = logging_to_file.read_text(encoding="utf-8")
    for text, secret in SHAPES:
        assert secret not in written, f"leaked from: {text}"
    assert written.count(MASK) >= 2 * len(SHAPES)
    assert "urllib3.connectionpool" in written, "the records themselves were kept"


def test_a_traceback_carrying_a_secret_is_redacted(logging_to_file: Path) -> None:
    try:
        raise RuntimeError(f"token request failed: client_secret={SECRET}&code={CODE}")
    except RuntimeError:
        logging.getLogger("canvas_wizard.test").exception("it broke")
    logging.getLogger("canvas_wizard.test").info("where", stack_info=True)
    shutdown_logging()
    written = logging_to_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: token request failed" in written
    assert SECRET not in written and CODE not in written


def test_level_is_configurable_and_changes_at_once(app_home: Path) -> None:
    paths = app_paths().ensure()
    saved_level = logging.getLogger().level
    try:
        path = setup_logging(paths, "WARNING")
        log = logging.getLogger("canvas_wizard.test")
        log.info("not written at WARNING")
        log.warning("written at WARNING")
        set_log_level("DEBUG")
        log.debug("written after switching to DEBUG")
        with pytest.raises(ValueError, match="DEBUG, INFO, WARNING, ERROR"):
            set_log_level("LOUD")
    finally:
        shutdown_logging()
        logging.getLogger().setLevel(saved_level)
    written = path.read_text(encoding="utf-8")
    assert "not written" not in written
    assert "written at WARNING" in written
    assert "written after switching to DEBUG" in written


def test_setup_twice_keeps_one_handler_and_the_file_is_private(app_home: Path) -> None:
    paths = app_paths().ensure()
    saved_level = logging.getLogger().level
    before = len(logging.getLogger().handlers)
    try:
        setup_logging(paths, "INFO")
        path = setup_logging(paths, "INFO")
        assert len(logging.getLogger().handlers) == before + 1
        logging.getLogger("canvas_wizard.test").info("hello")
    finally:
        shutdown_logging()
        logging.getLogger().setLevel(saved_level)
    assert len(logging.getLogger().handlers) == before
    assert path == log_file(paths) and path.parent == paths.log_dir
    if sys.platform != "win32":
        assert path.stat().st_mode & 0o077 == 0


def test_rotation_keeps_old_files_and_recent_lines_reads_across_them(app_home: Path) -> None:
    paths = app_paths().ensure()
    saved_level = logging.getLogger().level
    try:
        setup_logging(paths, "INFO", max_bytes=2000, backup_count=5)
        log = logging.getLogger("canvas_wizard.test")
        for i in range(100):
            log.info("line %03d access_token=%s", i, TOKEN)
    finally:
        shutdown_logging()
        logging.getLogger().setLevel(saved_level)
    rotated = sorted(p.name for p in paths.log_dir.iterdir())
    assert "canvas-wizard.log.1" in rotated
    assert (paths.log_dir / "canvas-wizard.log").stat().st_size <= 2000
    lines = recent_log_lines(paths, limit=30)
    assert len(lines) == 30
    assert lines[-1].endswith(f"line 099 access_token={MASK}")
    assert "line 070" in lines[0], "the newest lines, oldest first, across the rotated files"


def test_recent_lines_redact_a_log_written_without_the_filter(app_home: Path) -> None:
    paths = app_paths().ensure()
    log_file(paths).write_text(f"old version wrote client_secret={SECRET}\nplain line\n")
    lines = recent_log_lines(paths, limit=10, secrets=[CODE])
    assert lines == [f"old version wrote client_secret={MASK}", "plain line"]


def test_filter_keeps_a_record_whose_format_string_is_broken() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d %s", (f"code={CODE}",), None)
    assert RedactingFilter().filter(record)
    assert CODE not in record.getMessage()


# -- settings (core.settings): the level and the limits the dialog edits --------------------


def test_settings_round_trip_and_defaults(app_home: Path) -> None:
    paths = app_paths().ensure()
    assert load_settings(paths) == AppSettings()
    settings = AppSettings(log_level="debug", redirect_port=50123)
    settings.limits.max_unlink_share = 0.1
    settings.limits.max_suspend_count = 3
    save_settings(paths, settings)
    loaded = load_settings(paths)
    assert loaded.log_level == "DEBUG"
    assert loaded.redirect_port == 50123
    assert loaded.limits.max_unlink_share == 0.1
    assert loaded.limits.max_suspend_count == 3


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not valid JSON"),
        ('{"log_level": "LOUD"}', "log level"),
        ('{"redirect_port": 80}', "redirect port"),
        ('{"limits": {"max_unlink_share": 5}}', "max unlink share"),
        ('{"limits": {"max_change_count": -1}}', "max change count"),
        ('{"format": 99}', "newer"),
    ],
)
def test_a_damaged_settings_file_is_named_and_start_up_uses_defaults(
    app_home: Path, content: str, named: str
) -> None:
    paths = app_paths().ensure()
    settings_path(paths).write_text(content)
    with pytest.raises(UsageError) as caught:
        load_settings(paths)
    assert str(settings_path(paths)) in caught.value.message
    assert named in caught.value.message
    assert "delete it" in caught.value.hint
    settings, problem = load_settings_or_defaults(paths)
    assert settings == AppSettings() and problem is not None
