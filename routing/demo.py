"""Demo fleet of Ambon: a garage, TPA Toisapu and four trucks.

Called by ``wastebank.demo`` after the demo bins exist, so that a route plan for
tomorrow can be made at once (``flask --app wsgi routing plan --city AMB``).

The coordinates are approximate: the garage is placed on Jl. Sultan Hasanuddin
(Hative Kecil), and TPA/IPST Toisapu (Dusun Toisapu, Negeri Hutumuri; reached
through Ama Ory, Passo) east of the city; neither point was surveyed. Capacities are
those of common Indonesian DLH trucks: a 6 m³ dump truck on a light chassis
(about 4 t payload) and an arm roll carrying 10 m³ containers (about 7 t).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from routing.models import Depot
from routing.services import create_depot, create_facility, create_truck
from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike

CITY: Final = "AMB"
DEPOT: Final = "AMB-POOL-01"
TPA: Final = "AMB-TPA-TOISAPU"

_H = 3600
# code, name, kind, plate, capacity kg, capacity m³, rp/km, rp/h, speed factor
_TRUCKS: Final = (
    ("AMB-DT-01", "Dump truck 6 m³ (1)", "dump_truck", "DE 9101 AM", 4000, 6, 4000, 90_000, 1.0),
    ("AMB-DT-02", "Dump truck 6 m³ (2)", "dump_truck", "DE 9102 AM", 4000, 6, 4000, 90_000, 1.0),
    ("AMB-AR-01", "Arm roll 10 m³ (1)", "arm_roll", "DE 9201 AM", 7000, 10, 5500, 100_000, 0.9),
    ("AMB-AR-02", "Arm roll 10 m³ (2)", "arm_roll", "DE 9202 AM", 7000, 10, 5500, 100_000, 0.9),
)  # fmt: skip


def load(session: SessionLike) -> None:
    """Create Ambon's demo garage, TPA Toisapu and four trucks.

    Does nothing when the demo garage exists already. Flushes; the caller commits.

    :raises InvalidRoutingReference: the city ``AMB`` does not exist yet.
    """
    if session.scalar(sa.select(Depot.id).where(Depot.code == DEPOT)) is not None:
        return
    create_depot(
        session,
        SYSTEM,
        code=DEPOT,
        name="Pool Armada DLH Kota Ambon",
        city=CITY,
        lat=-3.6790,
        lon=128.2010,
        address="Jl. Sultan Hasanuddin, Hative Kecil (approximate)",
    )
    create_facility(
        session,
        SYSTEM,
        code=TPA,
        name="TPA/IPST Toisapu",
        kind="tpa",
        city=CITY,
        lat=-3.6445,
        lon=128.2565,
        address="Dusun Toisapu, Negeri Hutumuri, Leitimur Selatan (approximate)",
        opening_hours=[["05:00", "20:00"]],
        unload_time_s=1200,  # weighbridge, queue and tipping
    )
    for code, name, kind, plate, kg, m3, per_km, per_h, speed in _TRUCKS:
        create_truck(
            session,
            SYSTEM,
            code=code,
            name=name,
            kind=kind,
            plate_no=plate,
            city=CITY,
            depot=DEPOT,
            capacity_kg=kg,
            capacity_m3=m3,
            # The bins' morning access window is 05:00-09:00 (telemetry demo).
            shift_start_s=5 * _H,
            shift_end_s=13 * _H,
            rest_break={
                "earliest_start_s": 9 * _H,
                "latest_start_s": 11 * _H,
                "duration_s": 30 * 60,
            },
            speed_factor=speed,
            cost_rp_per_km=per_km,
            cost_rp_per_hour=per_h,
            facilities=[TPA],
        )
