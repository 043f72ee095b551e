"""The DLH control room (who may open it, what it carries) and the session access of
the API endpoints it calls: the API's envelope, a CSRF header for writes, and every
other API route still token-only."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from routing import services as routing_services
from routing.models import Route, RouteStopEvent
from telemetry.models import Alert
from tests import factories
from tests.routing import conftest as routing_conftest
from tests.routing.conftest import (
    Fleet,
    add_bin,
    offset,
    plan_and_dispatch,
    plan_today_round_the_clock,
)
from wastebank.access import SYSTEM, Actor, Role

#: Ambon's garage, TPA, trucks and users of every role, as the routing tests have them.
fleet = routing_conftest.fleet

ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
#: A tiny solver budget (seconds, counted in solutions).
TIME_LIMIT_S = 1


def _tomorrow_in_ambon() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Jayapura")).date() + dt.timedelta(days=1)


@pytest.fixture
def bins(db: Session, fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> Fleet:
    """Three Ambon bins read an hour ago (one full, with an alert), one in Mojokerto."""
    monkeypatch.setattr(
        routing_conftest,
        "LAST_READING_AT",
        dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1),
    )
    add_bin(db, "AMB-1", fill_pct=95, at=offset(0.0, 0.0))
    add_bin(db, "AMB-2", fill_pct=85, at=offset(0.01, 0.0))
    add_bin(db, "AMB-3", fill_pct=30, at=offset(0.0, 0.01))
    add_bin(db, "MJK-1", fill_pct=95, city="MJK", at=(-7.47, 112.43))
    factories.make_user(db, username="sopir2", role="driver", city_code="AMB")
    factories.make_user(db, username="sopir.mjk", role="driver", city_code="MJK")
    db.commit()
    return fleet


def _alert_of(db: Session, code: str) -> Alert:
    db.expire_all()
    alert = db.scalar(
        sa.select(Alert)
        .join(Alert.bin)
        .where(Alert.closed_at.is_(None), Alert.bin.has(code=code))
    )
    assert alert is not None
    return alert


# -- who may open the page ----------------------------------------------------------------
def test_an_anonymous_visitor_is_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get("/dlh")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("who", ["kasir", "mgr", "sopir"])
def test_only_dlh_and_admin_may_open_the_control_room(
    client: FlaskClient, fleet: Fleet, who: str
) -> None:
    factories.login(client, who)
    response = client.get("/dlh")
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_dlh_sees_its_citys_trucks_drivers_and_tomorrow(
    client: FlaskClient, bins: Fleet
) -> None:
    factories.login(client, "dlh")
    response = client.get("/dlh")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ruang kendali · Kota Ambon" in page
    assert 'data-city="AMB"' in page
    assert f'value="{_tomorrow_in_ambon().isoformat()}"' in page
    assert 'name="trucks" value="T1"' in page
    assert 'name="trucks" value="T2"' in page
    assert 'value="sopir"' in page and 'value="sopir2"' in page
    assert "sopir.mjk" not in page  # another city's driver
    assert "Kirim ke sopir" in page
    assert "vendor/leaflet/leaflet.js" in page
    assert "js/dlh.js" in page


def test_another_citys_dlh_gets_its_own_city_whatever_it_asks(
    client: FlaskClient, bins: Fleet
) -> None:
    factories.login(client, "dlh2")
    page = client.get("/dlh?city=AMB").get_data(as_text=True)
    assert 'data-city="MJK"' in page
    assert "Kota Mojokerto" in page
    assert 'value="sopir.mjk"' in page
    assert 'value="sopir"' not in page
    assert 'name="trucks" value="T1"' not in page


def test_an_admin_picks_a_city(client: FlaskClient, bins: Fleet) -> None:
    factories.login(client, "admin")
    picker = client.get("/dlh").get_data(as_text=True)
    assert "/dlh?city=AMB" in picker and "/dlh?city=MJK" in picker
    page = client.get("/dlh?city=AMB").get_data(as_text=True)
    assert 'data-city="AMB"' in page
    assert 'name="trucks" value="T1"' in page
    assert 'value="sopir"' in page
    assert client.get("/dlh?city=MJK").status_code == 200


def test_the_control_room_is_in_the_menu_of_dlh(
    client: FlaskClient, fleet: Fleet
) -> None:
    factories.login(client, "dlh")
    assert 'href="/dlh"' in client.get("/members").get_data(as_text=True)


# -- the page's API calls with the session --------------------------------------------------
def test_another_citys_dlh_cannot_see_ambons_bins_through_the_session(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    token = factories.login(client, "dlh2")
    response = client.get("/api/v1/bins?city=AMB&page_size=1000")
    codes = [b["code"] for b in response.get_json() or []]
    assert not any(code.startswith("AMB") for code in codes)
    assert client.get("/api/v1/bins?city=MJK").get_json()[0]["code"] == "MJK-1"
    alert = _alert_of(db, "AMB-1")
    refused = client.post(
        f"/api/v1/alerts/{alert.id}/acknowledge", headers={"X-CSRFToken": token}
    )
    assert refused.status_code == 404
    assert set(refused.get_json()) == ENVELOPE_KEYS
    assert _alert_of(db, "AMB-1").acknowledged_at is None


def test_dlh_acknowledges_with_the_session_and_the_csrf_header(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    token = factories.login(client, "dlh")
    bins_ = client.get("/api/v1/bins?city=AMB").get_json()
    (full,) = [b for b in bins_ if b["code"] == "AMB-1"]
    alert_id = full["alerts"][0]["id"]
    without = client.post(f"/api/v1/alerts/{alert_id}/acknowledge")
    assert without.status_code == 400
    assert without.get_json()["type"] == "csrf_error"
    assert _alert_of(db, "AMB-1").acknowledged_at is None
    response = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert _alert_of(db, "AMB-1").acknowledged_by == "dlh"


def test_dlh_plans_previews_and_dispatches_with_the_session(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    token = factories.login(client, "dlh")
    headers = {"X-CSRFToken": token}
    created = client.post(
        "/api/v1/route-plans",
        json={
            "date": _tomorrow_in_ambon().isoformat(),
            "trucks": ["T1", "T2"],
            "threshold_pct": 80,
            "time_limit_s": TIME_LIMIT_S,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert plan["routes"]
    geojson = client.get(f"/api/v1/route-plans/{plan['id']}.geojson")
    assert geojson.status_code == 200
    assert any(
        f["geometry"]["type"] == "LineString" for f in geojson.get_json()["features"]
    )
    route = plan["routes"][0]["id"]
    dispatched = client.post(
        f"/api/v1/route-plans/{plan['id']}/dispatch",
        json={"assignments": [{"route": route, "driver": "sopir"}]},
        headers=headers,
    )
    assert dispatched.status_code == 200
    db.expire_all()
    assert db.get(Route, route).driver_username == "sopir"  # type: ignore[union-attr]


def test_a_plan_without_the_csrf_header_is_refused(
    client: FlaskClient, bins: Fleet
) -> None:
    factories.login(client, "dlh")
    response = client.post(
        "/api/v1/route-plans",
        json={"date": _tomorrow_in_ambon().isoformat(), "time_limit_s": TIME_LIMIT_S},
    )
    assert response.status_code == 400
    assert response.get_json()["type"] == "csrf_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/route-plans"),
        ("GET", "/api/v1/route-plans/1"),
        ("GET", "/api/v1/trucks"),
        ("POST", "/api/v1/trucks"),
        ("GET", "/api/v1/depots"),
        ("POST", "/api/v1/bins"),
        ("GET", "/api/v1/bins/AMB-1"),
        ("GET", "/api/v1/bins/AMB-1/readings"),
        ("GET", "/api/v1/sensors"),
        ("GET", "/api/v1/telemetry/rejected"),
        ("GET", "/api/v1/reports/diversion?city=AMB&from=2026-11-01&to=2026-11-30"),
        ("GET", "/api/v1/banks"),
    ],
)
def test_every_other_api_route_still_needs_a_token(
    client: FlaskClient, bins: Fleet, method: str, path: str
) -> None:
    token = factories.login(client, "dlh")
    response = client.open(path, method=method, json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"


# -- today's progress -----------------------------------------------------------------------
def test_todays_routes_show_their_progress(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    today = dt.datetime.now(ZoneInfo("Asia/Jayapura")).date()
    route = plan_and_dispatch(db, service_date=today, trucks=["T1"], threshold_pct=80)
    factories.login(client, "dlh")
    page = client.get("/dlh").get_data(as_text=True)
    assert f'<tr data-route="{route.id}" data-plan="{route.plan_id}">' in page
    assert f"0 / {len(route.stops)}" in page
    assert "<td>sopir</td>" in page
    # The dispatched plan may be re-planned for the rest of the day.
    assert f'class="replan-button" data-plan="{route.plan_id}"' in page


def test_a_replanned_plan_counts_only_what_its_route_still_did(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    """Visits a dispatched re-plan took over leave the old route's count; only the
    newest plan offers re-planning."""
    old = plan_today_round_the_clock(db)
    (old_route,) = old.routes
    now = dt.datetime.now(dt.UTC)
    new = routing_services.replan_route_plan(
        db, SYSTEM, old.id, now=now, time_limit_s=TIME_LIMIT_S
    )
    db.commit()
    routing_services.dispatch_plan(db, SYSTEM, new.id, [(new.routes[0].id, "sopir")])
    db.commit()
    factories.login(client, "dlh")
    page = client.get("/dlh").get_data(as_text=True)
    # Nothing was reported: every old visit went to the new route, the old route
    # has nothing left to show.
    assert f'data-route="{old_route.id}"' not in page
    assert f"0 / {len(new.routes[0].stops)}" in page
    assert f'data-plan="{new.id}">Rencanakan ulang' in page
    assert f'data-plan="{old.id}">Rencanakan ulang' not in page


def test_the_office_reads_the_drivers_reports_with_notes_and_photos(
    client: FlaskClient, db: Session, bins: Fleet
) -> None:
    plan = plan_today_round_the_clock(db)
    (route,) = plan.routes
    first = next(s for s in route.stops if s.kind == "stop")
    driver = bins.users["driver"]
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 60)).save(picture, format="JPEG")
    photo = picture.getvalue()  # a real JPEG: the server reads its header
    routing_services.record_stop_event(
        db,
        Actor(Role.DRIVER, user_id=driver.id, city_id=driver.city_id),
        first.id,
        kind="skipped",
        reason="blocked",
        note="Mobil <parkir> di depan TPS",
        photo=photo,
        occurred_at=dt.datetime.now(dt.UTC),
        idempotency_key="k-1",
        request_hash="0" * 64,
    )
    db.commit()
    factories.login(client, "dlh")
    page = client.get("/dlh").get_data(as_text=True)
    assert "Laporan (1)" in page
    assert f'<li data-seq="{first.seq}">' in page
    assert "Dilewati" in page and "Terhalang" in page
    # The note is the driver's text: escaped, not markup.
    assert "Mobil &lt;parkir&gt; di depan TPS" in page
    event_id = db.scalar(sa.select(RouteStopEvent.id))
    link = f"/api/v1/route-stop-events/{event_id}/photo"
    assert f'href="{link}"' in page
    # The link works with the page's login session.
    got = client.get(link)
    assert got.status_code == 200
    assert got.data == photo
