"""The driver's page on a phone: report stops, lose the signal, report, reconnect."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy.orm import Session

from routing.models import RouteStop, RouteStopEvent
from tests import factories
from tests.routing import conftest as routing_conftest
from tests.routing.conftest import (
    SERVICE_DATE,
)
from tests.wastebank import test_driver_views as driver_views
from tests.wastebank.test_driver_views import Shift

pytestmark = pytest.mark.integration

#: Ambon's fleet and a dispatched route of five bins (see test_driver_views).
fleet = routing_conftest.fleet
shift = driver_views.shift

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[BrowserContext, Page]]:
    """A phone-sized touch browser in Indonesian on WIT time, with no map tiles."""
    context = browser.new_context(**PHONE, locale="id-ID", timezone_id="Asia/Jayapura")

    def no_tiles(route: Route) -> None:
        route.abort()  # tests need no internet; the list must work without tiles

    context.route(re.compile(r"https?://(?!127\.0\.0\.1).*"), no_tiles)
    page = context.new_page()
    yield context, page
    context.close()


def _log_in_as_driver(page: Page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.get_by_label("Nama pengguna").fill("sopir")
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Rute hari ini")).to_be_visible()


def _events(db: Session, route_id: int) -> list[tuple[int, str, str | None]]:
    db.rollback()
    rows = db.execute(
        sa.select(RouteStopEvent.stop_id, RouteStopEvent.kind, RouteStopEvent.reason)
        .join(RouteStop, RouteStop.id == RouteStopEvent.stop_id)
        .where(RouteStop.route_id == route_id)
        .order_by(RouteStopEvent.id)
    )
    return [(r.stop_id, r.kind, r.reason) for r in rows]


def test_a_driver_reports_four_stops_one_of_them_offline_and_the_server_has_four(
    phone: tuple[BrowserContext, Page],
    live_server: str,
    db: Session,
    shift: Shift,
    artifacts_dir: Path,
) -> None:
    context, page = phone
    posts: list[Any] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r) if r.method == "POST" and "/events" in r.url else None
        ),
    )
    _log_in_as_driver(page, live_server)
    page.goto(f"{live_server}/driver?date={SERVICE_DATE.isoformat()}")
    stops = page.locator("#stops > li")
    expect(stops).to_have_count(len(shift.stop_ids) + len(shift.unload_ids))
    first, second, third, fourth = (
        page.locator(f'#stops > li[data-stop="{stop_id}"]')
        for stop_id in shift.stop_ids[:4]
    )
    expect(first.locator(".stop-address")).to_contain_text("Jl. Contoh No.")
    expect(first.get_by_role("link", name="Navigasi")).to_have_attribute(
        "href",
        re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination=-3\."),
    )
    expect(first.locator(".state")).to_have_text("Belum dilaporkan")
    # Touch targets: the action buttons are at least 48 px high.
    box = first.get_by_role("button", name="Terkumpul").bounding_box()
    assert box is not None and box["height"] >= 48

    first.get_by_role("button", name="Terkumpul").tap()
    expect(first.locator(".state")).to_have_text("Terkumpul")
    second.get_by_role("button", name="Terkumpul").tap()
    third.get_by_role("button", name="Dilewati").tap()
    third.get_by_label("Alasan").select_option("blocked")
    third.get_by_label("Catatan (opsional)").fill("Mobil parkir di depan TPS")
    third.get_by_role("button", name="Simpan lewati").tap()
    expect(third.locator(".state")).to_have_text("Dilewati · Terhalang")
    expect(page.locator("#pending")).to_be_hidden()
    expect(third.locator(".state")).to_have_text("Dilewati · Terhalang")
    assert len(_events(db, shift.route_id)) == 3
    # Nothing wider than the phone: no sideways scrolling with a thumb.
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= PHONE["viewport"]["width"]
    )
    page.screenshot(path=str(artifacts_dir / "driver-online.png"), full_page=True)

    context.set_offline(True)
    expect(page.locator("#connection")).to_have_text("Luring")
    fourth.get_by_role("button", name="Terkumpul").tap()
    expect(page.locator("#pending")).to_have_text("Menunggu sinyal: 1")
    expect(fourth.locator(".state")).to_have_text("Terkumpul")
    page.screenshot(path=str(artifacts_dir / "driver-offline.png"), full_page=True)
    assert len(_events(db, shift.route_id)) == 3

    context.set_offline(False)
    expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
    expect(page.locator("#connection")).to_have_text("Daring")
    events = _events(db, shift.route_id)
    assert events == [
        (shift.stop_ids[0], "collected", None),
        (shift.stop_ids[1], "collected", None),
        (shift.stop_ids[2], "skipped", "blocked"),
        (shift.stop_ids[3], "collected", None),
    ]
    # Each report went out under one key; none was lost or stored twice.
    keys = {r.headers["idempotency-key"] for r in posts}
    assert len(keys) == 4
    expect(page.locator("#driver-error")).to_be_hidden()


def test_a_report_sent_twice_under_its_key_is_stored_once(
    phone: tuple[BrowserContext, Page], live_server: str, db: Session, shift: Shift
) -> None:
    """The answer is lost on the way back (the phone thinks it failed); the retry
    under the same key is a replay, so the server keeps one event."""
    _, page = phone
    _log_in_as_driver(page, live_server)
    lost = {"count": 0}

    def lose_first_answer(route: Route) -> None:
        response = route.fetch()
        if lost["count"] == 0:
            lost["count"] += 1
            route.abort("connectionfailed")  # stored on the server, answer lost
            return
        route.fulfill(response=response)

    page.route("**/route-stops/*/events", lose_first_answer)
    page.goto(f"{live_server}/driver?date={SERVICE_DATE.isoformat()}")
    first = page.locator(f'#stops > li[data-stop="{shift.stop_ids[0]}"]')
    with page.expect_event("requestfailed", lambda r: "/events" in r.url):
        first.get_by_role("button", name="Terkumpul").tap()
    expect(page.locator("#pending")).to_have_text("Menunggu sinyal: 1")
    assert _events(db, shift.route_id) == [(shift.stop_ids[0], "collected", None)]
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
    assert _events(db, shift.route_id) == [(shift.stop_ids[0], "collected", None)]


def test_a_refused_report_is_shown_and_leaves_the_queue(
    phone: tuple[BrowserContext, Page], live_server: str, db: Session, shift: Shift
) -> None:
    _, page = phone
    _log_in_as_driver(page, live_server)
    page.goto(f"{live_server}/driver?date={SERVICE_DATE.isoformat()}")
    unload = page.locator(f'#stops > li[data-stop="{shift.unload_ids[0]}"]')
    unload.get_by_label("Nomor tiket jembatan timbang").fill("TSP-1")
    unload.get_by_label("Berat bersih (kg)").fill("-5")  # the server refuses it (422)
    unload.get_by_role("button", name="Dibongkar").tap()
    expect(page.locator("#driver-error")).to_contain_text("Laporan ditolak")
    expect(page.locator("#pending")).to_be_hidden()
    assert _events(db, shift.route_id) == []


def test_a_photo_taken_with_a_report_is_shrunk_and_stored_with_it(
    phone: tuple[BrowserContext, Page],
    live_server: str,
    db: Session,
    shift: Shift,
    tmp_path: Path,
) -> None:
    """A 3000 x 2000 camera picture goes out as a JPEG of at most 1280 px."""
    picture = tmp_path / "camera.png"
    noise = Image.effect_noise((3000, 2000), 64).convert("RGB")
    noise.save(picture)
    assert picture.stat().st_size > 1_000_000  # more than the server would take

    _, page = phone
    _log_in_as_driver(page, live_server)
    page.goto(f"{live_server}/driver?date={SERVICE_DATE.isoformat()}")
    first = page.locator(f'#stops > li[data-stop="{shift.stop_ids[0]}"]')
    photo = first.get_by_label("Ambil foto (opsional)")
    photo.set_input_files(str(picture))
    # The button says, in Indonesian, that the photo goes with the next report.
    expect(first.locator(".photo-field")).to_contain_text("Foto siap")
    first.get_by_role("button", name="Dilewati").tap()
    first.get_by_label("Alasan").select_option("inaccessible")
    first.get_by_role("button", name="Simpan lewati").tap()
    expect(first.locator(".state")).to_have_text("Dilewati · Tidak bisa dijangkau")
    expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
    expect(page.locator("#driver-error")).to_be_hidden()
    expect(first.locator(".photo-field")).to_contain_text("Ambil foto (opsional)")

    db.rollback()
    event = db.scalars(sa.select(RouteStopEvent)).one()
    assert (event.stop_id, event.kind) == (shift.stop_ids[0], "skipped")
    assert event.photo is not None
    stored = Image.open(io.BytesIO(event.photo.data))
    assert stored.format == "JPEG"
    assert max(stored.size) == 1280
    assert stored.size == (1280, 853)
    assert event.photo.size_bytes <= 512 * 1024
    # The input is cleared: the next report carries no photo.
    first.get_by_role("button", name="Terkumpul").tap()
    expect(page.locator("#pending")).to_be_hidden(timeout=15_000)
    db.rollback()
    latest = db.scalars(
        sa.select(RouteStopEvent).order_by(RouteStopEvent.id.desc())
    ).first()
    assert latest is not None and latest.kind == "collected" and latest.photo is None
