"""The counter in a real browser: scan, weigh, confirm, print, verify (Debian chromium)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, Request, expect
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from tests.wastebank.test_counter_views import _catalogue
from wastebank import cards, services
from wastebank.models import Deposit

pytestmark = pytest.mark.integration

MM_IN_PT = 72 / 25.4


def _log_in_as_cashier(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.get_by_label("Nama pengguna").fill("kasir")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Pindai kartu nasabah")).to_be_visible()


def test_cashier_scans_a_card_weighs_two_lines_and_prints_the_receipt(
    page: Page,
    live_server: str,
    db: Session,
    world: World,
    artifacts_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _catalogue(db)
    member = world.members["BSU1"]
    card = member.active_card
    assert card is not None
    posts: list[Request] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r) if r.method == "POST" and "/deposits" in r.url else None
        ),
    )
    requested: list[str] = []  # every URL the pages ask for: no token, no code
    page.on("request", lambda r: requested.append(r.url.upper()))
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in_as_cashier(page, live_server)

    # A keyboard-wedge scanner types the token and presses Enter into the focused box.
    scan_box = page.get_by_label("Kode kartu atau nomor nasabah")
    expect(scan_box).to_be_focused()
    page.keyboard.type(card.token.lower(), delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#member-name")).to_have_text("Anggota BSU1")
    expect(page.locator("#member-balance")).to_have_text("Rp0")
    assert card.token not in " ".join(requested)

    rows = page.locator("#deposit-lines tbody tr.line")
    rows.nth(0).get_by_label("Jenis sampah").select_option("PET")
    rows.nth(0).get_by_label("Jumlah").fill("2,5")
    page.get_by_role("button", name="Tambah baris").click()
    rows.nth(1).get_by_label("Jenis sampah").select_option("KARDUS")
    rows.nth(1).get_by_label("Jumlah").fill("1.5")
    expect(rows.nth(0).locator(".line-value")).to_have_text("Rp3.750")
    expect(page.locator("#deposit-total")).to_have_text("Rp5.400")
    page.screenshot(path=str(artifacts_dir / "counter.png"), full_page=True)

    page.get_by_role("button", name="Simpan setoran").dblclick()
    expect(page.get_by_role("heading", name="Bukti setoran")).to_be_visible()
    expect(page.locator("#receipt-total")).to_have_text("Rp5.400")
    expect(page.locator(".receipt-balance")).to_contain_text("Rp5.400")
    page.screenshot(path=str(artifacts_dir / "receipt-58mm.png"), full_page=True)

    # The double-click sent one request and recorded one deposit.
    assert len(posts) == 1
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(Deposit)) == 1
    assert services.member_position(db, member.id).balance_rp == 5400

    # Printed, the receipt is one 58 mm wide page about as long as the receipt.
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) == 1
    width_mm, height_mm = (float(v) / MM_IN_PT for v in boxes[0])
    assert width_mm == pytest.approx(58, abs=0.5)
    assert 60 < height_mm < 297
    (artifacts_dir / "receipt-58mm.pdf").write_bytes(pdf)

    # The receipt's QR opens the public check, which shows initials, not the name.
    qr = Image.open(io.BytesIO(page.locator(".receipt-qr img").screenshot()))
    decoded = [result.text for result in zxingcpp.read_barcodes(qr)]
    deposit = db.scalars(sa.select(Deposit)).one()
    assert decoded == [f"{live_server}/receipts/verify#{deposit.verify_code}"]
    page.goto(decoded[0])
    expect(page.locator("#verify-initials")).to_have_text("A. B.")
    # The code went in a POST body and left neither the address bar nor the history.
    assert page.url == f"{live_server}/receipts/verify"
    assert deposit.verify_code not in " ".join(requested)
    # Nor did the card token or the receipt code reach the server's request log.
    access_log = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("POST /counter/scan" in line for line in access_log)
    assert any("POST /receipts/verify" in line for line in access_log)
    for line in access_log:
        assert card.token not in line.upper() and deposit.verify_code not in line
    expect(page.locator("#verify-total")).to_have_text("Rp5.400")
    expect(page.locator("body")).not_to_contain_text("Anggota BSU1")
    page.screenshot(path=str(artifacts_dir / "receipt-check.png"), full_page=True)


def _camera_video(path: Path, payload: str) -> Path:
    """A Y4M clip of a card's QR code held up to the camera (Chromium's fake webcam)."""
    width, height = 640, 480
    frame = Image.new("L", (width, height), 255)
    qr = Image.open(io.BytesIO(cards.qr_png(payload, box_size=8))).convert("L")
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)  # grey: no colour
    with open(path, "wb") as clip:
        clip.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            clip.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def test_the_camera_scans_a_card_into_the_scan_box(
    launch_browser: Callable[..., Browser],
    browser_type_launch_args: dict[str, Any],
    browser_context_args: dict[str, Any],
    live_server: str,
    db: Session,
    world: World,
    tmp_path: Path,
) -> None:
    _catalogue(db)
    card = world.members["BSU1"].active_card
    assert card is not None
    clip = _camera_video(tmp_path / "card.y4m", card.token)
    browser = launch_browser(
        args=[
            *browser_type_launch_args["args"],
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",  # allow the camera without a prompt
            f"--use-file-for-fake-video-capture={clip}",
        ]
    )
    try:
        page = browser.new_context(**browser_context_args).new_page()
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url.upper()))
        _log_in_as_cashier(page, live_server)
        page.get_by_role("button", name="Kamera").click()
        expect(page.locator("#member-name")).to_have_text("Anggota BSU1")
        # The decoded token went through the scan box (empty again for the next card),
        # in a POST body: no URL the page requested carries it.
        expect(page).to_have_url(
            re.compile(f"/counter\\?member={world.members['BSU1'].id}$")
        )
        expect(page.get_by_label("Kode kartu atau nomor nasabah")).to_have_value("")
        assert card.token not in " ".join(requested)
    finally:
        browser.close()
