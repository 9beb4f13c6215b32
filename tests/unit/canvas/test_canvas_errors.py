"""Canvas's error bodies, and how failures are put into words."""

from __future__ import annotations

import ssl

import pytest
import requests

from canvas_wizard.core.canvas.errors import (
    CanvasError,
    FieldError,
    canvas_messages,
    describe_action,
    parse_field_errors,
)
from canvas_wizard.core.canvas.transport import tls_error, tls_reason
from canvas_wizard.core.errors import WizardError


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "errors": {
                    "pseudonym": {
                        "unique_id": [
                            {
                                "attribute": "unique_id",
                                "type": "taken",
                                "message": "ID already in use for this account and "
                                "authentication provider",
                            }
                        ]
                    }
                }
            },
            [
                FieldError(
                    "pseudonym.unique_id",
                    "taken",
                    "ID already in use for this account and authentication provider",
                )
            ],
        ),
        (
            {"errors": [{"message": "The specified resource does not exist."}]},
            [FieldError("", "", "The specified resource does not exist.")],
        ),
        (
            {"message": "Action must be called on a root account."},
            [FieldError("", "", "Action must be called on a root account.")],
        ),
        (
            {"errors": ["SIS imports can only be executed on root accounts"]},
            [FieldError("", "", "SIS imports can only be executed on root accounts")],
        ),
        (
            {"errors": {"base": "Account storage quota exceeded"}},
            [FieldError("base", "", "Account storage quota exceeded")],
        ),
        (
            {"errors": {"user": {"name": [{"type": "blank", "message": "can't be blank"}]}}},
            [FieldError("user.name", "blank", "can't be blank")],
        ),
        (
            {"error": "invalid_grant", "error_description": "authorization code expired"},
            [FieldError("", "invalid_grant", "authorization code expired")],
        ),
        (
            {"errors": [{"attribute": "observee", "message": "can't observe yourself"}]},
            [FieldError("observee", "", "can't observe yourself")],
        ),
        ("plain words", [FieldError("", "", "plain words")]),
        (None, []),
        ({"id": 3}, []),
    ],
)
def test_every_canvas_error_shape_is_parsed(body: object, expected: list[FieldError]) -> None:
    assert parse_field_errors(body) == expected


def test_messages_name_their_field_except_base() -> None:
    body = {
        "errors": {
            "base": "Nope",
            "pseudonym": {"sis_user_id": [{"type": "taken", "message": 'SIS ID "S1" is taken'}]},
        }
    }
    assert canvas_messages(body) == ["Nope", 'pseudonym.sis_user_id: SIS ID "S1" is taken']


def test_errors_are_wizard_errors_with_path_only_urls() -> None:
    error = CanvasError(
        "x", hint="y", status=400, url="https://c.test/api/v1/users/5?access_token=abc&code=def"
    )
    assert isinstance(error, WizardError)
    assert error.url == "/api/v1/users/5"
    assert "abc" not in repr(error)


@pytest.mark.parametrize(
    ("method", "path", "words"),
    [
        ("POST", "/api/v1/accounts/1/users", "create users in this account"),
        ("PUT", "/api/v1/users/5/observees/6", "link a parent to a student"),
        ("DELETE", "/api/v1/users/5/observees/6", "unlink a parent from a student"),
        ("POST", "/api/v1/accounts/1/sis_imports", "start a SIS import"),
        ("PUT", "/api/v1/accounts/1/logins/9", "change a login or SIS ID"),
        ("GET", "/api/v1/accounts/1/permissions", "read your permissions here"),
        ("PATCH", "/api/v1/odd", "PATCH /api/v1/odd"),
    ],
)
def test_actions_are_described_in_words(method: str, path: str, words: str) -> None:
    assert words in describe_action(method, "https://c.test" + path + "?per_page=100")
    assert "per_page" not in describe_action(method, path + "?per_page=100")


def verify_failure(code: int, text: str) -> requests.exceptions.SSLError:
    inner = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {text}")
    inner.verify_code = code
    inner.verify_message = text
    outer = requests.exceptions.SSLError(inner)
    return outer


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (verify_failure(10, "certificate has expired"), "expired"),
        (verify_failure(62, "Hostname mismatch"), "hostname"),
        (verify_failure(18, "self-signed certificate"), "untrusted"),
        (verify_failure(20, "unable to get local issuer certificate"), "untrusted"),
        # macOS / Windows via truststore: only words, no OpenSSL code.
        (requests.exceptions.SSLError(ssl.SSLError("certificate has expired")), "expired"),
        (
            requests.exceptions.SSLError(
                ssl.SSLCertVerificationError("CERT_E_UNTRUSTEDROOT: root is not trusted")
            ),
            "untrusted",
        ),
        (requests.exceptions.SSLError(ssl.SSLError("wrong version number")), "other"),
    ],
)
def test_tls_failures_are_classified(error: BaseException, reason: str) -> None:
    assert tls_reason(error) == reason
    assert tls_error(error, "https://canvas.school.test/api/v1/x?code=1").reason == reason


def test_expired_certificate_points_at_the_clock() -> None:
    error = tls_error(verify_failure(10, "certificate has expired"), "https://c.test/")
    assert "expired" in error.message
    assert "date and time" in error.hint
