"""Real-browser tests: Debian chromium driven by Python Playwright."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.access import SYSTEM

pytestmark = pytest.mark.integration


def test_cashier_logs_in_creates_a_member_and_opens_the_card(
    page: Page, live_server: str, db: Session, world: World, artifacts_dir: Path
) -> None:
    page.set_viewport_size({"width": 412, "height": 915})  # a cheap Android phone
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    page.get_by_label("Nama pengguna").fill("kasir")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    # A cashier starts at the counter; the register is one click away in the menu.
    expect(page).to_have_url(live_server + "/counter")
    page.get_by_role("navigation").get_by_role(
        "link", name="Nasabah", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Nasabah", exact=True)).to_be_visible()
    page.get_by_role("link", name="+ Nasabah baru").click()
    page.get_by_label("Nama *").fill("Elisabeth Sahetapy")
    page.get_by_label("Nomor HP").fill("081298765432")
    page.get_by_label("Kelurahan / desa").fill("Batu Merah")
    page.get_by_role("button", name="Daftarkan nasabah").click()

    expect(page.get_by_role("heading", name="Elisabeth Sahetapy")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("AMB-BSU1-000002")
    card = page.locator("#card-qr")
    expect(card).to_be_visible()
    # The PNG loads after the page: wait for it (a busy machine is slow), then check it.
    card.evaluate(
        "img => img.complete || new Promise(done => {"
        " img.addEventListener('load', done); img.addEventListener('error', done); })"
    )
    assert card.evaluate("img => img.naturalWidth") > 100
    page.screenshot(path=str(artifacts_dir / "member-card.png"), full_page=True)

    # The QR the browser shows is the member's card: decode the rendered pixels.
    shot = Image.open(io.BytesIO(card.screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(shot)]
    assert len(decoded) == 1
    member = services.resolve_card(db, SYSTEM, decoded[0])
    assert member.name == "Elisabeth Sahetapy"
    assert member.member_no == "AMB-BSU1-000002"
