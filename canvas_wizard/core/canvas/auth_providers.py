"""The sign-in (authentication) providers of a root account, and which one new logins use.

A Canvas login belongs to one authentication provider, or to none. Canvas's
legacy providers (LDAP, CAS, SAML) also accept logins that belong to none, but
the newer ones (Google, Microsoft, OpenID Connect, Clever…) only find logins
explicitly tied to them: a login made without a provider may not be the one the
school's sign-in looks for. So the admin chooses, once per setup:

* ``any``: logins are tied to no provider (Canvas's default when nothing is sent);
* ``canvas``: logins are Canvas-password logins;
* an id: logins belong to that provider (e.g. the school's SAML or Google).

The default is the account's only non-Canvas provider when it has exactly one,
else ``any``. ``GET /api/v1/accounts/:id/authentication_providers`` answers a
plain JSON array (``id``, ``auth_type``, ``position`` and per-type fields), and
only to admins who manage the root account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from canvas_wizard.core.canvas.client import CanvasClient
from canvas_wizard.core.canvas.errors import CanvasNotFound, CanvasPermissionError

ANY = "any"
CANVAS = "canvas"

#: How auth_type values read to a technician.
_TYPE_LABELS = {
    "canvas": "Canvas password",
    "saml": "SAML",
    "google": "Google",
    "microsoft": "Microsoft",
    "openid_connect": "OpenID Connect",
    "ldap": "LDAP",
    "cas": "CAS",
    "clever": "Clever",
    "apple": "Apple",
    "github": "GitHub",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
}


@dataclass(frozen=True)
class AuthProvider:
    id: int
    auth_type: str
    position: int
    detail: str = ""  # e.g. the SAML IdP entity id or a Google hosted domain

    @property
    def label(self) -> str:
        kind = _TYPE_LABELS.get(self.auth_type, self.auth_type)
        extra = f", {self.detail}" if self.detail else ""
        return f"{kind} (id {self.id}{extra})"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthProvider:
        detail = data.get("idp_entity_id") or data.get("hosted_domain") or data.get("auth_host")
        return cls(
            id=int(data["id"]),
            auth_type=str(data.get("auth_type") or "unknown"),
            position=int(data.get("position") or 0),
            detail=str(detail) if detail else "",
        )


def list_auth_providers(client: CanvasClient, account_id: int) -> list[AuthProvider]:
    """The account's active providers, in Canvas's order (position 1 is the default)."""
    found = [
        AuthProvider.from_json(item)
        for item in client.get_all(f"/api/v1/accounts/{account_id}/authentication_providers")
    ]
    return sorted(found, key=lambda p: (p.position, p.id))


def default_choice(providers: Sequence[AuthProvider]) -> str:
    """The only non-Canvas provider's id when there is exactly one, else ``any``."""
    others = [p for p in providers if p.auth_type != CANVAS]
    return str(others[0].id) if len(others) == 1 else ANY


class UnknownProvider(ValueError):
    """The choice names no provider of the account."""


def normalise_choice(choice: str, providers: Iterable[AuthProvider]) -> str:
    """``any`` | ``canvas`` | a provider id that exists; UnknownProvider otherwise."""
    text = choice.strip().lower()
    if text in (ANY, CANVAS):
        return text
    known = {str(p.id): p for p in providers}
    if text in known:
        return text
    listed = ", ".join(f"{p.id} = {p.label}" for p in known.values()) or "none"
    raise UnknownProvider(
        f"{choice!r} is not one of this account's sign-in providers ({listed}); "
        "choose one of their ids, canvas or any"
    )


def value_to_send(choice: str, providers: Iterable[AuthProvider] = ()) -> str:
    """What goes into ``pseudonym[authentication_provider_id]`` / the SIS column; "" = nothing.

    ``canvas`` is sent as the Canvas provider's id when the account lists one, else as
    the type, which Canvas also accepts.
    """
    if choice == ANY or not choice:
        return ""
    if choice == CANVAS:
        canvas = next((p for p in providers if p.auth_type == CANVAS), None)
        return str(canvas.id) if canvas is not None else CANVAS
    return choice


def describe_choice(choice: str, providers: Iterable[AuthProvider] = ()) -> str:
    """The choice in a technician's words, for the preview and the wizard."""
    if choice == ANY or not choice:
        return "no particular provider (any sign-in method may use them)"
    if choice == CANVAS:
        return "Canvas passwords"
    found = next((p for p in providers if str(p.id) == choice), None)
    return found.label if found is not None else f"provider id {choice}"


def setting_for(choice: str, providers: Sequence[AuthProvider]) -> dict[str, str]:
    """What a setup keeps (Profile.options["sign_in_provider"]) for ``choice``."""
    return {
        "choice": choice,
        "send": value_to_send(choice, providers),
        "label": describe_choice(choice, providers),
    }


@dataclass(frozen=True)
class SignInChoice:
    """The sign-in provider a setup will give new logins, and what the admin should know."""

    setting: dict[str, str]  # setting_for(): kept in the profile
    providers: tuple[AuthProvider, ...]  # () when they could not be read
    warning: str = ""


def choose_sign_in(client: CanvasClient, root_id: int, requested: str | None) -> SignInChoice:
    """``requested`` (``any``, ``canvas`` or an id) checked against the root account's
    providers, or the default; UnknownProvider for an id the account does not have."""
    warning = ""
    try:
        providers: tuple[AuthProvider, ...] = tuple(list_auth_providers(client, root_id))
        readable = True
    except (CanvasPermissionError, CanvasNotFound):
        providers, readable = (), False
        warning = (
            "The account's sign-in providers could not be read (only admins of the root "
            "account can see them)"
        )
    if requested:
        text = requested.strip().lower()
        if not readable and text.isdigit():
            choice = text
            warning += f"; provider id {text} is used as given, unchecked."
        else:
            choice = normalise_choice(text, providers)
    else:
        choice = default_choice(providers)
        if not readable:
            warning += "; new logins are tied to no particular provider."
    return SignInChoice(setting_for(choice, providers), providers, warning)


def setting_label(setting: object) -> str:
    """A kept setting (Profile.options["sign_in_provider"]) in words, for the app's pages."""
    if isinstance(setting, dict) and setting.get("label"):
        return str(setting["label"])
    return "no provider in particular"
