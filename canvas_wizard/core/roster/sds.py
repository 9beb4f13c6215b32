"""Microsoft School Data Sync (SDS) v2.1 CSV: users.csv, roles.csv, relationships.csv.

Schools that already feed Microsoft 365 have these files. What makes someone a
student or a parent here:

* a ``student`` row in roles.csv makes a student; staff roles (teacher, aide, and in
  higher education professor, lecturer, …) are staff, skipped without complaint;
* a guardian often has **no** role row at all: being the related person of a
  relationships.csv row whose ``relationshipRole`` is one of the chosen observer
  roles (default parent, guardian, relative) makes them a parent, and the row a link.

users.csv's ``password`` column is never read. SDS v1 ("classic") exports are
refused with a message saying what to export instead.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import (
    describe_headers,
    find_column,
    index_headers,
    normalise,
)
from canvas_wizard.core.roster.model import Role, Severity
from canvas_wizard.core.roster.sources import (
    Bundle,
    SourceFile,
    is_zip,
    read_users_and_companions,
)
from canvas_wizard.core.roster.table import Table, parse_table
from canvas_wizard.core.roster.validate import RoleValue, classify_role

#: relationshipRole values that make the related person a parent (observer), by default.
DEFAULT_OBSERVER_ROLES: frozenset[str] = frozenset({"parent", "guardian", "relative"})
#: Every relationshipRole SDS v2.1 defines, for checking a chosen setting.
RELATIONSHIP_ROLES: frozenset[str] = frozenset(
    {"parent", "guardian", "relative", "aide", "doctor", "emergencycontact", "other"}
)

#: SDS v1 file names (lower case); a bundle holding any of them is the old format.
SDS_V1_FILES = frozenset(
    {
        "student.csv",
        "teacher.csv",
        "school.csv",
        "section.csv",
        "studentenrollment.csv",
        "teacherroster.csv",
        "user.csv",
        "guardianrelationship.csv",
    }
)


def sds_v1_error(file: str) -> RosterReadError:
    return RosterReadError(
        f"{file} is from an older School Data Sync export (SDS v1, the 'classic' CSV "
        "format), which the wizard does not read.",
        hint="In School Data Sync, export the SDS v2.1 CSV format instead (users.csv, "
        "roles.csv and relationships.csv), or export from Cloudwork or as OneRoster CSV.",
    )


@dataclass(frozen=True, slots=True)
class SdsFiles:
    users: SourceFile
    roles: SourceFile | None
    relationships: SourceFile | None


def load_sds_files(path: Path, max_bytes: int) -> SdsFiles:
    """users.csv, roles.csv and relationships.csv from a zip, a folder, or beside users.csv."""
    if path.is_file() and not is_zip(path) and path.name.lower() in SDS_V1_FILES:
        raise sds_v1_error(path.name)

    def no_users(bundle: Bundle) -> RosterReadError:
        old = next(
            (n for n in bundle.names() if PurePosixPath(n).name.lower() in SDS_V1_FILES), None
        )
        if old is not None:
            return sds_v1_error(bundle.display(old))
        return RosterReadError(
            f"{bundle.label} has no users.csv; a School Data Sync v2.1 export keeps its "
            "people there.",
            hint="Choose the folder or zip that holds users.csv, roles.csv and relationships.csv.",
        )

    users, (roles, relationships) = read_users_and_companions(
        path, max_bytes, ("roles.csv", "relationships.csv"), no_users=no_users
    )
    return SdsFiles(users, roles, relationships)


def parse_observer_roles(text: str) -> frozenset[str]:
    """``"parent, guardian"`` → the set; ValueError naming what is not an SDS role."""
    roles = frozenset(normalise(part) for part in text.split(",") if part.strip())
    unknown = sorted(roles - RELATIONSHIP_ROLES)
    if not roles or unknown:
        raise ValueError(
            f"not School Data Sync relationship roles: {', '.join(unknown) or '(none given)'}; "
            "choose from parent, guardian, relative, aide, doctor, emergencyContact, other"
        )
    return roles


def read_sds(
    path: Path,
    *,
    strict_email: bool,
    max_bytes: int,
    observer_roles: Collection[str] = DEFAULT_OBSERVER_ROLES,
) -> RosterBuilder:
    files = load_sds_files(path, max_bytes)
    builder = RosterBuilder("sds", strict_email=strict_email)
    chosen = frozenset(normalise(r) for r in observer_roles)
    roles: dict[str, _Roles] = {}
    if files.roles is not None:
        roles = _read_roles(files.roles, builder)
    else:
        builder.problem(
            files.users.name,
            None,
            None,
            "There is no roles.csv beside users.csv, so nobody can be recognised as a student.",
            hint="Export roles.csv with the other School Data Sync files.",
        )
    related: dict[str, tuple[str, int]] = {}  # related person's sourcedId -> where named
    if files.relationships is not None:
        related = _read_relationships(files.relationships, builder, chosen)
    else:
        builder.problem(
            files.users.name,
            None,
            None,
            "There is no relationships.csv beside users.csv, so this export has no parent "
            "links and no parents without a role.",
            severity=Severity.WARNING,
            hint="Export relationships.csv too if parents should be linked to their children.",
        )
    table = parse_table(files.users.data, files.users.name)
    builder.add_source(table.file, table.encoding)
    _read_users(table, builder, roles, related)
    return builder


@dataclass(slots=True)
class _Roles:
    student: bool = False
    parent: bool = False
    staff: str = ""  # the first staff role seen, as written
    other: str = ""  # a role we do not know, as written


def _read_roles(source: SourceFile, builder: RosterBuilder) -> dict[str, _Roles]:
    table = parse_table(source.data, source.name)
    builder.add_source(table.file, table.encoding)
    index = index_headers(table.headers, table.file)
    user_i = find_column(index, ("usersourcedid",))
    role_i = find_column(index, ("role",))
    if user_i is None or role_i is None:
        raise RosterReadError(
            f"{table.file} needs the columns userSourcedId and role; it has "
            f"{describe_headers(table.headers)}.",
            hint="Export the School Data Sync files again.",
        )
    need = max(user_i, role_i) + 1
    out: dict[str, _Roles] = {}
    meanings: dict[str, RoleValue] = {}
    for record in table.records():
        cells = record.cells + [""] * (need - len(record.cells))
        user, role = cells[user_i].strip(), cells[role_i].strip()
        if not user:
            builder.problem(
                table.file,
                record.row,
                table.headers[user_i],
                "This role names no user (userSourcedId is empty).",
                severity=Severity.WARNING,
                hint="Fill in the user's sourcedId or delete the row.",
            )
            continue
        entry = out.setdefault(user, _Roles())
        meaning = meanings.get(role)
        if meaning is None:
            meaning = meanings[role] = classify_role(role)
        if meaning.role is Role.STUDENT:
            entry.student = True
        elif meaning.role is Role.PARENT:
            entry.parent = True
        elif meaning.known_other:
            entry.staff = entry.staff or role
        else:
            entry.other = entry.other or role
    return out


def _read_relationships(
    source: SourceFile, builder: RosterBuilder, chosen: frozenset[str]
) -> dict[str, tuple[str, int]]:
    """Link claims from the rows whose role is an observer role; who was named as related."""
    table = parse_table(source.data, source.name)
    builder.add_source(table.file, table.encoding)
    index = index_headers(table.headers, table.file)
    student_i = find_column(index, ("usersourcedid",))
    related_i = find_column(index, ("relationshipusersourcedid",))
    role_i = find_column(index, ("relationshiprole",))
    if student_i is None or related_i is None or role_i is None:
        raise RosterReadError(
            f"{table.file} needs the columns userSourcedId, relationshipUserSourcedId and "
            f"relationshipRole; it has {describe_headers(table.headers)}.",
            hint="Export the School Data Sync files again.",
        )
    headers = table.headers
    builder.roster.mapping["links"] = (
        f"{table.file}: {headers[related_i]} → {headers[student_i]} "
        f"({headers[role_i]} {', '.join(sorted(chosen))})"
    )
    need = max(student_i, related_i, role_i) + 1
    related: dict[str, tuple[str, int]] = {}
    for record in table.records():
        if not builder.record_fits(table, record, (student_i, related_i, role_i)):
            continue
        cells = record.cells + [""] * (need - len(record.cells))
        student, other = cells[student_i].strip(), cells[related_i].strip()
        role = normalise(cells[role_i])
        if role not in chosen:
            continue  # a doctor or an emergency contact is not an observer (unless chosen)
        if not student or not other:
            builder.problem(
                table.file,
                record.row,
                headers[student_i] if not student else headers[related_i],
                "This relationship names only one person; it needs the student's and the "
                "related person's sourcedId.",
                hint="Fill in the missing sourcedId or delete the row.",
            )
            continue
        related.setdefault(other, (table.file, record.row))
        builder.link(table.file, record.row, headers[related_i], parent=other, student=student)
    return related


_USER_COLUMNS: dict[str, tuple[str, ...]] = {
    "sourcedId": ("sourcedid",),
    "username": ("username",),
    "givenName": ("givenname",),
    "familyName": ("familyname",),
    "email": ("email",),
}


def _read_users(
    table: Table,
    builder: RosterBuilder,
    roles: dict[str, _Roles],
    related: dict[str, tuple[str, int]],
) -> None:
    file, headers = table.file, table.headers
    index = index_headers(headers, file)
    col = {field: find_column(index, aliases) for field, aliases in _USER_COLUMNS.items()}
    for field in ("sourcedId", "username", "givenName", "familyName"):
        if col[field] is None:
            raise RosterReadError(
                f"{file} has no {field} column. Its columns are: {describe_headers(headers)}.",
                hint="Export the School Data Sync users.csv again with all its standard columns.",
            )
    blank = len(headers)
    j = {field: blank if i is None else i for field, i in col.items()}
    name = {field: headers[i] if i is not None else field for field, i in col.items()}
    builder.roster.mapping.update(
        {
            "sis_id": name["sourcedId"],
            "full_name": f"{name['givenName']} {name['familyName']}",
            "username": name["username"],
            "role": "role (roles.csv), or parent by relationships.csv",
        }
    )
    if col["email"] is not None:
        builder.roster.mapping["email"] = name["email"]
    # The password column is deliberately not among the used columns, and never read.
    used = {i for i in col.values() if i is not None}
    rows = 0
    for record in table.records():
        rows += 1
        row, cells, (first, last) = record
        if (len(cells) > blank or first != last) and not builder.record_fits(table, record, used):
            continue
        if len(cells) <= blank:
            cells.extend([""] * (blank + 1 - len(cells)))
        sis = cells[j["sourcedId"]].strip()
        entry = roles.get(sis)
        role = _role_of(builder, file, row, sis, entry, sis in related)
        if role is None:
            continue
        builder.person(
            file,
            row,
            sis_id=(name["sourcedId"], sis),
            names=[
                (name["givenName"], cells[j["givenName"]].strip()),
                (name["familyName"], cells[j["familyName"]].strip()),
            ],
            username=(name["username"], cells[j["username"]].strip()),
            role=role,
            email=(name["email"], cells[j["email"]].strip()) if col["email"] is not None else None,
        )
    if rows == 0:
        raise RosterReadError(
            f"{file} has column names but no people under them.",
            hint="Check the export's filters and export again.",
        )


def _role_of(
    builder: RosterBuilder,
    file: str,
    row: int,
    sis: str,
    entry: _Roles | None,
    is_related: bool,
) -> Role | None:
    """Student, parent, or None (staff and the unknown, recorded on the builder)."""
    if entry is not None and entry.staff:
        # Staff stay staff, also when they are someone's parent: their account is not
        # ours, but their links to their children are made (see resolve_links).
        builder.role(file, row, "role (roles.csv)", entry.staff, sis)
        if is_related or entry.parent:
            builder.guardian_staff.add(sis)
        return None
    if entry is not None and entry.student:
        return Role.STUDENT
    if (entry is not None and entry.parent) or is_related:
        return Role.PARENT
    if entry is not None and entry.other:
        builder.role(file, row, "role (roles.csv)", entry.other, sis)
        return None
    builder.problem(
        file,
        row,
        None,
        f"User {sis!r} has no role in roles.csv and is nobody's parent in relationships.csv, "
        "so the wizard cannot tell whether they are a student or a parent; not synced.",
        severity=Severity.WARNING,
        hint="Give them a role in roles.csv, or a parent relationship, and export again.",
    )
    if sis:
        builder.roster.not_synced.add(sis)  # still in the school: never "missing" from it
    return None
