"""Bad roster input through the command line: each malformed export gets its specific
message and exit status 2, Canvas is not written to, and nothing crashes.

The corpus is the roster readers' own (tests/unit/roster: files refused outright,
and rows with errors), taken as it is so the two never drift apart, plus the
big ones that only make sense end to end (a 10 MB line, a zip bomb). Cases that
need a reader option the CLI does not have are left to the unit tests.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from chaos_support import Connected, cli

from canvas_wizard.cli import run
from canvas_wizard.core.roster import Severity

UNIT = Path(__file__).resolve().parents[1] / "unit" / "roster"
HEAD = "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID,Parent 2 SIS ID\n"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"chaos_corpus_{name}", UNIT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


_refused = _load("test_roster_unreadable_files")
_rows = _load("test_roster_row_problems")


def _cli_options(options: Mapping[str, Any]) -> list[str] | None:
    """The CLI arguments for a case's reader options; None when the CLI has no such option."""
    if set(options) - {"format"}:
        return None
    return ["--format", options["format"].value] if "format" in options else []


def _corpus() -> list[Any]:
    cases = []
    for case in _refused.CASES:
        args = _cli_options(case.options)
        if args is not None:
            cases.append(pytest.param(case.files, case.path, args, case.error, id=case.id))
    for case in _rows.CASES:
        errors = [p for p in case.problems if p[3] is Severity.ERROR]
        args = _cli_options(case.options)
        if errors and args is not None:
            # The run names the first error with its file, row and column.
            file, row, column, _, message = errors[0]
            where = f"{file}, row {row}" + (f", column {column!r}" if column else "")
            cases.append(
                pytest.param(case.files, case.path, args, f"{where}: {message}", id=case.id)
            )
    return cases


CORPUS = _corpus()


def materialise(folder: Path, files: Mapping[str, Any]) -> None:
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Mapping):
            with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for member, text in content.items():
                    zf.writestr(member, text)
        else:
            target.write_bytes(content.encode() if isinstance(content, str) else content)


def writes(connected: Connected) -> int:
    counts = connected.canvas.request_counts()
    return counts["POST"] + counts["PUT"] + counts["DELETE"]


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize(("files", "path", "args", "expected"), CORPUS)
def test_malformed_export_is_refused_with_its_message_and_exit_2(
    connected: Connected,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, Any],
    path: str,
    args: list[str],
    expected: str,
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    materialise(folder, files)
    users_before = len(connected.canvas.state.users)
    writes_before = writes(connected)

    status = run(["sync", "school", "--source", str(folder / path), "--approve-limits", *args])

    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert expected.format(tmp=folder) in out + err
    assert "Traceback" not in err
    assert writes(connected) == writes_before, "nothing was written to Canvas"
    assert len(connected.canvas.state.users) == users_before


def _zip_bomb(path: Path) -> None:
    """60 MB of CSV in a zip of about 60 KB: over the reader's 50 MB limit once unpacked."""
    chunk = b"0" * 1_000_000
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("users.csv", "w") as member,
    ):
        member.write(b"sourcedId,status,role,username,givenName,familyName\n")
        for _ in range(60):
            member.write(chunk)


@pytest.mark.parametrize(
    ("name", "make", "args", "expected"),
    [
        (
            "roster.csv",
            lambda p: p.write_text(HEAD + "S1,Ava," + "x" * 10_000_000 + ",ava,Student,,\n"),
            [],
            "roster.csv: line 2 is 10,000,",
        ),
        (
            "export.zip",
            _zip_bomb,
            ["--format", "oneroster"],
            "export.zip would unpack to",
        ),
    ],
    ids=["a 10 MB single line", "a zip bomb"],
)
def test_huge_input_in_a_real_process_is_refused_without_crashing(
    connected: Connected, tmp_path: Path, name: str, make: Any, args: list[str], expected: str
) -> None:
    source = tmp_path / name
    make(source)
    writes_before = writes(connected)
    result = cli("sync", "school", "--source", str(source), "--approve-limits", *args, timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert writes(connected) == writes_before


def test_a_zip_without_users_csv_names_what_is_missing(
    connected: Connected, tmp_path: Path
) -> None:
    source = tmp_path / "export.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("classes.csv", "sourcedId,title\nc1,Maths\n")
        zf.writestr("enrollments.csv", "sourcedId,classSourcedId,userSourcedId,role\n")
    source.write_bytes(buffer.getvalue())
    writes_before = writes(connected)
    result = cli("sync", "school", "--source", str(source), "--format", "oneroster")
    assert result.returncode == 2
    assert "users.csv" in result.stderr
    assert writes(connected) == writes_before


def test_skip_bad_rows_leaves_out_the_too_long_person_and_their_links_and_says_so(
    connected: Connected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "roster.csv"
    source.write_text(
        HEAD
        + "P901,Pat Ninety,pat901@home.example,pat901,Parent,,\n"
        + "S901,Ava "
        + "x" * 9_996
        + ",,ava901,Student,P901,\n"
        + "S902,Bo Ninety,,bo901,Student,P901,\n",
        encoding="utf-8",
    )
    refused = run(["sync", "school", "--source", str(source), "--approve-limits", "--json"])
    out, err = capsys.readouterr()
    assert refused == 2, out + err
    assert json.loads(out)["status"] == "input_error"
    assert "roster.csv, row 3, column 'Full Name': The name is 10,000 characters long" in out
    assert connected.canvas.state.user_by_sis_id("P901") is None, "nothing written"

    status = run(
        ["sync", "school", "--source", str(source), "--approve-limits", "--skip-bad-rows", "--json"]
    )
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert status == 0, out + err
    assert connected.canvas.state.user_by_sis_id("S901") is None
    assert connected.canvas.state.user_by_sis_id("S902") is not None
    assert "1 roster row(s) with problems were left out" in summary["message"]
    assert any("row 3" in row and "10,000 characters" in row for row in summary["skipped_rows"])


def test_guardian_warnings_are_listed_and_the_people_still_synced(
    connected: Connected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "roster.csv"
    source.write_text(
        HEAD
        + "S801,Ava Eighty,ava801@school.example,ava801,Student,P801,\n"
        + "P801,Pat Eighty,,pat801,Parent,,\n"
        + "P802,Lone Eighty,lone802@home.example,lone802,Guardian,,\n",
        encoding="utf-8",
    )
    args = ["sync", "school", "--source", str(source), "--approve-limits"]
    status = run([*args, "--dry-run", "--json"])
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert status == 0, out + err
    assert summary["roster_warnings_total"] == 2
    assert [w.split(":")[0] for w in summary["roster_warnings"]] == [
        "roster.csv, row 3, column 'Default Email'",
        "roster.csv, row 4, column 'SIS ID'",
    ]
    assert "This parent has no email" in summary["roster_warnings"][0]
    assert summary["skipped_rows"] == []  # warnings leave nobody out

    status = run(args)
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert "Roster warning: roster.csv, row 4, column 'SIS ID': Parent 'P802' is linked" in out
    assert connected.canvas.state.user_by_sis_id("P801") is not None
    assert connected.canvas.state.user_by_sis_id("P802") is not None
