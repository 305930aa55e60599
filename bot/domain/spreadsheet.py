"""CSV that is safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which some spreadsheets skip before reading a formula) is run as a formula by Excel,
LibreOffice and Google Sheets: a participant named ``=HYPERLINK("http://evil", "Click")``
would become a live link in a coordinator's export. Every such text cell gets a leading
``'``, which spreadsheets read as "this is text" (OWASP's advice for CSV injection). Real
numbers are written as numbers, so ``-2`` the integer stays a number a sheet can sum, while
``"-2"`` the text is neutralised like any other text.

Pure: values in, text out. Every CSV the bot writes should go through :func:`csv_text`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

Cell = str | int | float | bool | date | datetime | None

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Text after leading spaces is read as a formula by some spreadsheets too (" =1+1").
_SKIPPED_BEFORE_FORMULA = " \n"


def safe_cell(value: Cell) -> str | int | float:
    """One cell as it should be written: numbers as numbers, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.lstrip(_SKIPPED_BEFORE_FORMULA).startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole CSV document (RFC 4180 quoting, CRLF line ends), every cell through
    :func:`safe_cell`, the header included."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    width = len(header)
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} cells; the header has {width}")
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """:func:`csv_text` as a file: UTF-8 with a byte-order mark, which Excel needs to read
    names such as "Siobhán" correctly (other spreadsheets and Python's ``utf-8-sig``
    codec skip it)."""
    return csv_text(header, rows).encode("utf-8-sig")
