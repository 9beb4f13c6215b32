"""How long Canvas's background jobs took, per profile: the history's ``job_timings``
(schema step 4). A provisioning report's size is the users it listed; a SIS Import's,
the rows it was sent. :mod:`canvas_wizard.core.sync.costs` learns from the latest ones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from canvas_wizard.core.store.history import HistoryStore
from canvas_wizard.core.sync.costs import JobTiming

#: Timings kept per profile and kind; older ones say little about today's Canvas.
KEEP = 20


def add_job_timings(
    store: HistoryStore, profile: str, account_id: int, timings: list[JobTiming]
) -> None:
    if not timings:
        return
    at = datetime.now(UTC).isoformat(timespec="seconds")
    with store._write() as conn:  # this module extends the store
        for t in timings:
            conn.execute(
                "INSERT INTO job_timings (profile, account_id, kind, size, seconds, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (profile, account_id, t.kind, t.size, t.seconds, at),
            )
            conn.execute(
                "DELETE FROM job_timings WHERE profile = ? AND kind = ? AND id NOT IN "
                "(SELECT id FROM job_timings WHERE profile = ? AND kind = ? "
                "ORDER BY id DESC LIMIT ?)",
                (profile, t.kind, profile, t.kind, KEEP),
            )


def job_timings(store: HistoryStore, profile: str) -> list[JobTiming]:
    """This profile's job timings, newest first."""
    with store._read() as conn:
        rows = conn.execute(
            "SELECT kind, size, seconds, account_id FROM job_timings WHERE profile = ? "
            "ORDER BY id DESC",
            (profile,),
        ).fetchall()
    return [JobTiming(str(k), int(n), float(s), int(a)) for k, n, s, a in rows]
