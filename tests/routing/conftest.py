"""Route-plan fixtures: Ambon with a garage, TPA Toisapu, two trucks, users of each role.

Bins get their level the way production does: a sensor and a few plain-JSON readings
that go through the telemetry pipeline. Readings end at 04:00 WIT on the service day,
an hour before the shifts start, so that the plan sees the levels the readings show
plus an hour of growth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from routing import services as routing_services
from routing.models import Depot, Facility, Route, RoutePlan, Truck
from telemetry import services as telemetry_services
from telemetry.models import Bin
from telemetry.readings import parse_plain_json
from tests import factories
from wastebank.access import SYSTEM
from wastebank.models import User

WIT = dt.timezone(dt.timedelta(hours=9))
SERVICE_DATE = dt.date(2026, 11, 20)
#: The last reading of every bin: 04:00 WIT on the service day.
LAST_READING_AT = dt.datetime(2026, 11, 20, 4, 0, tzinfo=WIT)
H = 3600
#: Tiny search budgets keep the tests fast; the budget counts solutions, so plans
#: do not depend on the machine's load.
TIME_LIMIT_S = 0.2
#: For tests that need a dispatched route, not a good one: the tiny days of these tests
#: run out of new solutions long before the budget's count, so the search would wait for
#: its wall-clock cap (2 x 0.2 + 1 s); here the cap is the budget itself.
SETUP_SEARCH = replace(
    routing_services.PLAN_SEARCH, wall_cap_factor=1.0, wall_cap_extra_s=0.0
)

#: Around Ambon's centre (Sirimau), 12-14 km from the TPA.
CENTRE = (-3.6954, 128.1814)


@dataclass
class Fleet:
    users: dict[str, User]
    depot: Depot
    tpa: Facility
    trucks: dict[str, Truck]


def make_truck(session: Session, code: str, **overrides: Any) -> Truck:
    fields: dict[str, Any] = {
        "code": code,
        "name": f"Dump truck {code}",
        "kind": "dump_truck",
        "city": "AMB",
        "depot": "AMB-POOL",
        "capacity_kg": 4000,
        "capacity_m3": 6,
        "shift_start_s": 5 * H,
        "shift_end_s": 13 * H,
        "rest_break": {
            "earliest_start_s": 9 * H,
            "latest_start_s": 11 * H,
            "duration_s": 1800,
        },
        "cost_rp_per_km": 4000,
        "cost_rp_per_hour": 90_000,
    }
    fields.update(overrides)
    return routing_services.create_truck(session, SYSTEM, **fields)


@pytest.fixture
def fleet(db: Session) -> Fleet:
    """Ambon (WIT) with a garage, TPA Toisapu and trucks T1, T2; Mojokerto (WIB) bare."""
    factories.make_city(db, code="AMB", name="Kota Ambon", timezone="Asia/Jayapura")
    factories.make_city(db, code="MJK", name="Kota Mojokerto", timezone="Asia/Jakarta")
    bank = factories.make_bank(db, code="BSU1", city_code="AMB")
    users = {
        "admin": factories.make_user(db, username="admin", role="admin"),
        "dlh": factories.make_user(db, username="dlh", role="dlh", city_code="AMB"),
        "dlh_other_city": factories.make_user(
            db, username="dlh2", role="dlh", city_code="MJK"
        ),
        "manager": factories.make_user(
            db, username="mgr", role="manager", bank_code=bank.code
        ),
        "cashier": factories.make_user(
            db, username="kasir", role="cashier", bank_code=bank.code
        ),
        "driver": factories.make_user(
            db, username="sopir", role="driver", city_code="AMB"
        ),
    }
    depot, tpa, trucks = ambon_garage(db, ("T1", "T2"))
    db.commit()
    return Fleet(users, depot, tpa, trucks)


def ambon_garage(
    session: Session, truck_codes: Sequence[str]
) -> tuple[Depot, Facility, dict[str, Truck]]:
    """Ambon's garage AMB-POOL, TPA Toisapu (05:00-20:00) and these trucks (the city
    must exist)."""
    depot = routing_services.create_depot(
        session,
        SYSTEM,
        code="AMB-POOL",
        name="Pool DLH",
        city="AMB",
        lat=-3.679,
        lon=128.201,
    )
    tpa = routing_services.create_facility(
        session,
        SYSTEM,
        code="TPA-TOISAPU",
        name="TPA Toisapu",
        kind="tpa",
        city="AMB",
        lat=-3.6445,
        lon=128.2565,
        opening_hours=[["05:00", "20:00"]],
        unload_time_s=1200,
    )
    return depot, tpa, {code: make_truck(session, code) for code in truck_codes}


def add_bin(
    session: Session,
    code: str,
    *,
    fill_pct: float,
    rate_pct_per_day: float = 10.0,
    at: tuple[float, float] = CENTRE,
    capacity_l: float = 1100,
    stream: str = "mixed",
    access_windows: Sequence[Sequence[str]] = (),
    city: str = "AMB",
    service_time_s: int = 300,
) -> Bin:
    """A bin with a sensor whose readings rise to ``fill_pct`` at 04:00 WIT."""
    telemetry_services.create_bin(
        session,
        SYSTEM,
        code=code,
        name=f"TPS {code}",
        kind="tps",
        stream=stream,
        capacity_l=capacity_l,
        lat=at[0],
        lon=at[1],
        city=city,
        service_time_s=service_time_s,
        access_windows=access_windows,
    )
    device_id = f"gw-{code.lower()}"
    telemetry_services.create_sensor(
        session,
        SYSTEM,
        device_id=device_id,
        bin=code,
        format="json",
        empty_distance_mm=1500,
        full_distance_mm=300,
    )
    readings = []
    for k in range(6, -1, -1):  # every 4 h over the last day
        measured_at = LAST_READING_AT - dt.timedelta(hours=4 * k)
        level = max(0.0, fill_pct - rate_pct_per_day * k / 6)
        body = {"fill_pct": round(level, 2), "measured_at": measured_at.isoformat()}
        readings.append(
            parse_plain_json(
                json.dumps(body).encode(),
                device_id=device_id,
                received_at=measured_at,
            )
        )
    telemetry_services.record_readings(session, readings)
    return telemetry_services.get_bin(session, SYSTEM, code)


def offset(dlat: float, dlon: float) -> tuple[float, float]:
    """A point near the centre (degrees; 0.01 is about 1.1 km)."""
    return (CENTRE[0] + dlat, CENTRE[1] + dlon)


def plan_and_dispatch(
    session: Session,
    *,
    driver: str = "sopir",
    service_date: dt.date = SERVICE_DATE,
    **request: Any,
) -> Route:
    """Plan Ambon's day as ``SYSTEM`` (tiny budget, seed 1), expect one route, give it
    to ``driver`` and commit; returns the route."""
    plan = routing_services.create_route_plan(
        session,
        SYSTEM,
        service_date=service_date,
        city="AMB",
        time_limit_s=TIME_LIMIT_S,
        seed=1,
        **{"search": SETUP_SEARCH, **request},
    )
    session.commit()
    (route,) = plan.routes
    routing_services.dispatch_plan(session, SYSTEM, plan.id, [(route.id, driver)])
    session.commit()
    return route


def plan_today_round_the_clock(session: Session, *, driver: str = "sopir") -> RoutePlan:
    """Plan today (in Ambon) with truck T48 on a 48 h shift unloading at a TPA open
    round the clock (its hours cross midnight), give its route to ``driver`` and
    commit: whatever the hour a test runs, the rest of the day has room."""
    make_truck(session, "T48", shift_start_s=0, shift_end_s=48 * H, rest_break=None)
    routing_services.create_facility(
        session,
        SYSTEM,
        code="TPA-NIGHT",
        name="TPA open day and night",
        kind="tpa",
        city="AMB",
        lat=-3.6445,
        lon=128.2565,
        opening_hours=[["12:00", "11:59"]],
        unload_time_s=600,
    )
    session.commit()
    route = plan_and_dispatch(
        session,
        driver=driver,
        service_date=dt.datetime.now(ZoneInfo("Asia/Jayapura")).date(),
        trucks=["T48"],
        facility="TPA-NIGHT",
    )
    return route.plan
