"""Plan a sync: compare the roster with Canvas and decide one action for each person and link.

:func:`plan_sync` is a pure function: it reads the roster and the snapshot and
writes nothing, so "Preview" and "Sync" see exactly the same plan.

Decisions worth knowing (each has a test):

* People match by SIS ID exactly: "S01", "s01" and "S1" are three people.
* Usernames compare as Canvas compares them, ignoring case
  (:func:`~canvas_wizard.core.sync.model.login_key`). A username that differs
  only in case is *not* an update: sign-in already works, and rewriting it
  would count every such person against the change limit on the first run
  and fight any other tool that provisions the same logins.
* Emails compare as whole addresses ignoring case
  (:func:`~canvas_wizard.core.sync.model.email_key`): Canvas itself matches
  channels that way, so a case-only "change" would never stick.
* Names compare exactly after collapsing whitespace; a change of case in a
  name is an update, because people see their name.
* A missing roster email never blanks Canvas's email.
* Nothing is changed for a person in conflict, links included.
* A roster person Canvas lacks by exact SIS ID but who clearly is an existing
  Canvas user (sync/adopt.py) is taken over (ADOPT) only with
  ``SyncOptions.adopt``; without it they are a conflict, never a second account,
  and a note says how many could be taken over.

It must stay fast (100,000 people and 150,000 links well within a second):
every lookup goes through a dict built once, and the common case (nothing
changed) takes the shortest path.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter

from canvas_wizard.core.roster.model import Link, Person, Roster
from canvas_wizard.core.sync.adopt import AdoptFinding, AdoptionFinder, AdoptMatch, find_adoptions
from canvas_wizard.core.sync.model import (
    LOGIN_SUSPENDED,
    ActionKind,
    CanvasPerson,
    FieldChange,
    LinkAction,
    LoginHolder,
    PersonAction,
    Plan,
    Snapshot,
    SyncOptions,
    email_key,
    login_key,
    normalise_name,
)
from canvas_wizard.core.sync.sign_in import other_provider_note, sign_in_notes
from canvas_wizard.core.sync.staff_links import plan_staff_links, staff_links_note

CREATE, UPDATE, UNCHANGED = ActionKind.CREATE, ActionKind.UPDATE, ActionKind.UNCHANGED
LINK, UNLINK, SUSPEND = ActionKind.LINK, ActionKind.UNLINK, ActionKind.SUSPEND
CONFLICT, SKIP = ActionKind.CONFLICT, ActionKind.SKIP
ADOPT = ActionKind.ADOPT


def plan_sync(roster: Roster, snapshot: Snapshot, options: SyncOptions) -> Plan:
    """Decide, without writing anything, what a sync of ``roster`` into Canvas would do."""
    with _collector_paused():
        return _Planner(roster, snapshot, options).plan()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while the plan is built.

    A large plan allocates several hundred thousand small objects that all
    survive, and none of them form reference cycles; the collector would
    rescan every one of them (and everything else alive) several times over,
    which measured at over a third of the planning time for 100,000 people.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Planner:
    def __init__(self, roster: Roster, snapshot: Snapshot, options: SyncOptions) -> None:
        self.roster = roster
        self.snapshot = snapshot
        self.options = options
        self.by_sis = snapshot.by_sis_id
        self.by_login = snapshot.by_login
        self.several_sis_ids = snapshot.several_sis_ids
        # Roster SIS ID → Canvas id, for people whose links may be made or kept.
        self.linkable: dict[str, int] = {}
        self._rivals: dict[str, list[str]] | None = None
        # A delta export (Roster.complete False) lists only what changed: whoever and
        # whatever it leaves out is unchanged, not gone. getattr: older rosters lack it.
        self.roster_complete: bool = getattr(roster, "complete", True)
        self.emails_visible: bool = getattr(snapshot, "emails_visible", True)
        self.finder: AdoptionFinder | None = None
        self.adoptable: dict[str, AdoptFinding] = {}

    def _find_adoptions(self) -> None:
        """Candidates for the active roster people no login holds by exact SIS ID."""
        by_sis = self.by_sis
        unmatched = {
            sis: p for sis, p in self.roster.people.items() if p.active and sis not in by_sis
        }
        if unmatched and self.snapshot.people:
            protected = getattr(self.snapshot, "protected_users", {})
            self.finder = AdoptionFinder(self.roster, self.snapshot, protected)
            self.adoptable = find_adoptions(self.finder, unmatched)

    def plan(self) -> Plan:
        self._find_adoptions()
        person_of = self._person
        # Roster order first (memory order: measurably faster than jumping around),
        # sorted once at the end.
        actions = {sis: person_of(sis, p) for sis, p in self.roster.people.items()}
        people = [*actions.values(), *self._leavers()]
        people.sort(key=attrgetter("sis_id"))
        links, kept = self._roster_links(actions)
        staff_links, staff_kept = plan_staff_links(
            self.roster, self.snapshot, self.linkable, actions
        )
        if staff_links:
            links += staff_links
            kept += staff_kept
            links.sort(key=attrgetter("student_sis_id"))
            links.sort(key=attrgetter("parent_sis_id"))
        existing = self.snapshot.links
        # Usually the roster keeps every Canvas link, and nothing is left to look at.
        if len(kept) < len(existing):
            unlinks = self._unlinks(existing.difference(kept), actions)
            if unlinks:
                links += unlinks
                # Two stable sorts on one string each beat one sort on tuples.
                links.sort(key=attrgetter("student_sis_id"))
                links.sort(key=attrgetter("parent_sis_id"))
        notes = []
        if not self.roster_complete:
            notes.append(_DELTA_ROSTER)
        if self.options.suspend_missing and not self.snapshot.complete:
            notes.append(_INCOMPLETE_SNAPSHOT)
        if staff_links:
            notes.append(staff_links_note(staff_links))
        notes += sign_in_notes(people, self.options)
        notes += self._adoption_notes(people)
        return Plan(people=people, links=links, options=self.options, notes=notes)

    # -- people ---------------------------------------------------------------

    def _person(self, sis: str, person: Person) -> PersonAction:
        holder = self.by_sis.get(sis)
        if not person.active:
            return self._inactive(sis, person, holder)
        if holder is None:
            finding = self.adoptable.get(sis) if self.adoptable else None
            if finding is not None:
                return self._adopt_or_hold(sis, person, finding)
            return self._new(sis, person)
        if holder.deleted:
            return _conflict(sis, person, _sis_on_deleted_login(sis, holder))
        canvas, login, options = holder.person, holder.login, self.options
        if canvas.id in self.several_sis_ids:
            shared = self._roster_sis_ids_of(canvas)
            if len(shared) > 1:
                return _conflict(sis, person, _one_user_many_sis(canvas, shared), canvas.id)

        # Each field first compares raw values: equal is the common case, and cheap.
        changes: list[FieldChange] = []
        note = ""
        name = person.full_name
        if options.update_names and name != canvas.name:
            name = normalise_name(name)
            if name and name != normalise_name(canvas.name):
                changes.append(FieldChange("name", canvas.name, name))
        email = person.email
        if options.update_emails and email and email != canvas.email and self.emails_visible:
            email = email.strip()
            if email and (canvas.email is None or email_key(canvas.email) != email_key(email)):
                changes.append(FieldChange("email", canvas.email, email))
        wanted = person.username
        if options.update_logins and wanted != login.unique_id and wanted.strip():
            key = login_key(wanted)
            if key != login_key(login.unique_id):
                if any(h.person.id == canvas.id for h in self.by_login.get(key, ())):
                    # Renaming the SIS login would collide with the user's own other
                    # login, and they can already sign in with the roster's username.
                    note = (
                        f'Username "{wanted}" is already another login of this user; the '
                        f'login with SIS ID {sis} keeps "{login.unique_id}".'
                    )
                else:
                    blocked = self._username_blocked(sis, person, canvas.id)
                    if blocked:
                        return _conflict(sis, person, blocked, canvas.id)
                    changes.append(FieldChange("login", login.unique_id, wanted))
        note = note or other_provider_note(options, login)
        if options.reactivate_suspended and login.workflow_state == LOGIN_SUSPENDED:
            changes.append(FieldChange("status", "suspended", "active"))
        self.linkable[sis] = canvas.id
        if changes:
            return PersonAction(
                UPDATE, sis, person, canvas.id, tuple(changes), note, person.role, login.id
            )
        return PersonAction(UNCHANGED, sis, person, canvas.id, (), note, person.role, login.id)

    def _adopt_or_hold(self, sis: str, person: Person, finding: AdoptFinding) -> PersonAction:
        match = finding.match
        if match is None:
            blocked = self._username_blocked(sis, person, None) if finding.names_differ else None
            # Someone else holding the username: today's words say it best, and why not.
            if blocked:
                return _conflict(sis, person, f"{blocked} Not taken over: {finding.why}.")
            return _conflict(sis, person, finding.conflict)
        if not self.options.adopt:
            reason = (
                f"{match.describe(sis, 'Matches')} Not taken over: taking over existing Canvas users is "
                f'off for this run. Run again with --adopt (or tick "{ADOPT_CHECKBOX}"), or '
                f"give that user the SIS ID {sis} in Canvas."
            )
            return _conflict(sis, person, reason, match.canvas.id)
        return self._adopt(sis, person, match)

    def _adopt(self, sis: str, person: Person, match: AdoptMatch) -> PersonAction:
        """Take ``match`` over: its login gets the roster's SIS ID, then the usual updates."""
        canvas, login, options = match.canvas, match.holder.login, self.options
        changes = [FieldChange("sis_id", login.sis_user_id, sis)]
        name = normalise_name(person.full_name)
        if options.update_names and name and name != normalise_name(canvas.name):
            changes.append(FieldChange("name", canvas.name, name))
        email = (person.email or "").strip()
        if (
            options.update_emails
            and email
            and self.emails_visible
            and (canvas.email is None or email_key(canvas.email) != email_key(email))
        ):
            changes.append(FieldChange("email", canvas.email, email))
        wanted = person.username.strip()
        if options.update_logins and wanted and login_key(wanted) != login_key(login.unique_id):
            if any(h.person.id == canvas.id for h in self.by_login.get(login_key(wanted), ())):
                pass  # another login of this very user has it: sign-in already works
            else:
                blocked = self._username_blocked(sis, person, canvas.id)
                if blocked:
                    return _conflict(sis, person, blocked, canvas.id)
                changes.append(FieldChange("login", login.unique_id, person.username))
        if options.reactivate_suspended and login.workflow_state == LOGIN_SUSPENDED:
            changes.append(FieldChange("status", "suspended", "active"))
        self.linkable[sis] = canvas.id
        return PersonAction(
            ADOPT,
            sis,
            person,
            canvas.id,
            tuple(changes),
            match.describe(sis),
            person.role,
            login.id,
        )

    def _adoption_notes(self, people: list[PersonAction]) -> list[str]:
        if not self.adoptable:
            return []
        matches = [f.match for f in self.adoptable.values() if f.match is not None]
        refused = sum(1 for f in self.adoptable.values() if f.match is None)
        notes = []
        how = Counter(m.how for m in matches)
        ways = ", ".join(f"{n} by {h}" for h, n in sorted(how.items(), key=lambda x: -x[1]))
        affix = self.finder.affix_note() if self.finder is not None else ""
        if matches and self.options.adopt:
            adopted = sum(1 for a in people if a.kind is ADOPT)
            notes.append(
                f"{_people(adopted)} existing Canvas users and will be taken over "
                f"({ways}): their Canvas login gets the roster's SIS ID. {affix}".strip()
            )
        elif matches:
            notes.append(
                f"{_people(len(matches), 'match', 'matches')} existing Canvas users that could be taken "
                f"over ({ways}); they are conflicts for now. {affix} Rerun with --adopt, or "
                f'tick "{ADOPT_CHECKBOX}" on the Sync tab.'.replace("  ", " ")
            )
        if refused:
            notes.append(
                f"{_people(refused, 'look', 'looks')} like existing Canvas users that cannot safely "
                "be taken over (names differ, several candidates, staff or admin accounts): "
                "see their conflicts."
            )
        return notes

    def _new(self, sis: str, person: Person) -> PersonAction:
        name = normalise_name(person.full_name)
        missing = [w for w, v in (("name", name), ("username", person.username.strip())) if not v]
        if missing:
            reason = (
                f"Not created: the roster has no {' or '.join(missing)} for {sis}. "
                "Fill it in in Cloudwork and export again."
            )
            return PersonAction(SKIP, sis, person, None, reason=reason, role=person.role)
        blocked = self._username_blocked(sis, person, None)
        if blocked:
            return _conflict(sis, person, blocked)
        email = (person.email or "").strip()
        changes = [FieldChange("name", None, name)]
        if email:
            changes.append(FieldChange("email", None, email))
        changes.append(FieldChange("login", None, person.username))
        return PersonAction(CREATE, sis, person, None, tuple(changes), role=person.role)

    def _inactive(self, sis: str, person: Person, holder: LoginHolder | None) -> PersonAction:
        if holder is None or holder.deleted:
            reason = "Inactive in the roster: not created in Canvas."
            return PersonAction(SKIP, sis, person, None, reason=reason, role=person.role)
        kind, reason = self._suspend_or_keep("Inactive in the roster", holder)
        canvas = holder.person
        if canvas.id not in self.several_sis_ids or len(self._roster_sis_ids_of(canvas)) < 2:
            self.linkable[sis] = canvas.id  # existing links stay; one Canvas user, one SIS ID
        return PersonAction(
            kind, sis, person, holder.person.id, (), reason, person.role, holder.login.id
        )

    def _roster_sis_ids_of(self, canvas: CanvasPerson) -> list[str]:
        """The SIS IDs on ``canvas``'s live logins that the roster has as people."""
        found = []
        for login in canvas.logins:
            sis = login.sis_user_id
            holder = self.by_sis.get(sis) if sis else None
            live = holder is not None and holder.login is login and not holder.deleted
            if live and sis in self.roster.people:
                found.append(sis)
        return found

    def _suspend_or_keep(self, why: str, holder: LoginHolder) -> tuple[ActionKind, str]:
        if holder.suspended:
            return UNCHANGED, f"{why}; already suspended."
        if self.options.suspend_missing:
            return SUSPEND, f"{why}."
        return UNCHANGED, f"{why}; left as it is because suspending is turned off."

    def _username_blocked(self, sis: str, person: Person, own_id: int | None) -> str | None:
        """Why ``person`` cannot take the roster's username, or None when it is free."""
        wanted = person.username
        key = login_key(wanted)
        others = [h for h in self.by_login.get(key, ()) if h.person.id != own_id]
        if others:
            holder = min(others, key=lambda h: (h.person.id, h.login.id))
            their_sis = holder.login.sis_user_id
            theirs = self.roster.people.get(their_sis) if their_sis else None
            return _username_held(sis, wanted, holder, theirs)
        rivals = [s for s in self._usernames_wanted().get(key, ()) if s != sis]
        if rivals:
            return _username_shared_in_roster(sis, wanted, sorted(rivals))
        return None

    def _usernames_wanted(self) -> dict[str, list[str]]:
        """Username key → the active roster people asking for it (built on first need)."""
        if self._rivals is None:
            wanted: dict[str, list[str]] = {}
            for sis, person in self.roster.people.items():
                if person.active and person.username.strip():
                    wanted.setdefault(login_key(person.username), []).append(sis)
            self._rivals = wanted
        return self._rivals

    def _leavers(self) -> list[PersonAction]:
        """Canvas people with an SIS ID the roster does not have: suspend, or leave alone."""
        out: list[PersonAction] = []
        people, removed = self.roster.people, self.roster.removed
        # "Missing" means little when Canvas was read only in part, or when the roster
        # lists only changes; explicit removals still count.
        consider_missing = (
            self.options.suspend_missing and self.snapshot.complete and self.roster_complete
        )
        not_synced = self.roster.not_synced
        for sis, holder in self.by_sis.items():
            if holder.deleted or sis in people:
                continue
            if sis in not_synced and sis not in removed:
                if consider_missing:
                    canvas = holder.person
                    out.append(
                        PersonAction(
                            ActionKind.SKIP,
                            sis,
                            None,
                            canvas.id,
                            (),
                            f'Not suspended: Canvas user "{canvas.name}" (id {canvas.id}) is in '
                            "the roster on a row that is not synced (staff, or a row with "
                            "problems), so they have not left the school.",
                            None,
                            holder.login.id,
                        )
                    )
                continue
            was_removed = sis in removed
            if not (was_removed or consider_missing):
                continue
            canvas = holder.person
            who = f'Canvas user "{canvas.name}" (id {canvas.id})'
            if was_removed:
                why = f"Removed from the roster ({who})"
            else:
                why = f"{who} has SIS ID {sis}, which is not in the roster"
            kind, reason = self._suspend_or_keep(why, holder)
            out.append(PersonAction(kind, sis, None, canvas.id, (), reason, None, holder.login.id))
        return out

    # -- links ----------------------------------------------------------------

    def _roster_links(
        self, actions: dict[str, PersonAction]
    ) -> tuple[list[LinkAction], list[tuple[int, int]]]:
        """An action for every roster link in (parent, student) order, and the Canvas
        links (as id pairs) the roster keeps."""
        # Grouping by parent and sorting each (short) list of students measured
        # cheaper than sorting 150,000 (parent, student) pairs or the actions after.
        students_of: dict[str, list[str]] = {}
        for link in self.roster.links:
            students = students_of.get(link.parent_sis_id)
            if students is None:
                students_of[link.parent_sis_id] = [link.student_sis_id]
            else:
                students.append(link.student_sis_id)
        out: list[LinkAction] = []
        kept: list[tuple[int, int]] = []
        append, keep = out.append, kept.append
        canvas_id, existing = self.linkable.get, self.snapshot.links
        for p_sis in sorted(students_of):
            students = students_of[p_sis]
            students.sort()
            p_id = canvas_id(p_sis)
            for s_sis in students:
                if p_id is not None:
                    s_id = canvas_id(s_sis)
                    if s_id is not None:
                        ids = (p_id, s_id)
                        if ids in existing:  # the common case: already linked
                            keep(ids)
                            append(LinkAction(UNCHANGED, p_sis, s_sis, p_id, s_id))
                            continue
                append(self._roster_link(p_sis, s_sis, actions.get(p_sis), actions.get(s_sis)))
        return out, kept

    def _roster_link(
        self, p_sis: str, s_sis: str, parent: PersonAction | None, student: PersonAction | None
    ) -> LinkAction:
        """A roster link Canvas lacks (or one that cannot be made yet)."""
        if p_sis == s_sis:
            reason = f"Not linked: {p_sis} cannot observe themselves."
            return LinkAction(SKIP, p_sis, s_sis, None, None, reason)
        for word, sis, action in (("parent", p_sis, parent), ("student", s_sis, student)):
            if action is None:
                gone = " (marked as removed)" if sis in self.roster.removed else ""
                reason = f"Not linked: {word} {sis} is not in the roster{gone}."
            elif action.kind is CONFLICT:
                reason = (
                    f"Not linked yet: {word} {sis} has a conflict (see that person); "
                    "the link follows once it is resolved."
                )
            elif action.kind is SKIP:
                reason = f"Not linked: {word} {sis} is not in Canvas. {action.reason}"
            else:
                continue
            return LinkAction(SKIP, p_sis, s_sis, None, None, reason)
        assert parent is not None and student is not None  # every None returned above
        p_id, s_id = parent.canvas_id, student.canvas_id
        inactive = [
            f"{word} {a.sis_id}"
            for word, a in (("parent", parent), ("student", student))
            if a.person is not None and not a.person.active
        ]
        if inactive:
            reason = f"Not linked: {' and '.join(inactive)} inactive in the roster."
            return LinkAction(SKIP, p_sis, s_sis, p_id, s_id, reason)
        return LinkAction(LINK, p_sis, s_sis, p_id, s_id)

    def _unlinks(
        self, candidates: set[tuple[int, int]], actions: dict[str, PersonAction]
    ) -> list[LinkAction]:
        """Canvas links between two managed people that the roster no longer has.

        ``candidates`` are the Canvas links the roster did not keep: usually few,
        so the checks here need not be quick.
        """
        if not candidates:
            return []
        roster = self.roster
        # Canvas id → SIS ID of everyone this roster manages, those in conflict included.
        managed = {canvas_id: sis for sis, canvas_id in self.linkable.items()}
        in_conflict = set()
        for action in actions.values():
            if action.kind is CONFLICT and action.canvas_id is not None:
                managed.setdefault(action.canvas_id, action.sis_id)
                in_conflict.add(action.canvas_id)
        for sis in roster.removed:
            holder = self.by_sis.get(sis)
            if holder is not None and not holder.deleted and sis not in roster.people:
                managed.setdefault(holder.person.id, sis)

        def removed(sis: str) -> bool:
            return sis in roster.removed and sis not in roster.people

        out: list[LinkAction] = []
        for observer, observee in candidates:
            p_sis, s_sis = managed.get(observer), managed.get(observee)
            if p_sis is None or s_sis is None:
                continue  # someone outside the roster: never ours to remove
            if not self.roster_complete and not (removed(p_sis) or removed(s_sis)):
                continue  # a delta roster leaving a link out says nothing about it
            if Link(p_sis, s_sis) in roster.links:
                continue  # kept, but waiting on a conflict
            if observer in in_conflict or observee in in_conflict:
                kind, reason = SKIP, "Not removed while a person of this link has a conflict."
            else:
                kind, reason = (
                    UNLINK,
                    f"The roster no longer links parent {p_sis} to student {s_sis}.",
                )
            out.append(LinkAction(kind, p_sis, s_sis, observer, observee, reason))
        return out


def _people(n: int, verb: str = "are", one_verb: str = "is") -> str:
    """ "1 roster person is" / "12 roster people are"."""
    return f"1 roster person {one_verb}" if n == 1 else f"{n} roster people {verb}"


def _conflict(sis: str, person: Person, reason: str, canvas_id: int | None = None) -> PersonAction:
    """Nothing is changed for this person; ``reason`` says who holds what and what to do."""
    return PersonAction(CONFLICT, sis, person, canvas_id, reason=reason, role=person.role)


# -- what the admin reads: who holds what, and what to do about it -------------

#: The Sync tab's words for SyncOptions.adopt.
ADOPT_CHECKBOX = "Take over matching Canvas users that have no SIS ID"

_DELTA_ROSTER = (
    "The roster lists only changes, so people and links missing from it are left as they "
    "are; only those it marks as removed are suspended or unlinked."
)

_INCOMPLETE_SNAPSHOT = (
    "Canvas was read only in part, so people who are merely missing from the roster are "
    "not suspended; only those the roster marks as removed or inactive are."
)


def _who(holder: LoginHolder) -> str:
    person, sis = holder.person, holder.login.sis_user_id
    ids = f"SIS ID {sis}" if sis else "no SIS ID"
    state = ", suspended" if holder.suspended else ""
    return f'Canvas user "{person.name}" (id {person.id}, {ids}{state})'


def _sis_on_deleted_login(sis: str, holder: LoginHolder) -> str:
    return (
        f'SIS ID {sis} belongs to the deleted login "{holder.login.unique_id}" of Canvas user '
        f'"{holder.person.name}" (id {holder.person.id}). Canvas keeps SIS IDs on deleted '
        "logins, so it cannot give this one to anyone else. If it is the same person, restore "
        "that user's login in Canvas; if not, remove the SIS ID from the deleted login in "
        "Canvas. Then run the sync again."
    )


def _one_user_many_sis(canvas: CanvasPerson, shared: list[str]) -> str:
    return (
        f'Canvas user "{canvas.name}" (id {canvas.id}) holds the SIS IDs '
        f"{', '.join(sorted(shared))} on separate logins, but the roster has them as different "
        "people. Remove the wrong SIS ID from that user in Canvas, or merge the records in "
        "Cloudwork."
    )


def _username_held(sis: str, wanted: str, holder: LoginHolder, theirs: Person | None) -> str:
    held = f'Username "{wanted}" already belongs to {_who(holder)}.'
    their_sis = holder.login.sis_user_id
    if not their_sis:
        return (
            f"{held} Give that user the SIS ID {sis} in Canvas if it is the same person, or "
            "change the username in Cloudwork."
        )
    if theirs is None:
        return (
            f"{held} That SIS ID is not in the roster. If it is the same person, correct the "
            f"SIS ID (Cloudwork has {sis}, Canvas has {their_sis}); if not, change the username "
            "in Cloudwork or free it in Canvas."
        )
    if theirs.active and login_key(theirs.username) != login_key(wanted):
        return (
            f'{held} The roster gives {their_sis} the username "{theirs.username}", which this '
            f"run sets first; run the sync again afterwards to finish {sis}."
        )
    return (
        f"{held} The roster gives this username to both {their_sis} and {sis}: change one of "
        "them in Cloudwork."
    )


def _username_shared_in_roster(sis: str, wanted: str, rivals: list[str]) -> str:
    return (
        f'The roster gives the username "{wanted}" to {sis} and also to {", ".join(rivals)}. '
        "Canvas usernames must be unique, whatever their case: change all but one of them in "
        "Cloudwork."
    )
