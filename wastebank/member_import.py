"""Reading a paper member register (buku induk nasabah) typed into a spreadsheet.

The expected columns are those of the paper book, in any order, found by their heading
(case and punctuation ignored): ``Nama`` (required), ``Alamat``, ``RT``, ``RW``,
``Kelurahan``/``Desa``, ``No HP``/``Telepon``, ``NIK``, ``Jenis`` (``perorangan`` or
``kolektif``). A ``No`` column and anything else is ignored. XLSX and CSV (comma or
semicolon) are read. Each row is checked with the same schema as the member form.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from marshmallow import ValidationError
from openpyxl import load_workbook

from wastebank.schemas import MemberCreateSchema
from wastebank.services.backoffice import RowProblem

#: normalised heading -> member field
HEADINGS = {
    "nama": "name",
    "namanasabah": "name",
    "name": "name",
    "alamat": "address",
    "address": "address",
    "rt": "rt",
    "rw": "rw",
    "kelurahan": "kelurahan",
    "desa": "kelurahan",
    "kelurahandesa": "kelurahan",
    "nohp": "phone",
    "hp": "phone",
    "telepon": "phone",
    "notelepon": "phone",
    "phone": "phone",
    "nik": "nik",
    "noktp": "nik",
    "jenis": "kind",
    "kind": "kind",
}
KINDS = {
    "": "person",
    "perorangan": "person",
    "pribadi": "person",
    "person": "person",
    "kolektif": "collective",
    "kelompok": "collective",
    "collective": "collective",
}


class UnreadableFile(ValueError):
    """The upload is not a spreadsheet we can read, or has no ``Nama`` column."""


def _key(heading: Any) -> str:
    return re.sub(r"[^a-z]", "", str(heading or "").lower())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into Excel: RT 3, or a phone without its 0
    return str(value).strip()


def _table(data: bytes, filename: str) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            ).active
        except Exception as error:  # openpyxl raises many kinds for a bad file
            raise UnreadableFile("This is not an XLSX file.") from error
        if sheet is None:
            raise UnreadableFile("The workbook has no sheet.")
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    dialect = "excel"
    first = text.splitlines()[0] if text else ""
    if first.count(";") > first.count(","):
        dialect = "excel-semicolon"
        csv.register_dialect(dialect, delimiter=";")
    return [list(row) for row in csv.reader(io.StringIO(text), dialect=dialect)]


def read_register(
    data: bytes, filename: str, bank_code: str
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """The rows of an uploaded register: those that pass the member schema, and problems.

    Row numbers count data rows from 1 (the row under the headings), as people number
    the lines of their book.

    :raises UnreadableFile: not a spreadsheet, or no ``Nama`` column.
    """
    table = _table(data, filename)
    header_at = next(
        (
            i
            for i, row in enumerate(table)
            if "name" in {HEADINGS.get(_key(c)) for c in row}
        ),
        None,
    )
    if header_at is None:
        raise UnreadableFile("No column called Nama.")
    columns = {
        index: HEADINGS[_key(cell)]
        for index, cell in enumerate(table[header_at])
        if _key(cell) in HEADINGS
    }
    valid: list[tuple[int, dict[str, Any]]] = []
    problems: list[RowProblem] = []
    for number, row in enumerate(table[header_at + 1 :], start=1):
        raw = {field: _text(row[i]) for i, field in columns.items() if i < len(row)}
        if not any(raw.values()):
            continue  # an empty line of the book
        kind = KINDS.get(raw.pop("kind", "").lower())
        if kind is None:
            problems.append(RowProblem(number, "kind", "perorangan or kolektif."))
            continue
        try:
            fields = MemberCreateSchema(as_form=True).load(
                {**raw, "bank": bank_code, "kind": kind}
            )
        except ValidationError as error:
            messages = error.messages if isinstance(error.messages, dict) else {}
            for field, field_messages in sorted(messages.items()):
                text = field_messages[0] if isinstance(field_messages, list) else ""
                problems.append(RowProblem(number, str(field), str(text)))
            continue
        fields.pop("bank")
        valid.append((number, fields))
    return valid, problems
