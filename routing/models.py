"""Database models of routing: the fleet registry and stored route plans.

Registry: :class:`Depot` (garages), :class:`Facility` (TPA, transfer station, RDF or
composting plant) and :class:`Truck`. Plans: a :class:`RoutePlan` for a city and a
service day holds one :class:`Route` per truck used, each an ordered list of
:class:`RouteStop` rows (bins served and unloadings at a facility), and the bins left
out or skipped (:class:`RoutePlanSkip`). A dispatched route has a driver (a user with
role ``driver``). Route stops have their own ids: drivers report on them
(``/api/v1/route-stops/{id}/events``), each report a :class:`RouteStopEvent`.
:class:`PlannerSlot` rows bound how many plans are computed at once.

Times of day in the registry (shifts, breaks, opening hours) are local to the city, as
seconds since midnight or ``"HH:MM"`` windows; planned times are stored in UTC. Weights
are kg (3 decimals), volumes m³, money integer rupiah.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from routing.problem import FacilityKind
from telemetry.models import Bin
from wastebank.extensions import UTCDateTime, db

FACILITY_KINDS = tuple(kind.value for kind in FacilityKind)
TRUCK_KINDS = ("dump_truck", "arm_roll", "compactor", "pickup", "motor_cart")
#: ``planned`` when stored; ``dispatched`` once every route has a driver
#: (:func:`routing.services.dispatch_plan`); the rest are for later issues.
PLAN_STATUSES = ("planned", "dispatched", "completed", "cancelled")
VISIT_KINDS = ("stop", "unload")
PRIORITIES = ("must", "optional")
#: What a driver reports on a visit: a bin ``collected`` or ``skipped`` (stops), a load
#: ``unloaded`` at the facility (unloads).
STOP_EVENT_KINDS = ("collected", "skipped", "unloaded")
#: Why a stop was skipped.
SKIP_REASONS = ("blocked", "already_empty", "inaccessible", "other")
#: The visit kind each event kind belongs to.
EVENT_VISIT_KIND = {"collected": "stop", "skipped": "stop", "unloaded": "unload"}
SKIP_KINDS = ("skipped", "left_out")

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Only the columns routing needs of wastebank's cities and users tables, without
# importing them.
_cities = sa.table("cities", sa.column("id", sa.Integer), sa.column("code", sa.String))
_users = sa.table(
    "users", sa.column("id", sa.Integer), sa.column("username", sa.String)
)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _city_code(city_id: Any) -> Any:
    return sa.select(_cities.c.code).where(_cities.c.id == city_id).scalar_subquery()


def _username(user_id: Any) -> Any:
    return sa.select(_users.c.username).where(_users.c.id == user_id).scalar_subquery()


_LAT = "lat BETWEEN -90 AND 90"
_LON = "lon BETWEEN -180 AND 180"

truck_facilities = sa.Table(
    "truck_facilities",
    db.metadata,
    sa.Column("truck_id", sa.ForeignKey("trucks.id"), primary_key=True),
    sa.Column("facility_id", sa.ForeignKey("facilities.id"), primary_key=True),
)


class Depot(db.Model):  # type: ignore[name-defined]
    """A garage (pool kendaraan) where trucks start and end their day."""

    __tablename__ = "depots"
    __table_args__ = (
        sa.CheckConstraint(_LAT, name="lat_range"),
        sa.CheckConstraint(_LON, name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    city_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=False, index=True
    )
    city_code: Mapped[str] = column_property(_city_code(city_id))
    lat: Mapped[float] = mapped_column(sa.Float, nullable=False)
    lon: Mapped[float] = mapped_column(sa.Float, nullable=False)
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )


class Facility(db.Model):  # type: ignore[name-defined]
    """A disposal facility: TPA (landfill), transfer station, RDF or composting plant."""

    __tablename__ = "facilities"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", FACILITY_KINDS), name="kind"),
        sa.CheckConstraint(_LAT, name="lat_range"),
        sa.CheckConstraint(_LON, name="lon_range"),
        sa.CheckConstraint("unload_time_s >= 0", name="unload_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    city_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=False, index=True
    )
    city_code: Mapped[str] = column_property(_city_code(city_id))
    lat: Mapped[float] = mapped_column(sa.Float, nullable=False)
    lon: Mapped[float] = mapped_column(sa.Float, nullable=False)
    address: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    #: when unloading may start and must end: ``[["06:00", "18:00"], ...]``, local time
    opening_hours: Mapped[list[Any]] = mapped_column(sa.JSON, nullable=False)
    #: time to weigh in and unload one truck, seconds
    unload_time_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )


class Truck(db.Model):  # type: ignore[name-defined]
    """A collection truck with its capacities, shift, costs and home depot.

    Times of day are seconds since local midnight in the city's zone. An empty
    ``facilities`` list means the truck may unload at every facility.
    """

    __tablename__ = "trucks"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", TRUCK_KINDS), name="kind"),
        sa.CheckConstraint("capacity_kg > 0 AND capacity_m3 > 0", name="capacity"),
        sa.CheckConstraint(
            "shift_start_s >= 0 AND shift_end_s > shift_start_s", name="shift"
        ),
        sa.CheckConstraint(
            "(break_earliest_start_s IS NULL) = (break_latest_start_s IS NULL)"
            " AND (break_earliest_start_s IS NULL) = (break_duration_s IS NULL)",
            name="break_complete",
        ),
        sa.CheckConstraint(
            "break_earliest_start_s IS NULL OR (break_earliest_start_s >= shift_start_s"
            " AND break_latest_start_s >= break_earliest_start_s"
            " AND break_duration_s >= 0"
            " AND break_latest_start_s + break_duration_s <= shift_end_s)",
            name="break_in_shift",
        ),
        sa.CheckConstraint("speed_factor > 0", name="speed_factor"),
        sa.CheckConstraint(
            "cost_rp_per_km >= 0 AND cost_rp_per_hour >= 0 AND fixed_cost_rp >= 0",
            name="costs",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: fleet number or plate, e.g. ``AMB-DT-01`` (unique across cities)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    plate_no: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    city_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cities.id"), nullable=False, index=True
    )
    city_code: Mapped[str] = column_property(_city_code(city_id))
    depot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("depots.id"), nullable=False, index=True
    )
    #: payload, kg
    capacity_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    #: body volume (compacted for a compactor), m³
    capacity_m3: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3), nullable=False)
    shift_start_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    shift_end_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    break_earliest_start_s: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True
    )
    break_latest_start_s: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    break_duration_s: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: multiplies the mean road speed (0.8 = a slow truck)
    speed_factor: Mapped[float] = mapped_column(sa.Float, nullable=False, default=1.0)
    cost_rp_per_km: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    cost_rp_per_hour: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: cost of using the truck at all on a day, rupiah
    fixed_cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )

    depot: Mapped[Depot] = relationship()
    #: facilities it may unload at; empty = all
    facilities: Mapped[list[Facility]] = relationship(
        secondary=truck_facilities, order_by="Facility.code"
    )

    @property
    def rest_break(self) -> dict[str, int] | None:
        """The break as ``{"earliest_start_s", "latest_start_s", "duration_s"}``."""
        if (
            self.break_earliest_start_s is None
            or self.break_latest_start_s is None
            or self.break_duration_s is None
        ):
            return None
        return {
            "earliest_start_s": self.break_earliest_start_s,
            "latest_start_s": self.break_latest_start_s,
            "duration_s": self.break_duration_s,
        }


class RoutePlan(db.Model):  # type: ignore[name-defined]
    """A stored plan: a city's collection routes for one service day."""

    __tablename__ = "route_plans"
    __table_args__ = (
        sa.Index("ix_route_plans_city_id_service_date", "city_id", "service_date"),
        sa.CheckConstraint(_in("status", PLAN_STATUSES), name="status"),
        sa.CheckConstraint(
            "threshold_pct IS NULL OR (threshold_pct > 0 AND threshold_pct <= 100)",
            name="threshold_range",
        ),
        sa.CheckConstraint("time_limit_s > 0", name="time_limit"),
        sa.CheckConstraint(
            "distance_m >= 0 AND duration_s >= 0 AND trips >= 0", name="totals"
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), nullable=False)
    city_code: Mapped[str] = column_property(_city_code(city_id))
    #: the city's zone when planned: planned times are shown in it
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    service_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="planned"
    )
    # -- the request --
    #: the request as given (truck, depot and facility codes; ``null`` = default)
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    #: threshold override for every bin, percent; ``null`` = each bin's own
    threshold_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    time_limit_s: Mapped[float] = mapped_column(sa.Float, nullable=False)
    seed: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: the problem exactly as solved (:mod:`routing.snapshot`): re-checks and re-runs
    problem: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    # -- totals --
    distance_m: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: truck time, the sum of the routes' durations
    duration_s: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    collected_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    collected_m3: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), nullable=False)
    trips: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: penalties of the optional bins left out, rupiah
    penalty_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    #: the dispatched plan of the same day whose remaining stops this one re-plans
    #: (:func:`routing.services.replan_route_plan`); ``null`` for a day's first plan
    replans_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("route_plans.id"), nullable=True, index=True
    )

    routes: Mapped[list[Route]] = relationship(
        back_populates="plan", order_by="Route.id", cascade="all, delete-orphan"
    )
    skips: Mapped[list[RoutePlanSkip]] = relationship(
        back_populates="plan", order_by="RoutePlanSkip.id", cascade="all, delete-orphan"
    )

    @property
    def left_out(self) -> list[RoutePlanSkip]:
        """Optional bins the solver left out."""
        return [skip for skip in self.skips if skip.kind == "left_out"]

    @property
    def skipped(self) -> list[RoutePlanSkip]:
        """Bins not worth collecting that day (or without a reading)."""
        return [skip for skip in self.skips if skip.kind == "skipped"]


class Route(db.Model):  # type: ignore[name-defined]
    """One truck's day in a plan: from its depot, stops and unloadings, back empty."""

    __tablename__ = "routes"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "truck_id"),
        sa.CheckConstraint("end_at >= start_at", name="times"),
        sa.CheckConstraint(
            "(driver_id IS NULL) = (dispatched_at IS NULL)", name="dispatch_complete"
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("route_plans.id"), nullable=False
    )
    truck_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trucks.id"), nullable=False, index=True
    )
    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), nullable=False)
    #: departure from the depot
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    #: return to the depot
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    break_start_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    distance_m: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    #: length of the last leg, back to the depot
    return_distance_m: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    duration_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    collected_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    collected_m3: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), nullable=False)
    trips: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cost_rp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # -- dispatch: who drives it (a user with role driver of the plan's city) --
    driver_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True, index=True
    )
    driver_username: Mapped[str | None] = column_property(_username(driver_id))
    #: when the current driver was assigned
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
    dispatched_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), nullable=True
    )
    #: where the route starts when not at its depot: the truck's position when the
    #: day was re-planned (a bin it had emptied, or a facility); ``null`` = depot
    start_lat: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    start_lon: Mapped[float | None] = mapped_column(sa.Float, nullable=True)

    plan: Mapped[RoutePlan] = relationship(back_populates="routes")
    truck: Mapped[Truck] = relationship()
    depot: Mapped[Depot] = relationship()
    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="route", order_by="RouteStop.seq", cascade="all, delete-orphan"
    )

    @property
    def timezone(self) -> str:
        """The plan's zone, for showing times."""
        return self.plan.timezone


class RouteStop(db.Model):  # type: ignore[name-defined]
    """A visit of a route, in order: a bin served (``stop``) or an ``unload``."""

    __tablename__ = "route_stops"
    __table_args__ = (
        sa.UniqueConstraint("route_id", "seq"),
        sa.CheckConstraint(_in("kind", VISIT_KINDS), name="kind"),
        sa.CheckConstraint(
            "(kind = 'stop' AND bin_id IS NOT NULL AND facility_id IS NULL"
            " AND demand_kg IS NOT NULL AND demand_m3 IS NOT NULL"
            " AND priority IS NOT NULL)"
            " OR (kind = 'unload' AND facility_id IS NOT NULL AND bin_id IS NULL)",
            name="place",
        ),
        sa.CheckConstraint(
            "priority IS NULL OR " + _in("priority", PRIORITIES), name="priority"
        ),
        sa.CheckConstraint(
            "arrival_at <= start_at AND start_at <= departure_at", name="times"
        ),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("routes.id"), nullable=False)
    #: position in the route, from 1
    seq: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    bin_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bins.id"), nullable=True, index=True
    )
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id"), nullable=True
    )
    arrival_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    #: start of service or unloading, after any wait
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    departure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    #: length and driving time of the leg that leads here
    distance_m: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    travel_s: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    #: load on board after the visit (0 after an unload)
    load_after_kg: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3), nullable=False)
    load_after_m3: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), nullable=False)
    # -- stops only --
    #: fill level expected when the truck comes, percent
    expected_fill_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    demand_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 3), nullable=True)
    demand_m3: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4), nullable=True)
    priority: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    #: when a dispatched re-plan took this visit over before it was done; a report
    #: that still arrives for it counts (the phone may have queued it)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    route: Mapped[Route] = relationship(back_populates="stops")
    bin: Mapped[Bin | None] = relationship()
    facility: Mapped[Facility | None] = relationship()
    #: the drivers' reports, in the order they happened (the last one counts)
    events: Mapped[list[RouteStopEvent]] = relationship(
        order_by=lambda: (RouteStopEvent.occurred_at, RouteStopEvent.id),
        viewonly=True,
    )

    @property
    def last_event(self) -> RouteStopEvent | None:
        """The latest report: it supersedes the earlier ones."""
        return self.events[-1] if self.events else None

    @property
    def state(self) -> str:
        """``open`` until reported, then the kind of the latest report;
        ``replaced`` when a re-plan took it over unreported."""
        last = self.last_event
        if last is not None:
            return last.kind
        return "open" if self.replaced_at is None else "replaced"

    @property
    def done(self) -> bool:
        """Nothing left to do here: collected, unloaded, or skipped as already empty."""
        last = self.last_event
        return last is not None and (
            last.kind != "skipped" or last.reason == "already_empty"
        )

    @property
    def timezone(self) -> str:
        """The plan's zone, for showing times."""
        return self.route.plan.timezone


class RoutePlanSkip(db.Model):  # type: ignore[name-defined]
    """A bin not in any route of a plan, and why.

    ``skipped``: not worth collecting that day (or no reading); ``left_out``: an
    optional bin the solver found not worth its detour (its penalty is kept).
    """

    __tablename__ = "route_plan_skips"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "bin_id"),
        sa.CheckConstraint(_in("kind", SKIP_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("route_plans.id"), nullable=False
    )
    bin_id: Mapped[int] = mapped_column(sa.ForeignKey("bins.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    expected_fill_pct: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    #: days until full at the learned rate; ``null`` if it is not filling
    days_to_full: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    penalty_rp: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)

    plan: Mapped[RoutePlan] = relationship(back_populates="skips")
    bin: Mapped[Bin] = relationship()


class RouteStopEvent(db.Model):  # type: ignore[name-defined]
    """A driver's report on a visit: collected, skipped (with a reason) or unloaded.

    Reports are never changed: a later one on the same visit supersedes the earlier
    (skipped, then collected on a second pass), and both rows stay. Phones queue
    reports while offline and send them later, each with its ``Idempotency-Key``: the
    key is unique per driver, and the same request under it is a replay.
    """

    __tablename__ = "route_stop_events"
    __table_args__ = (
        sa.UniqueConstraint("driver_id", "idempotency_key"),
        sa.Index("ix_route_stop_events_stop_id_occurred_at", "stop_id", "occurred_at"),
        sa.CheckConstraint(_in("kind", STOP_EVENT_KINDS), name="kind"),
        sa.CheckConstraint(
            # IS NOT NULL spelled out: a CHECK that evaluates to NULL passes.
            "(kind = 'skipped' AND reason IS NOT NULL AND "
            + _in("reason", SKIP_REASONS)
            + ")"
            " OR (kind <> 'skipped' AND reason IS NULL)",
            name="reason_for_skipped",
        ),
        sa.CheckConstraint(
            "(kind = 'unloaded' AND ticket_no IS NOT NULL"
            " AND net_weight_kg IS NOT NULL AND net_weight_kg > 0"
            " AND tpa_delivery_id IS NOT NULL)"
            " OR (kind <> 'unloaded' AND ticket_no IS NULL AND net_weight_kg IS NULL"
            " AND tpa_delivery_id IS NULL)",
            name="ticket_for_unloaded",
        ),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    stop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("route_stops.id"), nullable=False
    )
    driver_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    #: why a stop was skipped (skipped only)
    reason: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    # -- unloaded only: the weighbridge ticket, and the TPA delivery it became --
    ticket_no: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    net_weight_kg: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(12, 3), nullable=True
    )
    tpa_delivery_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tpa_deliveries.id"), nullable=True
    )
    #: when it happened, by the phone's clock (UTC)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    #: when the server got it (later than ``occurred_at`` for a queued report)
    received_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    #: SHA-256 of the request: the same key with another request is refused
    request_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    stop: Mapped[RouteStop] = relationship()
    #: the photo the driver attached, if any (its bytes load only when read)
    photo: Mapped[RouteStopPhoto | None] = relationship(
        back_populates="event", uselist=False
    )

    @property
    def timezone(self) -> str:
        """The plan's zone, for showing times."""
        return self.stop.route.plan.timezone


class RouteStopPhoto(db.Model):  # type: ignore[name-defined]
    """A photo a driver attached to a report: a JPEG the phone shrank before sending.

    Kept in the database (small, backed up with everything else, and the same for every
    web worker); served by ``GET /api/v1/route-stop-events/{id}/photo``.
    """

    __tablename__ = "route_stop_photos"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("route_stop_events.id"), nullable=False, unique=True
    )
    content_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)

    event: Mapped[RouteStopEvent] = relationship(back_populates="photo")


class PlannerSlot(db.Model):  # type: ignore[name-defined]
    """One of the planner's concurrency slots and its lease, if taken.

    ``scope`` is ``"all"`` (the installation's limit) or ``"city:<code>"``; a scope
    with a limit of N has slots 0..N-1. A plan being computed holds one slot of its
    city and one of ``"all"`` (:mod:`routing.services.solving`). A lease outlives a
    crashed process only until ``lease_until``.
    """

    __tablename__ = "planner_slots"

    scope: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    slot: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    #: who holds it (host, process id, a random part); ``null`` = free
    holder: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    #: free for anyone after this, even if ``holder`` is set (a holder renews it)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: when the holder's plan should be done (its time limit): ``Retry-After``
    expected_end_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, nullable=True
    )
