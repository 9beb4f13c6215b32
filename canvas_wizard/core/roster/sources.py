"""Getting a roster's bytes off disk: a loose file, a folder, or a zip.

Every read is bounded by ``max_bytes``. Zips are never extracted to disk; their
members are read into memory only after the sizes in the zip's directory were
checked, and each read stops one byte past the limit in case the directory lies
(a zip bomb).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from canvas_wizard.core.roster.errors import RosterReadError

#: A roster export has a handful of files; thousands means something else was chosen.
MAX_ZIP_MEMBERS = 1000

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str  # how messages name it: "users.csv", or "export.zip/users.csv"
    data: bytes


def size_text(size: int) -> str:
    """``1234567`` → ``"1.2 MB"``; small sizes in bytes so they never read as 0.0 MB."""
    if size < 1_000_000:
        return f"{size:,} bytes"
    return f"{size / 1_000_000:,.1f} MB"


def _too_big(name: str, size: int, max_bytes: int) -> RosterReadError:
    return RosterReadError(
        f"{name} is {size_text(size)}; the wizard reads roster files up to {size_text(max_bytes)}.",
        hint="Check that this is the roster export and not a backup or a report with "
        "everything in it; export only the accounts (students, parents).",
    )


def read_file(path: Path, max_bytes: int, *, name: str | None = None) -> SourceFile:
    """The whole file, after checking that it exists, is a file, and is not too big."""
    shown = name or path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RosterReadError(
            f"{shown} does not exist (looked for {path}).",
            hint="Check the path, or choose the file again.",
        ) from None
    except OSError as exc:
        raise RosterReadError(
            f"{shown} cannot be opened: {exc.strerror}.", hint="Check the path and permissions."
        ) from None
    if path.is_dir():
        raise RosterReadError(
            f"{shown} is a folder, not a file.", hint="Choose the CSV file inside it."
        )
    if size > max_bytes:
        raise _too_big(shown, size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterReadError(
            f"{shown} cannot be read: {exc.strerror}.",
            hint="Check that you may read it and that no other program has it locked.",
        ) from None
    if len(data) > max_bytes:  # it grew since stat()
        raise _too_big(shown, len(data), max_bytes)
    return SourceFile(shown, data)


def is_zip(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(4) == ZIP_MAGIC and path.suffix.lower() not in {".xlsx", ".csv"}
    except OSError:
        return False


class Bundle:
    """The CSV files of an export folder or zip, by path relative to its top."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.label = path.name
        self.max_bytes = max_bytes
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        self._files: dict[str, Path] = {}
        if path.is_dir():
            self._scan_folder()
        else:
            self._open_zip()

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def _scan_folder(self) -> None:
        # The top folder and one level down: some tools zip a folder, and
        # admins then unzip it into another one.
        for depth_glob in ("*", "*/*"):
            for file in sorted(self.path.glob(depth_glob)):
                if file.suffix.lower() == ".csv" and file.is_file():
                    self._files[file.relative_to(self.path).as_posix()] = file

    def _open_zip(self) -> None:
        zip_file = read_file(self.path, self.max_bytes)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(zip_file.data))
        except (zipfile.BadZipFile, ValueError):
            raise RosterReadError(
                f"{self.label} is not a readable zip file (it may be damaged or cut short).",
                hint="Download or export the zip again; if it is a CSV, give it a .csv name.",
            ) from None
        infos = self._zip.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            self.close()
            raise RosterReadError(
                f"{self.label} holds {len(infos):,} files; a roster export holds a few.",
                hint="Choose the zip exported by your school system.",
            )
        total = 0
        for info in infos:
            if info.is_dir() or not info.filename.lower().endswith(".csv"):
                continue
            parts = PurePosixPath(info.filename).parts
            if any(p.startswith(("__MACOSX", ".")) for p in parts):
                continue  # Finder's resource forks ride along in zips made on a Mac
            total += info.file_size
            self._members[info.filename] = info
        if total > self.max_bytes:
            self.close()
            raise RosterReadError(
                f"{self.label} would unpack to {size_text(total)} of CSV files; the wizard "
                f"reads up to {size_text(self.max_bytes)}.",
                hint="Check that this is the roster export (a zip this large, or one that "
                "claims to be, is not one).",
            )

    def names(self) -> list[str]:
        """Relative paths of the CSV files, shallowest first."""
        names = list(self._members) if self._zip is not None else list(self._files)
        return sorted(names, key=lambda n: (n.count("/"), n.lower()))

    def find(self, basename: str, *, near: str | None = None) -> str | None:
        """The shallowest CSV named ``basename`` (any case), or the one beside ``near``."""
        wanted = basename.lower()
        matches = [n for n in self.names() if PurePosixPath(n).name.lower() == wanted]
        if near is not None:
            folder = PurePosixPath(near).parent
            matches = [n for n in matches if PurePosixPath(n).parent == folder]
        return matches[0] if matches else None

    def display(self, name: str) -> str:
        return f"{self.label}/{name}"

    def read(self, name: str) -> SourceFile:
        shown = self.display(name)
        if self._zip is None:
            return read_file(self._files[name], self.max_bytes, name=shown)
        info = self._members[name]
        if info.flag_bits & 0x1:
            raise RosterReadError(
                f"{shown} is encrypted (the zip has a password).",
                hint="Export the zip again without a password.",
            )
        try:
            with self._zip.open(info) as fh:
                data = fh.read(self.max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise RosterReadError(
                f"{shown} cannot be unpacked: {exc}.",
                hint="The zip is damaged or uses an unusual compression; export it again.",
            ) from None
        if len(data) > self.max_bytes:
            raise _too_big(shown, len(data), self.max_bytes)
        return SourceFile(shown, data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def read_users_and_companions(
    path: Path,
    max_bytes: int,
    companions: tuple[str, ...],
    *,
    no_users: Callable[[Bundle], RosterReadError],
) -> tuple[SourceFile, list[SourceFile | None]]:
    """users.csv and the named companion files (None where absent), from a zip, a folder,
    or beside a loose users.csv. OneRoster and School Data Sync exports share this shape;
    ``no_users`` says, for the format at hand, what a bundle without users.csv means."""
    if path.is_file() and not is_zip(path):
        folder = path.parent

        def sibling(name: str) -> SourceFile | None:
            found = next((p for p in folder.iterdir() if p.name.lower() == name), None)
            return read_file(found, max_bytes) if found is not None else None

        return read_file(path, max_bytes), [sibling(name) for name in companions]
    with Bundle(path, max_bytes) as bundle:
        users = bundle.find("users.csv")
        if users is None:
            raise no_users(bundle)
        found = [bundle.find(name, near=users) for name in companions]
        return bundle.read(users), [bundle.read(f) if f else None for f in found]
