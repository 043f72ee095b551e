"""The books as XLSX spreadsheets (openpyxl), in the reader's language.

Every sheet has the same shape: a title row, a period row, an empty row, the column
headings, an opening-balance row (cash and savings books), one row per line, and (for
books with totals) a last row that starts with "Total". Each book is a table of
:class:`_Column` (heading, cell of a line, opening and total cells) that :func:`_sheet`
writes. Money is written as whole-rupiah integers and weights as decimals, so the numbers
stay numbers in Excel or LibreOffice; the totals are values, not formulas, so they read
the same everywhere.

:data:`BANK_BOOKS` is the one list of a bank's books: the book page and the API both
choose from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from wastebank.access import Actor
from wastebank.exceptions import NotFound
from wastebank.extensions import SessionLike
from wastebank.models import Bank
from wastebank.services import Statement, StatementLine, backoffice
from wastebank.spreadsheets import XLSX_CONTENT_TYPE, xlsx_bytes

_RP_FORMAT = "#,##0"
_KG_FORMAT = "#,##0.000"

Line = TypeVar("Line")


@dataclass(frozen=True)
class _Column(Generic[Line]):
    """One column of a book: its heading, its cell for each line, and its cells in the
    opening-balance and total rows (``None``: the book has no such row, or it is blank
    in this column)."""

    heading: str
    cell: Callable[[Line], Any]
    opening: Any = None
    total: Any = None


def _sheet(
    title: str, subtitle: str, columns: Sequence[_Column[Line]], lines: Iterable[Line]
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
    sheet.append([column.heading for column in columns])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    if any(column.opening is not None for column in columns):
        sheet.append([_blank_if_none(column.opening) for column in columns])
    for line in lines:
        sheet.append([column.cell(line) for column in columns])
    if any(column.total is not None for column in columns):
        sheet.append([_blank_if_none(column.total) for column in columns])
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
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(40, len(column.heading) + 4)
        )
    sheet.freeze_panes = "A5"
    return xlsx_bytes(book)


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


def _response(data: bytes, filename: str) -> Response:
    """A download of ``data`` named ``filename``."""
    return Response(
        data,
        mimetype=XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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


# -- a bank's books ------------------------------------------------------------------------
def _member_register(
    register: tuple[Bank, list[backoffice.RegisterRow]],
    start: dt.date | None,
    end: dt.date | None,
) -> bytes:
    """The buku induk nasabah (every member, whatever the period)."""
    bank, rows = register
    columns: list[_Column[backoffice.RegisterRow]] = [
        _Column(_("Member number"), lambda r: r.member.member_no, total=_("Total")),
        _Column(_("Name"), lambda r: r.member.name, total=len(rows)),
        _Column(_("Kind"), lambda r: _(r.member.kind)),
        _Column(_("Address"), lambda r: r.member.address or ""),
        _Column(_("RT"), lambda r: r.member.rt or ""),
        _Column(_("RW"), lambda r: r.member.rw or ""),
        _Column(_("Kelurahan"), lambda r: r.member.kelurahan or ""),
        _Column(_("Phone"), lambda r: r.member.phone or ""),
        _Column(_("NIK"), lambda r: r.member.nik or ""),
        _Column(
            _("Joined"), lambda r: _local(r.member.joined_at, bank.timezone).date()
        ),
        _Column(
            _("Status"), lambda r: _("active") if r.member.active else _("inactive")
        ),
        _Column(
            _("Balance (Rp)"),
            lambda r: r.balance_rp,
            total=sum(r.balance_rp for r in rows),
        ),
    ]
    return _sheet(_("Member register"), f"{bank.code} · {bank.name}", columns, rows)


def _weighing_book(
    book: backoffice.WeighingBook, start: dt.date | None, end: dt.date | None
) -> bytes:
    """The buku penimbangan; reversed deposits are listed but not counted."""
    zone = book.bank.timezone
    columns: list[_Column[backoffice.WeighingRow]] = [
        _Column(
            _("Date"), lambda r: _local(r.deposit.occurred_at, zone), total=_("Total")
        ),
        _Column(_("Receipt"), lambda r: r.deposit.receipt_no),
        _Column(_("Member"), lambda r: r.deposit.member.name),
        _Column(_("Waste type"), lambda r: r.line.category_name, total=_("kg")),
        _Column(
            _("Quantity"),
            lambda r: Decimal(r.line.quantity),
            total=book.total_weight_kg,
        ),
        _Column(_("Unit"), lambda r: r.line.unit, total="kg"),
        _Column(_("Price (Rp)"), lambda r: r.line.price_rp),
        _Column(_("Value (Rp)"), lambda r: r.line.value_rp, total=book.total_rp),
        _Column(
            _("Settlement"),
            lambda r: _("cash") if r.deposit.mode == "cash" else _("savings"),
        ),
        _Column(_("Note"), lambda r: "" if r.counted else _("reversed, not counted")),
    ]
    subtitle = f"{book.bank.code} · {_period_text(start, end)}"
    return _sheet(_("Weighing book"), subtitle, columns, book.rows)


def _sales_book(
    book: backoffice.SalesBook, start: dt.date | None, end: dt.date | None
) -> bytes:
    """The buku penjualan, one row per line (sales and shipments to the induk), with
    cost and margin for readers of costs; a shipment in transit has no amount."""
    zone = book.bank.timezone
    columns: list[_Column[backoffice.SalesBookRow]] = [
        _Column(_("Date"), lambda row: _local(row.at, zone), total=_("Total")),
        _Column(_("Receipt"), lambda row: row.receipt_no),
        _Column(_("Buyer"), lambda row: row.buyer),
        _Column(_("Waste type"), lambda row: row.category_name, total=_("kg")),
        _Column(_("Quantity"), lambda row: row.quantity, total=book.total_weight_kg),
        _Column(_("Unit"), lambda row: row.unit, total="kg"),
        _Column(_("Price (Rp)"), lambda row: _blank_if_none(row.price_rp)),
        _Column(
            _("Sale amount (Rp)"),
            lambda row: _("in transit") if row.in_transit else row.amount_rp,
            total=book.total_rp,
        ),
    ]
    if book.show_costs:
        columns += [
            _Column(_("Cost (Rp)"), lambda row: row.cost_rp, total=book.cost_rp),
            _Column(
                _("Margin (Rp)"),
                lambda row: _blank_if_none(row.margin_rp),
                total=book.margin_rp,
            ),
        ]
    subtitle = f"{book.bank.code} · {_period_text(start, end)}"
    return _sheet(_("Sales book"), subtitle, columns, book.rows)


def _cash_book(
    book: backoffice.CashBook, start: dt.date | None, end: dt.date | None
) -> bytes:
    """The buku kas with its opening balance, running balance and totals."""
    zone = book.bank.timezone
    columns: list[_Column[backoffice.CashLine]] = [
        _Column(_("Date"), lambda line: _local(line.at, zone), total=_("Total")),
        _Column(_("Reference"), lambda line: line.reference),
        _Column(
            _("Description"),
            lambda line: line.description,
            opening=_("Opening balance"),
        ),
        _Column(_("In (Rp)"), lambda line: line.in_rp, total=book.in_rp),
        _Column(_("Out (Rp)"), lambda line: line.out_rp, total=book.out_rp),
        _Column(
            _("Balance (Rp)"),
            lambda line: line.balance_rp,
            opening=book.opening_rp,
            total=book.closing_rp,
        ),
    ]
    subtitle = f"{book.bank.code} · {_period_text(start, end)}"
    return _sheet(_("Cash book"), subtitle, columns, book.lines)


@dataclass(frozen=True)
class BankBook:
    """One of a bank's books: how it is read, what its page shows, and its sheet."""

    #: ``read(session, actor, bank_code, start=, end=)``: the service that reads it.
    read: Callable[..., Any]
    #: The page template's variables, from what ``read`` returned.
    page: Callable[[Any], dict[str, Any]]
    #: The sheet, from what ``read`` returned and the period.
    sheet: Callable[[Any, dt.date | None, dt.date | None], bytes]
    #: Whether its page shows every date unless a period is asked for.
    all_dates: bool = False


#: A bank's books by the name in their URLs.
BANK_BOOKS: dict[str, BankBook] = {
    "induk-nasabah": BankBook(
        read=lambda session, actor, bank_code, **_period: backoffice.member_register(
            session, actor, bank_code
        ),
        page=lambda register: {
            "rows": register[1],
            "total_rp": sum(row.balance_rp for row in register[1]),
        },
        sheet=_member_register,
        all_dates=True,
    ),
    "penimbangan": BankBook(
        read=backoffice.weighing_book,
        page=lambda book: {"weighing": book},
        sheet=_weighing_book,
    ),
    "penjualan": BankBook(
        read=backoffice.sales_book,
        page=lambda book: {"sales": book},
        sheet=_sales_book,
    ),
    "kas": BankBook(
        read=backoffice.cash_book,
        page=lambda book: {"cash": book},
        sheet=_cash_book,
    ),
}


def bank_book(name: str) -> BankBook:
    """The book of :data:`BANK_BOOKS` called ``name``.

    :raises NotFound: an unknown book.
    """
    try:
        return BANK_BOOKS[name]
    except KeyError:
        raise NotFound(
            f"No book called {name}; try one of {', '.join(BANK_BOOKS)}."
        ) from None


def bank_book_download(
    session: SessionLike,
    actor: Actor,
    bank_code: str,
    name: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Response:
    """One of :data:`BANK_BOOKS` of a bank as an XLSX download.

    :raises NotFound: an unknown book.
    """
    book = bank_book(name)
    data = book.sheet(
        book.read(session, actor, bank_code, start=start, end=end), start, end
    )
    period = "-".join(d.isoformat() for d in (start, end) if d) or "semua"
    return _response(data, f"buku-{name}-{bank_code.upper()}-{period}.xlsx")


# -- a member's savings book, summaries, SIPSN ----------------------------------------------
def savings_book_download(
    statement: Statement, start: dt.date | None, end: dt.date | None
) -> Response:
    """A member's buku tabungan for a period, with a running balance."""
    member = statement.member
    zone = member.bank.timezone

    def credit_rp(line: StatementLine) -> int:
        return max(line.entry.amount_rp, 0)

    def debit_rp(line: StatementLine) -> int:
        return max(-line.entry.amount_rp, 0)

    columns: list[_Column[StatementLine]] = [
        _Column(
            _("Date"),
            lambda line: _local(line.entry.created_at, zone),
            total=_("Total"),
        ),
        _Column(
            _("Description"),
            lambda line: line.entry.description,
            opening=_("Opening balance"),
        ),
        _Column(
            _("Credit (Rp)"), credit_rp, total=sum(map(credit_rp, statement.lines))
        ),
        _Column(_("Debit (Rp)"), debit_rp, total=sum(map(debit_rp, statement.lines))),
        _Column(
            _("Balance (Rp)"),
            lambda line: line.balance_rp,
            opening=statement.opening_rp,
            total=statement.closing_rp,
        ),
    ]
    subtitle = f"{member.member_no} · {member.name} · {_period_text(start, end)}"
    return _response(
        _sheet(_("Savings book"), subtitle, columns, statement.lines),
        f"buku-tabungan-{member.member_no}.xlsx",
    )


#: A summary row: its label (a month, a waste type or a bank) and its figures.
_SummaryRow = tuple[str, backoffice.Figures]


def summary_download(result: backoffice.Summary, code: str) -> Response:
    """A bank's or city's (``code``) monthly or yearly summary: by month (a year), then
    by category, then by bank, then the total."""

    def figure(heading: str, name: str) -> _Column[_SummaryRow]:
        return _Column(
            heading,
            lambda row: getattr(row[1], name),
            total=getattr(result.total, name),
        )

    columns: list[_Column[_SummaryRow]] = [
        _Column(_("Period / waste type"), lambda row: row[0], total=_("Total")),
        figure(_("Deposits"), "deposits"),
        figure(_("Received (kg)"), "received_kg"),
        figure(_("Bought (Rp)"), "received_rp"),
        figure(_("Sold (kg)"), "sold_kg"),
        figure(_("Shipped to induk (kg)"), "shipped_kg"),
        figure(_("Of which in transit (kg)"), "in_transit_kg"),
        figure(_("Sales (Rp)"), "sales_rp"),
        figure(_("Cost of sales (Rp)"), "cost_of_sales_rp"),
        figure(_("Margin (Rp)"), "margin_rp"),
        figure(_("Expenses (Rp)"), "expenses_rp"),
        figure(_("Payouts (Rp)"), "payouts_rp"),
    ]
    rows: list[_SummaryRow] = [
        *((f"{result.year}-{m:02d}", f) for m, f in result.by_month.items()),
        *((str(category), f) for category, f in result.by_category.items()),
        *((b.bank.code, b.figures) for b in result.by_bank),
    ]
    period = f"{result.year}-{result.month:02d}" if result.month else str(result.year)
    return _response(
        _sheet(_("Summary"), f"{result.title} · {period}", columns, rows),
        f"rekap-{code}-{period}.xlsx",
    )


#: The destination columns of the SIPSN form, in its order and with its headings.
_SIPSN_DESTINATION_HEADINGS = {
    "daur_ulang": "Daur ulang",
    "up_cycle": "Up-cycle",
    "kompos": "Kompos",
    "pakan_ternak": "Pakan ternak",
    "energi": "Sumber energi",
}


def sipsn_download(
    city_code: str, city_name: str, year: int, rows: Sequence[backoffice.SipsnRow]
) -> Response:
    """The SIPSN bank-sampah sheet: one row per bank, each in its own reporting unit."""
    check_names = {
        "no_data": _("no data"),
        "outlier_history": _("far from last year"),
        "outlier_peers": _("far from similar banks"),
        "unit_swap": _("kg and t mixed up?"),
    }

    def destination(heading: str, name: str) -> _Column[backoffice.SipsnRow]:
        return _Column(
            heading, lambda row: row.in_report_unit(row.by_destination_kg[name])
        )

    # The SIPSN form's own (Indonesian) headings, whatever the reader's language.
    columns: list[_Column[backoffice.SipsnRow]] = [
        _Column("Nama", lambda row: row.bank.name),
        _Column("Jenis", lambda row: "Induk" if row.bank.kind == "induk" else "Unit"),
        _Column("Alamat", lambda row: row.bank.address or ""),
        _Column("Lintang", lambda row: row.bank.latitude),
        _Column("Bujur", lambda row: row.bank.longitude),
        _Column("Tahun", lambda row: year),
        _Column("Satuan", lambda row: f"{row.report_unit}/tahun"),
        _Column("Sampah diterima", lambda row: row.in_report_unit(row.received_kg)),
        _Column("Sampah dikelola", lambda row: row.in_report_unit(row.managed_kg)),
        *(
            destination(heading, name)
            for name, heading in _SIPSN_DESTINATION_HEADINGS.items()
        ),
        _Column(_("Checks"), lambda row: ", ".join(check_names[c] for c in row.checks)),
    ]
    return _response(
        _sheet("SIPSN", f"{city_name} · {year}", columns, rows),
        f"sipsn-{city_code}-{year}.xlsx",
    )
