"""Assembling a Roster from rows: the checks that need the whole file.

Readers hand each row's values to a :class:`RosterBuilder`; it checks the cells,
and at :meth:`RosterBuilder.finish` finds duplicate SIS IDs and usernames and
resolves links, so each format reader only knows where its values live.
Everything is dict/set based: one pass over rows, one over links.

Links always join a parent to a student and every person has exactly one role,
so refusing parent↔parent and student↔student links also makes cycles
(A parent of B parent of A) impossible: no SIS ID can end up on both sides.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from functools import partial
from typing import NamedTuple

from canvas_wizard.core.roster.guardians import check_guardians
from canvas_wizard.core.roster.links import Claim, resolve_links
from canvas_wizard.core.roster.model import Person, Problem, Role, Roster, Severity, Skipped
from canvas_wizard.core.roster.table import Record, Table
from canvas_wizard.core.roster.validate import (
    MAX_LOGIN_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SIS_ID_LENGTH,
    RoleValue,
    classify_role,
    invisible_character,
    is_email,
)


class _Entry(NamedTuple):
    # NamedTuple rather than a frozen dataclass: built once per row, and cheap.
    file: str
    row: int
    sis_id: str
    sis_column: str
    username: str
    username_column: str
    person: Person | None  # None: the row had an error, or says the person is gone
    removed: bool = False


# Built once per row: tuple.__new__ skips NamedTuple's Python-level constructor.
_new_entry = partial(tuple.__new__, _Entry)
_new_claim = partial(tuple.__new__, Claim)


class RosterBuilder:
    """Collects one roster's rows, problems and link claims; :meth:`finish` makes the Roster.

    ``complete=False`` (a OneRoster delta) makes links to people outside the
    input warnings instead of errors: they may well exist in Canvas already.
    """

    def __init__(self, fmt: str, *, strict_email: bool = False, complete: bool = True) -> None:
        self.roster = Roster(format=fmt, complete=complete)
        self._strict_email = strict_email
        self._entries: list[_Entry] = []
        self._others: dict[str, tuple[str, str, int]] = {}  # SIS ID -> (role, file, row)
        self._claims: list[Claim] = []
        #: Staff SIS IDs that also hold a parent role (OneRoster 1.2 secondary guardian).
        self.guardian_staff: set[str] = set()
        self._role_cache: dict[str, RoleValue] = {}
        self._by_sis: dict[str, _Entry] = {}
        self._sis_groups: dict[str, list[_Entry]] = {}
        self._by_login: dict[str, _Entry] = {}
        self._login_groups: dict[str, list[_Entry]] = {}
        self._email_columns: dict[str, str] = {}  # file -> its email column

    # --- recording -------------------------------------------------------------

    def add_source(self, file: str, encoding: str) -> None:
        self.roster.files.append(file)
        self.roster.encodings[file] = encoding

    def problem(
        self,
        file: str,
        row: int | None,
        column: str | None,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: str = "",
    ) -> None:
        self.roster.problems.append(Problem(file, row, column, message, severity, hint))

    def role(self, file: str, row: int, column: str, value: str, sis_id: str) -> Role | None:
        """The row's role; None (with a Skipped or a Problem recorded) when not ours."""
        if not value:
            self.problem(
                file,
                row,
                column,
                "The role is empty; it must say Student or Parent.",
                hint="Fill in the role in your school system and export again.",
            )
            return None
        meaning = self._role_cache.get(value)
        if meaning is None:  # a roster has a handful of distinct role values
            meaning = self._role_cache[value] = classify_role(value)
        if meaning.role is not None:
            return meaning.role
        if meaning.known_other:
            self.roster.skipped.append(
                Skipped(file, row, sis_id, f"{value}: only students and parents are synced")
            )
            if sis_id:
                self._others[sis_id] = (value, file, row)
            return None
        self.problem(
            file,
            row,
            column,
            f"Unknown role {value!r}: expected Student or Parent (Guardian, Carer and "
            "Relative also mean parent).",
            hint="Correct the role; staff roles such as Teacher are skipped without this error.",
        )
        return None

    def person(
        self,
        file: str,
        row: int,
        *,
        sis_id: tuple[str, str],
        names: Sequence[tuple[str, str]],
        username: tuple[str, str],
        role: Role,
        email: tuple[str, str] | None = None,
        active: bool = True,
        integration_id: str | None = None,
    ) -> None:
        """One student or parent row; each argument is ``(column, trimmed value)``."""
        sis_column, sis = sis_id
        username_column, login = username
        if len(names) == 1:
            full_name = names[0][1]
        else:  # a list, not a generator: join is measurably faster on 100k rows
            full_name = " ".join([value for _, value in names if value])
        ok = True
        if not sis:
            self.problem(
                file,
                row,
                sis_column,
                "The SIS ID is empty, so this person cannot be matched in Canvas.",
                hint="Give the person an SIS ID in your school system and export again.",
            )
            ok = False
        if not full_name:
            self.problem(
                file,
                row,
                names[0][0],
                "The name is empty; Canvas needs a name for every person.",
                hint="Fill in the name in your school system and export again.",
            )
            ok = False
        if not login:
            self.problem(
                file,
                row,
                username_column,
                "The username is empty; Canvas needs one to create the login.",
                hint="Fill in the username in your school system and export again.",
            )
            ok = False
        if (
            len(sis) > MAX_SIS_ID_LENGTH
            or len(full_name) > MAX_NAME_LENGTH
            or len(login) > MAX_LOGIN_LENGTH
        ):
            ok = self._check_lengths(file, row, sis_id, names, full_name, username) and ok
        together = sis + full_name + login
        # One test for the usual all-plain row; cell by cell only when it fails.
        if not (together.isascii() and together.isprintable()):
            cells = [(sis_column, sis, "SIS ID")]
            cells += [(column, value, "name") for column, value in names]
            cells.append((username_column, login, "username"))
            for column, value, what in cells:
                ok = self._check_invisible(file, row, column, value, what) and ok
        address: str | None = None
        if email is not None:
            self._email_columns[file] = email[0]
        if email is not None and email[1]:
            address = email[1]
            if not is_email(address) or invisible_character(address):
                address = None
                if self._strict_email:
                    ok = False
                    self.problem(
                        file,
                        row,
                        email[0],
                        f"{email[1]!r} is not an email address, and strict email checking is "
                        "on, so this person is left out.",
                        hint="Correct the address, or leave the cell empty.",
                    )
                else:
                    self.problem(
                        file,
                        row,
                        email[0],
                        f"{email[1]!r} is not an email address; the person will be synced "
                        "without an email.",
                        severity=Severity.WARNING,
                        hint="Correct the address in your school system.",
                    )
        person = (
            Person(
                sis,
                full_name,
                login,
                role,
                address,
                active,
                source=file,
                row=row,
                integration_id=integration_id,
            )
            if ok
            else None
        )
        # _add inlined: this is the hottest line of a 100k-row read.
        entry = _new_entry((file, row, sis, sis_column, login, username_column, person, False))
        self._entries.append(entry)
        if sis:
            seen = self._by_sis.setdefault(sis, entry)
            if seen is not entry:
                self._sis_groups.setdefault(sis, [seen]).append(entry)
        if login:
            key = login.lower()
            seen = self._by_login.setdefault(key, entry)
            if seen is not entry:
                self._login_groups.setdefault(key, [seen]).append(entry)

    def removed(self, file: str, row: int, column: str, sis_id: str) -> None:
        """The row says this person is gone (OneRoster tobedeleted, SIS status=deleted)."""
        if not sis_id:
            self.problem(
                file,
                row,
                column,
                "The SIS ID is empty on a row marked as deleted, so it names nobody.",
                severity=Severity.WARNING,
            )
            return
        self._add(_Entry(file, row, sis_id, column, "", "", None, removed=True))

    def _add(self, entry: _Entry) -> None:
        # Collisions are noted as rows arrive: one dict lookup each, no second pass.
        self._entries.append(entry)
        if entry.sis_id:
            seen = self._by_sis.setdefault(entry.sis_id, entry)
            if seen is not entry:
                self._sis_groups.setdefault(entry.sis_id, [seen]).append(entry)
        if entry.username:
            # Canvas compares logins without regard to case (LOWER(unique_id)).
            key = entry.username.lower()
            seen = self._by_login.setdefault(key, entry)
            if seen is not entry:
                self._login_groups.setdefault(key, [seen]).append(entry)

    def link(
        self, file: str, row: int, column: str, *, parent: str, student: str, origin: str = ""
    ) -> None:
        """``parent`` observes ``student``; ``origin`` is the SIS ID on the row, if any."""
        self._claims.append(_new_claim((file, row, column, parent, student, True, origin)))

    def agent(self, file: str, row: int, column: str, *, user: str, agent: str) -> None:
        """``user`` names ``agent`` as related; which one is the parent follows from roles."""
        self._claims.append(_new_claim((file, row, column, user, agent, False, user)))

    def record_fits(self, table: Table, record: Record, used: Container[int]) -> bool:
        """False (with a problem) when the row has more cells than the header.

        Also warns about line breaks in columns we do not read: a harmless
        multi-line note, or a quote mark left open that swallowed later rows.
        """
        cells = record.cells
        width = len(table.headers)
        # Even blank extra cells count: spreadsheets write every row as wide as the
        # header, so a longer row is one whose values slid right (an unquoted comma
        # in "Lee, Jordan" with Parent 2 empty still ends in a blank cell).
        if len(cells) > width:
            self.problem(
                table.file,
                record.row,
                None,
                f"This row has {len(cells)} cells but the header has {width} columns, so its "
                "values cannot be matched to columns. A comma inside a cell that has no quotes "
                "around it does this (for example Lee, Jordan).",
                hint="Put quotes around that cell or remove the comma, then save the file again.",
            )
            return False
        first, last = record.lines
        if first != last:
            for i, cell in enumerate(cells[:width]):
                if i not in used and ("\n" in cell or "\r" in cell):
                    self.problem(
                        table.file,
                        record.row,
                        table.headers[i] or f"column {i + 1}",
                        f"This cell runs over lines {first}-{last}. If that is not meant, a "
                        'quote mark (") is not closed and the rows in between were read as '
                        "part of it.",
                        severity=Severity.WARNING,
                        hint="Check those lines in a text editor.",
                    )
        return True

    def _check_lengths(
        self,
        file: str,
        row: int,
        sis_id: tuple[str, str],
        names: Sequence[tuple[str, str]],
        full_name: str,
        username: tuple[str, str],
    ) -> bool:
        """Canvas refuses these values with 400; say so here, where they can be fixed."""
        ok = True
        if len(sis_id[1]) > MAX_SIS_ID_LENGTH:
            ok = False
            self.problem(
                file,
                row,
                sis_id[0],
                f"The SIS ID is {len(sis_id[1]):,} characters long; Canvas takes at most "
                f"{MAX_SIS_ID_LENGTH}.",
                hint="Check this cell in your school system (it may have run into the next "
                "one) and export again.",
            )
        if len(full_name) > MAX_NAME_LENGTH:
            ok = False
            column = max(names, key=lambda cell: len(cell[1]))[0]
            self.problem(
                file,
                row,
                column,
                f"The name is {len(full_name):,} characters long; Canvas takes at most "
                f"{MAX_NAME_LENGTH}.",
                hint="Shorten the name in your school system and export again.",
            )
        if len(username[1]) > MAX_LOGIN_LENGTH:
            ok = False
            self.problem(
                file,
                row,
                username[0],
                f"The username is {len(username[1]):,} characters long; Canvas takes at "
                f"most {MAX_LOGIN_LENGTH}.",
                hint="Give the person a shorter username in your school system and export again.",
            )
        return ok

    def _check_invisible(self, file: str, row: int, column: str, value: str, what: str) -> bool:
        bad = invisible_character(value)
        if bad is None:
            return True
        if bad == "a line break":
            self.problem(
                file,
                row,
                column,
                f'The {what} runs over several lines. Usually a quote mark (") in this row '
                "is not closed, so the following lines were read into this cell.",
                hint="Open the file, fix the quotes in this row, and save it again.",
            )
        else:
            self.problem(
                file,
                row,
                column,
                f"The {what} contains an invisible control character ({bad}), which can make "
                "it display differently from what it really is.",
                hint=f"Retype the {what} in your school system (do not paste it) and export "
                "the file again.",
            )
        return False

    # --- whole-file checks -------------------------------------------------------

    def finish(self) -> Roster:
        excluded = self._find_duplicates()
        roster = self.roster
        for entry in self._entries:
            if entry.sis_id in excluded:
                continue
            if entry.removed:
                roster.removed.add(entry.sis_id)
            elif entry.person is not None:
                roster.people[entry.sis_id] = entry.person
            elif entry.sis_id:
                excluded[entry.sis_id] = (entry.file, entry.row)
        roster.not_synced |= {sis for sis in excluded if sis and sis not in roster.people}
        roster.not_synced |= {sis for sis in self._others if sis not in roster.people}
        links, staff_links, problems = resolve_links(
            self._claims,
            roster,
            excluded=excluded,
            others=self._others,
            guardian_staff=self.guardian_staff,
        )
        roster.links |= links
        roster.staff_links |= staff_links
        roster.problems.extend(problems)
        roster.problems += check_guardians(roster, self._claims, self._by_sis, self._email_columns)
        order = {name: i for i, name in enumerate(roster.files)}
        roster.problems.sort(key=lambda p: (order.get(p.file, len(order)), p.row or 0))
        return roster

    def _find_duplicates(self) -> dict[str, tuple[str, int]]:
        """SIS IDs of rows left out as duplicates, each with its first row."""
        excluded: dict[str, tuple[str, int]] = {}
        for sis, group in self._sis_groups.items():
            if len(group) > 1:
                later = group[-1]
                self.problem(
                    later.file,
                    later.row,
                    later.sis_column,
                    f"SIS ID {sis!r} is on {self._rows(group)}; an SIS ID must name one "
                    "person, so none of these rows is synced.",
                    hint="Give each person their own SIS ID in your school system.",
                )
                excluded[sis] = (group[0].file, group[0].row)
        for found in self._login_groups.values():
            group = [e for e in found if e.sis_id not in excluded]
            if len(group) > 1:
                later = group[-1]
                people = " and ".join(f"{e.sis_id or '(no SIS ID)'}" for e in group)
                self.problem(
                    later.file,
                    later.row,
                    later.username_column,
                    f"Username {later.username!r} is used by {people} ({self._rows(group)}); "
                    "Canvas logins must be unique (capitals do not count), so none of them "
                    "is synced.",
                    hint="Give each person their own username in your school system.",
                )
                for entry in group:
                    if entry.sis_id:
                        excluded[entry.sis_id] = (entry.file, entry.row)
        return excluded

    @staticmethod
    def _rows(group: Sequence[_Entry]) -> str:
        same_file = len({e.file for e in group}) == 1
        parts = [str(e.row) if same_file else f"{e.file} row {e.row}" for e in group]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"rows {listed}" if same_file else listed
