"""The shipment pages: the unit's dispatch form, the induk's receiving form with errors
next to the line, the dispatch note and receipt, and who sees cost and margin."""

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
from wastebank.models import Shipment
from wastebank.services import backoffice, shipments


@pytest.fixture
def stocked(db: Session, counter_world: World) -> World:
    """BSU1 holds 10 kg PET and 5 kg KARDUS; BSI has a cashier (``ki``)."""
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
    factories.make_user(db, username="ki", role="cashier", bank_code="BSI")
    factories.make_user(db, username="m2", role="manager", bank_code="BSU2")
    db.commit()
    return counter_world


def _form(page: str) -> dict[str, str]:
    csrf, key = CSRF.search(page), KEY.search(page)
    assert csrf and key
    return {"csrf_token": csrf.group(1), "idempotency_key": key.group(1)}


def _in_transit(db: Session, **lines: str) -> Shipment:
    shipment, _ = shipments.dispatch_shipment(
        db,
        SYSTEM,
        bank_code="BSU1",
        lines=[shipments.ShipmentLineInput(c, Decimal(q)) for c, q in lines.items()],
        idempotency_key="s1",
        request_hash="s1",
    )
    db.commit()
    return shipment


def _row(page: str, category: str) -> str:
    """The HTML of the table row of ``category`` on a shipment form."""
    match = re.search(
        rf'<tr class="line" data-category="{category}">(.*?)</tr>', page, re.S
    )
    assert match, category
    return match.group(1)


def test_a_unit_dispatches_through_the_form_once(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    home = client.get("/banks/BSU1/backoffice").get_data(as_text=True)
    assert "Kirim ke induk" in home
    page = client.get("/banks/BSU1/shipments/new").get_data(as_text=True)
    assert "Surat jalan" not in page and "Tanpa harga" in page
    data = {
        **_form(page),
        "category": ["KARDUS", "PET"],
        "quantity": ["", "4,5"],
        "note": "Truk pagi",
    }
    response = client.post("/banks/BSU1/shipments", data=data)
    assert response.status_code == 303
    note = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Surat jalan" in note and "dalam perjalanan" in note
    assert "4,5 kg" in note and "Truk pagi" in note
    # A double submit of the same form sends nothing more.
    assert client.post("/banks/BSU1/shipments", data=data).status_code == 303
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
    _bank, stock = backoffice.stock(db, SYSTEM, "BSU1")
    assert {row.category.code: row.quantity for row in stock}["PET"] == Decimal("5.5")


def test_a_dispatch_form_shows_each_problem_next_to_its_line(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    factories.login(client, "mu")
    page = client.get("/banks/BSU1/shipments/new").get_data(as_text=True)
    response = client.post(
        "/banks/BSU1/shipments",
        data={**_form(page), "category": ["KARDUS", "PET"], "quantity": ["dua", "1"]},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "harus berupa angka" in _row(page, "KARDUS")
    assert 'aria-invalid="true"' not in _row(page, "PET")
    response = client.post(
        "/banks/BSU1/shipments",
        data={**_form(page), "category": ["KARDUS", "PET"], "quantity": ["1", "11"]},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Stok tidak cukup" in _row(page, "PET")
    assert 'value="11"' in _row(page, "PET")  # what was typed stays in the form
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0


def test_the_induk_receives_with_a_weighed_quantity_per_line(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    shipment = _in_transit(db, PET="4", KARDUS="5")
    factories.login(client, "ki")
    home = client.get("/backoffice", follow_redirects=True).get_data(as_text=True)
    assert shipment.receipt_no in home and "Kiriman dalam perjalanan" in home
    page = client.get(f"/shipments/{shipment.id}/receive").get_data(as_text=True)
    assert "Rp3.000/kg" in _row(page, "PET")  # the induk's own price
    response = client.post(
        f"/shipments/{shipment.id}/receive",
        data={**_form(page), "received-PET": "3,8", "received-KARDUS": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Isi hasil timbangan" in _row(page, "KARDUS")
    assert 'value="3,8"' in _row(page, "PET")
    response = client.post(
        f"/shipments/{shipment.id}/receive",
        data={**_form(page), "received-PET": "3,8", "received-KARDUS": "5"},
    )
    assert response.status_code == 303
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bukti penerimaan kiriman" in receipt
    assert re.search(r'id="shipment-total">Rp16\.900<', receipt)
    assert re.search(r'class="num variance">-0,2<', receipt)
    # The induk's cashier weighs and receives; the unit's cost stays the unit's.
    assert "shipment-costs" not in receipt and "Rp19.500" not in receipt
    factories.login(client, "mi")
    receipt = client.get(f"/shipments/{shipment.id}").get_data(as_text=True)
    assert re.search(r'id="shipment-costs">[^<]*Rp19\.500', receipt)


def test_the_unit_may_not_receive_and_others_do_not_see_the_shipment(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    shipment = _in_transit(db, PET="1")
    for username, path, status in (
        ("mu", f"/shipments/{shipment.id}/receive", 403),
        ("kasir", "/banks/BSU1/shipments/new", 403),
        ("mi", "/banks/BSU1/shipments/new", 403),  # the induk does not ship for a unit
        ("m2", f"/shipments/{shipment.id}", 404),
        ("ki", f"/shipments/{shipment.id}", 200),
        ("dlh", f"/shipments/{shipment.id}", 200),
    ):
        factories.login(client, username)
        assert client.get(path).status_code == status, (username, path)


def test_the_unit_cancels_with_a_reason_and_the_waste_is_back(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    shipment = _in_transit(db, PET="4")
    token = factories.login(client, "mu")
    response = client.post(
        f"/shipments/{shipment.id}/cancel", data={"csrf_token": token, "reason": " "}
    )
    assert response.status_code == 422
    assert re.search(
        r'id="return-reason-error" role="alert">Isi alasannya', response.get_data(True)
    )
    response = client.post(
        f"/shipments/{shipment.id}/cancel",
        data={"csrf_token": token, "reason": "Salah timbang"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "dibatalkan unit" in page and "Salah timbang" in page
    _bank, stock = backoffice.stock(db, SYSTEM, "BSU1")
    assert {row.category.code: row.quantity for row in stock}["PET"] == 10


def test_books_show_a_shipment_in_transit_apart_from_money(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    shipment = _in_transit(db, PET="4")
    factories.login(client, "mi")
    cash = client.get("/banks/BSI/books/kas").get_data(as_text=True)
    assert "Kiriman dalam perjalanan (belum menjadi uang)" in cash
    assert shipment.receipt_no in cash
    pnl = client.get("/banks/BSU1/profit-and-loss").get_data(as_text=True)
    assert re.search(r'id="pnl-in-transit">[^<]*Rp14\.000', pnl)
    book = client.get("/banks/BSU1/books/penjualan").get_data(as_text=True)
    assert "kiriman, dalam perjalanan" in book and "belum diterima" in book
    assert re.search(r'id="book-total">Rp0<', book)


def test_a_cashier_reads_sales_and_shipments_without_cost_or_margin(
    client: FlaskClient, db: Session, stocked: World
) -> None:
    buyer = backoffice.create_buyer(
        db, SYSTEM, bank_code="BSU1", name="Pak Ali", kind="pengepul"
    )
    sale, _ = backoffice.record_sale(
        db,
        SYSTEM,
        bank_code="BSU1",
        buyer_id=buyer.id,
        lines=[backoffice.SaleLineInput("KARDUS", Decimal(5), price_rp=1500)],
        idempotency_key="s",
        request_hash="s",
    )
    db.commit()
    for username, sees in (("kasir", False), ("mu", True)):
        factories.login(client, username)
        receipt = client.get(f"/sales/{sale.id}").get_data(as_text=True)
        assert ('id="sale-margin"' in receipt) is sees
        book = client.get("/banks/BSU1/books/penjualan").get_data(as_text=True)
        assert ('<th class="num">Margin</th>' in book) is sees
        xlsx = client.get("/banks/BSU1/books/penjualan?format=xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
        assert sheet is not None
        headings = [cell.value for cell in sheet[4]]
        assert ("Margin (Rp)" in headings) is sees, headings


@pytest.mark.parametrize(
    ("quantity", "note", "where"),
    [
        ("100001", "", "PET"),  # above the API schema's bound
        ("1,0001", "", "PET"),  # finer than a gram: the service's rule
        ("1", "x" * 256, None),  # the note's length, as the API allows it
    ],
)
def test_a_dispatch_form_is_checked_like_the_api(
    client: FlaskClient,
    db: Session,
    stocked: World,
    quantity: str,
    note: str,
    where: str | None,
) -> None:
    factories.login(client, "mu")
    page = client.get("/banks/BSU1/shipments/new").get_data(as_text=True)
    response = client.post(
        "/banks/BSU1/shipments",
        data={**_form(page), "category": ["PET"], "quantity": [quantity], "note": note},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    if where is None:
        assert "Catatan paling banyak 255 karakter" in page
    else:
        assert "Paling banyak tiga desimal" in _row(page, where)
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 0
