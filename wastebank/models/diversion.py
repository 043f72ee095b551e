"""Models of a city's waste flows that the diversion report joins with the deposits.

- :class:`CityWasteProfile`: the parameters a DLH office knows about its city and its
  TPA (population, generation rate, remaining airspace, site type, Jakstrada targets).
- :class:`TpaDelivery`: a load delivered to the TPA, from a weighbridge ticket or a DLH
  estimate. Truck trips (issue 7) will write here too, through
  :func:`wastebank.services.diversion.record_tpa_delivery`.
- :class:`TreatmentInput`: waste fed to composting, digestion, RDF, incineration or
  another treatment, entered by DLH.

Waste received by the banks is not stored here: it is read from the deposits. A unit's
shipment to its induk is an internal transfer and never adds to the city's tonnage.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wastebank.extensions import UTCDateTime, db
from wastebank.models.core import City, User, utcnow

#: Where the mass of a TPA delivery comes from.
TPA_DELIVERY_SOURCES = ("weighbridge", "estimate")
#: Treatment pathways DLH enters (bank-sampah recycling comes from the deposits).
TREATMENT_PATHWAYS = (
    "composting",
    "anaerobic_digestion",
    "rdf",
    "incineration",
    "other",
)
#: Whether an entered mass was weighed or estimated (cart counts, truck volume).
MASS_BASES = ("measured", "estimated")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CityWasteProfile(db.Model):  # type: ignore[name-defined]
    """What the report needs to know about a city and its TPA; every field optional.

    A missing value falls back to a documented default (generation rate by city size,
    in-place density 0.6 t/m3, IPCC site type "uncategorised") or leaves the figures
    that need it unavailable (population, remaining airspace).
    """

    __tablename__ = "city_waste_profiles"
    __table_args__ = (
        sa.CheckConstraint("population IS NULL OR population > 0", name="population"),
        sa.CheckConstraint(
            "generation_kg_per_capita_per_day IS NULL"
            " OR generation_kg_per_capita_per_day > 0",
            name="generation_rate",
        ),
        sa.CheckConstraint(
            "tpa_remaining_airspace_m3 IS NULL OR tpa_remaining_airspace_m3 >= 0",
            name="airspace",
        ),
        sa.CheckConstraint(
            "in_place_density_t_per_m3 IS NULL OR in_place_density_t_per_m3 > 0",
            name="density",
        ),
        sa.CheckConstraint(
            "cover_soil_fraction IS NULL"
            " OR (cover_soil_fraction >= 0 AND cover_soil_fraction <= 1)",
            name="cover_soil",
        ),
    )

    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), primary_key=True)
    population: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    population_year: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: from a generation survey (SNI 19-3964-1994); none: the SNI 19-3983-1995 default
    generation_kg_per_capita_per_day: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(6, 3), nullable=True
    )
    generation_source: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    tpa_name: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    #: a key of ``routing.energy.MCF_BY_SITE_TYPE`` (open_dump_deep, controlled_landfill, ...)
    tpa_site_type: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    #: the TPA meets at least WaCT's "basic" control level (SDG 11.6.1); none: not assessed
    tpa_controlled: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    tpa_remaining_airspace_m3: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(14, 1), nullable=True
    )
    tpa_airspace_surveyed_on: Mapped[dt.date | None] = mapped_column(
        sa.Date, nullable=True
    )
    in_place_density_t_per_m3: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(5, 3), nullable=True
    )
    cover_soil_fraction: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(4, 3), nullable=True
    )
    #: an IPCC 2006 climate zone; none: tropical_wet (Ambon and Mojokerto)
    climate_zone: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    #: the city's Jakstrada targets by year: ``{"2026": {"reduction_pct": 28, ...}}``
    jakstrada_targets: Mapped[dict[str, Any] | None] = mapped_column(
        sa.JSON, nullable=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )

    city: Mapped[City] = relationship()


class TpaDelivery(db.Model):  # type: ignore[name-defined]
    """A load delivered to the TPA: one weighbridge ticket, or a DLH estimate."""

    __tablename__ = "tpa_deliveries"
    __table_args__ = (
        # A replayed ticket is recognised by its number: one per city.
        sa.UniqueConstraint("city_id", "ticket_no"),
        sa.Index("ix_tpa_deliveries_city_id_delivered_at", "city_id", "delivered_at"),
        sa.CheckConstraint("net_weight_kg > 0", name="net_weight_positive"),
        sa.CheckConstraint(_in("source", TPA_DELIVERY_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), nullable=False)
    #: the TPA's name as on the ticket (TPA Toisapu, TPA Randegan)
    facility: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    ticket_no: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    net_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    truck_code: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    source: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="weighbridge"
    )
    note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    city: Mapped[City] = relationship()
    entered_by: Mapped[User | None] = relationship()


class TreatmentInput(db.Model):  # type: ignore[name-defined]
    """Waste fed to a treatment on one day, entered by DLH.

    ``material`` is a waste component (``food``, ``garden``, ...) or a bin stream
    (``organic``, ``mixed``, ...); the two sets of names do not overlap.
    ``residue_kg`` is the part that still went to the TPA (rejects, ash).
    """

    __tablename__ = "treatment_inputs"
    __table_args__ = (
        # The natural key: one entry per facility, day, pathway and material.
        sa.UniqueConstraint(
            "city_id",
            "facility",
            "treated_on",
            "pathway",
            "material",
            # The generated name would pass PostgreSQL's 63-character limit.
            name="uq_treatment_inputs_natural_key",
        ),
        sa.Index("ix_treatment_inputs_city_id_treated_on", "city_id", "treated_on"),
        sa.CheckConstraint("mass_kg > 0", name="mass_positive"),
        sa.CheckConstraint(
            "residue_kg >= 0 AND residue_kg <= mass_kg", name="residue_within_mass"
        ),
        sa.CheckConstraint(_in("pathway", TREATMENT_PATHWAYS), name="pathway"),
        sa.CheckConstraint(_in("basis", MASS_BASES), name="basis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), nullable=False)
    #: the local date of the input, or the last day of the period it sums up
    treated_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    pathway: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    material: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    mass_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    residue_kg: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 3), nullable=False, default=Decimal("0")
    )
    basis: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default="measured"
    )
    facility: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    city: Mapped[City] = relationship()
    entered_by: Mapped[User | None] = relationship()
