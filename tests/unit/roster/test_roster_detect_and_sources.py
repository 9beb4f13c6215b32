"""Format detection, and reading files and zips within limits."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from canvas_wizard.core.roster import RosterFormat, RosterReadError, detect_format, read_roster
from canvas_wizard.core.roster.sources import Bundle


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("SIS ID,Full Name,Username,Role", RosterFormat.CLOUDWORK),
        ("SISID,Name,Login", RosterFormat.CLOUDWORK),
        ("sourcedId,role,username,givenName,familyName", RosterFormat.ONEROSTER),
        ("user_id,login_id,full_name,status", RosterFormat.CANVAS_SIS),
        ("observer_id,student_id,status", RosterFormat.CANVAS_SIS),
    ],
)
def test_detect_from_headers(header: str, expected: RosterFormat, write) -> None:
    assert detect_format(write("x.csv", header + "\n")) is expected


def test_detect_folder_with_manifest(tmp_path: Path, write) -> None:
    write("or/manifest.csv", "propertyName,value\n")
    write("or/users.csv", "sourcedId,role\n")
    assert detect_format(tmp_path / "or") is RosterFormat.ONEROSTER


def test_zip_member_larger_than_its_directory_says(tmp_path: Path) -> None:
    # A bomb may under-state sizes in the zip directory; the read must not trust them.
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("users.csv", "sourcedId,role\n" + "a,student\n" * 50_000)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 100)  # uncompressed size
    path.write_bytes(bytes(data))

    with pytest.raises(RosterReadError) as raised:
        read_roster(path, format=RosterFormat.ONEROSTER)
    assert raised.value.message.startswith("liar.zip/users.csv cannot be unpacked: ")


def test_zip_with_too_many_members(make_zip) -> None:
    path = make_zip("many.zip", {f"f{i}.txt": "" for i in range(1001)})
    with pytest.raises(RosterReadError) as raised:
        read_roster(path)
    assert raised.value.message == "many.zip holds 1,001 files; a roster export holds a few."


def test_bundle_closes_its_zip(make_zip) -> None:
    path = make_zip("a.zip", {"users.csv": "x\n"})
    with Bundle(path, 1000) as bundle:
        assert bundle.names() == ["users.csv"]
    assert bundle._zip is None


def test_error_is_a_usage_error_with_exit_status_2(write) -> None:
    from canvas_wizard.core.errors import UsageError

    with pytest.raises(UsageError) as raised:
        read_roster(write("x.csv", b""))
    assert raised.value.exit_status == 2
    assert str(raised.value) == (
        "x.csv is empty.\nExport the roster again and choose the new file."
    )
