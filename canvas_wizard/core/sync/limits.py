"""Safety limits: hold a run that would unlink, suspend, change or create too much.

A wrong roster export (half the file, yesterday's test data, the wrong school)
looks exactly like a legitimate mass change. The limits stop such a run before
anything is written and let the admin approve that one run.

The rule, per kind (unlink, suspend, change):

* **Count above the maximum count → held.** This protects a large school: 2 %
  of 40,000 people is 800 suspensions, which no one should get by default.
* **Share above the maximum share → held, once at least ``min_count_for_share``
  actions are involved.** This protects a small school, where a few actions
  are already a large part. The floor keeps a tiny school (one leaver among
  thirty people is over 2 %) from being held on every ordinary run.

Either condition holds the run ("either" protects both kinds of school;
"both" would let 799 of those 800 suspensions through). Limits compare with
"more than": exactly at the limit passes.

**Creating** has its own rule, because the worst wrong file (last year's export,
another school's) matches nobody and so unlinks, suspends and changes nothing:
it only creates. Once the account holds at least ``MIN_CANVAS_SIS_IDS`` users with
an SIS ID, a run is held

* always when fewer than ``min_found_share`` of the roster's people were found
  in Canvas by SIS ID (the wrong file, or SIS IDs written differently), and
* when it would create more than ``max_create_share`` of the people the roster
  and Canvas already share.

A first sync into an empty account (fewer SIS-ID users than that) is never held
for creating: creating everyone is what it is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from canvas_wizard.core.sync.match import MIN_CANVAS_SIS_IDS
from canvas_wizard.core.sync.model import ActionKind, Plan, Snapshot


@dataclass
class SafetyLimits:
    max_unlink_share: float = 0.05  # of the existing observer links the roster manages
    max_unlink_count: int = 25
    max_suspend_share: float = 0.02  # of the Canvas logins that carry an SIS ID
    max_suspend_count: int = 10
    max_change_share: float = 0.25  # of the roster's people who already exist in Canvas
    max_change_count: int = 250
    #: Below this many actions of a kind, its share limit is not applied.
    min_count_for_share: int = 3
    #: Creates, as a share of the roster's people Canvas already holds (may exceed 100 %).
    max_create_share: float = 0.5
    #: Fewer of the roster's people found in Canvas than this share: always held.
    min_found_share: float = 0.1


@dataclass(frozen=True, slots=True)
class LimitBreach:
    """One limit a plan goes over, and what to tell the admin."""

    what: str  # "unlink" | "suspend" | "change" | "create"
    count: int
    total: int  # what the share is taken of
    share: float  # count / total (1.0 when total is 0)
    limit: str  # a sentence for the admin: what, how much, which limit, what to do

    def __str__(self) -> str:
        return self.limit


_WORDING = {
    # what: (verb phrase, noun for the total, plural for a count limit)
    "unlink": ("remove {count} of {total} parent-student links in Canvas", "links"),
    "suspend": ("suspend {count} of {total} Canvas users with an SIS ID", "users"),
    "change": ("change {count} of {total} existing Canvas users", "users"),
}

_ADVICE = {
    "unlink": "Check that the roster export is complete and lists every parent's students",
    "suspend": "Check that the roster export is complete and is for the right school",
    "change": "Check the preview for changes you did not expect (names, emails, usernames, "
    "Canvas users taken over)",
}


def _breach(
    what: str, count: int, total: int, *, max_share: float, max_count: int, floor: int
) -> LimitBreach | None:
    share = count / total if total else (1.0 if count else 0.0)
    over_count = count > max_count
    over_share = count >= floor and share > max_share
    if not (over_count or over_share):
        return None
    action, noun = _WORDING[what]
    sentence = (
        f"This run would {action.format(count=count, total=total)} ({share:.0%}), more than "
        f"the safety limit of {max_count} {noun} or {max_share:.0%}. {_ADVICE[what]}, "
        "then approve this run once to go ahead, or change the limit in the settings."
    )
    return LimitBreach(what=what, count=count, total=total, share=share, limit=sentence)


def check_limits(plan: Plan, snapshot: Snapshot, limits: SafetyLimits) -> list[LimitBreach]:
    """Every limit the plan goes over; an empty list means the run may go ahead."""
    link_totals = plan.link_totals()
    unlinks = link_totals[ActionKind.UNLINK]
    # Links the plan found in Canvas: kept, removed, or left alone beside a conflict.
    existing_links = (
        link_totals[ActionKind.UNCHANGED]
        + unlinks
        + sum(
            1
            for a in plan.links
            if a.kind is ActionKind.SKIP
            and a.parent_canvas_id is not None
            and a.student_canvas_id is not None
            and (a.parent_canvas_id, a.student_canvas_id) in snapshot.links
        )
    )
    suspends = sum(1 for a in plan.people if a.kind is ActionKind.SUSPEND)
    sis_logins = sum(1 for h in snapshot.by_sis_id.values() if not h.deleted)
    # Taking over an existing user changes who owns it: it counts as a change.
    changes = sum(1 for a in plan.people if a.kind in (ActionKind.UPDATE, ActionKind.ADOPT))
    existing_people = sum(
        1 for a in plan.people if a.person is not None and a.canvas_id is not None
    )

    floor = limits.min_count_for_share
    found = [
        _breach(
            "unlink",
            unlinks,
            existing_links,
            max_share=limits.max_unlink_share,
            max_count=limits.max_unlink_count,
            floor=floor,
        ),
        _breach(
            "suspend",
            suspends,
            sis_logins,
            max_share=limits.max_suspend_share,
            max_count=limits.max_suspend_count,
            floor=floor,
        ),
        _breach(
            "change",
            changes,
            existing_people,
            max_share=limits.max_change_share,
            max_count=limits.max_change_count,
            floor=floor,
        ),
    ]
    found.append(_create_breach(plan, existing_people, sis_logins, limits))
    return [b for b in found if b is not None]


def _create_breach(
    plan: Plan, existing: int, sis_logins: int, limits: SafetyLimits
) -> LimitBreach | None:
    creates = sum(1 for a in plan.people if a.kind is ActionKind.CREATE)
    if not creates or sis_logins < MIN_CANVAS_SIS_IDS:
        return None  # nothing to create, or a first sync into an (almost) empty account
    roster_people = sum(1 for a in plan.people if a.person is not None)
    found_share = existing / roster_people if roster_people else 0.0
    share = creates / existing if existing else 1.0
    again = "then approve this run once to go ahead, or change the limit in the settings."
    if found_share < limits.min_found_share:
        found = "none" if not existing else f"only {existing:,}"
        sentence = (
            f"This run would create {creates:,} new Canvas users, but {found} of the "
            f"{roster_people:,} people in the roster ({found_share:.0%}) matched Canvas by SIS "
            f"ID, although this account holds {sis_logins:,} users with an SIS ID. Is this the "
            "right file? Last year's export or another school's looks like this, and so do SIS "
            "IDs written differently in Cloudwork and Canvas. Check the file and a few SIS IDs, "
            + again
        )
        return LimitBreach("create", creates, existing, share, sentence)
    if creates >= limits.min_count_for_share and share > limits.max_create_share:
        sentence = (
            f"This run would create {creates:,} new Canvas users, {share:.0%} of the "
            f"{existing:,} roster people Canvas already holds, more than the safety limit of "
            f"{limits.max_create_share:.0%}. Check that the roster export is for the right "
            "school and that its SIS IDs are written as in Canvas, " + again
        )
        return LimitBreach("create", creates, existing, share, sentence)
    return None
