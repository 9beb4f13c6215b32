"""PKCE (RFC 7636) and the ``state`` value for one sign-in.

Canvas supports only the S256 method and checks the verifier as
base64url(sha256(verifier)) without padding (canvas-lms lib/canvas/oauth/pkce.rb).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

# 64 random bytes give an 86-character verifier: inside RFC 7636's 43–128 and
# made only of its unreserved characters (token_urlsafe uses A–Z a–z 0–9 - _).
_VERIFIER_BYTES = 64
_STATE_BYTES = 32


@dataclass(frozen=True)
class PkcePair:
    """A code verifier (kept secret until the token call) and its S256 challenge."""

    verifier: str = field(repr=False)
    challenge: str


def s256_challenge(verifier: str) -> str:
    """base64url(sha256(verifier)) without ``=`` padding, as Canvas computes it."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce() -> PkcePair:
    verifier = secrets.token_urlsafe(_VERIFIER_BYTES)
    return PkcePair(verifier=verifier, challenge=s256_challenge(verifier))


def new_state() -> str:
    """An unguessable value that ties Canvas's redirect to the sign-in we started."""
    return secrets.token_urlsafe(_STATE_BYTES)
