"""relationships.csv: extra parent → student links some schools export separately."""

from __future__ import annotations

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import describe_headers, find_column, index_headers
from canvas_wizard.core.roster.table import Table

PARENT_ALIASES = ("parentsisid", "parentid", "parent", "guardiansisid", "observerid")
STUDENT_ALIASES = ("studentsisid", "studentid", "student", "childsisid", "observeeid")


def read_relationships(table: Table, builder: RosterBuilder) -> None:
    index = index_headers(table.headers, table.file)
    parent_i = find_column(index, PARENT_ALIASES)
    student_i = find_column(index, STUDENT_ALIASES)
    if parent_i is None or student_i is None:
        what = "'Parent SIS ID'" if parent_i is None else "'Student SIS ID'"
        raise RosterReadError(
            f"{table.file} has no {what} column. Its columns are: "
            f"{describe_headers(table.headers)}.",
            hint="A relationships file needs the columns Parent SIS ID and Student SIS ID.",
        )
    parent_col, student_col = table.headers[parent_i], table.headers[student_i]
    builder.roster.mapping["links"] = f"{table.file}: {parent_col} → {student_col}"
    need = max(parent_i, student_i) + 1
    for record in table.records():
        if not builder.record_fits(table, record, (parent_i, student_i)):
            continue
        cells = record.cells
        if len(cells) < need:
            cells.extend([""] * (need - len(cells)))
        parent, student = cells[parent_i].strip(), cells[student_i].strip()
        if not parent or not student:
            builder.problem(
                table.file,
                record.row,
                parent_col if not parent else student_col,
                "This link names only one person; it needs a parent SIS ID and a student SIS ID.",
                hint="Fill in the missing SIS ID or delete the row.",
            )
            continue
        builder.link(table.file, record.row, parent_col, parent=parent, student=student)
