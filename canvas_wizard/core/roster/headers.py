"""Header names: how a column is recognised, and which column the admin chose.

Exports spell the same column many ways ("SIS ID", "SIS_ID", "sis-id",
"SISID"), so names are compared after :func:`normalise`: lower case, without
spaces, ``_`` or ``-``. Each field has aliases in order of preference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from canvas_wizard.core.roster.errors import RosterReadError

_DROPPED = str.maketrans("", "", " _-\t\u00a0\ufeff")


def normalise(name: str) -> str:
    """``"Parent_1 SIS-ID"`` → ``"parent1sisid"``: the form headers are compared in."""
    return name.translate(_DROPPED).lower()


def index_headers(headers: Sequence[str], file: str) -> dict[str, int]:
    """Normalised name → column index. Blank header cells are ignored.

    Two columns that normalise to the same name would make every row ambiguous
    ("SIS ID" and "SIS_ID" both present), so that refuses the file.
    """
    index: dict[str, int] = {}
    for i, raw in enumerate(headers):
        key = normalise(raw)
        if not key:
            continue
        if key in index:
            first = headers[index[key]].strip()
            raise RosterReadError(
                f"{file} has two columns named {first!r} (columns {index[key] + 1} and {i + 1}), "
                "so the wizard cannot tell which one to use.",
                hint="Delete or rename one of them and export the file again.",
            )
        index[key] = i
    return index


def find_column(index: Mapping[str, int], aliases: Sequence[str]) -> int | None:
    """The first alias (already normalised) present in the header, by preference."""
    for alias in aliases:
        found = index.get(alias)
        if found is not None:
            return found
    return None


def column_by_name(
    headers: Sequence[str], index: Mapping[str, int], name: str, *, file: str, field: str
) -> int:
    """The column the admin chose for ``field``; a clear error if the file lacks it."""
    found = index.get(normalise(name))
    if found is None:
        raise RosterReadError(
            f"{file} has no column {name!r}, which was chosen for {field}. "
            f"Its columns are: {describe_headers(headers)}.",
            hint="Pick one of those columns for it in the column mapping.",
        )
    return found


def describe_headers(headers: Sequence[str]) -> str:
    shown = [h.strip() for h in headers if h.strip()]
    text = ", ".join(repr(h) for h in shown[:25])
    return text + (f" and {len(shown) - 25} more" if len(shown) > 25 else "") if shown else "none"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which source column feeds which field of a Cloudwork export.

    ``None`` leaves a field to the reader's guess; ``""`` (or ``()`` for
    ``parents``) means "this file has no such column, do not use one". Names are
    matched like headers (case, spaces, ``_`` and ``-`` do not matter).
    Roster.mapping reports the mapping the reader actually used, in the same
    terms, so the UI can show it and send a corrected one back.
    """

    sis_id: str | None = None
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    username: str | None = None
    role: str | None = None
    parents: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, str]:
        """The chosen columns as Roster.mapping spells them (``parent_1``, ``parent_2``…)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "parents":
                for n, column in enumerate(value or (), start=1):
                    out[f"parent_{n}"] = column
            elif value:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, mapping: Mapping[str, str]) -> ColumnMapping:
        """The inverse of :meth:`as_dict`: fields absent from ``mapping`` are left unmapped."""
        known = {f.name for f in fields(cls)} - {"parents"}
        numbered = {
            int(key[7:]): key for key in mapping if key.startswith("parent_") and key[7:].isdigit()
        }
        unknown = set(mapping) - known - set(numbered.values())
        if unknown:
            raise ValueError(f"unknown mapping fields: {sorted(unknown)}")
        parents = tuple(mapping[numbered[n]] for n in sorted(numbered))
        values = {name: mapping.get(name, "") for name in known}
        return cls(parents=parents, **values)
