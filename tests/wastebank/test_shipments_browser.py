"""Shipments in a real browser: a unit's manager sends waste from a phone, the induk's
cashier weighs and receives it at a counter PC; the dispatch note prints on A5."""

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
from wastebank.models import Shipment
from wastebank.services import backoffice

pytestmark = pytest.mark.integration

MM_IN_PT = 72 / 25.4


def _login(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("navigation").get_by_role("link", name="Administrasi").click()


def _fits(page: Page, width: int) -> None:
    """Nothing on the page is wider than the screen (wide tables scroll inside)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, scroll_width


def test_a_unit_ships_from_a_phone_and_the_induk_receives_at_its_prices(
    page: Page,
    desktop: Page,
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
    factories.make_user(db, username="ki", role="cashier", bank_code="BSI")
    db.commit()

    # The unit's manager, on a phone: quantities only, no prices.
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, live_server, "mu")
    page.get_by_role("link", name="+ Kirim ke induk").click()
    expect(
        page.get_by_role("heading", name=re.compile("Kirim ke induk"))
    ).to_be_visible()
    page.get_by_label("Botol PET bening").fill("10")
    page.get_by_label("Kardus").fill("8")
    _fits(page, 390)
    page.screenshot(path=str(artifacts_dir / "shipment-dispatch-form-390.png"))
    page.get_by_role("button", name="Kirim", exact=True).dblclick()

    expect(page.get_by_role("heading", name="Surat jalan")).to_be_visible()
    expect(page.locator("#shipment-status")).to_have_text("dalam perjalanan")
    _fits(page, 390)
    page.screenshot(
        path=str(artifacts_dir / "shipment-dispatch-note-390.png"), full_page=True
    )
    # Printed, the dispatch note is A5 without the page's tools or the cost.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Cetak")).to_be_hidden()
    expect(page.locator("#shipment-costs")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes
    width_mm, height_mm = (float(v) / MM_IN_PT for v in boxes[0])
    assert (width_mm, height_mm) == (
        pytest.approx(148, abs=1),
        pytest.approx(210, abs=1),
    )
    (artifacts_dir / "shipment-dispatch-note.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")
    # The unit's page: out of stock, in transit, not yet money.
    page.get_by_role("link", name="Administrasi", exact=True).last.click()
    expect(page.locator("#stock tr[data-category=PET] td").nth(1)).to_have_text("2")
    expect(page.locator("#in-transit")).to_contain_text("BSU1-P000002")
    _fits(page, 390)
    page.screenshot(
        path=str(artifacts_dir / "shipment-unit-home-390.png"), full_page=True
    )
    page.go_back()

    # The induk's cashier, at the counter PC: the shipment waits in transit.
    _login(desktop, live_server, "ki")
    in_transit = desktop.locator("#in-transit")
    expect(in_transit).to_contain_text("BSU1-P000002")
    expect(in_transit).to_contain_text("dalam perjalanan")
    desktop.screenshot(
        path=str(artifacts_dir / "shipment-in-transit-1366.png"), full_page=True
    )
    in_transit.get_by_role("link", name="Terima").click()
    expect(
        desktop.get_by_role("heading", name=re.compile("Terima kiriman"))
    ).to_be_visible()
    desktop.get_by_label("Botol PET bening").fill("9,8")
    desktop.get_by_role("button", name="Terima kiriman").click()
    # The line left empty says so next to its field; the typed one is kept.
    expect(desktop.locator("#error-KARDUS")).to_have_text(
        "Isi hasil timbangan (0 bila tidak ada yang sampai)."
    )
    expect(desktop.get_by_label("Botol PET bening")).to_have_value("9,8")
    desktop.screenshot(
        path=str(artifacts_dir / "shipment-receive-error-1366.png"), full_page=True
    )
    desktop.set_viewport_size({"width": 390, "height": 844})
    _fits(desktop, 390)
    desktop.screenshot(
        path=str(artifacts_dir / "shipment-receive-form-390.png"), full_page=True
    )
    desktop.set_viewport_size({"width": 1366, "height": 900})
    desktop.get_by_label("Kardus").fill("8")
    desktop.get_by_role("button", name="Terima kiriman").click()

    expect(
        desktop.get_by_role("heading", name="Bukti penerimaan kiriman")
    ).to_be_visible()
    # 9.8 kg PET at BSI's Rp3,000 and 8 kg cardboard at Rp1,100.
    expect(desktop.locator("#shipment-total")).to_have_text("Rp38.200")
    expect(desktop.locator("tr[data-category=PET] .variance")).to_have_text("-0,2")
    expect(desktop.locator("#shipment-costs")).to_have_count(0)  # a cashier's page
    desktop.screenshot(
        path=str(artifacts_dir / "shipment-receipt-1366.png"), full_page=True
    )

    # The unit's manager sees the shipment received, with the margin it made.
    page.reload()
    expect(page.locator("#shipment-status")).to_have_text("diterima")
    expect(page.locator("#shipment-costs")).to_contain_text("Margin")
    _fits(page, 390)
    page.screenshot(
        path=str(artifacts_dir / "shipment-receipt-390.png"), full_page=True
    )

    # The double-click sent one shipment; the stock moved once on each side.
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
    for bank, expected in (
        ("BSU1", {"PET": 2, "KARDUS": 0}),
        ("BSI", {"PET": Decimal("9.8"), "KARDUS": 8}),
    ):
        _bank, stock = backoffice.stock(db, SYSTEM, bank)
        assert {row.category.code: row.quantity for row in stock} == expected
