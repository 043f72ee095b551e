"""CSV and XLSX exports of the diversion report: the same figures as the JSON.

Column headers are Indonesian first, English second ("Nilai / Value"), as the UI is.
The CSV starts with a UTF-8 byte-order mark so that Excel reads it as UTF-8; its
decimal separator is the point. Spreadsheets in an Indonesian locale (decimal comma)
read the XLSX file without conversion.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from wastebank.services.diversion import DiversionReport, Figure
from wastebank.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_text,
    xlsx_bytes,
)

__all__ = ["CSV_CONTENT_TYPE", "XLSX_CONTENT_TYPE", "filename", "to_csv", "to_xlsx"]

#: Columns of a figure row: (Indonesian / English header, attribute of Figure).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Bagian / Section", "section"),
    ("Kode / Key", "key"),
    ("Uraian", "label_id"),
    ("Description", "label_en"),
    ("Nilai / Value", "value"),
    ("Satuan / Unit", "unit"),
    ("Dasar / Basis", "basis"),
    ("Sumber / Source", "source"),
)


def filename(report: DiversionReport, extension: str) -> str:
    """``diversi-AMB-2026-11-01-2026-11-30.csv``."""
    return (
        f"diversi-{report.city_code}-{report.date_from.isoformat()}-"
        f"{report.date_to.isoformat()}.{extension}"
    )


def _meta(report: DiversionReport) -> list[tuple[str, str, Any]]:
    """(key, bilingual label, value) rows describing the report."""
    return [
        ("city", "Kota / City", report.city_code),
        ("city_name", "Nama kota / City name", report.city_name),
        ("timezone", "Zona waktu / Time zone", report.timezone),
        ("from", "Dari tanggal / From", report.date_from.isoformat()),
        ("to", "Sampai tanggal / To (inclusive)", report.date_to.isoformat()),
        ("days", "Jumlah hari / Days", report.days),
        ("gwp_set", "GWP CH4", report.parameters.get("gwp_set")),
    ]


def _text(value: Decimal | float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def _figure_cells(figure: Figure) -> Iterator[Any]:
    for _, attribute in COLUMNS:
        yield getattr(figure, attribute)


def to_csv(report: DiversionReport) -> bytes:
    """The report as CSV: meta rows (section ``laporan``), then one row per figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS])
    for key, label, value in _meta(report):
        writer.writerow(["laporan", key, label, label, _text(value), "", "", ""])
    for figure in report.figures:
        writer.writerow([_text(cell) for cell in _figure_cells(figure)])
    for index, note in enumerate(report.notes, start=1):
        text = csv_text(note)
        writer.writerow(["catatan", f"note.{index}", text, text, "", "", "", ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: DiversionReport) -> bytes:
    """The report as an XLSX workbook: figures, notes and parameters on three sheets."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Laporan diversi"
    bold = Font(bold=True)
    for key, label, value in _meta(report):
        sheet.append([label, value, key])
    sheet.append([])
    sheet.append([header for header, _ in COLUMNS])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    value_column = [attribute for _, attribute in COLUMNS].index("value") + 1
    for figure in report.figures:
        cells = list(_figure_cells(figure))
        # Numbers stay numbers, so a spreadsheet can add them up.
        cells[value_column - 1] = None if figure.value is None else float(figure.value)
        sheet.append(cells)
        if isinstance(figure.value, Decimal):
            sheet.cell(row=sheet.max_row, column=value_column).number_format = "0.000"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for letter, width in zip("ABCDEFGH", (14, 44, 48, 48, 16, 10, 14, 80), strict=True):
        sheet.column_dimensions[letter].width = width

    notes = book.create_sheet("Catatan - Notes")
    for note in report.notes:
        notes.append([note])
    parameters = book.create_sheet("Parameter")
    parameters.append(["Parameter", "Nilai / Value"])
    for cell in parameters[1]:
        cell.font = bold
    for name, value in report.parameters.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else value
        parameters.append([name, shown])
    return xlsx_bytes(book)
