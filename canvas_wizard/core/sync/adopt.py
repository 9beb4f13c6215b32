"""Find the Canvas users a roster person already is: taking over ("adopting") them.

A school's first sync is rarely into an empty Canvas. Parents registered themselves
(their login is their email, no SIS ID); students and staff were made by hand or by an
older script, with SIS IDs written differently (``S001234`` or ``1234`` where Cloudwork
says ``001234``). Matching by exact SIS ID alone would create a second account for each
of them, or stop on "username already taken".

For a roster person whom no login holds by exact SIS ID, :class:`AdoptionFinder` looks
for one Canvas user who is clearly the same person:

1. **the same SIS ID written differently** — equal after ignoring case, surrounding
   spaces and leading zeros, or after removing a prefix/suffix that most of the Canvas
   SIS IDs the roster lacks share (found in the data: :attr:`AdoptionFinder.affix`);
2. **no SIS ID in Canvas and the same login** (case-insensitive) — or, when no login
   fits, the **same default email** (case-insensitive).

The names must agree too (:func:`names_agree`). Anything less than one clear candidate
— names that differ, two candidates, a candidate holding another roster person's SIS
ID, a staff member, the signed-in admin or an account admin, two roster people
pointing at one user — is a conflict naming every candidate; nothing is changed.

Pure: reads the roster and the snapshot, writes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from canvas_wizard.core.roster.model import Person, Roster
from canvas_wizard.core.sync.model import CanvasPerson, LoginHolder, Snapshot, email_key, login_key

#: How a candidate was found (``AdoptMatch.how``): also the words the preview uses.
BY_SIS_FORMAT = "SIS ID written differently"
BY_LOGIN = "same username, no SIS ID in Canvas"
BY_EMAIL = "same email, no SIS ID in Canvas"

#: An affix must be shared by more than this share of the Canvas SIS IDs the roster lacks.
AFFIX_SHARE = 0.5
#: ... and by at least this many of them: two or three IDs say nothing about a format.
AFFIX_MIN_COUNT = 3

_NAMES_DIFFER = "the names differ"
_AFFIX = re.compile(r"^(?P<pre>[^0-9]*)[0-9](?:.*[0-9])?(?P<suf>[^0-9]*)$")


@dataclass(frozen=True, slots=True)
class AdoptMatch:
    """One Canvas user that is clearly this roster person."""

    holder: LoginHolder  # the user and the login to take over
    how: str  # BY_SIS_FORMAT | BY_LOGIN | BY_EMAIL

    @property
    def canvas(self) -> CanvasPerson:
        return self.holder.person

    def describe(self, sis: str, verb: str = "Takes over") -> str:
        """The sentence the preview shows beside the adopt row ("Matches" for a conflict)."""
        login = self.holder.login
        old = login.sis_user_id
        who = f'Canvas user "{self.canvas.name}" (id {self.canvas.id}, login "{login.unique_id}")'
        if old:
            return f"{verb} {who}: Canvas SIS ID {old} is {sis} written differently."
        same = "username" if self.how == BY_LOGIN else "default email"
        return f"{verb} {who}, which has no SIS ID and the same {same} as the roster."


@dataclass(frozen=True, slots=True)
class AdoptFinding:
    """What the finder found for one roster person: a match, or why there is none."""

    match: AdoptMatch | None
    #: Set when candidates exist but none may be taken over: names every candidate.
    conflict: str = ""
    #: The one candidate was refused only because the names differ: likely someone else.
    names_differ: bool = False
    #: Why no candidate may be taken over ("the names differ (…)"), "" for a match.
    why: str = ""


class AdoptionFinder:
    """Candidates for adoption, for the roster people Canvas lacks by exact SIS ID.

    ``protected`` maps Canvas user ids that are never taken over to why (the signed-in
    admin, an account admin).
    """

    def __init__(
        self, roster: Roster, snapshot: Snapshot, protected: dict[int, str] | None = None
    ) -> None:
        self.roster = roster
        self.snapshot = snapshot
        self.protected = dict(protected or {})
        by_sis = snapshot.by_sis_id
        live = [(sis, h) for sis, h in by_sis.items() if not h.deleted]
        # Canvas SIS IDs the roster does not have exactly: the only ones worth re-keying.
        foreign = [(sis, h) for sis, h in live if sis not in roster.people]
        self.affix = _detect_affix([sis for sis, _ in foreign], list(roster.people))
        self._by_loose: dict[str, list[LoginHolder]] = {}
        for sis, holder in live:
            keys = {_loose(sis)}
            stripped = self._strip_affix(sis)
            if stripped is not None:
                keys.add(_loose(stripped))
            for key in keys:
                if key:
                    self._by_loose.setdefault(key, []).append(holder)
        # Users with no SIS ID on any live login of the root account.
        root = snapshot.root_account_id
        with_sis = {h.person.id for _, h in live}
        self._by_login: dict[str, list[LoginHolder]] = {}
        self._by_email: dict[str, list[LoginHolder]] = {}
        for key, holders in snapshot.by_login.items():
            for h in holders:
                if h.login.sis_user_id or h.person.id in with_sis or h.login.account_id != root:
                    continue
                self._by_login.setdefault(key, []).append(h)
                if h.person.email:
                    emails = self._by_email.setdefault(email_key(h.person.email), [])
                    if all(e.person.id != h.person.id for e in emails):
                        emails.append(h)
        self._staff = set(roster.not_synced) | {link.parent_sis_id for link in roster.staff_links}

    # -- the affix ----------------------------------------------------------------------

    def _strip_affix(self, sis: str) -> str | None:
        if self.affix is None:
            return None
        pre, suf = self.affix
        if sis.startswith(pre) and sis.endswith(suf) and len(sis) > len(pre) + len(suf):
            return sis[len(pre) : len(sis) - len(suf)]
        return None

    def affix_note(self) -> str:
        """ "Canvas SIS IDs look like `S` + Cloudwork's", or "" when no affix was found."""
        if self.affix is None:
            return ""
        pre, suf = self.affix
        shape = " + ".join(
            part
            for part in (f'"{pre}"' if pre else "", "Cloudwork's", f'"{suf}"' if suf else "")
            if part
        )
        return f"Canvas SIS IDs look like {shape}."

    # -- one person ---------------------------------------------------------------------

    def find(self, sis: str, person: Person) -> AdoptFinding | None:
        """The candidate for ``person`` (whom no login holds by exact SIS ID), or None
        when Canvas has no one who could be them."""
        loose = _loose(sis)
        found = list(self._by_loose.get(loose, ())) if loose else []
        if found:
            return self._judge(sis, person, found, BY_SIS_FORMAT)
        wanted = person.username.strip()
        found = list(self._by_login.get(login_key(wanted), ())) if wanted else []
        if found:
            return self._judge(sis, person, found, BY_LOGIN)
        email = (person.email or "").strip()
        found = list(self._by_email.get(email_key(email), ())) if email else []
        if found:
            return self._judge(sis, person, found, BY_EMAIL)
        return None

    def _judge(self, sis: str, person: Person, found: list[LoginHolder], how: str) -> AdoptFinding:
        users = {h.person.id: h for h in found}
        holders = [users[i] for i in sorted(users)]
        if len(holders) > 1:
            why = f"{len(holders)} Canvas users fit"
            return AdoptFinding(None, _refused(sis, holders, why), why=why)
        holder = holders[0]
        why = self._why_not(holder, person)
        if why:
            differ = why.startswith(_NAMES_DIFFER)
            return AdoptFinding(None, _refused(sis, holders, why), names_differ=differ, why=why)
        return AdoptFinding(AdoptMatch(holder, how))

    def _why_not(self, holder: LoginHolder, person: Person) -> str:
        canvas, their_sis = holder.person, holder.login.sis_user_id
        if canvas.id in self.protected:
            return f"it is {self.protected[canvas.id]}"
        if their_sis and their_sis in self._staff:
            return f"its SIS ID {their_sis} is a staff member's in the roster"
        if their_sis and their_sis in self.roster.people:
            return f"it holds roster person {their_sis}'s SIS ID"
        if any(
            lg.sis_user_id in self._staff
            for lg in canvas.logins
            if lg.sis_user_id and lg is not holder.login
        ):
            return "another login of that user is a staff member's"
        if not names_agree(person.full_name, canvas.name):
            return f'{_NAMES_DIFFER} (roster "{person.full_name}", Canvas "{canvas.name}")'
        return ""


def find_adoptions(finder: AdoptionFinder, people: dict[str, Person]) -> dict[str, AdoptFinding]:
    """A finding for every given roster person with a candidate, after ruling out one
    Canvas user claimed by two roster people (a conflict for each of them)."""
    out: dict[str, AdoptFinding] = {}
    for sis, person in people.items():
        finding = finder.find(sis, person)
        if finding is not None:
            out[sis] = finding
    claims = Counter(f.match.canvas.id for f in out.values() if f.match is not None)
    for sis, finding in out.items():
        match = finding.match
        if match is not None and claims[match.canvas.id] > 1:
            rivals = sorted(
                s
                for s, f in out.items()
                if s != sis and f.match is not None and f.match.canvas.id == match.canvas.id
            )
            why = f"roster people {', '.join([sis, *rivals])} all match it"
            out[sis] = AdoptFinding(None, _refused(sis, [match.holder], why), why=why)
    return out


def _refused(sis: str, holders: list[LoginHolder], why: str) -> str:
    listed = "; ".join(_candidate(h) for h in holders)
    return (
        f"Not taken over ({why}): {listed}. Nothing was changed. If one of them is {sis}, "
        f"give that user the SIS ID {sis} in Canvas by hand (Admin > People > the user > "
        "login details); if none is, change the username or email in Cloudwork."
    )


def _candidate(holder: LoginHolder) -> str:
    person, login = holder.person, holder.login
    sis = login.sis_user_id or "none"
    return f'Canvas user id {person.id} "{person.name}", login "{login.unique_id}", SIS ID {sis}'


# -- comparing ------------------------------------------------------------------------


def _loose(sis: str) -> str:
    """An SIS ID with case, surrounding spaces and leading zeros ignored ("0" stays "0")."""
    folded = sis.strip().casefold()
    return folded.lstrip("0") or folded[:1]


def _shape(sis: str) -> tuple[str, str] | None:
    """(the characters before the first digit, those after the last), or None: no digit."""
    m = _AFFIX.match(sis.strip())
    return (m["pre"], m["suf"]) if m else None


def _detect_affix(canvas_ids: list[str], roster_ids: list[str]) -> tuple[str, str] | None:
    """The (prefix, suffix) most Canvas SIS IDs add to the roster's, or None.

    Measured against the roster's own usual shape: Canvas "S001234" for Cloudwork
    "001234" is the prefix "S"; Canvas "NF-S1040" for Cloudwork "S1040" is "NF-".
    """
    if len(canvas_ids) < AFFIX_MIN_COUNT:
        return None
    roster_shapes = Counter(s for s in map(_shape, roster_ids) if s is not None)
    rpre, rsuf = "", ""
    if roster_shapes:
        (pre, suf), count = roster_shapes.most_common(1)[0]
        if count > AFFIX_SHARE * len(roster_ids):
            rpre, rsuf = pre, suf
    added: Counter[tuple[str, str]] = Counter()
    for shape in map(_shape, canvas_ids):
        if shape is None or not (shape[0].endswith(rpre) and shape[1].startswith(rsuf)):
            continue
        extra = (shape[0][: len(shape[0]) - len(rpre)], shape[1][len(rsuf) :])
        if extra != ("", ""):
            added[extra] += 1
    if not added:
        return None
    (pre, suf), count = added.most_common(1)[0]
    if count < AFFIX_MIN_COUNT or count <= AFFIX_SHARE * len(canvas_ids):
        return None
    return pre, suf


def _name_words(name: str) -> list[str]:
    """Words of a name with accents, case, punctuation and "Family, Given" order undone."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if plain.count(",") == 1:
        family, given = plain.split(",")
        plain = f"{given} {family}"
    return re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", plain)


def names_agree(roster_name: str, canvas_name: str) -> bool:
    """Whether two names are one person's, forgiving case, accents, extra spaces,
    "Family, Given" order and a missing middle name (first and last words agree, and
    the shorter name's words all appear in the longer one, in order)."""
    a, b = _name_words(roster_name), _name_words(canvas_name)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 2 or short[0] != long[0] or short[-1] != long[-1]:
        return False
    words = iter(long)
    return all(any(w == x for x in words) for w in short)
