"""Marshmallow schemas of the route-plan and fleet API: shape and ranges only.

Existence, uniqueness, permissions and feasibility are service rules
(:mod:`routing.services`). Times of day are ``"HH:MM"`` in the city's local time;
planned times are ISO 8601 date-times in the city's zone; decimals are strings.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from routing.models import (
    FACILITY_KINDS,
    PLAN_STATUSES,
    PRIORITIES,
    SKIP_REASONS,
    STOP_EVENT_KINDS,
    TRUCK_KINDS,
)
from routing.problem import format_time_of_day, parse_time_of_day
from routing.snapshot import source_description
from wastebank.extensions import MAX_ID
from wastebank.fields import (
    BoundedDate,
    BoundedDateTime,
    DecimalNumber,
    JsonBoolean,
    Name,
    Pattern,
)

__all__ = [
    "DepotCreateSchema",
    "DepotSchema",
    "DispatchAssignmentSchema",
    "DispatchCreateSchema",
    "DriverRouteQueryArgsSchema",
    "DriverRouteSchema",
    "DriverStopSchema",
    "FacilityCreateSchema",
    "FacilitySchema",
    "GeoJsonFeatureCollectionSchema",
    "RegistryQueryArgsSchema",
    "RoutePlanCreateSchema",
    "RoutePlanQueryArgsSchema",
    "RoutePlanSchema",
    "RoutePlanSummarySchema",
    "RouteStopEventCreateSchema",
    "RouteStopEventSchema",
    "TimeOfDay",
    "TruckCreateSchema",
    "TruckQueryArgsSchema",
    "TruckSchema",
]

#: Largest search budget one request may ask for, seconds.
MAX_TIME_LIMIT_S = 120.0

_CODE = Pattern(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", error="1-32 letters, digits, - or _."
)
_HHMM = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")
_LAT = validate.Range(min=-90, max=90)
_LON = validate.Range(min=-180, max=180)
_RUPIAH = validate.Range(min=0, max=10**12)


class TimeOfDay(fields.Field[int]):
    """A local time of day: ``"HH:MM"`` (``"24:00"`` = end of day) <-> seconds since midnight."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return format_time_of_day(value)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> int:
        if not isinstance(value, str) or _HHMM.match(value) is None:
            raise ValidationError('A time of day is "HH:MM" (00:00 to 24:00).')
        return parse_time_of_day(value)


class LocalDateTime(fields.AwareDateTime):
    """A stored UTC time shown in the zone of the plan (``obj.timezone``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(ZoneInfo(obj.timezone)).isoformat()


def _check_windows(windows: list[list[str]]) -> None:
    for window in windows:
        if len(window) != 2 or not all(
            isinstance(t, str) and _HHMM.match(t) for t in window
        ):
            raise ValidationError('Each window is ["HH:MM", "HH:MM"].')
        if window[1] <= window[0]:
            raise ValidationError("A window must end after it starts.")


# -- registry ------------------------------------------------------------------------------
class RegistryQueryArgsSchema(Schema):
    city = fields.String(load_default=None, metadata={"description": "city code"})


class TruckQueryArgsSchema(RegistryQueryArgsSchema):
    active = fields.Boolean(load_default=None)


class DepotSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    city = fields.String(attribute="city_code", required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    address = fields.String(allow_none=True)
    active = fields.Boolean(required=True)


class DepotCreateSchema(Schema):
    code = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    city = fields.String(load_default=None, validate=validate.Length(max=16))
    lat = fields.Float(required=True, validate=_LAT)
    lon = fields.Float(required=True, validate=_LON)
    address = fields.String(load_default=None, validate=validate.Length(max=255))


class FacilitySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(FACILITY_KINDS)})
    city = fields.String(attribute="city_code", required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    address = fields.String(allow_none=True)
    opening_hours = fields.List(fields.List(fields.String()), required=True)
    unload_time_s = fields.Integer(required=True)
    active = fields.Boolean(required=True)


class FacilityCreateSchema(Schema):
    code = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(FACILITY_KINDS))
    city = fields.String(load_default=None, validate=validate.Length(max=16))
    lat = fields.Float(required=True, validate=_LAT)
    lon = fields.Float(required=True, validate=_LON)
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    opening_hours = fields.List(
        fields.List(fields.String()),
        load_default=lambda: [["00:00", "24:00"]],
        validate=[validate.Length(min=1, max=8), _check_windows],
        metadata={
            "description": "local times when unloading may start and must end",
            "example": [["06:00", "18:00"]],
        },
    )
    unload_time_s = fields.Integer(
        load_default=900, validate=validate.Range(min=0, max=4 * 3600)
    )


class BreakSchema(Schema):
    earliest_start = TimeOfDay(
        required=True, attribute="earliest_start_s", data_key="earliest_start"
    )
    latest_start = TimeOfDay(
        required=True, attribute="latest_start_s", data_key="latest_start"
    )
    duration_s = fields.Integer(
        required=True, validate=validate.Range(min=0, max=4 * 3600)
    )

    @validates_schema
    def _order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["latest_start_s"] < data["earliest_start_s"]:
            raise ValidationError("Must not be before earliest_start.", "latest_start")


class TruckSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(TRUCK_KINDS)})
    plate_no = fields.String(allow_none=True)
    city = fields.String(attribute="city_code", required=True)
    depot = fields.Function(lambda truck: truck.depot.code, required=True)
    capacity_kg = fields.Decimal(required=True, as_string=True)
    capacity_m3 = fields.Decimal(required=True, as_string=True)
    shift_start = TimeOfDay(attribute="shift_start_s", required=True)
    shift_end = TimeOfDay(attribute="shift_end_s", required=True)
    rest_break = fields.Nested(BreakSchema, required=True, allow_none=True)
    speed_factor = fields.Float(required=True)
    cost_rp_per_km = fields.Integer(required=True)
    cost_rp_per_hour = fields.Integer(required=True)
    fixed_cost_rp = fields.Integer(required=True)
    facilities = fields.Function(
        lambda truck: [f.code for f in truck.facilities],
        required=True,
        metadata={"description": "where it may unload; empty = everywhere"},
    )
    active = fields.Boolean(required=True)


class TruckCreateSchema(Schema):
    code = fields.String(required=True, validate=_CODE)
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(TRUCK_KINDS))
    plate_no = fields.String(load_default=None, validate=validate.Length(max=16))
    city = fields.String(load_default=None, validate=validate.Length(max=16))
    depot = fields.String(required=True, validate=validate.Length(min=1, max=32))
    capacity_kg = DecimalNumber(
        required=True,
        places=3,
        validate=validate.Range(min=0, min_inclusive=False, max=100_000),
        metadata={"description": "payload, kg", "example": "4000"},
    )
    capacity_m3 = DecimalNumber(
        required=True,
        places=3,
        validate=validate.Range(min=0, min_inclusive=False, max=200),
        metadata={"description": "body volume (compacted), m³", "example": "6"},
    )
    shift_start = TimeOfDay(
        required=True, attribute="shift_start_s", metadata={"example": "05:00"}
    )
    shift_end = TimeOfDay(
        required=True, attribute="shift_end_s", metadata={"example": "13:00"}
    )
    rest_break = fields.Nested(BreakSchema, load_default=None, allow_none=True)
    speed_factor = fields.Float(
        load_default=1.0, validate=validate.Range(min=0.1, max=3.0)
    )
    cost_rp_per_km = fields.Integer(required=True, validate=_RUPIAH)
    cost_rp_per_hour = fields.Integer(required=True, validate=_RUPIAH)
    fixed_cost_rp = fields.Integer(load_default=0, validate=_RUPIAH)
    facilities = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=list,
        validate=validate.Length(max=20),
    )

    @validates_schema
    def _shift(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("shift_start_s"), data.get("shift_end_s")
        if start is not None and end is not None and end <= start:
            raise ValidationError("Must be after shift_start.", "shift_end")
        brk = data.get("rest_break")
        if (
            brk
            and start is not None
            and end is not None
            and (
                brk["earliest_start_s"] < start
                or brk["latest_start_s"] + brk["duration_s"] > end
            )
        ):
            raise ValidationError("The break must fit inside the shift.", "rest_break")


# -- route plans ---------------------------------------------------------------------------
class RoutePlanCreateSchema(Schema):
    city = fields.String(
        load_default=None,
        validate=validate.Length(max=16),
        metadata={"description": "city code; your own city when omitted"},
    )
    date = BoundedDate(
        required=True,
        attribute="service_date",
        metadata={"description": "service day, in the city's calendar"},
    )
    trucks = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "truck codes; default: every active truck"},
    )
    depots = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "use the trucks of these depots; default: all"},
    )
    facility = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "where to unload; default: the city's TPA"},
    )
    threshold_pct = fields.Float(
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=100),
        metadata={
            "description": "must-collect fill level for every bin; "
            "default: each bin's own"
        },
    )
    time_limit_s = fields.Float(
        load_default=5.0,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_TIME_LIMIT_S),
        metadata={
            "description": "search budget, seconds, counted in solutions "
            "(about 2,000 per second) so that a seed reproduces a plan"
        },
    )
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class RoutePlanQueryArgsSchema(Schema):
    city = fields.String(load_default=None, metadata={"description": "city code"})
    service_date = BoundedDate(
        load_default=None, data_key="date", metadata={"description": "service day"}
    )


class RouteStopSchema(Schema):
    id = fields.Integer(
        required=True,
        metadata={"description": "drivers report on it: /route-stops/{id}/events"},
    )
    seq = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["stop", "unload"]})
    bin = fields.Function(
        lambda stop: stop.bin.code if stop.bin is not None else None, allow_none=True
    )
    facility = fields.Function(
        lambda stop: stop.facility.code if stop.facility is not None else None,
        allow_none=True,
    )
    name = fields.Function(lambda stop: (stop.bin or stop.facility).name, required=True)
    lat = fields.Function(lambda stop: (stop.bin or stop.facility).lat, required=True)
    lon = fields.Function(lambda stop: (stop.bin or stop.facility).lon, required=True)
    arrival_at = LocalDateTime(required=True)
    start_at = LocalDateTime(
        required=True, metadata={"description": "start of service, after any wait"}
    )
    departure_at = LocalDateTime(required=True)
    distance_m = fields.Integer(
        required=True, metadata={"description": "the leg that leads here"}
    )
    travel_s = fields.Integer(required=True)
    load_after_kg = fields.Decimal(required=True, as_string=True)
    load_after_m3 = fields.Decimal(required=True, as_string=True)
    expected_fill_pct = fields.Float(allow_none=True)
    demand_kg = fields.Decimal(allow_none=True, as_string=True)
    demand_m3 = fields.Decimal(allow_none=True, as_string=True)
    priority = fields.String(allow_none=True, metadata={"enum": list(PRIORITIES)})


class RouteSchema(Schema):
    id = fields.Integer(required=True)
    truck = fields.Function(lambda route: route.truck.code, required=True)
    truck_name = fields.Function(lambda route: route.truck.name, required=True)
    depot = fields.Function(lambda route: route.depot.code, required=True)
    start_at = LocalDateTime(required=True)
    end_at = LocalDateTime(required=True)
    break_start_at = LocalDateTime(allow_none=True)
    distance_m = fields.Integer(required=True)
    distance_km = fields.Function(lambda r: r.distance_m / 1000, required=True)
    duration_s = fields.Integer(required=True)
    collected_kg = fields.Decimal(required=True, as_string=True)
    collected_m3 = fields.Decimal(required=True, as_string=True)
    trips = fields.Integer(required=True, metadata={"description": "unloadings"})
    cost_rp = fields.Integer(required=True)
    driver = fields.String(
        attribute="driver_username",
        required=True,
        allow_none=True,
        metadata={"description": "username of the driver; null until dispatched"},
    )
    dispatched_at = LocalDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "when the current driver was assigned"},
    )
    start_lat = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "where the route starts when not at its depot (the "
            "truck's position when the day was re-planned); null = the depot"
        },
    )
    start_lon = fields.Float(required=True, allow_none=True)
    stops = fields.List(fields.Nested(RouteStopSchema), required=True)


class RoutePlanSkipSchema(Schema):
    bin = fields.Function(lambda skip: skip.bin.code, required=True)
    name = fields.Function(lambda skip: skip.bin.name, required=True)
    reason = fields.String(required=True)
    expected_fill_pct = fields.Float(allow_none=True)
    days_to_full = fields.Float(allow_none=True)
    penalty_rp = fields.Integer(allow_none=True)


class RoutePlanSummarySchema(Schema):
    id = fields.Integer(required=True)
    city = fields.String(attribute="city_code", required=True)
    service_date = fields.Date(required=True)
    timezone = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(PLAN_STATUSES)})
    route_count = fields.Function(lambda plan: len(plan.routes), required=True)
    distance_m = fields.Integer(required=True)
    distance_km = fields.Function(lambda p: p.distance_m / 1000, required=True)
    duration_s = fields.Integer(required=True, metadata={"description": "truck time"})
    duration_h = fields.Function(lambda p: round(p.duration_s / 3600, 3), required=True)
    collected_kg = fields.Decimal(required=True, as_string=True)
    collected_m3 = fields.Decimal(required=True, as_string=True)
    trips = fields.Integer(required=True)
    cost_rp = fields.Integer(required=True)
    penalty_rp = fields.Integer(
        required=True, metadata={"description": "of the optional bins left out"}
    )
    threshold_pct = fields.Float(allow_none=True)
    time_limit_s = fields.Float(required=True)
    seed = fields.Integer(required=True)
    created_at = LocalDateTime(required=True)
    replans = fields.Integer(
        attribute="replans_id",
        required=True,
        allow_none=True,
        metadata={
            "description": "the dispatched plan whose unfinished bins this one "
            "re-plans; null for a day's first plan"
        },
    )


class RoutePlanSchema(RoutePlanSummarySchema):
    parameters = fields.Dict(
        required=True, metadata={"description": "the request as given"}
    )
    distance_source = fields.Function(
        lambda plan: source_description(plan.problem),
        required=True,
        metadata={
            "type": "object",
            "description": "where distances and times came from: "
            '{"kind": "haversine", "circuity", "speed_kmh"} or '
            '{"kind": "osrm", "base_url", "profile"}',
        },
    )
    routes = fields.List(fields.Nested(RouteSchema), required=True)
    left_out = fields.List(
        fields.Nested(RoutePlanSkipSchema),
        required=True,
        metadata={"description": "optional bins the planner left out"},
    )
    skipped = fields.List(
        fields.Nested(RoutePlanSkipSchema),
        required=True,
        metadata={"description": "bins not worth collecting that day, or unread"},
    )


# -- dispatch -------------------------------------------------------------------------------
_USERNAME = validate.Length(min=1, max=80)


class DispatchAssignmentSchema(Schema):
    route = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "id of a route of this plan"},
    )
    driver = fields.String(
        required=True,
        validate=_USERNAME,
        metadata={"description": "username of an active driver of the plan's city"},
    )


class DispatchCreateSchema(Schema):
    assignments = fields.List(
        fields.Nested(DispatchAssignmentSchema),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "routes to give to drivers; the same assignments again "
            "change nothing",
            "example": [{"route": 12, "driver": "sopir.1"}],
        },
    )


class ReplanCreateSchema(Schema):
    trucks = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "truck codes; default: the plan's trucks. Leave out a "
            "broken-down truck; another truck of the city starts at its depot"
        },
    )
    time_limit_s = fields.Float(
        load_default=3.0,
        validate=validate.Range(min=0, min_inclusive=False, max=MAX_TIME_LIMIT_S),
        metadata={"description": "search budget, seconds (see POST /route-plans)"},
    )
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))
    add_full_bins = JsonBoolean(
        load_default=False,
        metadata={
            "description": "also plan the city's bins that must be collected now (at "
            "or over the threshold) and are on no route dispatched today; like the "
            "plan's bins, they are left out (left_out) when no truck can fit them in"
        },
    )


class SuggestedAssignmentSchema(Schema):
    route = fields.Integer(required=True)
    driver = fields.String(required=True)


class ReplanSchema(RoutePlanSchema):
    suggested_assignments = fields.List(
        fields.Nested(SuggestedAssignmentSchema),
        required=True,
        metadata={
            "description": "each route with the driver who drives its truck today: "
            "send them to POST /route-plans/{id}/dispatch to hand the day over"
        },
    )


class DriverRouteQueryArgsSchema(Schema):
    service_date = BoundedDate(
        load_default=None,
        data_key="date",
        metadata={"description": "service day; default: today in your city's zone"},
    )


#: A stop's state: ``open`` until reported, then the kind of its latest report;
#: ``replaced`` when a dispatched re-plan took it over unreported.
STOP_STATES = ("open", *STOP_EVENT_KINDS, "replaced")


class LastStopEventSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": list(STOP_EVENT_KINDS)})
    reason = fields.String(
        required=True, allow_none=True, metadata={"enum": list(SKIP_REASONS)}
    )
    occurred_at = LocalDateTime(required=True)


class DriverStopSchema(Schema):
    id = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["stop", "unload"]})
    bin = fields.Function(
        lambda stop: stop.bin.code if stop.bin is not None else None,
        required=True,
        allow_none=True,
        metadata={"description": "bin code (stops)"},
    )
    district = fields.Function(
        lambda stop: stop.bin.district if stop.bin is not None else None,
        required=True,
        allow_none=True,
        metadata={"description": "the bin's district (stops)"},
    )
    name = fields.Function(
        lambda stop: (stop.bin or stop.facility).name,
        required=True,
        metadata={"description": "the bin's or facility's name"},
    )
    address = fields.Function(
        lambda stop: stop.bin.address if stop.bin is not None else None,
        required=True,
        allow_none=True,
        metadata={"description": "the bin's street address, if known (stops)"},
    )
    facility = fields.Function(
        lambda stop: stop.facility.code if stop.facility is not None else None,
        required=True,
        allow_none=True,
        metadata={"description": "facility code (unloads)"},
    )
    facility_name = fields.Function(
        lambda stop: stop.facility.name if stop.facility is not None else None,
        required=True,
        allow_none=True,
        metadata={"description": "where to unload (unloads)"},
    )
    lat = fields.Function(lambda stop: (stop.bin or stop.facility).lat, required=True)
    lon = fields.Function(lambda stop: (stop.bin or stop.facility).lon, required=True)
    arrival_at = LocalDateTime(required=True)
    departure_at = LocalDateTime(required=True)
    expected_fill_pct = fields.Float(required=True, allow_none=True)
    priority = fields.String(
        required=True, allow_none=True, metadata={"enum": list(PRIORITIES)}
    )
    state = fields.String(
        required=True,
        metadata={
            "enum": list(STOP_STATES),
            "description": "open until reported, then the latest report's kind; "
            "replaced when a re-plan took it over (see the day's newer route)",
        },
    )
    last_event = fields.Nested(
        LastStopEventSchema,
        required=True,
        allow_none=True,
        metadata={"description": "the latest report (times in the city's zone)"},
    )


class DriverRouteSchema(Schema):
    id = fields.Integer(required=True)
    plan = fields.Integer(attribute="plan_id", required=True)
    service_date = fields.Function(
        lambda route: route.plan.service_date.isoformat(),
        required=True,
        metadata={"type": "string", "format": "date"},
    )
    timezone = fields.String(required=True)
    truck = fields.Function(lambda route: route.truck.code, required=True)
    truck_name = fields.Function(lambda route: route.truck.name, required=True)
    plate_no = fields.Function(
        lambda route: route.truck.plate_no, required=True, allow_none=True
    )
    depot = fields.Function(lambda route: route.depot.code, required=True)
    start_at = LocalDateTime(required=True)
    end_at = LocalDateTime(required=True)
    break_start_at = LocalDateTime(required=True, allow_none=True)
    dispatched_at = LocalDateTime(required=True)
    stops = fields.List(fields.Nested(DriverStopSchema), required=True)


# -- drivers' reports on their stops ---------------------------------------------------------
class Base64Bytes(fields.Field[bytes]):
    """Bytes sent as a base64 string (standard alphabet, padded)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> bytes:
        if not isinstance(value, str):
            raise ValidationError("Send the photo as a base64 string.")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("Not valid base64.") from None


def _photo_url(event: Any) -> str | None:
    if event.photo is None:
        return None
    return f"/api/v1/route-stop-events/{event.id}/photo"


class RouteStopEventCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(STOP_EVENT_KINDS),
        metadata={
            "description": "collected or skipped (a bin stop); unloaded (an unload)"
        },
    )
    occurred_at = BoundedDateTime(
        required=True,
        metadata={"description": "when it happened, by the phone, with its zone"},
    )
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(SKIP_REASONS),
        metadata={"description": "why it was skipped (skipped only, required)"},
    )
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    ticket_no = fields.String(
        load_default=None,
        allow_none=True,
        validate=Pattern(
            r"^[\x21-\x7e]{1,40}$", error="1-40 visible ASCII characters."
        ),
        metadata={"description": "weighbridge ticket number (unloaded, required)"},
    )
    net_weight_kg = DecimalNumber(
        load_default=None,
        allow_none=True,
        # A truck's load: above 0, at most 100 t.
        validate=validate.Range(min=0, min_inclusive=False, max=100_000),
        metadata={"description": "net weight on the ticket (unloaded, required)"},
    )
    photo = Base64Bytes(
        load_default=None,
        allow_none=True,
        metadata={
            "type": "string",
            "format": "byte",
            "description": "an optional JPEG (base64), at most 512 KB decoded",
        },
    )


class RouteStopEventSchema(Schema):
    id = fields.Integer(required=True)
    stop = fields.Integer(attribute="stop_id", required=True)
    kind = fields.String(required=True, metadata={"enum": list(STOP_EVENT_KINDS)})
    reason = fields.String(
        required=True, allow_none=True, metadata={"enum": list(SKIP_REASONS)}
    )
    note = fields.String(required=True, allow_none=True)
    ticket_no = fields.String(required=True, allow_none=True)
    net_weight_kg = fields.Decimal(required=True, allow_none=True, as_string=True)
    tpa_delivery = fields.Integer(
        attribute="tpa_delivery_id",
        required=True,
        allow_none=True,
        metadata={"description": "the TPA delivery the ticket became (unloaded)"},
    )
    occurred_at = LocalDateTime(required=True)
    received_at = LocalDateTime(required=True)
    photo_url = fields.Function(
        _photo_url,
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": "the attached photo, if any"},
    )


# -- GeoJSON (documentation of the .geojson answer) ------------------------------------------
class GeoJsonGeometrySchema(Schema):
    type = fields.String(required=True, metadata={"enum": ["Point", "LineString"]})
    coordinates = fields.Raw(
        required=True, metadata={"description": "[lon, lat], or a list of them"}
    )


class GeoJsonFeatureSchema(Schema):
    type = fields.String(required=True, metadata={"enum": ["Feature"]})
    geometry = fields.Nested(GeoJsonGeometrySchema, required=True)
    properties = fields.Dict(
        required=True,
        metadata={
            "description": "feature: route, stop, unload, depot, facility, "
            "left_out or skipped; times in the city's zone"
        },
    )


class GeoJsonFeatureCollectionSchema(Schema):
    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    properties = fields.Dict(required=True)
    features = fields.List(fields.Nested(GeoJsonFeatureSchema), required=True)
