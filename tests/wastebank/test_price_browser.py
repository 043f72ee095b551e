"""The price page in a real phone browser: a typing error is refused next to the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World

pytestmark = pytest.mark.integration

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jayapura")
    yield context.new_page()
    context.close()


def test_a_unit_manager_sets_a_price_on_a_phone_and_a_typo_is_refused_at_the_field(
    phone: Page,
    live_server: str,
    db: Session,
    counter_world: World,
    artifacts_dir: Path,
) -> None:
    page = phone
    page.goto(live_server + "/")
    page.get_by_label("Nama pengguna").fill("mu")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server + "/banks/BSU1/backoffice")
    page.get_by_role("link", name="Harga", exact=True).click()

    page.get_by_label("Jenis sampah").select_option("PET")
    page.get_by_label("Harga per satuan (Rp)").fill("3.500.000.000")
    page.get_by_role("button", name="Simpan harga").click()
    price = page.get_by_label("Harga per satuan (Rp)")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#price-price-error")).to_contain_text("paling banyak Rp50.000")
    # The error sits right under the field it is about.
    field, error = (
        price.bounding_box(),
        page.locator("#price-price-error").bounding_box(),
    )
    assert field and error and 0 <= error["y"] - (field["y"] + field["height"]) < 40
    page.screenshot(path=str(artifacts_dir / "prices-phone.png"), full_page=True)
    # Nothing wider than the phone (the price table scrolls inside its card).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    price.fill("3.800")
    page.get_by_role("button", name="Simpan harga").click()
    expect(page.locator("#prices tr[data-category=PET] td").nth(1)).to_have_text(
        "Rp3.800/kg"
    )
    expect(page.locator("#separate-approver-and-payer")).to_have_text("ya")
