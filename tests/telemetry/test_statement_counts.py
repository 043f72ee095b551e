"""SQL statements per bin refresh and sensor listing do not grow with the bin count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.models import Alert, Bin
from telemetry.mqtt import plain_reading
from telemetry.readings import parse_message
from tests import factories
from tests.telemetry.conftest import Registry, make_bin
from wastebank.access import SYSTEM

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
#: Statements of a batch refresh: bins, sensors, readings, open alerts, then the
#: flush (bins updated and alerts inserted in a few executemany batches).
MAX_REFRESH_STATEMENTS = 8


@contextmanager
def counting_statements(db: Session) -> Iterator[Callable[[], int]]:
    """Count the statements sent to the database inside the block (any session)."""
    engine = db.get_bind()
    count = 0

    def on_execute(*args: object) -> None:
        nonlocal count
        count += 1

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield lambda: count
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)


def _sensor_bins(db: Session, count: int) -> list[int]:
    """``count`` bins with a sensor and four hourly readings each; returns their ids.

    Every third bin is above its threshold, every fifth sensor fell silent six hours
    ago, so a refresh both updates states and opens alerts of two kinds.
    """
    ids = []
    readings = []
    for n in range(count):
        bin_ = make_bin(db, f"CNT-{n:03d}")
        device_id = f"cnt-{n:03d}"
        services.create_sensor(
            db,
            SYSTEM,
            device_id=device_id,
            bin=bin_.code,
            format="json",
            empty_distance_mm=1500,
            full_distance_mm=300,
        )
        ids.append(bin_.id)
        last = NOW - dt.timedelta(hours=6 if n % 5 == 0 else 0, minutes=10)
        fill_pct = 85 if n % 3 == 0 else 40 + n % 20
        for age_h in range(3, -1, -1):
            distance_mm = round(1500 - 12 * (fill_pct - age_h))
            at = last - dt.timedelta(hours=age_h)
            topic, payload = plain_reading(
                device_id, distance_mm=distance_mm, measured_at=at
            )
            readings.append(parse_message(topic, payload, received_at=at))
    services.record_readings(db, readings, refresh=False)
    db.commit()
    return ids


def _states(db: Session, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Each bin's derived state and open alerts, read back from the database."""
    db.flush()
    states: dict[int, tuple[Any, ...]] = {}
    for bin_ in db.scalars(sa.select(Bin).where(Bin.id.in_(ids))):
        alerts = db.scalars(
            sa.select(Alert).where(Alert.bin_id == bin_.id, Alert.closed_at.is_(None))
        )
        states[bin_.id] = (
            bin_.fill_pct,
            bin_.fill_rate_pct_per_day,
            bin_.fill_rate_reliability,
            bin_.predicted_full_at,
            bin_.last_emptied_at,
            bin_.last_reading_at,
            bin_.status,
            sorted((a.kind, a.severity, a.message, a.since) for a in alerts),
        )
    return states


def test_a_batch_refresh_costs_as_many_statements_for_30_bins_as_for_10(
    db: Session, registry: Registry
) -> None:
    ids = _sensor_bins(db, 30)
    counts: dict[int, int] = {}
    opened: dict[int, int] = {}
    for size in (10, 30):
        with counting_statements(db) as statements:
            assert services.refresh_bins(db, ids[:size], now=NOW) == size
        counts[size] = statements()
        opened[size] = len(db.scalars(sa.select(Alert)).all())
        db.rollback()  # both sizes start from the same stored state
    assert opened == {10: 6, 30: 16}  # bin_full on every 3rd, sensor_silent every 5th
    assert counts[10] == counts[30] <= MAX_REFRESH_STATEMENTS, counts
    with counting_statements(db) as statements:
        assert services.refresh_all_bins(db, now=NOW) == 34  # and the registry's 4
    assert statements() <= MAX_REFRESH_STATEMENTS


def test_refresh_bin_gives_each_bin_the_state_of_a_batch_refresh(
    db: Session, registry: Registry
) -> None:
    """The batch keeps every bin's readings and alerts apart."""
    ids = _sensor_bins(db, 30)
    services.refresh_bins(db, ids, now=NOW)
    batch = _states(db, ids)
    db.rollback()
    for bin_ in db.scalars(sa.select(Bin).where(Bin.id.in_(ids))).all():
        services.refresh_bin(db, bin_, now=NOW)
    assert _states(db, ids) == batch
    assert {state[6] for state in batch.values()} == {"ok", "unknown"}


def test_listing_sensors_costs_as_many_statements_for_13_sensors_as_for_3(
    client: FlaskClient, db: Session, registry: Registry
) -> None:
    headers = factories.auth_headers(db, registry.users["dlh"])
    client.get("/api/v1/sensors", headers=headers)  # the token's first use
    counts: dict[int, int] = {}
    for size in (3, 13):
        with counting_statements(db) as statements:
            response = client.get("/api/v1/sensors", headers=headers)
        assert response.status_code == 200
        assert len(response.get_json()) == size
        counts[size] = statements()
        for n in range(10 if size == 3 else 0):  # each on a bin of its own
            services.create_sensor(
                db,
                SYSTEM,
                device_id=f"extra-{n}",
                bin=make_bin(db, f"EXTRA-{n}").code,
                format="json",
                empty_distance_mm=1500,
                full_distance_mm=300,
            )
        db.commit()
    assert counts[3] == counts[13], counts
    listed = client.get("/api/v1/sensors?bin=AMB-001", headers=headers).get_json()
    assert {sensor["bin"] for sensor in listed} == {"AMB-001"}
