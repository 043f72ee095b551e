"""The city's waste flows by district (kecamatan): what banks received, what trucks took.

A district is a kecamatan as written on the city's banks (``Bank.district``) and bins
(``telemetry.models.Bin.district``); names that differ only in case or spacing are one
district. Banks and bins without one are counted under ``district=None`` ("Tanpa
kecamatan" on the dashboard).

- **Bank intake** is the diversion report's own (:func:`.report.intake_lines`, grouped
  by the bank's district): deposits not reversed, litres of used cooking oil converted
  to kg (estimated), pieces not counted.
- **Truck collection** is estimated: the planned demand (``RouteStop.demand_kg``: the
  expected fill times the bin's capacity times the loose density of its stream) of
  every bin stop on a dispatched route whose latest driver report is ``collected``,
  reported within the period. No truck weighs a single bin, so there is nothing to
  measure; weighbridge tickets are per load, across districts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from routing.models import Route, RoutePlan, RouteStop, RouteStopEvent
from telemetry.models import Bin
from wastebank.access import Action, Actor
from wastebank.extensions import SessionLike
from wastebank.models import Bank, City
from wastebank.services.diversion.inputs import ESTIMATED, MEASURED, _city, _kg
from wastebank.services.diversion.report import (
    _check_period,
    intake_line_mass_kg,
    intake_lines,
)


@dataclass
class DistrictRow:
    """One district's flows over the period; masses in kg with 3 decimals.

    :ivar district: the kecamatan's name; ``None`` for banks and bins without one.
    :ivar bank_intake_basis: ``measured``, or ``estimated`` when litres were converted.
    :ivar truck_collected_kg: estimated from the stops' planned demand (always).
    :ivar collected_stops: bin stops counted in ``truck_collected_kg``.
    :ivar bins: the district's active bins; ``banks``: its active banks.
    """

    district: str | None
    bank_intake_kg: Decimal = Decimal("0.000")
    bank_intake_basis: str = MEASURED
    truck_collected_kg: Decimal = Decimal("0.000")
    truck_collected_basis: str = ESTIMATED
    collected_stops: int = 0
    bins: int = 0
    banks: int = 0


@dataclass
class _Districts:
    """Rows keyed by the folded name, so "Sirimau" and "SIRIMAU " are one district."""

    rows: dict[str | None, DistrictRow] = field(default_factory=dict)

    def row(self, name: str | None) -> DistrictRow:
        text = " ".join((name or "").split()) or None
        key = text.casefold() if text else None
        if key not in self.rows:
            self.rows[key] = DistrictRow(district=text)
        return self.rows[key]

    def in_order(self) -> list[DistrictRow]:
        named = sorted(
            (row for key, row in self.rows.items() if key is not None),
            key=lambda row: (row.district or "").casefold(),
        )
        return named + ([self.rows[None]] if None in self.rows else [])


def district_breakdown(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    date_from: dt.date,
    date_to: dt.date,
) -> list[DistrictRow]:
    """The city's bank intake, truck collection, bins and banks per district.

    Same city, period rules and access as :func:`.report.diversion_report`: local
    dates ``date_from``..``date_to``, both inclusive, within one calendar year.
    Districts are sorted by name, with the row without a district last; a district
    appears when it has a bank, a bin, an intake or a collection.

    :raises PermissionDenied: the role may not read reports (cashier, manager, driver).
    :raises CityNotFound: an unknown city, or another city's.
    :raises InvalidPeriod: the period runs backwards or spans two years.
    """
    city = _city(session, actor, city_code, Action.REPORTS_READ)
    _check_period(date_from, date_to)
    zone = ZoneInfo(city.timezone)
    start = dt.datetime.combine(date_from, dt.time(), zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), zone)
    districts = _Districts()
    # Bins first: their spelling names the district when banks write it otherwise.
    for name, count in _count_by_district(session, Bin, city):
        districts.row(name).bins += count
    for name, mass_kg, stops in _truck_collection(session, city, start, end):
        row = districts.row(name)
        row.truck_collected_kg += mass_kg
        row.collected_stops += stops
    for name, count in _count_by_district(session, Bank, city):
        districts.row(name).banks += count
    for line in intake_lines(session, city, start, end, by_district=True):
        line_mass = intake_line_mass_kg(line)
        if line_mass is None:
            continue  # pieces have no mass, as in the report
        mass_kg, weighed = line_mass
        row = districts.row(line.district)
        row.bank_intake_kg += mass_kg
        if not weighed:
            row.bank_intake_basis = ESTIMATED
    return districts.in_order()


def _count_by_district(
    session: SessionLike, model: type[Bank] | type[Bin], city: City
) -> Iterable[tuple[str | None, int]]:
    """The city's active banks or bins per district."""
    return [
        (name, int(count))
        for name, count in session.execute(
            sa.select(model.district, sa.func.count())
            .where(model.city_id == city.id, model.active.is_(True))
            .group_by(model.district)
        ).all()
    ]


def _truck_collection(
    session: SessionLike, city: City, start: dt.datetime, end: dt.datetime
) -> Iterable[tuple[str | None, Decimal, int]]:
    """Planned demand of the bin stops collected in ``[start, end)``, per district.

    A stop counts when its latest report (by ``occurred_at``, then id, as
    ``RouteStop.last_event``) is ``collected`` and happened in the period: a stop
    skipped and then collected counts once, one collected and then skipped not at all.
    """
    later = aliased(RouteStopEvent)
    superseded = (
        sa.exists()
        .where(
            later.stop_id == RouteStopEvent.stop_id,
            sa.or_(
                later.occurred_at > RouteStopEvent.occurred_at,
                sa.and_(
                    later.occurred_at == RouteStopEvent.occurred_at,
                    later.id > RouteStopEvent.id,
                ),
            ),
        )
        .correlate(RouteStopEvent)
    )
    rows = session.execute(
        sa.select(
            Bin.district,
            sa.func.sum(RouteStop.demand_kg),
            sa.func.count(sa.distinct(RouteStop.id)),
        )
        .select_from(RouteStopEvent)
        .join(RouteStop, RouteStop.id == RouteStopEvent.stop_id)
        .join(Route, Route.id == RouteStop.route_id)
        .join(RoutePlan, RoutePlan.id == Route.plan_id)
        .join(Bin, Bin.id == RouteStop.bin_id)
        .where(
            RoutePlan.city_id == city.id,
            Route.dispatched_at.is_not(None),
            RouteStop.kind == "stop",
            RouteStopEvent.kind == "collected",
            RouteStopEvent.occurred_at >= start,
            RouteStopEvent.occurred_at < end,
            ~superseded,
        )
        .group_by(Bin.district)
    ).all()
    return [(name, _kg(mass or 0), int(stops)) for name, mass, stops in rows]


__all__ = ["DistrictRow", "district_breakdown"]
