"""Dispatching stored plans to drivers, and a driver's own routes (API and service)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing import services
from routing.exceptions import RoutingAccessDenied
from routing.models import Route
from telemetry.models import Bin
from tests import factories
from tests.routing.conftest import (
    SERVICE_DATE,
    TIME_LIMIT_S,
    Fleet,
    add_bin,
    offset,
)
from wastebank.access import SYSTEM, Actor, Role
from wastebank.models import AuditEntry, User

PLANS = "/api/v1/route-plans"
MINE = "/api/v1/driver/routes"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}


@dataclass
class Day:
    fleet: Fleet
    drivers: dict[str, User]
    plan_id: int
    route_ids: list[int]


def _plan(db: Session) -> tuple[int, list[int]]:
    plan = services.create_route_plan(
        db,
        SYSTEM,
        service_date=SERVICE_DATE,
        city="AMB",
        time_limit_s=TIME_LIMIT_S,
        seed=1,
    )
    db.commit()
    return plan.id, [route.id for route in plan.routes]


@pytest.fixture
def day(db: Session, fleet: Fleet) -> Day:
    """A stored Ambon plan with two routes, and drivers of Ambon and Mojokerto.

    Two full bins about 10 km apart may only be emptied between 05:00 and 05:40: no
    truck can reach both in time, so the plan uses both trucks.
    """
    for code, at in (("AMB-S", offset(0.0, 0.0)), ("AMB-N", offset(0.09, 0.0))):
        add_bin(db, code, fill_pct=95, at=at, access_windows=[["05:00", "05:40"]])
    drivers = {
        "sopir": fleet.users["driver"],
        "sopir.2": factories.make_user(
            db, username="sopir.2", role="driver", city_code="AMB"
        ),
        "sopir.mjk": factories.make_user(
            db, username="sopir.mjk", role="driver", city_code="MJK"
        ),
        "sopir.off": factories.make_user(
            db, username="sopir.off", role="driver", city_code="AMB"
        ),
    }
    drivers["sopir.off"].active = False
    db.commit()
    plan_id, route_ids = _plan(db)
    assert len(route_ids) == 2
    return Day(fleet, drivers, plan_id, route_ids)


def _headers(db: Session, user: User) -> dict[str, str]:
    return factories.auth_headers(db, user)


def _dispatch(
    client: FlaskClient,
    db: Session,
    day: Day,
    pairs: list[tuple[int, str]],
    *,
    who: User | None = None,
    plan_id: int | None = None,
) -> Any:
    return client.post(
        f"{PLANS}/{plan_id or day.plan_id}/dispatch",
        json={"assignments": [{"route": r, "driver": d} for r, d in pairs]},
        headers=_headers(db, who or day.fleet.users["dlh"]),
    )


def _drivers_of(db: Session, plan_id: int) -> dict[int, int | None]:
    db.expire_all()
    rows = db.execute(
        sa.select(Route.id, Route.driver_id).where(Route.plan_id == plan_id)
    )
    return {row.id: row.driver_id for row in rows}


def _audits(db: Session) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "route.dispatch")
            .order_by(AuditEntry.id)
        )
    )


# -- dispatching -------------------------------------------------------------------------------
def test_dlh_dispatches_each_route_to_a_driver_and_the_plan_shows_them(
    client: FlaskClient, db: Session, day: Day
) -> None:
    first, second = day.route_ids
    response = _dispatch(client, db, day, [(first, "sopir"), (second, "Sopir.2")])

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == day.plan_id
    assert body["status"] == "dispatched"
    drivers = {r["id"]: r["driver"] for r in body["routes"]}
    assert drivers == {first: "sopir", second: "sopir.2"}
    for route in body["routes"]:
        assert route["dispatched_at"].endswith("+09:00")  # the city's zone (WIT)
    assert _drivers_of(db, day.plan_id) == {
        first: day.drivers["sopir"].id,
        second: day.drivers["sopir.2"].id,
    }
    entries = _audits(db)
    assert [(e.object_type, e.object_id) for e in entries] == [
        ("Route", str(first)),
        ("Route", str(second)),
    ]
    assert entries[0].actor_id == day.fleet.users["dlh"].id
    assert entries[0].before is not None
    assert entries[0].before["driver"] is None
    assert entries[0].after is not None
    assert entries[0].after["driver"] == "sopir"
    stored = db.get(Route, first)
    assert stored is not None
    assert stored.dispatched_by_id == day.fleet.users["dlh"].id
    # Reading the plan back shows the same drivers.
    again = client.get(
        f"{PLANS}/{day.plan_id}", headers=_headers(db, day.fleet.users["admin"])
    )
    assert {r["id"]: r["driver"] for r in again.get_json()["routes"]} == drivers


def test_an_undispatched_plan_shows_no_drivers(
    client: FlaskClient, db: Session, day: Day
) -> None:
    body = client.get(
        f"{PLANS}/{day.plan_id}", headers=_headers(db, day.fleet.users["dlh"])
    ).get_json()
    assert body["status"] == "planned"
    assert {(r["driver"], r["dispatched_at"]) for r in body["routes"]} == {(None, None)}


def test_dispatching_part_of_a_plan_leaves_it_planned(
    client: FlaskClient, db: Session, day: Day
) -> None:
    response = _dispatch(client, db, day, [(day.route_ids[1], "sopir")])
    assert response.status_code == 200
    assert response.get_json()["status"] == "planned"
    assert _drivers_of(db, day.plan_id) == {
        day.route_ids[0]: None,
        day.route_ids[1]: day.drivers["sopir"].id,
    }


def test_sending_the_same_assignments_again_changes_nothing(
    client: FlaskClient, db: Session, day: Day
) -> None:
    pairs = [(day.route_ids[0], "sopir"), (day.route_ids[1], "sopir.2")]
    first = _dispatch(client, db, day, pairs)
    audits = len(_audits(db))

    replay = _dispatch(client, db, day, pairs)

    assert replay.status_code == 200
    assert replay.get_json() == first.get_json()  # dispatched_at unchanged too
    assert len(_audits(db)) == audits == 2


def test_reassigning_a_route_is_allowed_and_audited_before_and_after(
    client: FlaskClient, db: Session, day: Day
) -> None:
    route_id = day.route_ids[0]
    _dispatch(client, db, day, [(route_id, "sopir")])

    response = _dispatch(client, db, day, [(route_id, "sopir.2")])

    assert response.status_code == 200
    route = next(r for r in response.get_json()["routes"] if r["id"] == route_id)
    assert route["driver"] == "sopir.2"
    last = _audits(db)[-1]
    assert last.object_id == str(route_id)
    assert last.before is not None
    assert last.after is not None
    assert (last.before["driver"], last.after["driver"]) == ("sopir", "sopir.2")
    assert last.before["dispatched_at"] is not None


def test_two_drivers_may_swap_routes_in_one_request(
    client: FlaskClient, db: Session, day: Day
) -> None:
    first, second = day.route_ids
    _dispatch(client, db, day, [(first, "sopir"), (second, "sopir.2")])

    response = _dispatch(client, db, day, [(first, "sopir.2"), (second, "sopir")])

    assert response.status_code == 200, response.get_json()
    assert _drivers_of(db, day.plan_id) == {
        first: day.drivers["sopir.2"].id,
        second: day.drivers["sopir"].id,
    }


# -- refusals: nothing changes ------------------------------------------------------------------
def _assert_refused(
    response: Any,
    db: Session,
    day: Day,
    status: int,
    type_: str,
    field: str | None,
    *,
    audits: int = 0,
) -> None:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["type"] == type_
    if field is not None:
        assert body["errors"] == {field: [body["message"]]}
    assert set(_drivers_of(db, day.plan_id).values()) == {None}
    assert len(_audits(db)) == audits


def test_a_route_of_another_plan_is_named(
    client: FlaskClient, db: Session, day: Day
) -> None:
    other_plan, other_routes = _plan(db)
    response = _dispatch(
        client, db, day, [(day.route_ids[0], "sopir"), (other_routes[0], "sopir.2")]
    )
    _assert_refused(response, db, day, 422, "invalid_reference", "assignments.1.route")
    assert str(other_routes[0]) in response.get_json()["message"]
    assert set(_drivers_of(db, other_plan).values()) == {None}


@pytest.mark.parametrize(
    ("driver", "why"),
    [
        ("nobody", "unknown"),
        ("sopir.mjk", "a driver of another city"),
        ("sopir.off", "inactive"),
        ("dlh", "not a driver"),
    ],
)
def test_only_active_drivers_of_the_plans_city_can_be_assigned(
    client: FlaskClient, db: Session, day: Day, driver: str, why: str
) -> None:
    response = _dispatch(
        client, db, day, [(day.route_ids[0], "sopir"), (day.route_ids[1], driver)]
    )
    _assert_refused(response, db, day, 422, "invalid_reference", "assignments.1.driver")


def test_the_same_route_twice_in_one_request_is_refused(
    client: FlaskClient, db: Session, day: Day
) -> None:
    route_id = day.route_ids[0]
    response = _dispatch(client, db, day, [(route_id, "sopir"), (route_id, "sopir.2")])
    _assert_refused(response, db, day, 422, "invalid_value", "assignments.1.route")


def test_the_same_driver_twice_in_one_request_is_refused(
    client: FlaskClient, db: Session, day: Day
) -> None:
    response = _dispatch(
        client, db, day, [(day.route_ids[0], "sopir"), (day.route_ids[1], "SOPIR")]
    )
    _assert_refused(response, db, day, 422, "invalid_value", "assignments.1.driver")


def test_a_driver_busy_on_another_plan_of_the_same_day_is_a_conflict(
    client: FlaskClient, db: Session, day: Day
) -> None:
    other_plan, other_routes = _plan(db)
    taken = _dispatch(client, db, day, [(other_routes[1], "sopir")], plan_id=other_plan)
    assert taken.status_code == 200

    response = _dispatch(
        client, db, day, [(day.route_ids[0], "sopir.2"), (day.route_ids[1], "sopir")]
    )

    _assert_refused(
        response, db, day, 409, "driver_busy", "assignments.1.driver", audits=1
    )
    message = response.get_json()["message"]
    assert "sopir" in message
    assert SERVICE_DATE.isoformat() in message
    assert f"route {other_routes[1]}" in message


def test_a_driver_on_another_route_of_the_same_plan_is_a_conflict(
    client: FlaskClient, db: Session, day: Day
) -> None:
    first, second = day.route_ids
    _dispatch(client, db, day, [(first, "sopir")])

    response = _dispatch(client, db, day, [(second, "sopir")])

    assert response.status_code == 409
    assert response.get_json()["type"] == "driver_busy"
    assert response.get_json()["errors"] == {
        "assignments.0.driver": [response.get_json()["message"]]
    }
    assert _drivers_of(db, day.plan_id)[second] is None


def test_a_driver_may_drive_on_another_day(
    client: FlaskClient, db: Session, day: Day
) -> None:
    later = services.create_route_plan(
        db,
        SYSTEM,
        service_date=SERVICE_DATE + dt.timedelta(days=1),
        city="AMB",
        time_limit_s=TIME_LIMIT_S,
        seed=1,
    )
    db.commit()
    _dispatch(client, db, day, [(day.route_ids[0], "sopir")])

    response = _dispatch(
        client, db, day, [(later.routes[0].id, "sopir")], plan_id=later.id
    )

    assert response.status_code == 200, response.get_json()


def test_another_citys_dlh_gets_not_found_and_changes_nothing(
    client: FlaskClient, db: Session, day: Day
) -> None:
    response = _dispatch(
        client,
        db,
        day,
        [(day.route_ids[0], "sopir")],
        who=day.fleet.users["dlh_other_city"],
    )
    _assert_refused(response, db, day, 404, "route_plan_not_found", None)


@pytest.mark.parametrize("who", ["cashier", "manager", "driver"])
def test_roles_that_do_not_plan_may_not_dispatch(
    client: FlaskClient, db: Session, day: Day, who: str
) -> None:
    response = _dispatch(
        client, db, day, [(day.route_ids[0], "sopir")], who=day.fleet.users[who]
    )
    _assert_refused(response, db, day, 403, "permission_denied", None)


def test_an_unknown_plan_is_not_found(
    client: FlaskClient, db: Session, day: Day
) -> None:
    response = _dispatch(client, db, day, [(day.route_ids[0], "sopir")], plan_id=999)
    _assert_refused(response, db, day, 404, "route_plan_not_found", None)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"assignments": []},
        {"assignments": [{"route": "x", "driver": "sopir"}]},
        {"assignments": [{"route": 10**30, "driver": "sopir"}]},  # SQLite: a 500 before
    ],
)
def test_malformed_assignments_are_validation_errors(
    client: FlaskClient, db: Session, day: Day, body: dict[str, Any]
) -> None:
    response = client.post(
        f"{PLANS}/{day.plan_id}/dispatch",
        json=body,
        headers=_headers(db, day.fleet.users["dlh"]),
    )
    _assert_refused(response, db, day, 422, "validation_error", None)


def test_the_service_flushes_but_does_not_commit(db: Session, day: Day) -> None:
    admin = Actor(Role.ADMIN, user_id=day.fleet.users["admin"].id)
    route_id = day.route_ids[0]
    plan = services.dispatch_plan(db, admin, day.plan_id, [(route_id, "sopir")])
    assert next(r for r in plan.routes if r.id == route_id).driver_username == "sopir"
    db.rollback()
    assert set(_drivers_of(db, day.plan_id).values()) == {None}
    assert _audits(db) == []


def test_the_service_refuses_a_driver_the_planner_role(db: Session, day: Day) -> None:
    driver = day.drivers["sopir"]
    actor = Actor(Role.DRIVER, user_id=driver.id, city_id=driver.city_id)
    with pytest.raises(RoutingAccessDenied):
        services.dispatch_plan(db, actor, day.plan_id, [(day.route_ids[0], "sopir")])


# -- a driver's own routes ----------------------------------------------------------------------
def test_a_driver_sees_only_their_own_route_with_stops_in_order_and_local_times(
    client: FlaskClient, db: Session, day: Day
) -> None:
    first, second = day.route_ids
    bins = db.scalars(sa.select(Bin)).all()
    for bin_ in bins:
        bin_.district = "Sirimau"
    db.commit()
    _dispatch(client, db, day, [(first, "sopir"), (second, "sopir.2")])

    response = client.get(
        MINE,
        query_string={"date": SERVICE_DATE.isoformat()},
        headers=_headers(db, day.drivers["sopir"]),
    )

    assert response.status_code == 200, response.get_json()
    routes = response.get_json()
    assert [r["id"] for r in routes] == [first]
    route = routes[0]
    assert route["plan"] == day.plan_id
    assert route["service_date"] == SERVICE_DATE.isoformat()
    assert route["truck"] in {"T1", "T2"}
    assert route["dispatched_at"].endswith("+09:00")
    stops = route["stops"]
    assert [s["seq"] for s in stops] == list(range(1, len(stops) + 1))
    assert [s["kind"] for s in stops] == ["stop", "unload"]
    stop, unload = stops
    assert stop["bin"] in {"AMB-S", "AMB-N"}
    assert stop["district"] == "Sirimau"
    assert stop["priority"] == "must"
    assert stop["expected_fill_pct"] > 90
    assert -4 < stop["lat"] < -3
    assert 128 < stop["lon"] < 129
    assert unload["facility_name"] == "TPA Toisapu"
    assert unload["bin"] is None
    for visit in stops:
        assert visit["arrival_at"].endswith("+09:00")
        assert visit["departure_at"].endswith("+09:00")
        assert visit["arrival_at"] <= visit["departure_at"]
    # The bin's window is 05:00-05:40 local time: the times really are local.
    assert f"{SERVICE_DATE}T05:" in stop["arrival_at"]
    assert stops[0]["departure_at"] <= stops[1]["arrival_at"]

    theirs = client.get(
        MINE,
        query_string={"date": SERVICE_DATE.isoformat()},
        headers=_headers(db, day.drivers["sopir.2"]),
    ).get_json()
    assert [r["id"] for r in theirs] == [second]


def test_a_driver_sees_nothing_on_another_day_or_before_dispatch(
    client: FlaskClient, db: Session, day: Day
) -> None:
    headers = _headers(db, day.drivers["sopir"])
    query = {"date": SERVICE_DATE.isoformat()}
    assert client.get(MINE, query_string=query, headers=headers).get_json() == []
    _dispatch(client, db, day, [(day.route_ids[0], "sopir")])
    next_day = {"date": (SERVICE_DATE + dt.timedelta(days=1)).isoformat()}
    assert client.get(MINE, query_string=next_day, headers=headers).get_json() == []
    assert len(client.get(MINE, query_string=query, headers=headers).get_json()) == 1


def test_today_is_the_day_in_the_drivers_city(db: Session, day: Day) -> None:
    """16:00 UTC on the 19th is already the 20th in Ambon (UTC+9)."""
    services.dispatch_plan(db, SYSTEM, day.plan_id, [(day.route_ids[0], "sopir")])
    db.commit()
    driver = day.drivers["sopir"]
    actor = Actor(Role.DRIVER, user_id=driver.id, city_id=driver.city_id)
    evening = dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.UTC)
    routes = services.list_driver_routes(db, actor, now=evening)
    assert [r.id for r in routes] == [day.route_ids[0]]
    morning = dt.datetime(2026, 11, 19, 14, 0, tzinfo=dt.UTC)  # 23:00 on the 19th
    assert services.list_driver_routes(db, actor, now=morning) == []


def test_the_driver_listing_defaults_to_today(
    client: FlaskClient, db: Session, day: Day
) -> None:
    response = client.get(MINE, headers=_headers(db, day.drivers["sopir"]))
    assert response.status_code == 200
    assert response.get_json() == []


@pytest.mark.parametrize("who", ["admin", "dlh", "cashier", "manager"])
def test_only_drivers_may_list_their_routes(
    client: FlaskClient, db: Session, day: Day, who: str
) -> None:
    response = client.get(MINE, headers=_headers(db, day.fleet.users[who]))
    assert response.status_code == 403
    assert set(response.get_json()) == ENVELOPE_KEYS
    assert response.get_json()["type"] == "permission_denied"


def test_the_driver_listing_needs_a_token(client: FlaskClient, day: Day) -> None:
    assert client.get(MINE).status_code == 401


# -- documentation -------------------------------------------------------------------------------
def test_openapi_documents_dispatch_and_the_driver_listing_as_answered(
    client: FlaskClient, db: Session, day: Day
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    post = paths["/api/v1/route-plans/{plan_id}/dispatch"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DispatchCreate"
    }
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RoutePlan"
    }
    assert {"401", "403", "404", "409", "422"} <= set(post["responses"])
    listing = paths["/api/v1/driver/routes"]["get"]
    assert {"401", "403"} <= set(listing["responses"])
    assert [p["name"] for p in listing["parameters"]] == ["date"]

    _dispatch(client, db, day, [(day.route_ids[0], "sopir")])
    plan = client.get(
        f"{PLANS}/{day.plan_id}", headers=_headers(db, day.fleet.users["dlh"])
    ).get_json()
    assert set(plan["routes"][0]) == set(schemas["Route"]["properties"])
    mine = client.get(
        MINE,
        query_string={"date": SERVICE_DATE.isoformat()},
        headers=_headers(db, day.drivers["sopir"]),
    ).get_json()
    assert set(mine[0]) == set(schemas["DriverRoute"]["properties"])
    assert set(mine[0]["stops"][0]) == set(schemas["DriverStop"]["properties"])
