"""Turning a roster file's bytes into text, deciding the encoding out loud.

Schools hand us what Excel wrote: "CSV UTF-8" (UTF-8 with a BOM), "Unicode text"
(UTF-16 LE with a BOM, tab separated), plain "CSV" (Windows-1252 on most Windows
machines), or UTF-8 from other systems. A BOM settles it. Without one, strict
UTF-8 is tried first: Windows-1252 text with accents is almost never valid UTF-8
by accident, while the reverse (reading UTF-8 as 1252) always "works" and turns
é into Ã©. The choice is returned so the report can say which encoding was used.
"""

from __future__ import annotations

import codecs

from canvas_wizard.core.roster.errors import RosterReadError

#: Human names for the encodings we record, for reports and the UI.
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16-le": "UTF-16 LE (with BOM)",
    "utf-16-be": "UTF-16 BE (with BOM)",
    "utf-32-le": "UTF-32 LE (with BOM)",
    "utf-32-be": "UTF-32 BE (with BOM)",
    "cp1252": "Windows-1252",
}

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# What people pick by mistake instead of a CSV, recognised by their first bytes.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)

_SAVE_AS_CSV = 'Open it in Excel and choose File > Save As > "CSV UTF-8 (Comma delimited)".'


def _line_of(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


def decode(data: bytes, file: str) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a roster file's bytes.

    Raises :class:`RosterReadError` for binary data and for bytes that fit no
    encoding we accept; ``file`` names the file in the message.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise RosterReadError(
                    f"{file} starts with a {ENCODING_LABELS[encoding]} marker, but the text "
                    f"after it is not valid {ENCODING_LABELS[encoding].split(' (')[0]} "
                    f"(near byte {exc.start + len(bom)}): the file is damaged or was cut short.",
                    hint=f"Export the file again. {_SAVE_AS_CSV}",
                ) from None
            if "\x00" in text:
                raise _binary(file)
            return text, encoding

    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise RosterReadError(
                f"{file} is {kind}, not a CSV text file.",
                hint=_SAVE_AS_CSV
                if "Excel" in kind
                else "Choose the CSV file exported from your school system.",
            )
    if b"\x00" in data:
        raise _binary(file)

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise RosterReadError(
            f"{file} is neither UTF-8 nor Windows-1252 text: byte "
            f"0x{data[utf8_error.start]:02X} on line {_line_of(data, utf8_error.start)} is not "
            f"valid UTF-8, and byte 0x{data[exc.start]:02X} on line {_line_of(data, exc.start)} "
            "is not a Windows-1252 character.",
            hint=f"Save the file again as UTF-8. {_SAVE_AS_CSV}",
        ) from None


def _binary(file: str) -> RosterReadError:
    return RosterReadError(
        f"{file} contains binary data (NUL bytes), so it is not a CSV text file.",
        hint=f"Choose the CSV export itself, not a spreadsheet or database file. {_SAVE_AS_CSV}",
    )
