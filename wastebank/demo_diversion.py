"""Demo data for the diversion report: Ambon's waste profile, TPA tickets, composting.

The figures are plausible for a city of Ambon's size (about 180 t/day into TPA Toisapu,
stated in the routing issue) but they are demo figures, not DLH Ambon's data: the
generation rate is the national SIPSN-style average, the airspace is invented.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike
from wastebank.services import diversion

CITY = "AMB"
TPA = "TPA Toisapu"
#: Days of weighbridge tickets before today.
TICKET_DAYS = 14


def load(
    session: SessionLike, rng: random.Random, *, today: dt.date | None = None
) -> None:
    """Create the profile, two weeks of tickets and weekly composting (flushes only)."""
    zone = ZoneInfo("Asia/Jayapura")
    today = today or dt.datetime.now(zone).date()
    diversion.update_waste_profile(
        session,
        SYSTEM,
        CITY,
        {
            "population": 355_000,
            "population_year": 2025,
            "generation_kg_per_capita_per_day": Decimal("0.70"),
            "generation_source": "demo: national average, no survey",
            "tpa_name": TPA,
            "tpa_site_type": "controlled_landfill",
            "tpa_controlled": True,
            "tpa_remaining_airspace_m3": Decimal("250000"),
            "tpa_airspace_surveyed_on": today.replace(month=1, day=1),
            "climate_zone": "tropical_wet",
            "jakstrada_targets": {
                str(today.year): {"reduction_pct": 30, "handling_pct": 70}
            },
        },
    )
    trucks = [f"DE {8100 + n} AM" for n in range(8)]
    for days_ago in range(TICKET_DAYS, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        for trip, truck in enumerate(trucks):
            at = dt.datetime.combine(
                day, dt.time(8 + trip, rng.randint(0, 59)), tzinfo=zone
            )
            diversion.record_tpa_delivery(
                session,
                SYSTEM,
                city_code=CITY,
                facility=TPA,
                ticket_no=f"TS-{day:%y%m%d}-{trip + 1:02d}",
                delivered_at=at,
                net_weight_kg=Decimal(rng.randint(19_000, 25_000)),
                truck_code=truck,
            )
        if day.weekday() == 4:  # the compost house weighs its week's input on Fridays
            for material, kg in (("food", 1_400), ("garden", 900)):
                diversion.record_treatment_input(
                    session,
                    SYSTEM,
                    city_code=CITY,
                    facility="Rumah Kompos TPS3R Passo",
                    treated_on=day,
                    pathway="composting",
                    material=material,
                    mass_kg=Decimal(kg + rng.randint(-150, 150)),
                    residue_kg=Decimal(rng.randint(40, 90)),
                )
