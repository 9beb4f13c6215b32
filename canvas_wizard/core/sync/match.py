"""How many roster people Canvas already knows by SIS ID — checked before anything is written.

A low match rate on a Canvas that already has many SIS IDs almost always means the
two systems write SIS IDs differently (leading zeros, a prefix, upper/lower case).
Syncing then would create a duplicate of everyone, so the admin is told first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.sync.model import Snapshot

#: Below this share, with enough SIS IDs in Canvas, the formats probably differ.
LOW_MATCH_SHARE = 0.5
#: Canvas needs at least this many SIS IDs before a low match means anything.
MIN_CANVAS_SIS_IDS = 10


@dataclass(frozen=True)
class MatchReport:
    roster_people: int
    matched: int  # roster SIS IDs that Canvas holds (exactly)
    canvas_sis_ids: int  # live Canvas logins with an SIS ID in this account
    #: Roster IDs that match a Canvas ID only when case and leading zeros are ignored.
    near_misses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.matched / self.roster_people if self.roster_people else 0.0

    @property
    def format_warning(self) -> str:
        """A sentence for the admin when the SIS ID formats look different, else ""."""
        if self.near_misses:
            ours, theirs = self.near_misses[0]
            return (
                f"{len(self.near_misses)} roster SIS IDs match a Canvas SIS ID only when case or "
                f'leading zeros are ignored (for example roster "{ours}" and Canvas "{theirs}"). '
                "Canvas compares SIS IDs exactly, so the sync does not match them: each is a "
                "conflict unless you let the sync take those Canvas users over (--adopt, or "
                '"Take over matching Canvas users" on the Sync tab), which gives them '
                "Cloudwork's SIS IDs."
            )
        # A school's first sync into a Canvas holding a few SIS IDs matches little, and
        # rightly so: only warn when Canvas holds about as many SIS IDs as the roster.
        enough = max(MIN_CANVAS_SIS_IDS, self.roster_people * LOW_MATCH_SHARE)
        if self.canvas_sis_ids >= enough and self.share < LOW_MATCH_SHARE:
            return (
                f"Only {self.matched} of {self.roster_people} roster people ({self.share:.0%}) "
                f"were found in Canvas by SIS ID, although Canvas has {self.canvas_sis_ids} users "
                "with SIS IDs. The SIS ID format may differ between Cloudwork and Canvas: compare "
                "a few people by hand before syncing, or most of them will be created again."
            )
        return ""


def _loose(sis_id: str) -> str:
    return sis_id.strip().casefold().lstrip("0")


def match_report(roster: Roster, snapshot: Snapshot, *, max_examples: int = 50) -> MatchReport:
    canvas_ids = {
        sis for sis, holder in snapshot.by_sis_id.items() if not holder.deleted and sis is not None
    }
    matched = sum(1 for sis in roster.people if sis in canvas_ids)
    loose_canvas: dict[str, str] = {}
    for sis in canvas_ids:
        loose_canvas.setdefault(_loose(sis), sis)
    near: list[tuple[str, str]] = []
    for sis in roster.people:
        if sis in canvas_ids:
            continue
        other = loose_canvas.get(_loose(sis))
        if other is not None and other not in roster.people:
            near.append((sis, other))
            if len(near) >= max_examples:
                break
    return MatchReport(len(roster.people), matched, len(canvas_ids), near)
