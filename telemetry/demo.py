"""Demo data: bins and TPS around Ambon with LoRaWAN sensors and a few days of history.

Called by ``wastebank.demo`` after the city ``AMB`` exists.  The history is made of
real-looking uplinks (The Things Stack v3 and ChirpStack v4) that go through the same
parsers and services as live traffic, so the demo exercises the whole pipeline.
``flask telemetry simulate`` then keeps the levels moving.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Final

import sqlalchemy as sa

from telemetry import services
from telemetry.models import Bin
from telemetry.mqtt import chirpstack_uplink, tts_uplink
from telemetry.readings import Reading, parse_message
from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike

CITY: Final = "AMB"
#: Days of history readings per sensor, and hours between readings.
HISTORY_DAYS: Final = 4
REPORT_EVERY_H: Final = 3

# code, name, kind, stream, capacity (l), lat, lon, district, service time (s)
_BINS: Final = (
    (
        "AMB-SRM-01",
        "TPS Pasar Mardika",
        "tps",
        "mixed",
        6000,
        -3.6925,
        128.1803,
        "Sirimau",
        900,
    ),
    (
        "AMB-SRM-02",
        "TPS Batu Merah",
        "tps",
        "mixed",
        6000,
        -3.6868,
        128.1925,
        "Sirimau",
        900,
    ),
    (
        "AMB-SRM-03",
        "Kontainer Terminal Mardika",
        "container",
        "residual",
        8000,
        -3.6940,
        128.1830,
        "Sirimau",
        1200,
    ),
    (
        "AMB-SRM-04",
        "Tong Lapangan Merdeka",
        "bin",
        "recyclable",
        660,
        -3.6967,
        128.1818,
        "Sirimau",
        180,
    ),
    (
        "AMB-SRM-05",
        "TPS Karang Panjang",
        "tps",
        "organic",
        3000,
        -3.7020,
        128.1900,
        "Sirimau",
        600,
    ),
    (
        "AMB-SRM-06",
        "Tong Gong Perdamaian",
        "bin",
        "mixed",
        660,
        -3.6990,
        128.1790,
        "Sirimau",
        180,
    ),
    (
        "AMB-NSW-01",
        "TPS Benteng",
        "tps",
        "mixed",
        4000,
        -3.7095,
        128.1650,
        "Nusaniwe",
        600,
    ),
    (
        "AMB-NSW-02",
        "TPS Kudamati",
        "tps",
        "organic",
        3000,
        -3.7140,
        128.1735,
        "Nusaniwe",
        600,
    ),
    (
        "AMB-NSW-03",
        "Kontainer Pantai Amahusu",
        "container",
        "residual",
        8000,
        -3.7275,
        128.1480,
        "Nusaniwe",
        1200,
    ),
    (
        "AMB-NSW-04",
        "Tong Pasar Nusaniwe",
        "bin",
        "recyclable",
        660,
        -3.7060,
        128.1700,
        "Nusaniwe",
        180,
    ),
    (
        "AMB-BGL-01",
        "TPS Passo",
        "tps",
        "mixed",
        6000,
        -3.6430,
        128.2480,
        "Teluk Ambon Baguala",
        900,
    ),
    (
        "AMB-BGL-02",
        "TPS Lateri",
        "tps",
        "organic",
        3000,
        -3.6540,
        128.2300,
        "Teluk Ambon Baguala",
        600,
    ),
    (
        "AMB-BGL-03",
        "Kontainer Pasar Passo",
        "container",
        "residual",
        8000,
        -3.6410,
        128.2510,
        "Teluk Ambon Baguala",
        1200,
    ),
    (
        "AMB-BGL-04",
        "Tong Halong",
        "bin",
        "mixed",
        660,
        -3.6700,
        128.2150,
        "Teluk Ambon Baguala",
        180,
    ),
    (
        "AMB-TLA-01",
        "TPS Poka",
        "tps",
        "mixed",
        4000,
        -3.6450,
        128.1930,
        "Teluk Ambon",
        600,
    ),
    (
        "AMB-TLA-02",
        "TPS Rumah Tiga",
        "tps",
        "organic",
        3000,
        -3.6460,
        128.1800,
        "Teluk Ambon",
        600,
    ),
    (
        "AMB-TLA-03",
        "Tong Kampus Unpatti",
        "bin",
        "recyclable",
        660,
        -3.6480,
        128.1960,
        "Teluk Ambon",
        180,
    ),
    (
        "AMB-TLA-04",
        "Kontainer Laha",
        "container",
        "residual",
        8000,
        -3.7280,
        128.0890,
        "Teluk Ambon",
        1200,
    ),
    (
        "AMB-LTS-01",
        "TPS Hutumuri",
        "tps",
        "mixed",
        3000,
        -3.7350,
        128.2620,
        "Leitimur Selatan",
        600,
    ),
    (
        "AMB-LTS-02",
        "Tong Naku",
        "bin",
        "organic",
        660,
        -3.7460,
        128.2230,
        "Leitimur Selatan",
        180,
    ),
)
#: The demo bins' codes (``flask telemetry simulate --demo-only``).
BIN_CODES: Final = tuple(row[0] for row in _BINS)


def _distance_mm(fill_pct: float, empty_mm: int, full_mm: int) -> int:
    return round(empty_mm - (empty_mm - full_mm) * fill_pct / 100)


def load(session: SessionLike) -> None:
    """Create ~20 Ambon bins with sensors of both network-server formats and history.

    Does nothing when the demo bins exist already.  Flushes; the caller commits.

    :raises InvalidTelemetryValue: the city ``AMB`` does not exist yet.
    """
    if session.scalar(sa.select(Bin.id).where(Bin.code == _BINS[0][0])) is not None:
        return
    rng = random.Random(20261123)  # noqa: S311 - reproducible demo data, not secrets
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=HISTORY_DAYS)
    readings: list[Reading] = []
    for index, row in enumerate(_BINS):
        code, name, kind, stream, capacity_l, lat, lon, district, service_s = row
        services.create_bin(
            session,
            SYSTEM,
            code=code,
            name=name,
            kind=kind,
            stream=stream,
            capacity_l=capacity_l,
            lat=lat,
            lon=lon,
            city=CITY,
            district=district,
            service_time_s=service_s,
            access_windows=[["05:00", "09:00"], ["16:00", "19:00"]],
            fill_threshold_pct=80.0 if kind != "bin" else 85.0,
        )
        empty_mm = 2200 if kind == "container" else 1500 if kind == "tps" else 1000
        full_mm = 350 if kind != "bin" else 280
        # Alternate the two network servers, as a city migrating between them would.
        if index % 2 == 0:
            format_, device_id = "ttn-v3", f"em310-{code.lower()}"
        else:
            format_, device_id = (
                "chirpstack-v4",
                f"A84041{0xAB0000 + index:06X}{index:04X}",
            )
        services.create_sensor(
            session,
            SYSTEM,
            device_id=device_id,
            bin=code,
            format=format_,
            empty_distance_mm=empty_mm,
            full_distance_mm=full_mm,
            report_interval_s=REPORT_EVERY_H * 3600,
        )
        # Markets fill fastest; bins by the road slowest.
        rate_pct_per_day = rng.uniform(25, 45) if kind == "tps" else rng.uniform(12, 30)
        level = rng.uniform(0, 40)
        at = start
        f_cnt = rng.randint(100, 5000)
        while at <= now:
            level = min(100.0, level + rate_pct_per_day * REPORT_EVERY_H / 24)
            if level >= rng.uniform(88, 100):  # the truck came
                level = rng.uniform(0, 6)
            distance = _distance_mm(level, empty_mm, full_mm) + rng.randint(-12, 12)
            f_cnt += 1
            if format_ == "ttn-v3":
                topic, payload = tts_uplink(
                    device_id,
                    distance_mm=distance,
                    measured_at=at,
                    f_cnt=f_cnt,
                    battery_pct=rng.randint(60, 98) if index != 4 else 12,
                )
            else:
                topic, payload = chirpstack_uplink(
                    device_id,
                    distance_mm=distance,
                    measured_at=at,
                    f_cnt=f_cnt,
                    battery_v=3.4,
                    bin_code=code,
                )
            readings.append(parse_message(topic, payload, received_at=at))
            at += dt.timedelta(hours=REPORT_EVERY_H)
    services.record_readings(session, readings, refresh=False)
    services.refresh_all_bins(session)
