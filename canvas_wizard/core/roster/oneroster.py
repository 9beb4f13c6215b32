"""OneRoster 1.1 / 1.2 CSV: users.csv (+ roles.csv in 1.2, manifest.csv), zipped or loose.

Columns are found by name, never by position: real exports reorder them, drop
optional ones, misspell some (``prefferedGivenName``) and shorten others
(``agents`` for ``agentSourcedIds``, ``userId`` for ``userIds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from canvas_wizard.core.roster.builder import RosterBuilder
from canvas_wizard.core.roster.errors import RosterReadError
from canvas_wizard.core.roster.headers import (
    describe_headers,
    find_column,
    index_headers,
)
from canvas_wizard.core.roster.model import Role
from canvas_wizard.core.roster.sources import Bundle, SourceFile, read_users_and_companions
from canvas_wizard.core.roster.table import Table, parse_table
from canvas_wizard.core.roster.validate import RoleValue, classify_role

USER_ALIASES: dict[str, tuple[str, ...]] = {
    "sourcedId": ("sourcedid",),
    "status": ("status",),
    "enabledUser": ("enableduser",),
    "role": ("role",),
    "username": ("username",),
    "givenName": ("givenname", "firstname"),
    "familyName": ("familyname", "lastname"),
    "identifier": ("identifier",),
    "email": ("email",),
    "agentSourcedIds": ("agentsourcedids", "agents", "agentsourcedid"),
}
_REQUIRED = ("sourcedId", "givenName", "familyName", "username")
_FALSE = frozenset({"false", "0", "no", "n", "f"})
SIS_ID_FIELDS = ("sourcedId", "identifier")


@dataclass(frozen=True, slots=True)
class OneRosterFiles:
    users: SourceFile
    roles: SourceFile | None
    manifest: SourceFile | None


def load_files(path: Path, max_bytes: int) -> OneRosterFiles:
    """users.csv and its companions from a zip, a folder, or a loose users.csv."""

    def no_users(bundle: Bundle) -> RosterReadError:
        return RosterReadError(
            f"{bundle.label} has no users.csv; a OneRoster export keeps its people there.",
            hint="Export again with users included, or choose the folder or zip that "
            "holds users.csv.",
        )

    users, (roles, manifest) = read_users_and_companions(
        path, max_bytes, ("roles.csv", "manifest.csv"), no_users=no_users
    )
    return OneRosterFiles(users, roles, manifest)


def _manifest(source: SourceFile, builder: RosterBuilder) -> dict[str, str]:
    table = parse_table(source.data, source.name)
    builder.add_source(source.name, table.encoding)
    index = index_headers(table.headers, table.file)
    name_i = find_column(index, ("propertyname",))
    value_i = find_column(index, ("value",))
    if name_i is None or value_i is None:
        raise RosterReadError(
            f"{table.file} is not a OneRoster manifest: it needs the columns propertyName "
            f"and value, and has {describe_headers(table.headers)}.",
            hint="Export the OneRoster files again, or remove the damaged manifest.csv.",
        )
    values: dict[str, str] = {}
    for record in table.records():
        cells = [*record.cells, *[""] * (len(table.headers) - len(record.cells))]
        values[cells[name_i].strip().lower()] = cells[value_i].strip().lower()
    return values


def _roles(source: SourceFile, builder: RosterBuilder) -> tuple[dict[str, str], set[str]]:
    """userSourcedId → role, and the users who are staff and parents at once (1.2).

    The primary role wins when a user has several, except that staff stay staff: a
    teacher with a secondary ``guardian`` role is a teacher whose account the wizard
    leaves alone, and whose links to their own children it makes.
    """
    table = parse_table(source.data, source.name)
    builder.add_source(source.name, table.encoding)
    index = index_headers(table.headers, table.file)
    user_i = find_column(index, ("usersourcedid",))
    role_i = find_column(index, ("role",))
    type_i = find_column(index, ("roletype",))
    status_i = find_column(index, ("status",))
    if user_i is None or role_i is None:
        raise RosterReadError(
            f"{table.file} needs the columns userSourcedId and role; it has "
            f"{describe_headers(table.headers)}.",
            hint="Export the OneRoster files again.",
        )
    blank = len(table.headers)
    type_j = blank if type_i is None else type_i
    status_j = blank if status_i is None else status_i
    roles: dict[str, str] = {}
    primary: set[str] = set()
    staff_role: dict[str, str] = {}
    parent_role: set[str] = set()
    meanings: dict[str, RoleValue] = {}
    for record in table.records():
        cells = record.cells + [""] * (blank + 1 - len(record.cells))
        if cells[status_j].strip().lower() == "tobedeleted":
            continue
        user, role = cells[user_i].strip(), cells[role_i].strip()
        meaning = meanings.get(role)
        if meaning is None:  # a handful of distinct values in 100,000 rows
            meaning = meanings[role] = classify_role(role)
        if user and meaning.known_other:
            staff_role.setdefault(user, role)
        elif user and meaning.role is Role.PARENT:
            parent_role.add(user)
        if not user or user in primary:
            continue
        if cells[type_j].strip().lower() == "primary":
            primary.add(user)
            roles[user] = role
        else:
            roles.setdefault(user, role)
    both = parent_role & staff_role.keys()
    for user in both:
        if classify_role(roles[user]).role is not None:
            roles[user] = staff_role[user]
    return roles, both


def read_oneroster(
    path: Path, *, strict_email: bool, sis_id_field: str, max_bytes: int
) -> RosterBuilder:
    if sis_id_field not in SIS_ID_FIELDS:
        raise RosterReadError(
            f"{sis_id_field!r} cannot be the SIS ID of a OneRoster export.",
            hint="Choose sourcedId or identifier.",
        )
    files = load_files(path, max_bytes)
    builder = RosterBuilder("oneroster", strict_email=strict_email)
    manifest = _manifest(files.manifest, builder) if files.manifest is not None else {}
    # Without a manifest the files are bulk (the standard's default).
    builder.roster.complete = manifest.get("file.users", "bulk") != "delta"
    roles = None
    staff_parents: set[str] = set()
    if files.roles is not None and manifest.get("file.roles") != "absent":
        roles, staff_parents = _roles(files.roles, builder)
    table = parse_table(files.users.data, files.users.name)
    builder.add_source(table.file, table.encoding)
    _read_users(table, builder, roles, sis_id_field, staff_parents)
    return builder


def _read_users(
    table: Table,
    builder: RosterBuilder,
    roles: dict[str, str] | None,
    sis_id_field: str,
    staff_parents: set[str],
) -> None:
    file, headers = table.file, table.headers
    index = index_headers(headers, file)
    col = {field: find_column(index, aliases) for field, aliases in USER_ALIASES.items()}
    required = [*_REQUIRED, "identifier"] if sis_id_field == "identifier" else list(_REQUIRED)
    if roles is None:
        required.append("role")
    for field in required:
        if col[field] is None:
            extra = " (or a roles.csv beside it, as in OneRoster 1.2)" if field == "role" else ""
            raise RosterReadError(
                f"{file} has no {field} column{extra}. Its columns are: "
                f"{describe_headers(headers)}.",
                hint="Export the OneRoster users file again with all its standard columns.",
            )
    blank = len(headers)
    j = {field: blank if i is None else i for field, i in col.items()}
    name = {field: headers[i] if i is not None else field for field, i in col.items()}
    sis_j = j[sis_id_field]
    role_col = name["role"] if roles is None else "role (roles.csv)"
    builder.roster.mapping = {
        "sis_id": name[sis_id_field],
        "full_name": f"{name['givenName']} {name['familyName']}",
        "username": name["username"],
        "role": role_col,
    }
    if col["email"] is not None:
        builder.roster.mapping["email"] = name["email"]
    if col["agentSourcedIds"] is not None:
        builder.roster.mapping["links"] = name["agentSourcedIds"]
    used = {i for i in col.values() if i is not None}

    agents_col = name["agentSourcedIds"]
    sis_col, user_col, email_col = name[sis_id_field], name["username"], name["email"]
    given_col, family_col = name["givenName"], name["familyName"]
    sourced_j, status_j, role_j, enabled_j = (
        j["sourcedId"],
        j["status"],
        j["role"],
        j["enabledUser"],
    )
    given_j, family_j, user_j, email_j, agents_j = (
        j["givenName"],
        j["familyName"],
        j["username"],
        j["email"],
        j["agentSourcedIds"],
    )

    # One pass. Agents are named by sourcedId; when the SIS ID is the identifier
    # they are translated after the pass, since an agent's row may come later.
    sis_of: dict[str, str] = {}
    pending: list[tuple[int, str, str]] = []  # (row, user's SIS ID, agent's sourcedId)
    by_identifier = sis_j != sourced_j
    has_email = col["email"] is not None
    rows = 0
    for record in table.records():
        rows += 1
        row, cells, (first, last) = record
        if (len(cells) > blank or first != last) and not builder.record_fits(table, record, used):
            continue
        if len(cells) <= blank:
            cells.extend([""] * (blank + 1 - len(cells)))
        sis = cells[sis_j].strip()
        sourced = cells[sourced_j].strip()
        if by_identifier and sis:
            sis_of[sourced] = sis
        status = cells[status_j].strip().lower()
        if status == "tobedeleted":
            builder.removed(file, row, sis_col, sis)
            continue
        if roles is None:
            role_value = cells[role_j].strip()
        elif (role_value := roles.get(sourced, "")) == "":
            builder.problem(
                file,
                row,
                role_col,
                f"User {sourced!r} has no role in roles.csv, so the wizard cannot tell "
                "whether they are a student or a parent.",
                hint="Export roles.csv again with a role for every user.",
            )
            continue
        role = builder.role(file, row, role_col, role_value, sis)
        if sourced in staff_parents and sis:
            builder.guardian_staff.add(sis)
        if role is None:
            # Staff keep their agents: a teacher-parent's link to their child is made
            # (resolve_links decides, once every row's role is known).
            if sis and sourced in staff_parents:
                _agents(
                    builder, file, row, agents_col, cells[agents_j], sis, by_identifier, pending
                )
            continue
        builder.person(
            file,
            row,
            sis_id=(sis_col, sis),
            names=[(given_col, cells[given_j].strip()), (family_col, cells[family_j].strip())],
            username=(user_col, cells[user_j].strip()),
            role=role,
            email=(email_col, cells[email_j].strip()) if has_email else None,
            active=cells[enabled_j].strip().lower() not in _FALSE and status != "inactive",
            integration_id=(sourced or None) if by_identifier else None,
        )
        if sis:
            _agents(builder, file, row, agents_col, cells[agents_j], sis, by_identifier, pending)
    for row, sis, agent in pending:
        builder.agent(file, row, agents_col, user=sis, agent=sis_of.get(agent, agent))
    if rows == 0 and builder.roster.complete:
        raise RosterReadError(
            f"{file} has column names but no people under them.",
            hint="Check the export's filters and export again.",
        )


def _agents(
    builder: RosterBuilder,
    file: str,
    row: int,
    column: str,
    agents: str,
    sis: str,
    by_identifier: bool,
    pending: list[tuple[int, str, str]],
) -> None:
    """Claims for the comma-separated agentSourcedIds of one user's row."""
    if not agents:
        return
    for agent in agents.split(","):
        agent = agent.strip()
        if not agent:
            continue
        if by_identifier:
            pending.append((row, sis, agent))
        else:
            builder.agent(file, row, column, user=sis, agent=agent)
