"""Northfield Academy Trust: a small school Canvas with the awkward cases a sync meets.

* Alex Morgan (user 1) — root account admin with every permission.
* Sam Patel (user 2) — admin of Northfield Secondary only: can read its users,
  logins and SIS IDs there, but holds nothing on the root account, so cannot
  create logins, set SIS IDs, import or link parents.
* Students S1001–S1008, parents P2001–P2004 (P2001 → S1001, S1002; P2002 → S1003),
  teacher T9001.
* A *deleted* login that still holds SIS ID S1099 (creating S1099 again fails).
* Jordan Lee, login ``jordan.lee`` with no SIS ID (a roster person wanting that
  username collides with it).
* Sign-in providers on the root: Canvas passwords (id 1) and the school's SAML (id 2).
"""

from __future__ import annotations

import hashlib

from canvas_wizard.sandbox.state import (
    ALL_PERMISSIONS,
    Account,
    Login,
    SandboxState,
    User,
    sortable_from,
)

ROOT_ACCOUNT_ID = 1
PRIMARY, SECONDARY, SIXTH_FORM = 2, 3, 4

#: Sam's sub-account role: reading only.
SUB_ACCOUNT_ADMIN_PERMISSIONS = frozenset(
    {"read_roster", "view_user_logins", "read_sis", "read_email_addresses", "read_reports"}
)

# (sis id, name, login, home account)
STUDENTS = [
    ("S1001", "Ava Thompson", "ava.thompson", PRIMARY),
    ("S1002", "Noah Williams", "noah.williams", PRIMARY),
    ("S1003", "Mia Johnson", "mia.johnson", PRIMARY),
    ("S1004", "Oliver Brown", "oliver.brown", PRIMARY),
    ("S1005", "Isla Davies", "isla.davies", SECONDARY),
    ("S1006", "Leo Wilson", "leo.wilson", SECONDARY),
    ("S1007", "Grace Evans", "grace.evans", SIXTH_FORM),
    ("S1008", "Harry Roberts", "harry.roberts", SIXTH_FORM),
]
PARENTS = [
    ("P2001", "Emma Thompson", "emma.thompson@home.example"),
    ("P2002", "Daniel Johnson", "daniel.johnson@home.example"),
    ("P2003", "Priya Davies", "priya.davies@home.example"),
    ("P2004", "Tom Wilson", "tom.wilson@home.example"),
]
LINKS = [("P2001", "S1001"), ("P2001", "S1002"), ("P2002", "S1003")]


def _add_user(
    state: SandboxState,
    name: str,
    login: str,
    home: int,
    *,
    sis_id: str | None = None,
    email: str | None = None,
    login_state: str = "active",
) -> User:
    user = User(
        id=state.next_id("user"),
        name=name,
        sortable_name=sortable_from(name),
        short_name=name,
        home_account_id=home,
    )
    state.users[user.id] = user
    pseudonym = Login(
        id=state.next_id("login"),
        user_id=user.id,
        account_id=ROOT_ACCOUNT_ID,
        unique_id=login,
        sis_user_id=sis_id,
        workflow_state=login_state,
    )
    state.logins[pseudonym.id] = pseudonym
    if email:
        state.add_channel(user.id, email, confirmed=True)
    return user


def seed_northfield(state: SandboxState) -> None:
    with state.lock:
        for account_id, name, parent, sis in (
            (ROOT_ACCOUNT_ID, "Northfield Academy Trust", None, None),
            (PRIMARY, "Northfield Primary", ROOT_ACCOUNT_ID, "NF-PRIMARY"),
            (SECONDARY, "Northfield Secondary", ROOT_ACCOUNT_ID, "NF-SECONDARY"),
            (SIXTH_FORM, "Sixth Form", SECONDARY, "NF-SIXTH"),
        ):
            state.next_id("account")  # keeps later accounts numbered after these
            state.accounts[account_id] = Account(
                id=account_id,
                name=name,
                parent_account_id=parent,
                root_account_id=None if parent is None else ROOT_ACCOUNT_ID,
                uuid=hashlib.sha1(f"northfield-{account_id}".encode()).hexdigest(),
                sis_account_id=sis,
            )
        # Canvas passwords, and the school's single sign-on (SAML): new logins should use
        # the SAML one, the account's only non-Canvas provider.
        state.add_auth_provider(ROOT_ACCOUNT_ID, "canvas", self_registration="none")
        state.add_auth_provider(
            ROOT_ACCOUNT_ID,
            "saml",
            idp_entity_id="https://sso.northfield.example/idp",
            log_in_url="https://sso.northfield.example/idp/sso",
        )

        alex = _add_user(
            state,
            "Alex Morgan",
            "alex.morgan@northfield.example",
            ROOT_ACCOUNT_ID,
            email="alex.morgan@northfield.example",
        )
        state.grant_admin(alex.id, ROOT_ACCOUNT_ID, ALL_PERMISSIONS)
        sam = _add_user(
            state,
            "Sam Patel",
            "sam.patel@northfield.example",
            SECONDARY,
            email="sam.patel@northfield.example",
        )
        state.grant_admin(
            sam.id, SECONDARY, SUB_ACCOUNT_ADMIN_PERMISSIONS, role="Sub-account Admin"
        )

        by_sis: dict[str, User] = {}
        for sis_id, name, login, home in STUDENTS:
            email = f"{login}@students.northfield.example"
            by_sis[sis_id] = _add_user(state, name, login, home, sis_id=sis_id, email=email)
        for sis_id, name, login in PARENTS:
            by_sis[sis_id] = _add_user(
                state, name, login, ROOT_ACCOUNT_ID, sis_id=sis_id, email=login
            )
        for observer, student in LINKS:
            state.link_observer(by_sis[observer].id, by_sis[student].id)

        _add_user(
            state,
            "Rachel Green",
            "rachel.green@northfield.example",
            SECONDARY,
            sis_id="T9001",
            email="rachel.green@northfield.example",
        )
        # Left the school: the login is deleted but Canvas keeps its SIS ID.
        _add_user(
            state, "Ethan Clarke", "ethan.clarke", SECONDARY, sis_id="S1099", login_state="deleted"
        )
        # Created by hand, never given a SIS ID.
        _add_user(
            state,
            "Jordan Lee",
            "jordan.lee",
            SECONDARY,
            email="jordan.lee@northfield.example",
        )


# A Canvas the school already lived in, for --demo: parents who registered themselves
# (login = their email, no SIS ID; names as people type them), one whose name does not
# match the roster's, and students an older script gave SIS IDs with its own prefix.
# (name in Canvas, login = email)
SELF_REGISTERED = [
    ("claire brown", "claire.brown@inbox.example"),
    ("Gareth Evans", "gareth.evans@inbox.example"),
    ("Roberts, Helen", "helen.roberts@mailbox.example"),
    ("Sean O'Connor", "sean.oconnor@oconnor-family.example"),
    ("Aoife  O'Connor", "aoife@oconnor-family.example"),
    ("Lucia Fernandez", "lucia.fernandez@correo.example"),
    ("Anna Kowalski", "anna.kowalski@poczta.example"),
    ("Rajesh Kumar Sharma", "rajesh.sharma@inbox.example"),
    ("Neha Sharma", "neha.sharma@inbox.example"),
    ("Dubois, Émilie", "emilie.dubois@courriel.example"),
    ("FARAH HASSAN", "farah.hassan@mailbox.example"),
    ("Jonas Muller", "jonas.mueller@post.example"),
    # Not the roster's Mark Roberts by name: a conflict naming this user, never taken over.
    ("M. Roberts", "mark.roberts@mailbox.example"),
]
# (SIS ID as the older script wrote it, name, login, home account)
PREFIXED_STUDENTS = [
    ("NF-S1009", "Liam O'Connor", "liam.oconnor", SECONDARY),
    ("NF-S1014", "Aarav Sharma", "aarav.sharma", SECONDARY),
    ("NF-S1016", "Chloé Dubois", "chloe.dubois", SECONDARY),
]


# Courses the school already teaches in Canvas (the sandbox knows courses by id only)
# and who is enrolled: most seeded students are, Noah Williams (S1002, linked to Emma
# Thompson) is not yet, so a parent linked to him sees nothing until he is.
COURSES = {101: "Year 3 English", 102: "Year 5 Maths", 103: "Sixth Form Biology"}
ENROLMENTS = [
    ("S1001", 101),
    ("S1003", 101),
    ("S1004", 102),
    ("S1005", 102),
    ("S1006", 102),
    ("S1007", 103),
    ("S1008", 103),
    ("NF-S1009", 102),
    ("NF-S1014", 101),
]


def seed_enrolments(state: SandboxState) -> None:
    """Enrol the seeded students of :data:`ENROLMENTS` (observer enrolments follow links)."""
    with state.lock:
        for sis_id, course_id in ENROLMENTS:
            user = state.user_by_sis_id(sis_id)
            if user is not None:
                state.enroll(user.id, course_id)


def seed_lived_in(state: SandboxState) -> None:
    """Add what a school's Canvas holds before its first sync (see SELF_REGISTERED)."""
    with state.lock:
        for name, email in SELF_REGISTERED:
            _add_user(state, name, email, ROOT_ACCOUNT_ID, email=email)
        for sis_id, name, login, home in PREFIXED_STUDENTS:
            email = f"{login}@students.northfield.example"
            _add_user(state, name, login, home, sis_id=sis_id, email=email)
        seed_enrolments(state)
