"""The DLH control room in a desktop browser: bins and an alert, acknowledge, plan
tomorrow with two trucks, preview the routes, give them to drivers and dispatch."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from routing import services as routing_services
from routing.models import Route as PlanRoute
from routing.models import RoutePlan, utcnow
from routing.services import solving
from tests import factories
from tests.routing import conftest as routing_conftest
from tests.routing.conftest import Fleet
from tests.wastebank import test_dlh_views as dlh_views
from tests.wastebank.test_dlh_views import _alert_of, _tomorrow_in_ambon
from wastebank.access import Actor, Role

pytestmark = pytest.mark.integration

#: Ambon's fleet (T1, T2), three bins read an hour ago and drivers sopir, sopir2.
fleet = routing_conftest.fleet
bins = dlh_views.bins


def _log_in(page: Page, live_server: str, username: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(factories.PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


@pytest.fixture
def two_truck_day(db: Session, bins: Fleet) -> Fleet:
    """Two 4 m³ containers that must both be emptied between 05:00 and 07:00: together
    they overfill a truck (6 m³), and a trip to the TPA and back takes longer than the
    window, so one truck cannot serve both and the plan has two routes."""
    for code, at in (("AMB-4", (0.0, -0.02)), ("AMB-5", (-0.02, 0.0))):
        routing_conftest.add_bin(
            db,
            code,
            fill_pct=90,
            capacity_l=4000,
            at=routing_conftest.offset(*at),
            access_windows=[["05:00", "07:00"]],
        )
    db.commit()
    return bins


def test_a_dlh_user_acknowledges_an_alert_plans_previews_and_dispatches(
    desktop: Page,
    live_server: str,
    db: Session,
    two_truck_day: Fleet,
    artifacts_dir: Path,
) -> None:
    page = desktop
    _log_in(page, live_server, "dlh")
    page.goto(live_server + "/dlh")
    expect(
        page.get_by_role("heading", name="Ruang kendali · Kota Ambon")
    ).to_be_visible()

    # The bins on the map, coloured by level, and the full bin's alert in the list.
    expect(page.locator("path.bin-marker")).to_have_count(5)
    expect(page.locator("path.bin-marker.fill-high")).to_have_count(4)
    expect(page.locator("path.bin-marker.fill-low")).to_have_count(1)
    alert = page.locator('#alerts li[data-bin="AMB-1"]')
    expect(alert).to_be_visible()
    # Indonesian: the kind and the level; the server's English sentence is the tooltip.
    # When it opened, in Ambon's zone (WIT) although this PC's clock is on WIB.
    opened = _alert_of(db, "AMB-1").opened_at.astimezone(ZoneInfo("Asia/Jayapura"))
    expect(alert.locator("span.muted")).to_have_text(
        re.compile(rf"^Penuh · Terisi 9\d% \({opened:%d/%m/%y, %H\.%M} WIT\)$")
    )
    expect(alert.locator("span.muted")).to_have_attribute("title", re.compile("full"))
    alert.get_by_role("button", name="Akui").click()
    expect(alert.locator(".acknowledged")).to_have_text("Diakui oleh dlh")
    assert _alert_of(db, "AMB-1").acknowledged_by == "dlh"

    # Plan tomorrow with both trucks (the form's defaults), a tiny search budget.
    form = page.locator("#plan-form")
    expect(form.get_by_label("Tanggal")).to_have_value(_tomorrow_in_ambon().isoformat())
    expect(form.get_by_role("checkbox")).to_have_count(2)
    for box in form.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    form.get_by_label("Ambang (%)").fill("80")
    form.get_by_label("Batas waktu (detik)").fill("1")
    page.screenshot(path=str(artifacts_dir / "dlh-before-planning.png"), full_page=True)
    form.get_by_role("button", name="Susun rute").click()

    # The preview: the table lists the routes, the map draws a line per route.
    rows = page.locator("#plan-routes tbody tr")
    expect(rows.first).to_be_visible(timeout=30_000)
    expect(page.locator("#dlh-error")).to_be_hidden()
    expect(rows).to_have_count(2)
    count = rows.count()
    expect(page.locator("path.plan-route")).to_have_count(count)
    db.rollback()
    plan = db.scalars(sa.select(RoutePlan)).one()
    assert plan.service_date == _tomorrow_in_ambon()
    trucks = sorted(r.truck.code for r in plan.routes)
    assert sorted(rows.locator("td.truck").all_inner_texts()) == trucks

    drivers = ["sopir", "sopir2"]
    for row, driver in zip(rows.all(), drivers, strict=True):
        row.locator("select.driver").select_option(driver)
    page.get_by_role("button", name="Kirim ke sopir").click()
    expect(page.locator("#dlh-notice")).to_have_text("Rute sudah dikirim ke sopir.")
    expect(rows.first.locator(".dispatched")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "dlh-after-planning.png"), full_page=True)

    db.rollback()
    routes = db.scalars(
        sa.select(PlanRoute).where(PlanRoute.plan_id == plan.id).order_by(PlanRoute.id)
    ).all()
    by_row = [
        int(r) for r in rows.evaluate_all("rows => rows.map(r => r.dataset.route)")
    ]
    assigned = {route.id: route.driver_username for route in routes}
    assert [assigned[r] for r in by_row] == drivers
    assert all(route.dispatched_at is not None for route in routes)


def test_an_infeasible_plan_is_explained_in_indonesian(
    desktop: Page, live_server: str, db: Session, bins: Fleet
) -> None:
    """A bin heavier than every truck: the page names it, nothing is stored."""
    routing_conftest.add_bin(
        db,
        "AMB-HUGE",
        fill_pct=95,
        capacity_l=30_000,
        at=routing_conftest.offset(0.02, 0),
    )
    db.commit()
    page = desktop
    _log_in(page, live_server, "dlh")
    page.goto(live_server + "/dlh")
    form = page.locator("#plan-form")
    form.get_by_label("Batas waktu (detik)").fill("1")
    form.get_by_role("button", name="Susun rute").click()
    error = page.locator("#dlh-error")
    expect(error).to_contain_text("Rencana tidak dapat disusun", timeout=30_000)
    expect(error).to_contain_text("AMB-HUGE")
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) == 0


def test_a_busy_planner_is_explained_in_indonesian_with_when_to_try_again(
    desktop: Page, live_server: str, db: Session, bins: Fleet
) -> None:
    """Another worker computes Ambon's plan: the page says so in Indonesian and when to
    come back (the answer's Retry-After), not the server's English sentence."""
    with Session(db.get_bind()) as session, session.begin():
        solving.claim_slots(
            session,
            "AMB",
            solving.PlannerLimits(2, 1),
            holder="other-worker:1:abc",
            time_limit_s=30,
            now=utcnow(),
        )
    page = desktop
    _log_in(page, live_server, "dlh")
    page.goto(live_server + "/dlh")
    form = page.locator("#plan-form")
    form.get_by_label("Batas waktu (detik)").fill("1")
    form.get_by_role("button", name="Susun rute").click()
    error = page.locator("#dlh-error")
    expect(error).to_contain_text("Perencana sedang menyusun rencana lain")
    expect(error).to_contain_text(re.compile(r"dalam (2\d|30) detik"))
    db.rollback()
    assert db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) == 0


def test_a_dlh_user_replans_the_rest_of_today_and_sends_it_to_the_same_driver(
    desktop: Page,
    live_server: str,
    db: Session,
    bins: Fleet,
    artifacts_dir: Path,
) -> None:
    """Today's plan is dispatched and its driver emptied the first bin; the office
    re-plans the rest, sees it on the map with the driver preselected, sends it."""
    old = routing_conftest.plan_today_round_the_clock(db, driver="sopir")
    (old_route,) = old.routes
    first = next(s for s in old_route.stops if s.kind == "stop")
    driver = bins.users["driver"]
    routing_services.record_stop_event(
        db,
        Actor(Role.DRIVER, user_id=driver.id, city_id=driver.city_id),
        first.id,
        kind="collected",
        occurred_at=dt.datetime.now(dt.UTC),
        idempotency_key="phone-replan-1",
        request_hash="0" * 64,
    )
    db.commit()
    left = sorted(
        s.bin.code for s in old_route.stops if s.bin is not None and s.id != first.id
    )
    assert left, "the plan has more than one bin"
    # A bin that filled up after the plan was made; the office adds it.
    routing_conftest.add_bin(
        db, "AMB-4", fill_pct=95, at=routing_conftest.offset(0.005, 0.005)
    )
    db.commit()

    page = desktop
    _log_in(page, live_server, "dlh")
    page.goto(live_server + "/dlh")
    progress = page.locator(f'#progress tr[data-plan="{old.id}"]')
    expect(progress.locator(".progress-count")).to_have_text(
        f"1 / {len(old_route.stops)}"
    )
    page.get_by_label("Tambahkan juga tong yang penuh sejak itu").check()
    page.get_by_role(
        "button", name=f"Rencanakan ulang sisa hari ini (rencana #{old.id})"
    ).click()

    rows = page.locator("#plan-routes tbody tr")
    expect(rows).to_have_count(1, timeout=30_000)
    expect(page.locator("#dlh-error")).to_be_hidden()
    expect(page.locator("#plan-title")).to_have_text(
        re.compile(rf"^Usulan rencana ulang #\d+ dari rencana #{old.id} ")
    )
    expect(rows.first.locator("td.stops")).to_have_text(str(len(left) + 1))
    expect(rows.first.locator("select.driver")).to_have_value("sopir")
    expect(page.locator("path.plan-route")).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "dlh-replan.png"), full_page=True)
    page.get_by_role("button", name="Kirim ke sopir").click()
    expect(page.locator("#dlh-notice")).to_have_text("Rute sudah dikirim ke sopir.")

    db.rollback()
    db.expire_all()
    new = db.scalars(sa.select(RoutePlan).where(RoutePlan.replans_id == old.id)).one()
    assert new.status == "dispatched"
    assert [r.driver_username for r in new.routes] == ["sopir"]
    served = sorted(s.bin.code for r in new.routes for s in r.stops if s.bin)
    assert served == sorted([*left, "AMB-4"])
    states = {s.id: s.state for s in db.get(RoutePlan, old.id).routes[0].stops}  # type: ignore[union-attr]
    assert states[first.id] == "collected"
    assert set(states.values()) == {"collected", "replaced"}
    # The page now offers to re-plan the new plan, not the old one.
    page.reload()
    expect(
        page.get_by_role("button", name=re.compile("Rencanakan ulang"))
    ).to_have_text(f"Rencanakan ulang sisa hari ini (rencana #{new.id})")
