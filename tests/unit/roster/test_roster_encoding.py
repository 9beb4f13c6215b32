"""Every encoding Excel and school systems write, decided and reported per file."""

from __future__ import annotations

import codecs

import pytest

from canvas_wizard.core.roster import ENCODING_LABELS, RosterReadError, read_roster
from canvas_wizard.core.roster.encoding import decode

NAME = "Chloé O’Brien"  # an accent and a curly apostrophe: both exist in Windows-1252
TEXT = (
    "SIS ID,Full Name,Default Email,Username,Role,Parent 1 SIS ID\r\n"
    f"S1,{NAME},chloe@school.example,chloe,Student,P1\r\n"
    "P1,Zoë Ñúñez,zoe@home.example,zoe,Parent,\r\n"
)


@pytest.mark.parametrize(
    ("encoding", "bom", "recorded"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32-le"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_each_encoding_reads_the_same_names(encoding: str, bom: bytes, recorded: str, write):
    path = write("roster.csv", bom + TEXT.encode(encoding))

    roster = read_roster(path)

    assert roster.encodings == {"roster.csv": recorded}
    assert recorded in ENCODING_LABELS
    assert roster.people["S1"].full_name == NAME
    assert roster.people["P1"].full_name == "Zoë Ñúñez"
    assert roster.problems == []


def test_excel_unicode_text_is_utf16_with_tabs(write) -> None:
    text = TEXT.replace(",", "\t")
    path = write("roster.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    roster = read_roster(path)
    assert roster.encodings == {"roster.txt": "utf-16-le"}
    assert roster.people["S1"].full_name == NAME


def test_utf8_wins_over_cp1252_when_both_would_decode() -> None:
    # "Ã©" in cp1252 is exactly the UTF-8 bytes of "é": UTF-8 is the right call.
    assert decode("é".encode(), "f.csv") == ("é", "utf-8")
    assert decode("é".encode("cp1252"), "f.csv") == ("é", "cp1252")


def test_bom_is_not_left_on_the_first_header(write) -> None:
    path = write("roster.csv", codecs.BOM_UTF8 + TEXT.encode())
    roster = read_roster(path)
    assert roster.mapping["sis_id"] == "SIS ID"


def test_utf16_without_bom_is_refused_with_advice(write) -> None:
    path = write("roster.csv", TEXT.encode("utf-16-le"))
    with pytest.raises(RosterReadError) as raised:
        read_roster(path)
    assert raised.value.message == (
        "roster.csv contains binary data (NUL bytes), so it is not a CSV text file."
    )
    assert "CSV UTF-8" in raised.value.hint


def test_classic_mac_line_endings(write) -> None:
    path = write("roster.csv", TEXT.replace("\r\n", "\r"))
    roster = read_roster(path)
    assert set(roster.people) == {"S1", "P1"}
    assert roster.people["P1"].row == 3
