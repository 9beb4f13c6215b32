"""Which sign-in provider new logins get, and people whose Canvas login uses another one.

A login under another provider is a different login: the wizard never makes a
second one for someone Canvas already has. It says so, per person, and leaves
the login as it is (changing a provider can lock a person out).
"""

from __future__ import annotations

from collections.abc import Sequence

from canvas_wizard.core.sync.model import ActionKind, CanvasLogin, PersonAction, SyncOptions


def other_provider_note(options: SyncOptions, login: CanvasLogin) -> str:
    """A note when ``login`` belongs to a provider other than the one chosen, else ""."""
    chosen = options.login_provider
    theirs = login.authentication_provider_id
    if not chosen.isdigit() or theirs is None or theirs == int(chosen):
        return ""
    wanted = options.login_provider_label or f"provider id {chosen}"
    return (
        f'Login "{login.unique_id}" signs in through another provider in Canvas (id {theirs}), '
        f"not {wanted} as this setup's new logins do. It is left as it is; no second login "
        "is made. Change the login's provider in Canvas if this person should use the "
        "school's sign-in."
    )


def sign_in_notes(people: Sequence[PersonAction], options: SyncOptions) -> list[str]:
    """Preview notes: which provider new logins get, and how many use another one."""
    notes = []
    creates = sum(1 for a in people if a.kind is ActionKind.CREATE)
    if creates and options.login_provider_label:
        notes.append(f"New logins sign in with: {options.login_provider_label}.")
    others = sum(1 for a in people if "signs in through another provider" in a.reason)
    if others:
        notes.append(
            f"{others} {'person' if others == 1 else 'people'} already in Canvas "
            f"{'signs' if others == 1 else 'sign'} in through another provider than the one "
            "chosen for this setup; their logins are left as they are (see each person)."
        )
    return notes
