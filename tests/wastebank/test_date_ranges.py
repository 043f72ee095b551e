"""Dates at the ends of Python's range in every ``from``/``to``/``date``: a 4xx, never a 500.

``0001-01-01`` and ``9999-12-31`` are valid dates, but moved into a bank's zone, or to the
end of the day, they leave Python's range (``OverflowError``). Every date a request may
carry now lies between 2000-01-01 and 2100-12-31 (:mod:`wastebank.fields`).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing.models import RoutePlan
from telemetry.models import Bin
from tests import factories
from tests.wastebank.test_dlh_dashboard import demo_data  # noqa: F401 - fixture
from wastebank import demo
from wastebank.models import Member, User

EDGES = ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"]
#: Query strings with a date, for every pair of from/to (one end at a time).
PERIODS = [
    query
    for edge in EDGES
    for query in (f"from={edge}", f"to={edge}", f"from=2026-01-01&to={edge}")
]


def _bearer(db: Session, username: str) -> dict[str, str]:
    user = db.query(User).filter_by(username=username).one()
    return factories.auth_headers(db, user)


def _api_urls(db: Session) -> list[str]:
    member = db.query(Member).order_by(Member.id).first()
    bin_code = db.query(Bin.code).order_by(Bin.id).limit(1).scalar()
    assert member is not None and bin_code is not None
    return [
        f"/api/v1/members/{member.id}/statement",
        "/api/v1/banks/BSU01/sales",
        "/api/v1/banks/BSU01/cash-book",
        "/api/v1/banks/BSU01/profit-and-loss",
        "/api/v1/cities/AMB/totals",
        "/api/v1/banks/BSU01/books/kas.xlsx",
        "/api/v1/banks/BSU01/books/penimbangan.xlsx",
        f"/api/v1/bins/{bin_code}/readings",
        "/api/v1/tpa-deliveries?city=AMB",
        "/api/v1/treatment-inputs?city=AMB",
    ]


@pytest.mark.usefixtures("demo_data")
def test_api_periods_outside_the_century_are_422(
    client: FlaskClient, db: Session
) -> None:
    headers = _bearer(db, "admin")
    for url in _api_urls(db):
        for query in PERIODS:
            glue = "&" if "?" in url else "?"
            response = client.get(f"{url}{glue}{query}", headers=headers)
            assert response.status_code == 422, (url, query)
            errors = response.get_json()["errors"]
            assert set(errors) & {"from", "to"}, (url, query, errors)
    for edge in EDGES:  # the report needs both ends
        for query in (f"from={edge}&to=2026-01-31", f"from=2026-01-01&to={edge}"):
            response = client.get(
                f"/api/v1/reports/diversion?city=AMB&{query}", headers=headers
            )
            assert response.status_code == 422, query


@pytest.mark.usefixtures("demo_data")
def test_api_days_outside_the_century_are_422(client: FlaskClient, db: Session) -> None:
    admin, driver = _bearer(db, "admin"), _bearer(db, "sopir.1")
    for edge in EDGES:
        for url, headers in [
            (f"/api/v1/banks/BSU01/prices?on={edge}", admin),
            (f"/api/v1/route-plans?date={edge}", admin),
            (f"/api/v1/driver/routes?date={edge}", driver),
        ]:
            response = client.get(url, headers=headers)
            assert response.status_code == 422, url


@pytest.mark.usefixtures("demo_data")
def test_api_records_dated_outside_the_century_are_422(
    client: FlaskClient, db: Session
) -> None:
    admin = _bearer(db, "admin")
    for edge in EDGES:
        writes = [
            (
                "PUT",
                "/api/v1/banks/BSI01/prices/PET",
                {"price_rp": 3000, "effective_from": edge},
            ),
            (
                "POST",
                "/api/v1/cash-entries",
                {
                    "bank": "BSU01",
                    "direction": "out",
                    "category": "operasional",
                    "amount_rp": 1000,
                    "description": "Tali rafia",
                    "occurred_on": edge,
                },
            ),
            (
                "POST",
                "/api/v1/tpa-deliveries",
                {
                    "city": "AMB",
                    "facility": "TPA Toisapu",
                    "ticket_no": f"T-{edge}",
                    "delivered_at": f"{edge}T08:00:00+09:00",
                    "net_weight_kg": "7000",
                },
            ),
            (
                "POST",
                "/api/v1/treatment-inputs",
                {
                    "city": "AMB",
                    "facility": "TPS3R Batu Merah",
                    "treated_on": edge,
                    "pathway": "composting",
                    "material": "food",
                    "mass_kg": "120",
                },
            ),
            ("POST", "/api/v1/route-plans", {"city": "AMB", "date": edge}),
        ]
        for method, url, body in writes:
            response = client.open(
                url,
                method=method,
                json=body,
                headers={**admin, "Idempotency-Key": f"edge-{edge}-{url[-12:]}"},
            )
            assert response.status_code == 422, (method, url, edge)
            assert set(response.get_json()["errors"]) & {
                "effective_from",
                "occurred_on",
                "delivered_at",
                "treated_on",
                "date",
            }, (method, url, edge)


@pytest.mark.usefixtures("demo_data")
def test_a_drivers_report_dated_outside_the_century_is_422(
    client: FlaskClient, db: Session
) -> None:
    plan = db.query(RoutePlan).order_by(RoutePlan.id).first()
    assert plan is not None
    stop = next(
        stop for route in plan.routes for stop in route.stops if stop.kind == "stop"
    )
    driver = _bearer(db, "sopir.1")
    for n, edge in enumerate(EDGES):
        response = client.post(
            f"/api/v1/route-stops/{stop.id}/events",
            json={"kind": "collected", "occurred_at": f"{edge}T08:00:00+09:00"},
            headers={**driver, "Idempotency-Key": f"edge-{n}"},
        )
        assert response.status_code in (404, 422), edge  # 404: not this driver's
        if response.status_code == 422:
            assert "occurred_at" in response.get_json()["errors"]


@pytest.mark.usefixtures("demo_data")
def test_pages_with_periods_outside_the_century_are_400(
    client: FlaskClient, db: Session
) -> None:
    member = db.query(Member).order_by(Member.id).first()
    assert member is not None
    factories.login(client, "admin", demo.DEMO_PASSWORD)
    pages = [
        "/banks/BSU01/books/kas",
        "/banks/BSU01/books/penimbangan?format=xlsx",
        "/banks/BSU01/profit-and-loss",
        f"/members/{member.id}/savings-book",
        "/dlh/diversion?city=AMB",
        "/dlh/diversion/materials.csv?city=AMB",
    ]
    for page in pages:
        for query in PERIODS:
            glue = "&" if "?" in page else "?"
            response = client.get(f"{page}{glue}{query}")
            assert response.status_code == 400, (page, query)
            assert response.mimetype == "text/html", (page, query)


@pytest.mark.usefixtures("demo_data")
def test_the_drivers_page_ignores_a_day_outside_the_century(
    client: FlaskClient,
) -> None:
    factories.login(client, "sopir.1", demo.DEMO_PASSWORD)
    for edge in EDGES:
        response = client.get(f"/driver?date={edge}")
        assert response.status_code == 200
        assert 'data-date=""' in response.get_data(as_text=True)
