"""read_roster: one entry point for every roster format."""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.canvas_sis import read_canvas_sis
from canvas_wizard.core.roster.cloudwork import read_cloudwork
from canvas_wizard.core.roster.detect import RosterFormat, detect_format
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import ColumnMapping
from canvas_wizard.core.roster.model import Roster
from canvas_wizard.core.roster.oneroster import read_oneroster
from canvas_wizard.core.roster.relationships import read_relationships
from canvas_wizard.core.roster.sds import DEFAULT_OBSERVER_ROLES, read_sds
from canvas_wizard.core.roster.sources import read_file
from canvas_wizard.core.roster.table import parse_table


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a roster is built.

    A 100,000-row roster allocates a few hundred thousand objects and frees
    almost none, so every automatic collection is pure cost, and the cost grows
    with what the app already holds. None of these objects form cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_roster(
    path: Path,
    *,
    format: RosterFormat | None = None,
    mapping: ColumnMapping | None = None,
    relationships: Path | None = None,
    strict_email: bool = False,
    sis_id_field: str = "sourcedId",
    max_bytes: int = 50_000_000,
    sds_observer_roles: Collection[str] = DEFAULT_OBSERVER_ROLES,
) -> Roster:
    """Read the people and parent links in ``path``.

    ``format`` overrides detection; ``mapping`` overrides the guessed columns of
    a Cloudwork export; ``relationships`` adds links from a separate
    relationships.csv; ``sis_id_field`` picks OneRoster's SIS ID column;
    ``sds_observer_roles``: which School Data Sync relationshipRoles make a parent link.
    Raises :class:`RosterReadError` when the input cannot be read at all; every
    row-level problem is in ``Roster.problems`` and its row is left out.
    """
    with _gc_paused():
        return _read(
            Path(path),
            format=format,
            mapping=mapping,
            relationships=relationships,
            strict_email=strict_email,
            sis_id_field=sis_id_field,
            max_bytes=max_bytes,
            sds_observer_roles=sds_observer_roles,
        )


def _read(
    path: Path,
    *,
    format: RosterFormat | None,
    mapping: ColumnMapping | None,
    relationships: Path | None,
    strict_email: bool,
    sis_id_field: str,
    max_bytes: int,
    sds_observer_roles: Collection[str],
) -> Roster:
    if format is not None:
        fmt = RosterFormat(format)
    elif mapping is not None:
        fmt = RosterFormat.CLOUDWORK  # only Cloudwork exports have columns to map
    else:
        fmt = detect_format(path, max_bytes=max_bytes)
    if mapping is not None and fmt is not RosterFormat.CLOUDWORK:
        raise RosterReadError(
            f"A column mapping applies to Cloudwork exports only; {path.name} is read as "
            f"{fmt.value}, whose columns are fixed by the standard.",
            hint="Clear the column mapping, or choose the Cloudwork format.",
        )
    if fmt is RosterFormat.CLOUDWORK:
        source = read_file(path, max_bytes)
        table = parse_table(source.data, source.name)
        builder = RosterBuilder(fmt.value, strict_email=strict_email)
        builder.add_source(table.file, table.encoding)
        read_cloudwork(table, builder, mapping)
    elif fmt is RosterFormat.ONEROSTER:
        builder = read_oneroster(
            path, strict_email=strict_email, sis_id_field=sis_id_field, max_bytes=max_bytes
        )
    elif fmt is RosterFormat.SDS:
        builder = read_sds(
            path,
            strict_email=strict_email,
            max_bytes=max_bytes,
            observer_roles=sds_observer_roles,
        )
    else:
        builder = read_canvas_sis(path, strict_email=strict_email, max_bytes=max_bytes)
    if relationships is not None:
        source = read_file(Path(relationships), max_bytes)
        table = parse_table(source.data, source.name)
        builder.add_source(table.file, table.encoding)
        read_relationships(table, builder)
    return builder.finish()


def read_headers(path: Path, *, max_bytes: int = 50_000_000) -> list[str]:
    """The column names of a CSV file, for the UI's column-mapping step."""
    source = read_file(Path(path), max_bytes)
    return parse_table(source.data, source.name).headers
