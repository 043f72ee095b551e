"""The back office in a real browser: a manager sells to a pengepul and prints the book."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.access import SYSTEM
from wastebank.models import Sale
from wastebank.services import backoffice

pytestmark = pytest.mark.integration

MM_IN_PT = 72 / 25.4


def test_manager_sells_to_a_pengepul_and_prints_the_sales_book(
    page: Page,
    live_server: str,
    db: Session,
    counter_world: World,
    artifacts_dir: Path,
) -> None:
    services.record_deposit(
        db,
        SYSTEM,
        member_id=counter_world.members["BSU1"].id,
        idempotency_key="d1",
        request_hash="d1",
        lines=[
            services.DepositLineInput("PET", Decimal("12")),
            services.DepositLineInput("KARDUS", Decimal("8")),
        ],
    )
    db.commit()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/")
    page.get_by_label("Nama pengguna").fill("mu")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()

    page.get_by_role("navigation").get_by_role("link", name="Administrasi").click()
    expect(page.get_by_role("heading", name=re.compile("Administrasi"))).to_be_visible()
    expect(page.locator("#stock tr[data-category=PET] td").nth(1)).to_have_text("12")

    # Register the pengepul, then sell him 10 kg of PET and all the cardboard.
    page.get_by_label("Nama pembeli").fill("Pengepul Batu Merah")
    page.locator("#buyer-kind").select_option("pengepul")
    page.get_by_role("button", name="Daftarkan pembeli").click()
    expect(page.locator("#buyers")).to_contain_text("Pengepul Batu Merah")
    page.get_by_role("link", name="+ Penjualan baru").click()
    page.get_by_label("Pembeli").select_option(label="Pengepul Batu Merah (pengepul)")
    rows = page.locator("#sale-lines tbody tr.line")
    rows.nth(0).get_by_label("Jenis sampah").select_option("PET")
    rows.nth(0).get_by_label("Jumlah").fill("10")
    rows.nth(0).get_by_label("Harga per satuan (Rp)").fill("4.000")
    rows.nth(1).get_by_label("Jenis sampah").select_option("KARDUS")
    rows.nth(1).get_by_label("Jumlah").fill("8")
    rows.nth(1).get_by_label("Harga per satuan (Rp)").fill("1500")
    page.get_by_role("button", name="Simpan penjualan").dblclick()

    expect(page.get_by_role("heading", name="Nota penjualan")).to_be_visible()
    expect(page.locator("#sale-total")).to_have_text("Rp52.000")
    expect(page.locator("#sale-buyer")).to_contain_text("Pengepul Batu Merah")
    # 10 kg PET at Rp3,500 and 8 kg cardboard at Rp1,100 average cost: Rp43,800.
    expect(page.locator("#sale-margin")).to_contain_text("Rp8.200")
    page.screenshot(
        path=str(artifacts_dir / "backoffice-sale-receipt.png"), full_page=True
    )

    page.get_by_role("link", name="Buku penjualan").click()
    expect(page.get_by_role("heading", name="Buku penjualan")).to_be_visible()
    expect(page.locator("#book")).to_contain_text("Pengepul Batu Merah")
    expect(page.locator("#book-total")).to_have_text("Rp52.000")
    page.screenshot(
        path=str(artifacts_dir / "backoffice-sales-book.png"), full_page=True
    )

    # Printed, the book is A4 landscape without the page's tools.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes
    width_mm, height_mm = (float(v) / MM_IN_PT for v in boxes[0])
    assert width_mm == pytest.approx(297, abs=1)
    assert height_mm == pytest.approx(210, abs=1)
    (artifacts_dir / "backoffice-sales-book.pdf").write_bytes(pdf)

    # The double-click recorded one sale; the stock went down once.
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Sale)) == 1
    _bank, stock = backoffice.stock(db, SYSTEM, "BSU1")
    assert {row.category.code: row.quantity for row in stock} == {
        "KARDUS": 0,
        "PET": 2,
    }
