"""The collection problem and the route plan, as frozen dataclasses.

Units and conventions, for every class here:

* **Times of day** are integer seconds since local midnight of the service day
  in the city's own time zone (``6 * 3600`` is 06:00). Values past 86 400 are
  allowed for night shifts that cross midnight.
* **Durations** are integer seconds, **distances** integer metres.
* **Weights** are kilograms and **volumes** cubic metres, both as ``Decimal``
  (ints and floats given to a constructor are converted); a truck's volume is its
  compacted body volume, a stop's volume is the loose volume after compaction
  (the caller decides the compaction ratio).
* **Money** is integer rupiah.
* Coordinates are WGS84 degrees.

A time window means *the service starts within it* for a stop (the Solomon
convention). A facility's opening hours mean *the unloading starts and ends
within them*. A vehicle's shift bounds its departure from and return to its
depot. Its break, if any, starts within ``[earliest_start_s, latest_start_s]``,
lasts ``duration_s`` and may be taken on the road between two visits, or at the
depot before departure or after the return, but never during a service.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from routing.distance import DistanceSource, HaversineSource, Place

__all__ = [
    "DAY_S",
    "Break",
    "CollectionProblem",
    "Depot",
    "Facility",
    "FacilityKind",
    "Priority",
    "Route",
    "RoutePlan",
    "Stop",
    "StopKind",
    "TimeWindow",
    "Vehicle",
    "Visit",
    "VisitKind",
    "format_time_of_day",
    "parse_time_of_day",
    "route_cost_rp",
]

#: Seconds in a day.
DAY_S = 86_400


def parse_time_of_day(text: str) -> int:
    """``"HH:MM"`` (``"24:00"`` allowed) as seconds since midnight.

    The shape is not checked here: schemas check it before a time reaches a service.
    """
    hours, _, minutes = text.partition(":")
    return int(hours) * 3600 + int(minutes) * 60


def format_time_of_day(seconds: int) -> str:
    """Seconds since midnight as ``"HH:MM"`` (hours past 24 for the next day)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _decimal(value: Decimal | int | float | str) -> Decimal:
    # str() first so that 0.1 becomes Decimal("0.1"), not its binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


class Priority(StrEnum):
    """Whether a stop must be served or may be left out at a penalty."""

    MUST = "must"
    OPTIONAL = "optional"


class StopKind(StrEnum):
    """What a stop is; informative only, the solver treats all alike."""

    BIN = "bin"
    TPS = "tps"  # tempat penampungan sementara, a neighbourhood transfer point
    WASTE_BANK = "waste_bank"


class FacilityKind(StrEnum):
    """Where a truck unloads."""

    TPA = "tpa"  # tempat pemrosesan akhir, the landfill
    TRANSFER_STATION = "transfer_station"
    RDF_PLANT = "rdf_plant"
    COMPOSTING_PLANT = "composting_plant"


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval of times of day, seconds since local midnight.

    :param start_s: first allowed second.
    :param end_s: last allowed second (``>= start_s``).
    """

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        """Reject reversed windows."""
        if self.end_s < self.start_s:
            raise ValueError(
                f"time window ends ({self.end_s}) before it starts ({self.start_s})"
            )

    def contains(self, t_s: int) -> bool:
        """Tell whether ``t_s`` lies inside the window (bounds included)."""
        return self.start_s <= t_s <= self.end_s


@dataclass(frozen=True)
class Depot:
    """A garage where trucks start and end their routes.

    :param depot_id: unique among all places of a problem.
    """

    depot_id: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Facility:
    """A disposal facility: TPA, transfer station, RDF or composting plant.

    :param facility_id: unique among all places of a problem.
    :param opening_hours: windows during which unloading may take place (start
        and end of the unloading both inside one window).
    :param unload_s: time to weigh in and unload, seconds.
    """

    facility_id: str
    lat: float
    lon: float
    kind: FacilityKind = FacilityKind.TPA
    opening_hours: tuple[TimeWindow, ...] = (TimeWindow(0, DAY_S),)
    unload_s: int = 900

    def __post_init__(self) -> None:
        """Check the unloading time and that there is at least one opening window."""
        if self.unload_s < 0:
            raise ValueError("unload_s must be >= 0")
        if not self.opening_hours:
            raise ValueError(f"facility {self.facility_id} has no opening hours")


@dataclass(frozen=True)
class Break:
    """A driver's break.

    :param earliest_start_s: earliest start, seconds since local midnight.
    :param latest_start_s: latest start, seconds since local midnight.
    :param duration_s: length, seconds.
    """

    earliest_start_s: int
    latest_start_s: int
    duration_s: int

    def __post_init__(self) -> None:
        """Reject a reversed window or a negative length."""
        if self.latest_start_s < self.earliest_start_s:
            raise ValueError("break latest_start_s is before earliest_start_s")
        if self.duration_s < 0:
            raise ValueError("break duration_s must be >= 0")


@dataclass(frozen=True)
class Vehicle:
    """A collection truck.

    :param vehicle_id: unique among vehicles.
    :param depot_id: its home garage, where its route starts and ends.
    :param capacity_kg: payload, kg.
    :param capacity_m3: compacted body volume, m³.
    :param shift_start_s: earliest departure from the depot, seconds since midnight.
    :param shift_end_s: latest return to the depot, seconds since midnight.
    :param rest_break: the driver's break, if the shift has one.
    :param speed_factor: multiplies the distance source's speed (0.8 = 20 %
        slower than the source's durations); a simple speed profile per truck type.
    :param cost_rp_per_km: running cost, rupiah per km.
    :param cost_rp_per_hour: crew and time cost, rupiah per hour of route duration.
    :param fixed_cost_rp: cost of using the truck at all that day, rupiah.
    :param allowed_facility_ids: facilities it may unload at; ``None`` = all.
    :param start_id: where its route starts when that is not its depot: the id of
        another :class:`Depot` of the problem, such as the truck's position when
        the day is re-planned; ``None`` = its depot. The route still ends at
        ``depot_id``, and ``shift_start_s`` is then the earliest departure from there.
    :param initial_load_kg: weight already on board at the start, kg (re-planning).
    :param initial_load_m3: volume already on board at the start, m³. A truck
        that starts loaded unloads before going home even if it collects nothing.
    """

    vehicle_id: str
    depot_id: str
    capacity_kg: Decimal
    capacity_m3: Decimal
    shift_start_s: int = 6 * 3600
    shift_end_s: int = 14 * 3600
    rest_break: Break | None = None
    speed_factor: float = 1.0
    cost_rp_per_km: int = 0
    cost_rp_per_hour: int = 0
    fixed_cost_rp: int = 0
    allowed_facility_ids: frozenset[str] | None = None
    start_id: str | None = None
    initial_load_kg: Decimal = Decimal(0)
    initial_load_m3: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        """Normalise quantities to ``Decimal`` and check ranges."""
        for name in (
            "capacity_kg",
            "capacity_m3",
            "initial_load_kg",
            "initial_load_m3",
        ):
            object.__setattr__(self, name, _decimal(getattr(self, name)))
        if self.allowed_facility_ids is not None and not isinstance(
            self.allowed_facility_ids, frozenset
        ):
            object.__setattr__(
                self, "allowed_facility_ids", frozenset(self.allowed_facility_ids)
            )
        if self.capacity_kg <= 0 or self.capacity_m3 <= 0:
            raise ValueError(f"vehicle {self.vehicle_id}: capacities must be > 0")
        if not (
            0 <= self.initial_load_kg <= self.capacity_kg
            and 0 <= self.initial_load_m3 <= self.capacity_m3
        ):
            raise ValueError(
                f"vehicle {self.vehicle_id}: the initial load must be within capacity"
            )
        if self.shift_end_s < self.shift_start_s:
            raise ValueError(f"vehicle {self.vehicle_id}: shift ends before it starts")
        if not self.speed_factor > 0:
            raise ValueError(f"vehicle {self.vehicle_id}: speed_factor must be > 0")
        if min(self.cost_rp_per_km, self.cost_rp_per_hour, self.fixed_cost_rp) < 0:
            raise ValueError(f"vehicle {self.vehicle_id}: costs must be >= 0")
        brk = self.rest_break
        if brk is not None and (
            brk.earliest_start_s < self.shift_start_s
            or brk.latest_start_s + brk.duration_s > self.shift_end_s
        ):
            raise ValueError(
                f"vehicle {self.vehicle_id}: the break must fit inside the shift"
            )

    @property
    def start_depot_id(self) -> str:
        """Where the route starts: ``start_id``, or the depot."""
        return self.start_id or self.depot_id

    @property
    def starts_loaded(self) -> bool:
        """True when something is on board at the start."""
        return self.initial_load_kg > 0 or self.initial_load_m3 > 0

    def travel_s(self, duration_s: int) -> int:
        """Driving time of this truck over a leg the distance source times at ``duration_s``.

        :param duration_s: the source's duration, seconds.
        :returns: ``duration_s / speed_factor`` rounded to the second.
        """
        return round(duration_s / self.speed_factor)

    def may_unload_at(self, facility_id: str) -> bool:
        """Tell whether the truck is allowed to unload at ``facility_id``."""
        return (
            self.allowed_facility_ids is None
            or facility_id in self.allowed_facility_ids
        )


@dataclass(frozen=True)
class Stop:
    """A place to collect from: a bin, a TPS or a waste-bank pickup.

    :param stop_id: unique among all places of a problem.
    :param demand_kg: weight to collect, kg.
    :param demand_m3: volume it takes in the truck, m³.
    :param service_s: time spent at the stop, seconds.
    :param time_windows: windows for the start of service; empty = any time.
    :param priority: must-collect, or optional with a penalty.
    :param penalty_rp: cost of leaving an optional stop out, rupiah.
    :param allowed_vehicle_ids: vehicles that may serve it; ``None`` = all.
    """

    stop_id: str
    lat: float
    lon: float
    demand_kg: Decimal
    demand_m3: Decimal
    service_s: int = 60
    time_windows: tuple[TimeWindow, ...] = ()
    priority: Priority = Priority.MUST
    penalty_rp: int = 0
    kind: StopKind = StopKind.BIN
    allowed_vehicle_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        """Normalise quantities to ``Decimal`` and check ranges."""
        object.__setattr__(self, "demand_kg", _decimal(self.demand_kg))
        object.__setattr__(self, "demand_m3", _decimal(self.demand_m3))
        if self.allowed_vehicle_ids is not None and not isinstance(
            self.allowed_vehicle_ids, frozenset
        ):
            object.__setattr__(
                self, "allowed_vehicle_ids", frozenset(self.allowed_vehicle_ids)
            )
        if self.demand_kg < 0 or self.demand_m3 < 0:
            raise ValueError(f"stop {self.stop_id}: demands must be >= 0")
        if self.service_s < 0:
            raise ValueError(f"stop {self.stop_id}: service_s must be >= 0")
        if self.penalty_rp < 0:
            raise ValueError(f"stop {self.stop_id}: penalty_rp must be >= 0")

    @property
    def is_optional(self) -> bool:
        """True when the solver may leave the stop out."""
        return self.priority is Priority.OPTIONAL

    def may_be_served_by(self, vehicle_id: str) -> bool:
        """Tell whether ``vehicle_id`` may serve this stop."""
        return (
            self.allowed_vehicle_ids is None or vehicle_id in self.allowed_vehicle_ids
        )


@dataclass(frozen=True)
class CollectionProblem:
    """One day's collection: garages, facilities, trucks, stops and a distance source.

    :param distance_source: where distances and durations come from; haversine
        with a circuity factor by default.
    """

    depots: tuple[Depot, ...]
    facilities: tuple[Facility, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    distance_source: DistanceSource = field(default_factory=HaversineSource)

    def __post_init__(self) -> None:
        """Check identifiers and cross references."""
        for name in ("depots", "facilities", "vehicles", "stops"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        place_ids = [p.place_id for p in self.places()]
        dupes = sorted({pid for pid in place_ids if place_ids.count(pid) > 1})
        if dupes:
            raise ValueError(
                f"place ids must be unique across depots, facilities, stops: {dupes}"
            )
        vehicle_ids = [v.vehicle_id for v in self.vehicles]
        if len(set(vehicle_ids)) != len(vehicle_ids):
            raise ValueError("vehicle ids must be unique")
        depot_ids = {d.depot_id for d in self.depots}
        facility_ids = {f.facility_id for f in self.facilities}
        for v in self.vehicles:
            for depot_id in (v.depot_id, v.start_depot_id):
                if depot_id not in depot_ids:
                    raise ValueError(
                        f"vehicle {v.vehicle_id}: unknown depot {depot_id}"
                    )
            unknown = (v.allowed_facility_ids or frozenset()) - facility_ids
            if unknown:
                raise ValueError(
                    f"vehicle {v.vehicle_id}: unknown facilities {sorted(unknown)}"
                )
        for s in self.stops:
            unknown = (s.allowed_vehicle_ids or frozenset()) - set(vehicle_ids)
            if unknown:
                raise ValueError(
                    f"stop {s.stop_id}: unknown vehicles {sorted(unknown)}"
                )

    def places(self) -> list[Place]:
        """All places in matrix order: depots, then facilities, then stops."""
        return (
            [Place(d.depot_id, d.lat, d.lon) for d in self.depots]
            + [Place(f.facility_id, f.lat, f.lon) for f in self.facilities]
            + [Place(s.stop_id, s.lat, s.lon) for s in self.stops]
        )

    def depot(self, depot_id: str) -> Depot:
        """Return the depot with this id (``KeyError`` if unknown)."""
        return {d.depot_id: d for d in self.depots}[depot_id]

    def facility(self, facility_id: str) -> Facility:
        """Return the facility with this id (``KeyError`` if unknown)."""
        return {f.facility_id: f for f in self.facilities}[facility_id]

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """Return the vehicle with this id (``KeyError`` if unknown)."""
        return {v.vehicle_id: v for v in self.vehicles}[vehicle_id]

    def stop(self, stop_id: str) -> Stop:
        """Return the stop with this id (``KeyError`` if unknown)."""
        return self._stops_by_id[stop_id]

    @functools.cached_property
    def _stops_by_id(self) -> dict[str, Stop]:
        # Built once: storing a plan looks up every visit's stop.
        return {s.stop_id: s for s in self.stops}


def route_cost_rp(vehicle: Vehicle, distance_m: int, duration_s: int) -> int:
    """Cost of one used vehicle's route, rounded half up to the rupiah.

    :param vehicle: the truck, for its fixed and variable costs.
    :param distance_m: route length, metres.
    :param duration_s: route duration from departure to return, seconds.
    :returns: ``fixed + per_km * km + per_hour * hours``, integer rupiah.
    """
    exact = (
        vehicle.fixed_cost_rp
        + Fraction(vehicle.cost_rp_per_km * distance_m, 1000)
        + Fraction(vehicle.cost_rp_per_hour * duration_s, 3600)
    )
    as_decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
    return int(as_decimal.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class VisitKind(StrEnum):
    """What a truck does at a visit."""

    STOP = "stop"
    UNLOAD = "unload"


@dataclass(frozen=True)
class Visit:
    """One visit of a route: a stop served or an unloading at a facility.

    :param place_id: the stop's or facility's id.
    :param arrival_s: arrival time, seconds since midnight.
    :param start_s: start of service or unloading (after any wait).
    :param departure_s: end of service, when the truck leaves.
    :param load_kg: load on board after the visit, kg (0 after an unload).
    :param load_m3: load on board after the visit, m³.
    :param distance_m: length of the leg that leads here, metres.
    :param travel_s: driving time of that leg, seconds (breaks excluded).
    """

    kind: VisitKind
    place_id: str
    arrival_s: int
    start_s: int
    departure_s: int
    load_kg: Decimal
    load_m3: Decimal
    distance_m: int
    travel_s: int


@dataclass(frozen=True)
class Route:
    """The day of one truck: depot, visits in order, back to the depot empty.

    A route of a truck with a ``start_id`` (re-planning) leaves from there instead,
    with the truck's initial load on board.

    :param start_s: departure from the depot (or start), seconds since midnight.
    :param end_s: return to the depot, seconds since midnight.
    :param return_distance_m: length of the last leg, back to the depot, metres.
    :param break_start_s: when the driver's break starts, if the truck has one.
    :param distance_m: total length, the sum of the legs, metres.
    :param duration_s: ``end_s - start_s``, seconds.
    :param collected_kg: weight collected from stops, kg.
    :param collected_m3: volume collected from stops, m³.
    :param trips: number of unloadings at facilities.
    :param cost_rp: :func:`route_cost_rp` of the route.
    """

    vehicle_id: str
    depot_id: str
    start_s: int
    end_s: int
    visits: tuple[Visit, ...]
    return_distance_m: int
    break_start_s: int | None
    distance_m: int
    duration_s: int
    collected_kg: Decimal
    collected_m3: Decimal
    trips: int
    cost_rp: int

    @property
    def stop_ids(self) -> list[str]:
        """The ids of the stops served, in order."""
        return [v.place_id for v in self.visits if v.kind is VisitKind.STOP]


@dataclass(frozen=True)
class RoutePlan:
    """The solver's answer: one route per used truck, and the stops left out.

    :param dropped_stop_ids: optional stops that were left out.
    :param distance_m: total length of all routes, metres.
    :param duration_s: total truck time (sum of route durations), seconds.
    :param collected_kg: total weight collected, kg.
    :param collected_m3: total volume collected, m³.
    :param trips: total number of unloadings.
    :param cost_rp: total route cost, rupiah.
    :param penalty_rp: sum of the penalties of the dropped stops, rupiah.
    """

    routes: tuple[Route, ...]
    dropped_stop_ids: tuple[str, ...]
    distance_m: int
    duration_s: int
    collected_kg: Decimal
    collected_m3: Decimal
    trips: int
    cost_rp: int
    penalty_rp: int

    @property
    def distance_km(self) -> float:
        """Total distance in kilometres."""
        return self.distance_m / 1000

    @property
    def duration_h(self) -> float:
        """Total truck time in hours."""
        return self.duration_s / 3600

    @classmethod
    def from_routes(
        cls, routes: Iterable[Route], dropped_stop_ids: Iterable[str], penalty_rp: int
    ) -> RoutePlan:
        """Build a plan whose totals are the sums over ``routes``."""
        routes = tuple(routes)
        return cls(
            routes=routes,
            dropped_stop_ids=tuple(dropped_stop_ids),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            collected_kg=sum((r.collected_kg for r in routes), Decimal(0)),
            collected_m3=sum((r.collected_m3 for r in routes), Decimal(0)),
            trips=sum(r.trips for r in routes),
            cost_rp=sum(r.cost_rp for r in routes),
            penalty_rp=penalty_rp,
        )
