"""Benchmark: one ``refresh_all_bins`` round over a city of sensor bins.

Usage::

    .venv/bin/python benchmarks/refresh.py [--bins 2000] [--readings 100] [--rounds 3]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/db]

Builds ``--bins`` bins, each with one plain-JSON sensor and ``--readings`` hourly
accepted readings (filling at a steady rate; every 7th bin is above its threshold,
every 10th sensor went silent six hours ago), on a fresh SQLite file and, with
``--postgres``, on a fresh schema of that database.  Then it times ``--rounds``
rounds of :func:`telemetry.services.refresh_all_bins` (each followed by a commit,
as ``flask telemetry refresh`` does) and counts the SQL statements each round sends
(``before_cursor_execute``; an ``executemany`` counts once).  The first round opens
the full and silent alerts; the later ones find them open already.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._scratch import scratch_app
from telemetry import services
from telemetry.models import Alert, SensorReading
from wastebank.access import SYSTEM
from wastebank.extensions import db

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
EMPTY_MM, FULL_MM = 1500, 300


def _readings(bin_id: int, sensor_id: int, n: int, count: int) -> list[dict[str, Any]]:
    """``count`` hourly readings, oldest first, of a bin filling ~0.5 %/h."""
    silent = n % 10 == 0
    last = NOW - dt.timedelta(hours=6 if silent else 0)
    final_pct = 85.0 if n % 7 == 0 else 30.0 + n % 40
    rows = []
    for age_h in range(count - 1, -1, -1):
        fill_pct = max(0.0, final_pct - 0.5 * age_h)
        at = last - dt.timedelta(hours=age_h)
        rows.append(
            {
                "dedup_key": f"bench:{sensor_id}:{at.isoformat()}",
                "sensor_id": sensor_id,
                "bin_id": bin_id,
                "source_format": "json",
                "measured_at": at,
                "received_at": at,
                "distance_mm": round(EMPTY_MM - (EMPTY_MM - FULL_MM) * fill_pct / 100),
                "fill_pct": fill_pct,
                "quality_flag": "ok",
                "quality_status": "accepted",
                "battery_pct": 90.0,
            }
        )
    return rows


def prepare(url: str, bins: int, readings: int) -> tuple[Any, Callable[[], None]]:
    """Create the schema, the bins, sensors and readings; returns (app, cleanup)."""
    app, cleanup = scratch_app(url)
    with app.app_context():
        for n in range(bins):
            code = f"AMB-{n:04d}"
            bin_ = services.create_bin(
                db.session,
                SYSTEM,
                code=code,
                name=f"TPS {n}",
                kind="tps",
                stream="mixed",
                capacity_l=1100,
                lat=-3.69,
                lon=128.18,
                city="AMB",
            )
            sensor, _ = services.create_sensor(
                db.session,
                SYSTEM,
                device_id=f"json-{n}",
                bin=code,
                format="json",
                empty_distance_mm=EMPTY_MM,
                full_distance_mm=FULL_MM,
            )
            db.session.execute(
                sa.insert(SensorReading.__table__),
                _readings(bin_.id, sensor.id, n, readings),
            )
        db.session.commit()

    return app, cleanup


def run_rounds(app: Any, rounds: int) -> list[tuple[float, int, int]]:
    """Time each round; returns (seconds, statements, open alerts) per round."""
    results = []
    with app.app_context():
        statements = 0

        def count(*args: object) -> None:
            nonlocal statements
            statements += 1

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(rounds):
                statements = 0
                started = time.perf_counter()
                services.refresh_all_bins(db.session, now=NOW)
                db.session.commit()
                elapsed = time.perf_counter() - started
                sent = statements
                open_alerts = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Alert)
                    .where(Alert.closed_at.is_(None))
                )
                results.append((elapsed, sent, int(open_alerts or 0)))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=2000)
    parser.add_argument("--readings", type=int, default=100, help="per bin")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a schema is created)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault(
        "WASTEBANK_SECRET_KEY", "benchmark-only-secret-key-not-for-production"
    )

    with tempfile.TemporaryDirectory() as directory:
        urls = [f"sqlite:///{directory}/bench.db"]
        if args.postgres:
            urls.append(args.postgres)
        print(
            f"City: {args.bins} bins, one sensor each, {args.readings} hourly "
            f"readings per bin ({args.bins * args.readings} readings)."
        )
        for url in urls:
            name = "postgresql" if url.startswith("postgresql") else "sqlite"
            started = time.perf_counter()
            app, cleanup = prepare(url, args.bins, args.readings)
            print(f"{name}: built in {time.perf_counter() - started:.1f} s")
            try:
                for round_, (seconds, statements, alerts) in enumerate(
                    run_rounds(app, args.rounds), start=1
                ):
                    print(
                        f"{name}: round {round_}: refresh_all_bins {seconds:6.2f} s, "
                        f"{statements:5d} SQL statements, {alerts} open alerts"
                    )
            finally:
                cleanup()


if __name__ == "__main__":
    main()
