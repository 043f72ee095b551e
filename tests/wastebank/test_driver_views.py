"""The driver's page (who may open it, what it carries) and the session access of the
two driver endpoints it calls: the API's envelope, CSRF header required for writes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing.models import RouteStopEvent
from telemetry.models import Bin
from tests import factories
from tests.routing import conftest as routing_conftest
from tests.routing.conftest import (
    SERVICE_DATE,
    Fleet,
    add_bin,
    offset,
    plan_and_dispatch,
)

#: Ambon's garage, TPA, trucks and users of every role, as the routing tests have them.
fleet = routing_conftest.fleet

ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
MINE = "/api/v1/driver/routes"


@dataclass
class Shift:
    route_id: int
    stop_ids: list[int]  # bin stops in order
    unload_ids: list[int]


@pytest.fixture
def shift(db: Session, fleet: Fleet) -> Shift:
    """Five full bins in Ambon on one route (truck T1), dispatched to driver ``sopir``."""
    spots = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (-0.01, 0.0)]
    for n, (dlat, dlon) in enumerate(spots, start=1):
        add_bin(db, f"AMB-{n}", fill_pct=95, at=offset(dlat, dlon))
    for bin_ in db.scalars(sa.select(Bin)):
        bin_.address = f"Jl. Contoh No. {bin_.code[-1]}"
    db.commit()
    route = plan_and_dispatch(db, trucks=["T1"])
    stops = [s.id for s in route.stops if s.kind == "stop"]
    assert len(stops) >= 4
    return Shift(route.id, stops, [s.id for s in route.stops if s.kind == "unload"])


def _event_count(db: Session) -> int:
    db.rollback()
    return db.scalar(sa.select(sa.func.count()).select_from(RouteStopEvent)) or 0


def _collected() -> dict[str, str]:
    return {"kind": "collected", "occurred_at": "2026-11-20T05:20:00+09:00"}


# -- the page -------------------------------------------------------------------------------
def test_an_anonymous_visitor_is_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get("/driver")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("who", ["kasir", "mgr", "dlh", "admin"])
def test_only_drivers_may_open_the_drivers_page(
    client: FlaskClient, fleet: Fleet, who: str
) -> None:
    factories.login(client, who)
    response = client.get("/driver")
    assert response.status_code == 403
    assert response.mimetype == "text/html"


def test_a_drivers_start_page_is_the_drivers_page(
    client: FlaskClient, fleet: Fleet
) -> None:
    factories.login(client, "sopir")
    response = client.get("/")  # where the login sends everyone
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert client.get("/driver").status_code == 200
    assert "Rute hari ini" in page
    assert "vendor/leaflet/leaflet.js" in page
    assert 'data-date=""' in page  # today, in the driver's city
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page


def test_the_tile_server_is_a_setting(client: FlaskClient, fleet: Fleet) -> None:
    app = client.application
    before = app.config["MAP_TILE_URL"]
    app.config["MAP_TILE_URL"] = "https://tiles.dlh.example/{z}/{x}/{y}.png"
    try:
        factories.login(client, "sopir")
        page = client.get("/driver?date=2026-11-20").get_data(as_text=True)
    finally:
        app.config["MAP_TILE_URL"] = before
    assert 'data-tile-url="https://tiles.dlh.example/{z}/{x}/{y}.png"' in page
    assert 'data-date="2026-11-20"' in page


def test_leaflet_is_served_from_the_app(client: FlaskClient) -> None:
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/js/driver.js",
        "/static/css/driver.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


# -- the two endpoints with the login session -----------------------------------------------
def test_the_page_reads_its_route_with_the_login_session(
    client: FlaskClient, shift: Shift
) -> None:
    factories.login(client, "sopir")
    response = client.get(MINE, query_string={"date": SERVICE_DATE.isoformat()})
    assert response.status_code == 200
    (route,) = response.get_json()
    bins = [s for s in route["stops"] if s["kind"] == "stop"]
    assert [s["id"] for s in bins] == shift.stop_ids
    assert bins[0]["address"].startswith("Jl. Contoh No.")


def test_a_report_with_the_session_needs_the_csrf_header(
    client: FlaskClient, db: Session, shift: Shift
) -> None:
    token = factories.login(client, "sopir")
    url = f"/api/v1/route-stops/{shift.stop_ids[0]}/events"
    refused = client.post(url, json=_collected(), headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 400
    body = refused.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["type"] == "csrf_error"
    assert _event_count(db) == 0

    headers = {"Idempotency-Key": "k-1", "X-CSRFToken": token}
    first = client.post(url, json=_collected(), headers=headers)
    assert first.status_code == 201, first.get_json()
    again = client.post(url, json=_collected(), headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _event_count(db) == 1


def test_other_roles_sessions_get_the_apis_403(
    client: FlaskClient, shift: Shift
) -> None:
    factories.login(client, "dlh")
    response = client.get(MINE)
    assert response.status_code == 403
    assert response.get_json()["type"] == "permission_denied"


def test_without_a_session_or_token_the_api_answers_401(
    client: FlaskClient, shift: Shift
) -> None:
    response = client.get(MINE)
    assert response.status_code == 401
    assert set(response.get_json()) == ENVELOPE_KEYS


def test_other_api_routes_still_need_a_token(client: FlaskClient, shift: Shift) -> None:
    """The session opens only the driver's two endpoints, not the rest of the API."""
    factories.login(client, "sopir")
    assert client.get("/api/v1/route-plans").status_code == 401
    office = client.application.test_client()
    factories.login(office, "dlh")
    assert office.get("/api/v1/route-plans").status_code == 401
