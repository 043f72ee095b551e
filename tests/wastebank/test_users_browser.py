"""A cashier changes their password in a real browser; the phone they left logged in is
logged out. The admin's users page on a phone and a PC. Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import DESKTOP, World

pytestmark = pytest.mark.integration

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
NEW = "pala-banda-1621"


def _offline(route: Route) -> None:
    route.abort()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A 390 px phone in Indonesian, cut off from the internet."""
    context = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jayapura")
    context.route(re.compile(r"https?://(?!127\.0\.0\.1).*"), _offline)
    yield context.new_page()
    context.close()


@pytest.fixture
def pc(browser: Browser) -> Iterator[Page]:
    """A 1366 px office PC in Indonesian."""
    context = browser.new_context(
        **DESKTOP, locale="id-ID", timezone_id="Asia/Jayapura"
    )
    context.route(re.compile(r"https?://(?!127\.0\.0\.1).*"), _offline)
    yield context.new_page()
    context.close()


def _log_in(page: Page, live_server: str, username: str, password: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def _fits(page: Page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling)."""
    return bool(
        page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


def test_a_password_change_logs_out_the_session_left_on_the_phone(
    phone: Page,
    pc: Page,
    live_server: str,
    db: Session,
    world: World,
    artifacts_dir: Path,
) -> None:
    _log_in(phone, live_server, "kasir", factories.PASSWORD)
    _log_in(pc, live_server, "kasir", factories.PASSWORD)

    pc.get_by_role("link", name="Ganti kata sandi").click()
    expect(pc.get_by_role("heading", name="Ganti kata sandi")).to_be_visible()
    pc.get_by_label("Kata sandi sekarang").fill(factories.PASSWORD)
    pc.get_by_label("Kata sandi baru", exact=True).fill("sampah12345")
    pc.get_by_label("Ulangi kata sandi baru").fill("sampah12345")
    pc.get_by_role("button", name="Ganti kata sandi").click()
    # The label holds the field and its message: find the field by its name now.
    new_field = pc.locator("input[name=new_password]")
    expect(new_field).to_have_attribute("aria-invalid", "true")
    error = pc.locator("#new_password-error")
    expect(error).to_have_text(
        "Kata sandi ini termasuk yang paling umum dan paling dulu ditebak; "
        "pilih yang lain."
    )
    # The message stands right under its field, not at the top of the page.
    field_box, error_box = new_field.bounding_box(), error.bounding_box()
    assert field_box is not None and error_box is not None
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    pc.screenshot(path=str(artifacts_dir / "password-change-error-1366.png"))

    pc.get_by_label("Kata sandi sekarang").fill(factories.PASSWORD)
    new_field.fill(NEW)
    pc.get_by_label("Ulangi kata sandi baru").fill(NEW)
    pc.get_by_role("button", name="Ganti kata sandi").click()
    expect(pc.get_by_role("status")).to_have_text(
        "Kata sandi Anda sudah diganti. Anda dikeluarkan dari semua perangkat lain."
    )
    pc.screenshot(path=str(artifacts_dir / "password-changed-1366.png"))

    # The phone left logged in is logged out at its next step.
    phone.reload()
    expect(phone).to_have_url(re.compile(r"/login"))
    expect(phone.get_by_label("Nama pengguna")).to_be_visible()
    _log_in(phone, live_server, "kasir", NEW)
    phone.get_by_role("link", name="Ganti kata sandi").click()
    phone.get_by_role("button", name="Ganti kata sandi").click()
    expect(phone.locator("#current_password-error")).to_have_text(
        "Isi kata sandi Anda yang sekarang."
    )
    assert _fits(phone)
    phone.screenshot(
        path=str(artifacts_dir / "password-change-error-390.png"), full_page=True
    )


def test_the_users_page_fits_a_phone_and_a_pc(
    phone: Page,
    pc: Page,
    live_server: str,
    db: Session,
    world: World,
    artifacts_dir: Path,
) -> None:
    world.users["driver"].active = False
    db.commit()
    for page, width in ((phone, 390), (pc, 1366)):
        _log_in(page, live_server, "admin", factories.PASSWORD)
        page.get_by_role("navigation").get_by_role("link", name="Pengguna").click()
        expect(page.get_by_role("heading", name="Pengguna")).to_be_visible()
        row = page.get_by_role("row").filter(has_text="sopir")
        expect(row).to_contain_text("nonaktif")
        expect(row.get_by_role("button", name="Aktifkan")).to_be_visible()
        assert _fits(page)
        page.screenshot(path=str(artifacts_dir / f"users-{width}.png"), full_page=True)
    pc.get_by_role("row").filter(has_text="kasir").get_by_role(
        "link", name="Setel ulang kata sandi"
    ).click()
    expect(
        pc.get_by_role("heading", name="Setel kata sandi baru untuk kasir")
    ).to_be_visible()
    pc.get_by_label("Kata sandi baru", exact=True).fill(NEW)
    pc.get_by_label("Ulangi kata sandi baru").fill(NEW)
    pc.get_by_role("button", name="Simpan kata sandi baru").click()
    expect(pc.get_by_role("status")).to_contain_text("Kata sandi baru untuk kasir")
