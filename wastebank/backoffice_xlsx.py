"""The books as XLSX spreadsheets (openpyxl), in the reader's language.

Every sheet has the same shape: a title row, a period row, an empty row, the column
headings, one row per line, and (for books with totals) a last row that starts with
"Total". Money is written as whole-rupiah integers and weights as decimals, so
the numbers stay numbers in Excel or LibreOffice; the totals are values, not formulas, so
they read the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wastebank import services
from wastebank.access import Actor
from wastebank.exceptions import NotFound
from wastebank.extensions import SessionLike
from wastebank.services import backoffice
from wastebank.spreadsheets import XLSX_CONTENT_TYPE, xlsx_bytes

BANK_BOOKS = ("induk-nasabah", "penimbangan", "penjualan", "kas")
_RP_FORMAT = "#,##0"
_KG_FORMAT = "#,##0.000"


def _period_text(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return _("All dates")
    return _(
        "From %(start)s to %(end)s",
        start=start.isoformat() if start else "…",
        end=end.isoformat() if end else "…",
    )


def _local(at: dt.datetime, zone: str) -> dt.datetime:
    # Excel has no time zones: write the bank's wall-clock time without a zone.
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _sheet(
    title: str,
    subtitle: str,
    headings: Sequence[str],
    rows: Iterable[Sequence[Any]],
    total: Sequence[Any] | None = None,
) -> bytes:
    """One sheet laid out as described in the module docstring, as XLSX bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([subtitle])
    sheet.append([])
    sheet.append(list(headings))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    if total is not None:
        sheet.append(list(total))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = _KG_FORMAT
            elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = _RP_FORMAT
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(40, len(heading) + 4)
        )
    sheet.freeze_panes = "A5"
    return xlsx_bytes(book)


def response(data: bytes, filename: str) -> Response:
    """A download of ``data`` named ``filename``."""
    return Response(
        data,
        mimetype=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _filename(book: str, code: str, start: dt.date | None, end: dt.date | None) -> str:
    period = "-".join(d.isoformat() for d in (start, end) if d) or "semua"
    return f"buku-{book}-{code}-{period}.xlsx"


def member_register(session: SessionLike, actor: Actor, bank_code: str) -> bytes:
    """The buku induk nasabah."""
    bank, rows = backoffice.member_register(session, actor, bank_code)
    return _sheet(
        _("Member register"),
        f"{bank.code} · {bank.name}",
        [
            _("Member number"),
            _("Name"),
            _("Kind"),
            _("Address"),
            _("RT"),
            _("RW"),
            _("Kelurahan"),
            _("Phone"),
            _("NIK"),
            _("Joined"),
            _("Status"),
            _("Balance (Rp)"),
        ],
        (
            [
                r.member.member_no,
                r.member.name,
                _(r.member.kind),
                r.member.address or "",
                r.member.rt or "",
                r.member.rw or "",
                r.member.kelurahan or "",
                r.member.phone or "",
                r.member.nik or "",
                _local(r.member.joined_at, bank.timezone).date(),
                _("active") if r.member.active else _("inactive"),
                r.balance_rp,
            ]
            for r in rows
        ),
        [_("Total"), len(rows), *[""] * 9, sum(r.balance_rp for r in rows)],
    )


def weighing_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> bytes:
    """The buku penimbangan; reversed deposits are listed but not counted."""
    book = backoffice.weighing_book(session, actor, bank_code, start=start, end=end)
    zone = book.bank.timezone
    return _sheet(
        _("Weighing book"),
        f"{book.bank.code} · {_period_text(start, end)}",
        [
            _("Date"),
            _("Receipt"),
            _("Member"),
            _("Waste type"),
            _("Quantity"),
            _("Unit"),
            _("Price (Rp)"),
            _("Value (Rp)"),
            _("Settlement"),
            _("Note"),
        ],
        (
            [
                _local(r.deposit.occurred_at, zone),
                r.deposit.receipt_no,
                r.deposit.member.name,
                r.line.category_name,
                Decimal(r.line.quantity),
                r.line.unit,
                r.line.price_rp,
                r.line.value_rp,
                _("cash") if r.deposit.mode == "cash" else _("savings"),
                "" if r.counted else _("reversed, not counted"),
            ]
            for r in book.rows
        ),
        [
            _("Total"),
            "",
            "",
            _("kg"),
            book.total_weight_kg,
            "kg",
            "",
            book.total_rp,
            "",
            "",
        ],
    )


def sales_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> bytes:
    """The buku penjualan, one row per line, with cost and margin."""
    book = backoffice.sales_book(session, actor, bank_code, start=start, end=end)
    zone = book.bank.timezone
    return _sheet(
        _("Sales book"),
        f"{book.bank.code} · {_period_text(start, end)}",
        [
            _("Date"),
            _("Receipt"),
            _("Buyer"),
            _("Waste type"),
            _("Quantity"),
            _("Unit"),
            _("Price (Rp)"),
            _("Sale amount (Rp)"),
            _("Cost (Rp)"),
            _("Margin (Rp)"),
        ],
        (
            [
                _local(sale.occurred_at, zone),
                sale.receipt_no,
                sale.buyer.name,
                line.category_name,
                Decimal(line.quantity),
                line.unit,
                line.price_rp if line.price_rp is not None else "",
                line.amount_rp,
                line.cost_rp,
                line.margin_rp,
            ]
            for sale in book.sales
            for line in sale.lines
        ),
        [
            _("Total"),
            "",
            "",
            _("kg"),
            book.total_weight_kg,
            "kg",
            "",
            book.total_rp,
            book.cost_rp,
            book.margin_rp,
        ],
    )


def cash_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    start: dt.date | None,
    end: dt.date | None,
) -> bytes:
    """The buku kas with its opening balance, running balance and totals."""
    book = backoffice.cash_book(session, actor, bank_code, start=start, end=end)
    zone = book.bank.timezone
    return _sheet(
        _("Cash book"),
        f"{book.bank.code} · {_period_text(start, end)}",
        [
            _("Date"),
            _("Reference"),
            _("Description"),
            _("In (Rp)"),
            _("Out (Rp)"),
            _("Balance (Rp)"),
        ],
        [
            ["", "", _("Opening balance"), "", "", book.opening_rp],
            *(
                [
                    _local(line.at, zone),
                    line.reference,
                    line.description,
                    line.in_rp,
                    line.out_rp,
                    line.balance_rp,
                ]
                for line in book.lines
            ),
        ],
        [_("Total"), "", "", book.in_rp, book.out_rp, book.closing_rp],
    )


def savings_book(
    session: SessionLike,
    actor: Actor,
    member_id: int,
    start: dt.date | None,
    end: dt.date | None,
) -> tuple[bytes, str]:
    """A member's buku tabungan for a period, with a running balance."""
    member = services.get_member(session, actor, member_id)
    since, until = backoffice.period_bounds(member.bank.timezone, start, end)
    statement = services.statement(session, actor, member_id, start=since, end=until)
    zone = member.bank.timezone
    data = _sheet(
        _("Savings book"),
        f"{member.member_no} · {member.name} · {_period_text(start, end)}",
        [
            _("Date"),
            _("Description"),
            _("Credit (Rp)"),
            _("Debit (Rp)"),
            _("Balance (Rp)"),
        ],
        [
            ["", _("Opening balance"), "", "", statement.opening_rp],
            *(
                [
                    _local(line.entry.created_at, zone),
                    line.entry.description,
                    max(line.entry.amount_rp, 0),
                    max(-line.entry.amount_rp, 0),
                    line.balance_rp,
                ]
                for line in statement.lines
            ),
        ],
        [
            _("Total"),
            "",
            sum(max(line.entry.amount_rp, 0) for line in statement.lines),
            sum(max(-line.entry.amount_rp, 0) for line in statement.lines),
            statement.closing_rp,
        ],
    )
    return data, f"buku-tabungan-{member.member_no}.xlsx"


def summary(result: backoffice.Summary) -> bytes:
    """A monthly or yearly summary: by month (a year), then by category, then the total."""
    headings = [
        _("Period / waste type"),
        _("Deposits"),
        _("Received (kg)"),
        _("Bought (Rp)"),
        _("Sold (kg)"),
        _("Shipped to induk (kg)"),
        _("Sales (Rp)"),
        _("Cost of sales (Rp)"),
        _("Margin (Rp)"),
        _("Expenses (Rp)"),
        _("Payouts (Rp)"),
    ]

    def row(label: str, f: backoffice.Figures) -> list[Any]:
        return [
            label,
            f.deposits,
            f.received_kg,
            f.received_rp,
            f.sold_kg,
            f.shipped_kg,
            f.sales_rp,
            f.cost_of_sales_rp,
            f.margin_rp,
            f.expenses_rp,
            f.payouts_rp,
        ]

    period = f"{result.year}-{result.month:02d}" if result.month else str(result.year)
    rows = [row(f"{result.year}-{m:02d}", f) for m, f in result.by_month.items()]
    rows += [row(str(code), f) for code, f in result.by_category.items()]
    rows += [row(b.bank.code, b.figures) for b in result.by_bank]
    return _sheet(
        _("Summary"),
        f"{result.title} · {period}",
        headings,
        rows,
        row(_("Total"), result.total),
    )


def bank_book(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    book: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[bytes, str]:
    """One of :data:`BANK_BOOKS` of a bank as XLSX, and its file name.

    :raises NotFound: an unknown book.
    """
    if book == "induk-nasabah":
        data = member_register(session, actor, bank_code)
    elif book == "penimbangan":
        data = weighing_book(session, actor, bank_code, start, end)
    elif book == "penjualan":
        data = sales_book(session, actor, bank_code, start, end)
    elif book == "kas":
        data = cash_book(session, actor, bank_code, start, end)
    else:
        raise NotFound(f"No book called {book}; try one of {', '.join(BANK_BOOKS)}.")
    return data, _filename(book, bank_code.upper(), start, end)


def sipsn(city_name: str, year: int, rows: Sequence[backoffice.SipsnRow]) -> bytes:
    """The SIPSN bank-sampah sheet: one row per bank, each in its own reporting unit."""
    check_names = {
        "no_data": _("no data"),
        "outlier_history": _("far from last year"),
        "outlier_peers": _("far from similar banks"),
        "unit_swap": _("kg and t mixed up?"),
    }
    return _sheet(
        "SIPSN",
        f"{city_name} · {year}",
        [
            "Nama",
            "Jenis",
            "Alamat",
            "Lintang",
            "Bujur",
            "Tahun",
            "Satuan",
            "Sampah diterima",
            "Sampah dikelola",
            "Daur ulang",
            "Up-cycle",
            "Kompos",
            "Pakan ternak",
            "Sumber energi",
            _("Checks"),
        ],
        (
            [
                row.bank.name,
                "Induk" if row.bank.kind == "induk" else "Unit",
                row.bank.address or "",
                row.bank.latitude,
                row.bank.longitude,
                year,
                f"{row.report_unit}/tahun",
                row.in_report_unit(row.received_kg),
                row.in_report_unit(row.managed_kg),
                *(
                    row.in_report_unit(row.by_destination_kg[d])
                    for d in backoffice.SIPSN_DESTINATIONS
                ),
                ", ".join(check_names[c] for c in row.checks),
            ]
            for row in rows
        ),
    )
