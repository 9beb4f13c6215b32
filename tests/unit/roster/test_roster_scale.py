"""A guard against quadratic checks: 20,000 people must read in well under 2 s.

The real benchmark (100,000 people in 2 s) lives with the benchmarks; this one
is generous enough for a busy CI machine and still fails loudly if a check per
row starts scanning all rows (20,000² is 400 million steps).
"""

from __future__ import annotations

import time

from canvas_wizard.core.roster import Role, read_roster

N = 20_000


def test_twenty_thousand_people_read_quickly(write) -> None:
    lines = ["SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID"]
    students = N * 3 // 5
    parents = N - students
    for i in range(students):
        second = f"P{(i + 7) % parents:06d}" if i % 3 == 0 else ""
        lines.append(
            f"S{i:06d},Student {i},s{i}@school.example,s{i},Student,P{i % parents:06d},{second}"
        )
    lines += [f"P{i:06d},Parent {i},p{i}@home.example,p{i},Parent,," for i in range(parents)]
    path = write("big.csv", "\n".join(lines) + "\n")

    started = time.perf_counter()
    roster = read_roster(path)
    elapsed = time.perf_counter() - started

    assert roster.count(Role.STUDENT) == students
    assert roster.count(Role.PARENT) == parents
    assert len(roster.links) == students + (students + 2) // 3
    assert roster.problems == []
    assert elapsed < 2.0, f"{N} people took {elapsed:.2f} s"
