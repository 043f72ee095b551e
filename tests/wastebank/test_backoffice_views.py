"""The back-office pages: stock, sale form and receipt, the books, P&L, summaries."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from tests.wastebank.test_counter_views import CSRF, KEY
from wastebank import services
from wastebank.access import SYSTEM
from wastebank.models import Member, Sale, utcnow
from wastebank.services import backoffice


@pytest.fixture
def stocked(db: Session, counter_world: World) -> World:
    """BSU1 holds 10 kg PET and 5 kg KARDUS from one member; a pengepul is registered."""
    services.record_deposit(
        db,
        SYSTEM,
        member_id=counter_world.members["BSU1"].id,
        idempotency_key="d1",
        request_hash="d1",
        lines=[
            services.DepositLineInput("PET", Decimal("10")),
            services.DepositLineInput("KARDUS", Decimal("5")),
        ],
    )
    backoffice.create_buyer(
        db, SYSTEM, bank_code="BSU1", name="Pengepul Batu Merah", kind="pengepul"
    )
    db.commit()
    return counter_world


def _form(page: str) -> dict[str, str]:
    csrf, key = CSRF.search(page), KEY.search(page)
    assert csrf and key
    return {"csrf_token": csrf.group(1), "idempotency_key": key.group(1)}


def test_manager_records_a_sale_through_the_form_once(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    home = client.get("/backoffice", follow_redirects=True)
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Stok" in page and "Botol PET bening" in page
    form_page = client.get("/banks/BSU1/sales/new").get_data(as_text=True)
    buyer = re.search(r'<option value="(\d+)"[^>]*>Pengepul Batu Merah', form_page)
    assert buyer
    data = {
        **_form(form_page),
        "buyer": buyer.group(1),
        "category": ["PET", "KARDUS", ""],
        "quantity": ["2,5", "5", ""],
        "price": ["4.000", "1500", ""],
    }
    response = client.post("/banks/BSU1/sales", data=data)
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nota penjualan" in receipt
    assert re.search(r'id="sale-total">Rp17\.500<', receipt)
    # A double submit of the same form records nothing more.
    assert client.post("/banks/BSU1/sales", data=data).status_code == 303
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Sale)) == 1

    book = client.get("/banks/BSU1/books/penjualan").get_data(as_text=True)
    assert "Buku penjualan" in book and "Pengepul Batu Merah" in book
    assert re.search(r'id="book-total">Rp17\.500<', book)


def test_an_oversold_form_is_shown_again_with_the_reason(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    form_page = client.get("/banks/BSU1/sales/new").get_data(as_text=True)
    buyer = re.search(r'<option value="(\d+)"[^>]*>Pengepul', form_page)
    assert buyer
    response = client.post(
        "/banks/BSU1/sales",
        data={
            **_form(form_page),
            "buyer": buyer.group(1),
            "category": ["PET"],
            "quantity": ["11"],
            "price": ["4000"],
        },
    )
    assert response.status_code == 409
    assert "Baris 1: stok PET tidak cukup" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Sale)) == 0


def test_a_sale_price_above_the_catalogues_maximum_is_shown_again_with_the_ceiling(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    form_page = client.get("/banks/BSU1/sales/new").get_data(as_text=True)
    buyer = re.search(r'<option value="(\d+)"[^>]*>Pengepul', form_page)
    assert buyer
    response = client.post(
        "/banks/BSU1/sales",
        data={
            **_form(form_page),
            "buyer": buyer.group(1),
            "category": ["KARDUS", "PET"],
            "quantity": ["1", "1"],
            "price": ["1500", "1.000.000.000.000"],
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Baris 2: harga di atas batas tertinggi katalog" in page
    assert "Rp50.000" in page  # plastic's ceiling
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Sale)) == 0


def test_cashier_reads_the_books_but_cannot_sell(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "kasir")
    assert client.get("/banks/BSU1/backoffice").status_code == 200
    assert client.get("/banks/BSU1/sales/new").status_code == 403
    assert client.get("/banks/BSU2/backoffice").status_code == 404
    for book in ("induk-nasabah", "penimbangan", "penjualan", "kas"):
        response = client.get(f"/banks/BSU1/books/{book}")
        assert response.status_code == 200, book
    weighing = client.get("/banks/BSU1/books/penimbangan").get_data(as_text=True)
    assert re.search(r'id="book-total">Rp40\.500<', weighing)  # 35,000 + 5,500
    download = client.get("/banks/BSU1/books/penimbangan?format=xlsx")
    assert download.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    assert sheet is not None
    assert list(sheet.iter_rows(values_only=True))[-1][7] == 40_500


def test_savings_book_pnl_and_summaries_render(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    member = stocked.members["BSU1"]
    factories.login(client, "mi")  # the induk's manager reaches its units
    page = client.get(f"/members/{member.id}/savings-book").get_data(as_text=True)
    assert "Buku tabungan" in page
    assert re.search(r'id="book-total">Rp40\.500<', page)
    xlsx = client.get(f"/members/{member.id}/savings-book?format=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(  # type: ignore[union-attr]
            values_only=True
        )
    )
    assert rows[-1][2:] == (40_500, 0, 40_500)
    assert client.get("/banks/BSU1/profit-and-loss").status_code == 200
    year = services.local_date(stocked.unit, utcnow()).year
    summary = client.get(f"/banks/BSU1/summary?year={year}")
    assert summary.status_code == 200
    assert "PET" in summary.get_data(as_text=True)
    xlsx = client.get(f"/banks/BSU1/summary?year={year}&format=xlsx")
    total = list(
        openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(  # type: ignore[union-attr]
            values_only=True
        )
    )[-1]
    assert (total[0], total[1], total[2], total[3]) == ("Total", 1, 15, 40_500)


def test_dlh_reads_its_city_summary_and_moves_no_money(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "dlh")
    year = services.local_date(stocked.unit, utcnow()).year
    page = client.get(f"/cities/AMB/summary?year={year}")
    assert page.status_code == 200
    assert "Kota Ambon" in page.get_data(as_text=True)
    assert client.get(f"/cities/MJK/summary?year={year}").status_code == 404
    sipsn = client.get(f"/cities/AMB/sipsn?year={year}").get_data(as_text=True)
    assert "Periksa sebelum ekspor" in sipsn and "tidak ada data" in sipsn
    xlsx = client.get(f"/cities/AMB/sipsn?year={year}&format=xlsx")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(  # type: ignore[union-attr]
            values_only=True
        )
    )
    unit = next(row for row in rows if row[0] == "Bank Sampah Uji" and row[1] == "Unit")
    assert unit[6] == "kg/tahun"
    assert sorted(row[8] for row in rows[4:]) == [0, 0, 15]  # managed, in kg or t
    assert client.get("/banks/BSU1/sales/new").status_code == 403
    assert client.get("/banks/BSU1/cash-entries/new").status_code == 403


def test_manager_writes_an_expense_and_corrects_stock(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    page = client.get("/banks/BSU1/cash-entries/new").get_data(as_text=True)
    response = client.post(
        "/banks/BSU1/cash-entries",
        data={
            **_form(page),
            "category": "transport",
            "amount": "25.000",
            "description": "Sewa pikap",
            "occurred_on": "",
        },
    )
    assert response.status_code == 303
    cash = client.get("/banks/BSU1/books/kas").get_data(as_text=True)
    assert "Sewa pikap" in cash
    assert re.search(r'id="book-total">-Rp25\.000<', cash)

    home = client.get("/banks/BSU1/backoffice").get_data(as_text=True)
    adjustment_key = re.search(
        r'adjust[^"]*">\s*<input type="hidden" name="csrf_token" value="([^"]+)">\s*'
        r'<input type="hidden" name="idempotency_key" value="([^"]+)"',
        home,
    )
    assert adjustment_key
    response = client.post(
        "/banks/BSU1/stock-adjustments",
        data={
            "csrf_token": adjustment_key.group(1),
            "idempotency_key": adjustment_key.group(2),
            "category": "PET",
            "quantity": "-0,5",
            "reason": "Susut basah",
        },
    )
    assert response.status_code == 303
    _bank, rows = backoffice.stock(db, SYSTEM, "BSU1")
    assert {r.category.code: r.quantity for r in rows}["PET"] == Decimal("9.5")
    refused = client.post(
        "/banks/BSU1/stock-adjustments",
        data={
            "csrf_token": adjustment_key.group(1),
            "idempotency_key": "form-another-key",
            "category": "PET",
            "quantity": "-50",
            "reason": "Hilang",
        },
    )
    assert refused.status_code == 409


# -- bulk import of members ------------------------------------------------------------------
def _register_xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["BUKU INDUK NASABAH"])
    sheet.append(
        ["No", "Nama", "Alamat", "RT", "RW", "Kelurahan", "No. HP", "NIK", "Jenis"]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, data: bytes, name: str, *, dry_run: bool):
    page = client.get("/banks/BSU1/members/import").get_data(as_text=True)
    csrf = CSRF.search(page)
    assert csrf
    form = {"csrf_token": csrf.group(1), "file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "1"
    return client.post(
        "/banks/BSU1/members/import", data=form, content_type="multipart/form-data"
    )


def _member_count(db: Session) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(Member)) or 0


def test_an_import_with_bad_rows_reports_them_and_imports_nothing(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    existing_nik = "8171010101010001"
    services.update_member(
        db, SYSTEM, counter_world.members["BSU1"].id, {"nik": existing_nik}
    )
    db.commit()
    before = _member_count(db)
    data = _register_xlsx(
        [
            [
                1,
                "Yohana Latumahina",
                "Lorong 3",
                2,
                4,
                "Batu Merah",
                "081234567890",
                None,
                "perorangan",
            ],
            [2, "", "Lorong 4", 2, 4, "Batu Merah", None, None, None],  # no name
            [3, "Ahmad Tuasikal", None, "12345", 1, None, None, "123", None],  # RT, NIK
            [4, "PKK RW 04", None, None, None, None, None, existing_nik, "kolektif"],
            [5, "Maria Pattinama", None, None, None, None, None, None, "keluarga"],
            [None, None, None, None, None, None, None, None, None],  # a blank line
        ]
    )
    factories.login(client, "kasir")
    for dry_run in (True, False):
        response = _upload(client, data, "buku-induk.xlsx", dry_run=dry_run)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "4 dari 5 baris bermasalah. Tidak ada yang diimpor." in page
        problems = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>(\w+)</td>", page)
        assert problems == [
            ("2", "name"),
            ("3", "nik"),
            ("3", "rt"),
            ("4", "nik"),
            ("5", "kind"),
        ]
        assert _member_count(db) == before


def test_a_clean_register_is_checked_then_imported(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    before = _member_count(db)
    data = (
        b"No;Nama;Alamat;RT;RW;Kelurahan;No HP;NIK;Jenis\n"
        b"1;Yohana Latumahina;Lorong 3;002;004;Batu Merah;081234567890;;\n"
        b"2;SD Negeri 5 Ambon;Jl. Sultan Babullah;;;Honipopu;;;kolektif\n"
    )
    factories.login(client, "kasir")
    dry = _upload(client, data, "register.csv", dry_run=True)
    assert dry.status_code == 200
    assert "Semua 2 baris dapat diimpor" in dry.get_data(as_text=True)
    assert _member_count(db) == before
    done = _upload(client, data, "register.csv", dry_run=False)
    assert done.status_code == 200
    assert "2 nasabah diimpor." in done.get_data(as_text=True)
    assert _member_count(db) == before + 2
    school = db.scalar(sa.select(Member).where(Member.name == "SD Negeri 5 Ambon"))
    assert school is not None and school.kind == "collective"
    assert school.member_no.startswith("AMB-BSU1-")
    again = _upload(client, data, "register.csv", dry_run=False)  # already members
    assert again.status_code == 422
    assert _member_count(db) == before + 2
