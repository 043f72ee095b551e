"""The planner's limits: one plan per city and a few in all computed at once, each in
its own process, so that long searches never starve the server's threads.

Plans are held "being computed" by a :class:`~tests.routing.gate.Gate` put in place of
the core's solve (it runs in the planner's child process and solves for real once the
test opens it), so every ordering below is by events, never by the clock.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import routing.services.plans as plan_services
from routing import services
from routing.exceptions import PlannerBusy, PlannerFailed
from routing.models import PlannerSlot, RoutePlan, utcnow
from routing.services import solving
from routing.services.common import PLAN_SEARCH
from routing.solve_process import run_in_child
from routing.solver import COLLECTION_SEARCH, SearchConfig
from tests import factories
from tests.routing.conftest import (
    SERVICE_DATE,
    TIME_LIMIT_S,
    Fleet,
    add_bin,
    make_truck,
    offset,
    plan_today_round_the_clock,
)
from tests.routing.gate import PATIENCE_S, Gate, wait_until
from wastebank.access import SYSTEM

PLANS = "/api/v1/route-plans"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
#: Plans sent while one of the same city is being computed.
EXTRA = 3
AMB_DEPOT = "depot:AMB-POOL"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request to the live server on its own connection."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=PATIENCE_S)
    try:
        connection.request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        data = response.read()
        return Answer(
            response.status,
            dict(response.getheaders()),
            json.loads(data) if data else None,
        )
    finally:
        connection.close()


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "date": SERVICE_DATE.isoformat(),
        "time_limit_s": TIME_LIMIT_S,
        "seed": 1,
        **overrides,
    }


def _ambon_bins(db: Session) -> None:
    for k, (dlat, dlon) in enumerate([(0.0, 0.0), (0.004, 0.006), (-0.006, 0.004)]):
        add_bin(db, f"AMB-{k + 1:02d}", fill_pct=92, at=offset(dlat, dlon))
    db.commit()


def _mojokerto_fleet(db: Session) -> None:
    """A garage, a TPA, a truck and two full bins in Mojokerto (the fleet has none)."""
    services.create_depot(
        db, SYSTEM, code="MJK-POOL", name="Pool DLH Mojokerto", city="MJK",
        lat=-7.4722, lon=112.4336,
    )  # fmt: skip
    services.create_facility(
        db, SYSTEM, code="TPA-RANDEGAN", name="TPA Randegan", kind="tpa",
        city="MJK", lat=-7.4903, lon=112.4167, opening_hours=[["05:00", "20:00"]],
    )  # fmt: skip
    make_truck(db, "MJK-T1", city="MJK", depot="MJK-POOL")
    for k, at in enumerate([(-7.4700, 112.4380), (-7.4650, 112.4300)]):
        add_bin(db, f"MJK-{k + 1:02d}", fill_pct=95, city="MJK", at=at)
    db.commit()


def _taken(db: Session) -> list[tuple[str, int]]:
    """The slots held now (by any holder whose lease runs)."""
    db.rollback()  # see what the server committed
    rows = db.execute(
        sa.select(PlannerSlot.scope, PlannerSlot.slot).where(
            PlannerSlot.holder.is_not(None), PlannerSlot.lease_until > utcnow()
        )
    ).all()
    return sorted((row.scope, row.slot) for row in rows)


def _plan_count(db: Session) -> int:
    db.rollback()
    return int(db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) or 0)


def _assert_busy(answer: Answer, message_part: str) -> None:
    assert answer.status == 503, answer.body
    assert set(answer.body) == ENVELOPE_KEYS
    assert answer.body["code"] == 503
    assert answer.body["status"] == "Service Unavailable"
    assert answer.body["type"] == "planner_busy"
    assert message_part in answer.body["message"]
    assert answer.body["errors"] == {}
    assert int(answer.headers["Retry-After"]) >= 1


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Install a gate in place of the core's solve; ``gate(**options)`` (re)configures
    it. Opened at the end, so no plan is left waiting."""
    installed: list[Gate] = []

    def install(**options: Any) -> Gate:
        directory = tmp_path / f"gate-{len(installed)}"
        directory.mkdir()
        new = Gate(str(directory), **options)
        monkeypatch.setattr(plan_services, "solve", new)
        installed.append(new)
        return new

    yield install
    for each in installed:
        each.open()


@pytest.fixture
def limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the planner's limits of the session's app for one test."""

    def configure(max_concurrent: int, max_per_city: int) -> None:
        monkeypatch.setitem(app.config, "PLAN_MAX_CONCURRENT", max_concurrent)
        monkeypatch.setitem(app.config, "PLAN_MAX_PER_CITY", max_per_city)

    configure(2, 1)  # the defaults, whatever the environment says
    return configure


# -- a live threaded server ------------------------------------------------------------
def test_one_plan_per_city_is_computed_the_others_are_refused_and_the_server_answers(
    live_server: str, db: Session, fleet: Fleet, gate: Any, limits: Any
) -> None:
    _ambon_bins(db)
    dlh = factories.auth_headers(db, fleet.users["dlh"])
    cashier = factories.auth_headers(db, fleet.users["cashier"])
    held = gate(depot_id=AMB_DEPOT)
    with ThreadPoolExecutor(EXTRA + 1) as pool:
        try:
            first = pool.submit(call, live_server, "POST", PLANS, _body(), dlh)
            wait_until(lambda: held.started() == 1, "the first plan to be computed")
            others: list[Future[Answer]] = [
                pool.submit(call, live_server, "POST", PLANS, _body(), dlh)
                for _ in range(EXTRA)
            ]
            # Each of the others is refused, or (without limits) starts computing too.
            wait_until(
                lambda: sum(f.done() for f in others) + held.started() - 1 >= EXTRA,
                "every other plan to be answered or computed",
            )
            assert held.started() == 1, "more than one plan of a city was computed"
            for answer in (f.result() for f in others):
                _assert_busy(answer, "AMB")
            assert _taken(db) == [("all", 0), ("city:AMB", 0)]

            # While the plan is computed, the server answers its health check and a
            # bank's counter.
            health = call(live_server, "GET", "/healthz")
            counter = call(
                live_server, "GET", "/api/v1/banks/BSU1/prices", headers=cashier
            )
            assert health.status == 200, health.body
            assert counter.status == 200, counter.body
            assert not first.done()
        finally:
            held.open()
        assert first.result().status == 201, first.result().body
    assert _taken(db) == []
    assert _plan_count(db) == 1


def test_another_city_plans_while_one_city_is_computing_below_the_total_limit(
    live_server: str, db: Session, fleet: Fleet, gate: Any, limits: Any
) -> None:
    _ambon_bins(db)
    _mojokerto_fleet(db)
    admin = factories.auth_headers(db, fleet.users["admin"])
    held = gate(depot_id=AMB_DEPOT)  # Mojokerto's problem passes straight through
    with ThreadPoolExecutor(1) as pool:
        try:
            ambon = pool.submit(
                call, live_server, "POST", PLANS, _body(city="AMB"), admin
            )
            wait_until(lambda: held.started() == 1, "Ambon's plan to be computed")

            mojokerto = call(live_server, "POST", PLANS, _body(city="MJK"), admin)
            assert mojokerto.status == 201, mojokerto.body
            assert mojokerto.body["city"] == "MJK"
            _assert_busy(
                call(live_server, "POST", PLANS, _body(city="AMB"), admin), "AMB"
            )

            # With a total of one, Ambon's plan takes it: Mojokerto waits its turn.
            limits(1, 1)
            _assert_busy(
                call(live_server, "POST", PLANS, _body(city="MJK"), admin),
                "WASTEBANK_PLAN_MAX_CONCURRENT",
            )
            assert not ambon.done()
        finally:
            held.open()
        assert ambon.result().status == 201, ambon.result().body
    assert _taken(db) == []
    assert _plan_count(db) == 2


def test_the_refusal_is_documented_where_it_can_happen(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (PLANS, PLANS + "/{plan_id}/replan"):
        refused = spec["paths"][path]["post"]["responses"]["503"]
        assert "planner_busy" in refused["description"]
        assert "planner_failed" in refused["description"]
        assert refused["headers"]["Retry-After"]["schema"]["type"] == "integer"
    listing = spec["paths"][PLANS]["get"]["responses"]
    assert "503" not in listing


# -- clean-up after failures (test client) ---------------------------------------------
def test_the_slots_are_free_again_after_a_plan_fails_in_any_way(
    client: FlaskClient, db: Session, fleet: Fleet, gate: Any, limits: Any
) -> None:
    _ambon_bins(db)
    dlh = factories.auth_headers(db, fleet.users["dlh"])

    # The planner's process dies: 503, nothing stored, and the server goes on.
    gate(action="crash")
    crashed = client.post(PLANS, json=_body(), headers=dlh)
    assert crashed.status_code == 503
    body = crashed.get_json()
    assert set(body) == ENVELOPE_KEYS
    assert body["type"] == "planner_failed"
    assert "exit code 3" in body["message"]
    assert "Retry-After" not in crashed.headers
    assert _taken(db) == []

    # A bug in the solver: raised again in the server, with the child's traceback.
    gate(action="raise")
    with pytest.raises(RuntimeError, match="a bug in the solver") as raised:
        client.post(PLANS, json=_body(), headers=dlh)
    assert "In the planner process" in "".join(raised.value.__notes__)
    assert _taken(db) == []

    # The independent check refuses the solver's answer (every bin left out).
    gate(action="empty")
    with pytest.raises(services.InvalidPlanError):
        client.post(PLANS, json=_body(), headers=dlh)
    assert _taken(db) == []

    # An invalid request, then a good one: the city plans again.
    invalid = client.post(PLANS, json=_body(time_limit_s=0), headers=dlh)
    assert invalid.status_code == 422
    gate(action="wait").open()
    assert client.post(PLANS, json=_body(), headers=dlh).status_code == 201
    assert _taken(db) == []

    # An infeasible request (a bin heavier than every truck), found by the core.
    add_bin(db, "AMB-HUGE", fill_pct=100, capacity_l=30_000)
    db.commit()
    infeasible = client.post(PLANS, json=_body(), headers=dlh)
    assert infeasible.status_code == 422
    assert infeasible.get_json()["type"] == "infeasible_problem"
    assert infeasible.get_json()["errors"] == {"bins": ["AMB-HUGE"]}
    assert _taken(db) == []
    assert _plan_count(db) == 1


def test_a_replan_counts_against_the_city_limit(
    client: FlaskClient, db: Session, fleet: Fleet, limits: Any
) -> None:
    for k, at in enumerate([offset(0, 0), offset(0.004, 0.006)]):
        add_bin(db, f"AMB-{k + 1:02d}", fill_pct=95, at=at)
    db.commit()
    plan = plan_today_round_the_clock(db)
    dlh = factories.auth_headers(db, fleet.users["dlh"])
    # Another worker or host is computing a plan of Ambon.
    _claim_elsewhere(db, "AMB", "other-host:1:abc")

    refused = client.post(
        f"{PLANS}/{plan.id}/replan", json={"time_limit_s": 30}, headers=dlh
    )
    _assert_busy(
        Answer(refused.status_code, dict(refused.headers), refused.get_json()), "AMB"
    )
    # Its time limit (30 s, claimed just now) is when to come back.
    assert 25 <= int(refused.headers["Retry-After"]) <= 30

    with Session(db.get_bind()) as session, session.begin():
        solving.release_slots(session, "other-host:1:abc")
    answer = client.post(
        f"{PLANS}/{plan.id}/replan", json={"time_limit_s": TIME_LIMIT_S}, headers=dlh
    )
    assert answer.status_code == 201, answer.get_json()
    assert _taken(db) == []


def _claim_elsewhere(
    db: Session, city: str, holder: str, now: dt.datetime | None = None
) -> None:
    with Session(db.get_bind()) as session, session.begin():
        solving.claim_slots(
            session,
            city,
            solving.PlannerLimits(2, 1),
            holder=holder,
            time_limit_s=30,
            now=now or utcnow(),
        )


# -- leases ----------------------------------------------------------------------------
_DIE_HOLDING_A_SLOT = textwrap.dedent(
    """
    import datetime as dt, os, sys
    import sqlalchemy as sa
    from sqlalchemy.orm import Session
    from routing.models import utcnow
    from routing.services import solving

    url, holder, ago_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with Session(sa.create_engine(url)) as session, session.begin():
        solving.claim_slots(
            session, "AMB", solving.PlannerLimits(2, 1), holder=holder,
            time_limit_s=30, now=utcnow() - dt.timedelta(seconds=ago_s),
        )
    os._exit(9)  # no finally, no release: as if the worker were killed
    """
)


def _die_holding_a_slot(app: Flask, holder: str, ago_s: float) -> None:
    """A process that takes Ambon's slot ``ago_s`` seconds ago and dies."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    done = subprocess.run(
        [sys.executable, "-c", _DIE_HOLDING_A_SLOT, url, holder, str(ago_s)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 9, done.stderr


def test_a_slot_left_by_a_dead_process_is_free_once_its_lease_ran_out(
    app: Flask, client: FlaskClient, db: Session, fleet: Fleet, limits: Any
) -> None:
    _ambon_bins(db)
    dlh = factories.auth_headers(db, fleet.users["dlh"])

    # Died just now: its lease still runs, the city waits.
    _die_holding_a_slot(app, "dead-worker:1:aaa", ago_s=0)
    _assert_busy(_answer(client.post(PLANS, json=_body(), headers=dlh)), "AMB")
    later = utcnow() + dt.timedelta(seconds=solving.LEASE_S + 1)
    _claim_elsewhere(db, "AMB", "someone-later:1:bbb", now=later)
    db.execute(sa.delete(PlannerSlot))
    db.commit()

    # Died a lease and more ago: its slot is free.
    _die_holding_a_slot(app, "dead-worker:2:ccc", ago_s=solving.LEASE_S + 1)
    answer = client.post(PLANS, json=_body(), headers=dlh)
    assert answer.status_code == 201, answer.get_json()
    assert _taken(db) == []


def _answer(response: Any) -> Answer:
    return Answer(response.status_code, dict(response.headers), response.get_json())


def test_a_holder_that_renews_keeps_its_slot_past_the_first_lease(db: Session) -> None:
    limits = solving.PlannerLimits(max_concurrent=2, max_per_city=1)
    start = utcnow()

    def claim(holder: str, after_s: float) -> None:
        solving.claim_slots(
            db,
            "AMB",
            limits,
            holder=holder,
            time_limit_s=10,
            now=start + dt.timedelta(seconds=after_s),
        )

    claim("a", 0)
    assert solving.renew_slots(db, "a", start + dt.timedelta(seconds=50)) == 2
    with pytest.raises(PlannerBusy) as busy:
        claim("b", solving.LEASE_S + 10)  # the first lease would have run out
    # Retry-After: a's plan (10 s from its start) is overdue; at least 1 s.
    assert busy.value.retry_after_s == 1
    claim("b", 50 + solving.LEASE_S + 1)  # the renewed one has
    solving.release_slots(db, "a")  # a's slot of the city is b's now: left alone
    held = db.execute(
        sa.select(PlannerSlot.scope, PlannerSlot.holder).where(
            PlannerSlot.holder.is_not(None)
        )
    ).all()
    assert sorted(held) == [("all", "b"), ("city:AMB", "b")]


def test_the_limits_are_per_city_within_the_total(db: Session) -> None:
    limits = solving.PlannerLimits(max_concurrent=3, max_per_city=2)
    now = utcnow()
    for holder, city in [("a", "AMB"), ("b", "AMB"), ("c", "MJK")]:
        solving.claim_slots(db, city, limits, holder=holder, time_limit_s=20, now=now)
    with pytest.raises(PlannerBusy, match="for AMB") as city_busy:
        solving.claim_slots(db, "AMB", limits, holder="d", time_limit_s=5, now=now)
    assert city_busy.value.retry_after_s == 20
    with pytest.raises(PlannerBusy, match="computing 3 route plans") as all_busy:
        solving.claim_slots(db, "KPG", limits, holder="e", time_limit_s=5, now=now)
    assert all_busy.value.retry_after_s == 20
    assert limits.scopes("AMB") == (("city:AMB", 2), ("all", 3))
    # A city limit above the total is the total.
    assert solving.PlannerLimits(1, 4).scopes("AMB") == (("city:AMB", 1), ("all", 1))
    with pytest.raises(ValueError, match="at least 1"):
        solving.PlannerLimits(0, 1)


# -- the child process -----------------------------------------------------------------
def test_a_child_that_overruns_its_deadline_is_killed(tmp_path: Path) -> None:
    held = Gate(str(tmp_path))  # never opened
    beats: list[int] = []
    with pytest.raises(PlannerFailed, match="did not finish within"):
        run_in_child(
            held,
            (None, 1.0, 0),
            deadline_s=0.5,
            heartbeat=lambda: beats.append(1),
            heartbeat_s=0.1,
        )
    # The child is gone (it may not even have reached the gate on a busy machine).
    for pid in held.pids():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_child_answers_the_cores_result_and_errors(tmp_path: Path) -> None:
    gate = Gate(str(tmp_path), action="empty")
    plan = run_in_child(gate, (None, 1.0, 0), deadline_s=60)
    assert plan.routes == () and plan.dropped_stop_ids == ()
    assert gate.pids() != [os.getpid()]


def test_the_search_bounds_its_wall_clock_time() -> None:
    # Plans: a search of 2 x the budget + 1 s and a final descent as long, twice when
    # the fallback search runs.
    assert PLAN_SEARCH.wall_bound_s(5) == pytest.approx(4 * (2 * 5 + 1))
    assert COLLECTION_SEARCH.wall_bound_s(5) == pytest.approx(2 * (5 + 5))
    assert SearchConfig().wall_bound_s(10) == pytest.approx(10)
    assert SearchConfig(restarts=4).wall_bound_s(10) == pytest.approx(10)
