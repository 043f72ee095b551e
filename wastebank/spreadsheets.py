"""What every CSV and XLSX export shares: content types, and no formulas from users' text.

Names, notes and places are typed by users (a member's name at the counter, a TPA name
in the city profile). A text that starts with ``=`` becomes a live formula in Excel or
LibreOffice ("CSV/formula injection", OWASP); every export goes through here so that
such text stays text. The exports never write formulas of their own: totals are values.
"""

from __future__ import annotations

import io

from openpyxl import Workbook

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: First characters that make a spreadsheet read a CSV field as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text field for CSV that a spreadsheet shows as text, never runs as a formula.

    Only for text: numbers are written as numbers (``-3.5`` stays a number).
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def xlsx_bytes(book: Workbook) -> bytes:
    """Save ``book``; any cell openpyxl took for a formula is stored as the text it is."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
