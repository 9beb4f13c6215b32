"""PKCE pairs and state values: what Canvas checks, and that they are unguessable."""

from __future__ import annotations

import base64
import hashlib
import re

from canvas_wizard.core.auth import PkcePair, new_pkce, new_state

UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")  # RFC 7636 section 4.1


def test_challenge_is_unpadded_base64url_of_sha256_of_verifier() -> None:
    pair = new_pkce()
    expected = base64.urlsafe_b64encode(hashlib.sha256(pair.verifier.encode()).digest())
    assert pair.challenge == expected.decode().rstrip("=")
    assert "=" not in pair.challenge
    assert len(pair.challenge) == 43  # 32 bytes of SHA-256, base64url, no padding


def test_rfc7636_appendix_b_example() -> None:
    # The worked example in RFC 7636 appendix B.
    from canvas_wizard.core.auth.pkce import s256_challenge

    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_length_and_alphabet() -> None:
    for _ in range(20):
        verifier = new_pkce().verifier
        assert 43 <= len(verifier) <= 128
        assert UNRESERVED.fullmatch(verifier)


def test_values_are_random() -> None:
    verifiers = {new_pkce().verifier for _ in range(50)}
    states = {new_state() for _ in range(50)}
    assert len(verifiers) == 50
    assert len(states) == 50
    assert all(len(s) >= 32 and UNRESERVED.fullmatch(s) for s in states)


def test_repr_hides_the_verifier() -> None:
    pair = new_pkce()
    assert pair.verifier not in repr(pair)
    assert pair.verifier not in str(pair)
    assert pair.challenge in repr(pair)
    assert PkcePair(verifier="v" * 43, challenge="c") == PkcePair(verifier="v" * 43, challenge="c")
