"""Route plans on an OSRM server's ``table`` service (``WASTEBANK_OSRM_URL``).

A real HTTP server on a free loopback port stands in for OSRM: it answers
``/table/v1/<profile>/<lon,lat;...>`` in OSRM's format with road distances of
1.5 x the straight line, driven at 30 km/h, so every number is predictable and
differs from the built-in haversine source (1.3 x at 25 km/h).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from routing import services, validate
from routing.distance import (
    HaversineSource,
    MatrixSource,
    OsrmSource,
    haversine_m,
    osrm_table_url,
)
from routing.models import RoutePlan
from routing.snapshot import problem_from_json, problem_to_json, source_description
from tests import factories
from tests.routing.conftest import SERVICE_DATE, TIME_LIMIT_S, Fleet, add_bin, offset
from wastebank.access import SYSTEM

PLANS = "/api/v1/route-plans"
ENVELOPE_KEYS = {"code", "status", "type", "message", "errors"}
CIRCUITY = 1.5
SPEED_M_PER_S = 30 / 3.6


def road_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The fake server's distance between two (lon, lat) points, metres."""
    return CIRCUITY * haversine_m(a[1], a[0], b[1], b[0])


@dataclass
class FakeOsrm:
    """What the fake server was asked, and how it should answer."""

    url: str
    server: ThreadingHTTPServer
    thread: threading.Thread
    paths: list[str] = field(default_factory=list)
    mode: str = "ok"  # ok | invalid | invalid_200 | slow

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _OsrmHandler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        fake: FakeOsrm = self.server.fake
        fake.paths.append(self.path)
        if fake.mode == "slow":
            time.sleep(1.0)
        if fake.mode in ("invalid", "invalid_200"):
            error = {
                "code": "InvalidQuery",
                "message": "Query string malformed close to position 17",
            }
            self._send(400 if fake.mode == "invalid" else 200, error)
            return
        parts = urllib.parse.urlsplit(self.path).path.split("/")
        # ["", "table", "v1", profile, "lon,lat;lon,lat;..."]
        coords = [
            (float(lon), float(lat))
            for lon, lat in (pair.split(",") for pair in parts[4].split(";"))
        ]
        distances = [[road_m(a, b) for b in coords] for a in coords]
        durations = [[d / SPEED_M_PER_S for d in row] for row in distances]
        self._send(200, {"code": "Ok", "distances": distances, "durations": durations})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    """A fake OSRM ``table`` server on a free loopback port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OsrmHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    fake = FakeOsrm(f"http://127.0.0.1:{server.server_port}", server, thread)
    server.fake = fake  # type: ignore[attr-defined]
    thread.start()
    yield fake
    if thread.is_alive():
        fake.stop()


@pytest.fixture
def use_osrm(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point the session's app at an OSRM URL for one test (restored afterwards)."""

    def configure(url: str | None, timeout_s: float = 5.0) -> None:
        monkeypatch.setitem(app.config, "OSRM_URL", url)
        monkeypatch.setitem(app.config, "OSRM_TIMEOUT_S", timeout_s)

    return configure


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _bins(db: Session) -> None:
    for k, (dlat, dlon) in enumerate(
        [(0.0, 0.0), (0.004, 0.006), (-0.006, 0.004), (0.01, -0.004)]
    ):
        add_bin(
            db, f"AMB-{k + 1:02d}", fill_pct=92, capacity_l=3000, at=offset(dlat, dlon)
        )
    db.commit()


def _body() -> dict[str, Any]:
    return {"date": SERVICE_DATE.isoformat(), "time_limit_s": TIME_LIMIT_S, "seed": 1}


def _plan_count(db: Session) -> int:
    return int(db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) or 0)


def test_a_plan_is_solved_on_osrm_matrices_and_checks_without_the_server(
    client: FlaskClient, db: Session, fleet: Fleet, osrm: FakeOsrm, use_osrm: Any
) -> None:
    _bins(db)
    headers = factories.auth_headers(db, fleet.users["dlh"])
    use_osrm(osrm.url)

    response = client.post(PLANS, json=_body(), headers=headers)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["distance_source"] == {
        "kind": "osrm",
        "base_url": osrm.url,
        "profile": "driving",
    }
    plan = services.get_route_plan(db, SYSTEM, body["id"])
    problem = services.stored_problem(plan)
    places = problem.places()

    # One table request, built by the core: lon,lat pairs, both annotations.
    assert len(osrm.paths) == 1
    assert osrm.url + osrm.paths[0] == osrm_table_url(osrm.url, places)
    path, _, query = osrm.paths[0].partition("?")
    assert path.startswith("/table/v1/driving/128.201000,-3.679000;")  # depot lon,lat
    assert urllib.parse.parse_qs(query)["annotations"][0].split(",") == [
        "distance",
        "duration",
    ]

    # The snapshot keeps the server's matrices (rounded) and where they came from.
    assert isinstance(problem.distance_source, MatrixSource)
    assert plan.problem["distance_source"]["origin"]["kind"] == "osrm"
    source = problem.distance_source
    index = {pid: k for k, pid in enumerate(source.place_ids)}
    lonlat = {p.place_id: (p.lon, p.lat) for p in places}
    for a in places:
        for b in places:
            expected = road_m(lonlat[a.place_id], lonlat[b.place_id])
            i, j = index[a.place_id], index[b.place_id]
            assert source.distance_m[i][j] == round(expected)
            assert source.duration_s[i][j] == round(expected / SPEED_M_PER_S)

    # The plan's kilometres are the matrix legs of its routes.
    total = 0
    for route in body["routes"]:
        depot = services.depot_place_id(route["depot"])
        legs = [depot]
        for stop in route["stops"]:
            legs.append(stop["bin"] or services.facility_place_id(stop["facility"]))
        legs.append(depot)
        route_m = sum(
            source.distance_m[index[a]][index[b]] for a, b in itertools.pairwise(legs)
        )
        assert route_m == route["distance_m"]
        total += route_m
    assert total == body["distance_m"] > 0

    # The same request on the built-in haversine source gives other numbers.
    use_osrm(None)
    straight = client.post(PLANS, json=_body(), headers=headers).get_json()
    assert straight["distance_source"]["kind"] == "haversine"
    assert straight["distance_m"] != body["distance_m"]
    assert len(osrm.paths) == 1

    # With the server gone, the stored plan still checks against its snapshot.
    osrm.stop()
    db.expire_all()
    plan = services.get_route_plan(db, SYSTEM, body["id"])
    assert validate(services.stored_problem(plan), services.stored_solution(plan)) == []
    again = client.get(f"{PLANS}/{body['id']}", headers=headers)
    assert again.get_json() == body


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        ("down", "unreachable"),
        ("invalid", "HTTP 400: InvalidQuery"),
        ("invalid_200", "InvalidQuery"),
        ("slow", "no answer within 0.3 s"),
    ],
)
def test_an_unusable_osrm_server_is_a_503_and_nothing_is_stored(
    client: FlaskClient,
    db: Session,
    fleet: Fleet,
    osrm: FakeOsrm,
    use_osrm: Any,
    mode: str,
    detail: str,
) -> None:
    _bins(db)
    url = _closed_port_url() if mode == "down" else osrm.url
    osrm.mode = mode
    use_osrm(url, timeout_s=0.3)

    response = client.post(
        PLANS, json=_body(), headers=factories.auth_headers(db, fleet.users["dlh"])
    )

    assert response.status_code == 503
    envelope = response.get_json()
    assert set(envelope) == ENVELOPE_KEYS
    assert envelope["type"] == "distance_source_unavailable"
    assert url in envelope["message"]
    assert "WASTEBANK_OSRM_URL" in envelope["message"]
    assert detail in envelope["message"]
    assert envelope["errors"] == {"distance_source": [envelope["message"]]}
    assert _plan_count(db) == 0


def test_the_cli_prints_the_envelope_and_fails_when_osrm_is_down(
    runner: FlaskCliRunner, db: Session, fleet: Fleet, use_osrm: Any
) -> None:
    _bins(db)
    url = _closed_port_url()
    use_osrm(url)

    result = runner.invoke(
        args=[
            *("routing", "plan", "--city", "AMB", "--date", SERVICE_DATE.isoformat()),
            *("--time-limit", str(TIME_LIMIT_S), "--json"),
        ]
    )

    assert result.exit_code == 1
    envelope = json.loads(result.output)
    assert envelope["code"] == 503
    assert envelope["type"] == "distance_source_unavailable"
    assert url in envelope["message"]
    assert _plan_count(db) == 0


def test_the_setting_chooses_the_source() -> None:
    assert services.distance_source_for(None) == HaversineSource()
    assert services.distance_source_for("") == HaversineSource()
    assert services.distance_source_for(
        "http://osrm:5000", profile="truck", timeout_s=5
    ) == OsrmSource("http://osrm:5000", profile="truck", timeout_s=5.0)


def test_a_matrix_snapshot_survives_json_and_says_where_it_came_from(
    db: Session, fleet: Fleet
) -> None:
    add_bin(db, "AMB-01", fill_pct=95)
    plan = services.create_route_plan(
        db,
        SYSTEM,
        service_date=SERVICE_DATE,
        city="AMB",
        time_limit_s=TIME_LIMIT_S,
        distance_source=MatrixSource(
            ("depot:AMB-POOL", "facility:TPA-TOISAPU", "AMB-01"),
            ((0, 9000, 4000), (9000, 0, 8000), (4000, 8000, 0)),
            ((0, 900, 400), (900, 0, 800), (400, 800, 0)),
        ),
    )
    assert plan.distance_m == 4000 + 8000 + 9000
    assert source_description(plan.problem) == {"kind": "matrix"}
    problem = services.stored_problem(plan)
    assert problem_from_json(problem_to_json(problem)) == problem
    assert validate(problem, services.stored_solution(plan)) == []
