"""JSON API of route plans and the fleet registry under ``/api/v1``.

``POST /route-plans`` plans a city's collection for a day from the bins' current
state and stores it; ``GET /route-plans/{id}`` and ``…/{id}.geojson`` read it back;
``POST /route-plans/{id}/dispatch`` gives its routes to drivers,
``POST /route-plans/{id}/replan`` plans the rest of a dispatched day, and
``GET /driver/routes`` is a driver's own routes of a day, on whose stops they report
with ``POST /route-stops/{id}/events``. ``/trucks``, ``/depots`` and
``/facilities`` register the fleet. Thin adapters over :mod:`routing.services`; admins
everywhere, DLH staff in their own city, drivers only their own routes.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.views import MethodView

from routing import services
from routing.distance import DistanceSource
from routing.exceptions import (
    DistanceSourceUnavailable,
    DriverBusy,
    DuplicateRoutingCode,
    InfeasibleProblem,
    InvalidRoutingReference,
    InvalidRoutingValue,
    PlannerBusy,
    PlannerFailed,
    RoutePlanNotFound,
    RouteStopNotFound,
    RouteStopPhotoNotFound,
    RoutingAccessDenied,
    RoutingConflict,
    RoutingError,
)
from routing.plan_schemas import (
    DepotCreateSchema,
    DepotSchema,
    DispatchCreateSchema,
    DriverRouteQueryArgsSchema,
    DriverRouteSchema,
    FacilityCreateSchema,
    FacilitySchema,
    GeoJsonFeatureCollectionSchema,
    RegistryQueryArgsSchema,
    ReplanCreateSchema,
    ReplanSchema,
    RoutePlanCreateSchema,
    RoutePlanQueryArgsSchema,
    RoutePlanSchema,
    RoutePlanSummarySchema,
    RouteStopEventCreateSchema,
    RouteStopEventSchema,
    TruckCreateSchema,
    TruckQueryArgsSchema,
    TruckSchema,
)
from wastebank.auth import (
    api_actor,
    authenticate_bearer,
    authenticate_bearer_or_session,
)
from wastebank.errors import domain_error_body, register_domain_errors
from wastebank.extensions import db
from wastebank.idempotency import created, request_hash
from wastebank.rest import BINARY, Blueprint
from wastebank.schemas import ErrorSchema, IdempotencyHeaderSchema

bp = Blueprint(
    "routing_plans_api",
    __name__,
    url_prefix="/api/v1",
    description="Collection route plans, and the trucks, depots and facilities behind them.",
)

register_domain_errors(
    [
        (RoutePlanNotFound, 404),
        (RouteStopNotFound, 404),
        (RouteStopPhotoNotFound, 404),
        (DuplicateRoutingCode, 409),
        (DriverBusy, 409),
        (RoutingConflict, 409),
        (InvalidRoutingReference, 422),
        (InvalidRoutingValue, 422),
        (RoutingAccessDenied, 403),
        (InfeasibleProblem, 422),
        (DistanceSourceUnavailable, 503),
        (PlannerBusy, 503),
        (PlannerFailed, 503),
    ],
    family=RoutingError,
)


#: Web pages call these with their login session and a CSRF header, as (endpoint,
#: method): the driver's page (``/driver``) and the DLH control room (``/dlh``). The
#: other method of a shared URL (``GET /route-plans``) stays token-only.
SESSION_ENDPOINTS = frozenset(
    {
        (f"{bp.name}.list_driver_routes", "GET"),
        (f"{bp.name}.record_stop_event", "POST"),
        (f"{bp.name}.RoutePlans", "POST"),
        (f"{bp.name}.get_route_plan_geojson", "GET"),
        (f"{bp.name}.dispatch_route_plan", "POST"),
        (f"{bp.name}.replan_route_plan", "POST"),
        (f"{bp.name}.get_stop_photo", "GET"),
    }
)


@bp.before_request
def _require_token() -> None:
    if (request.endpoint, request.method) in SESSION_ENDPOINTS:
        authenticate_bearer_or_session()
    else:
        authenticate_bearer()


def error_body(error: RoutingError) -> tuple[int, dict[str, Any]]:
    """The status and envelope of a routing error (shared with the CLI).

    An infeasible request lists the bins at fault under ``errors.bins``.
    """
    bins = list(error.stop_ids) if isinstance(error, InfeasibleProblem) else []
    return domain_error_body(error, {"bins": bins} if bins else None)


@bp.errorhandler(InfeasibleProblem)
def _infeasible(error: InfeasibleProblem) -> tuple[Response, int]:
    db.session.rollback()
    status, body = error_body(error)
    return jsonify(body), status


@bp.errorhandler(PlannerBusy)
def _planner_busy(error: PlannerBusy) -> tuple[Response, int, dict[str, str]]:
    db.session.rollback()
    status, body = error_body(error)
    return jsonify(body), status, {"Retry-After": str(error.retry_after_s)}


def plan_distance_source() -> DistanceSource:
    """The route plans' distance source, from the app's ``OSRM_*`` settings (shared
    with the CLI): haversine unless ``OSRM_URL`` is set."""
    config = current_app.config
    return services.distance_source_for(
        config.get("OSRM_URL"),
        profile=config.get("OSRM_PROFILE") or "driving",
        timeout_s=config.get("OSRM_TIMEOUT_S") or 30.0,
    )


def plan_solver() -> services.PlanSolver:
    """Where the API's plans are solved: a child process per plan, at most
    ``PLAN_MAX_PER_CITY`` per city and ``PLAN_MAX_CONCURRENT`` in all at once."""
    config = current_app.config
    limits = services.PlannerLimits(
        max_concurrent=int(config.get("PLAN_MAX_CONCURRENT", 2)),
        max_per_city=int(config.get("PLAN_MAX_PER_CITY", 1)),
    )
    return services.SlottedSolver(db.engine, limits)


_ERRORS = {
    401: "Missing or invalid token",
    403: "Your role may not do this, or not in that city",
    503: "Nothing is stored, and one of: as many plans as the planner may compute "
    "at once are running, for the city or in all (type planner_busy: try again after "
    "Retry-After seconds); the planner's process died or overran its deadline "
    "(type planner_failed); the configured OSRM server did not answer or refused "
    "(type distance_source_unavailable)",
}
_HEADERS = {
    503: {
        "Retry-After": {
            "description": "With planner_busy: seconds until a running plan should "
            "be done",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
}


def _doc_errors(*statuses: int) -> Any:
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = bp.alt_response(
                status,
                schema=ErrorSchema,
                description=_ERRORS.get(status, ""),
                headers=_HEADERS.get(status),
            )(view)
        return view

    return decorate


# -- route plans -------------------------------------------------------------------------------
@bp.route("/route-plans")
class RoutePlans(MethodView):
    @bp.arguments(RoutePlanQueryArgsSchema, location="query")
    @bp.response(200, RoutePlanSummarySchema(many=True))
    @bp.paginate(page_size=50, max_page_size=1000)
    @_doc_errors(401, 403)
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """List the route plans you can see, newest day first; total in X-Pagination."""
        items, total = services.list_route_plans(
            db.session,
            api_actor(),
            **args,
            page=pagination_parameters.page,
            page_size=pagination_parameters.page_size,
        )
        pagination_parameters.item_count = total
        return items

    @bp.arguments(RoutePlanCreateSchema)
    @bp.response(201, RoutePlanSchema)
    @_doc_errors(401, 403, 503)
    @bp.alt_response(
        422,
        schema=ErrorSchema,
        description="Invalid fields, unknown references, or an infeasible request "
        "(type infeasible_problem; the bins at fault in errors.bins)",
    )
    def post(self, args: dict[str, Any]) -> Any:
        """Plan a city's collection for a day from the bins' current state (dlh, admin).

        Bins at or over their threshold, or that would overflow before the next
        day, must be collected; nearly full ones are optional. Trucks unload at the
        facility whenever full and before going home. The plan is stored.

        Plans are computed one per city and a few in all at once (settings
        PLAN_MAX_PER_CITY, PLAN_MAX_CONCURRENT); beyond that the request is refused
        at once with 503 planner_busy and Retry-After.
        """
        actor = api_actor()
        plan = services.create_route_plan(
            db.session,
            actor,
            **args,
            distance_source=plan_distance_source(),
            solver=plan_solver(),
        )
        db.session.commit()
        return services.get_route_plan(db.session, actor, plan.id)


@bp.route("/route-plans/<int:plan_id>")
@bp.response(200, RoutePlanSchema)
@_doc_errors(401, 403)
@bp.alt_response(404, schema=ErrorSchema, description="No such plan in your city")
def get_route_plan(plan_id: int) -> Any:
    """One stored plan: routes with their visits in order, bins left out and skipped."""
    return services.get_route_plan(db.session, api_actor(), plan_id)


@bp.route("/route-plans/<int:plan_id>.geojson")
@bp.response(200, GeoJsonFeatureCollectionSchema, content_type="application/geo+json")
@_doc_errors(401, 403)
@bp.alt_response(404, schema=ErrorSchema, description="No such plan in your city")
def get_route_plan_geojson(plan_id: int) -> Any:
    """The plan as GeoJSON: a LineString per route (depot, visits, depot), Points for
    visits, depots, facilities and the bins left out; coordinates ``[lon, lat]``."""
    plan = services.get_route_plan(db.session, api_actor(), plan_id)
    body = GeoJsonFeatureCollectionSchema().dump(services.route_plan_geojson(plan))
    return current_app.response_class(json.dumps(body), mimetype="application/geo+json")


# -- dispatch ----------------------------------------------------------------------------------
@bp.route("/route-plans/<int:plan_id>/dispatch", methods=["POST"])
@bp.arguments(DispatchCreateSchema)
@bp.response(200, RoutePlanSchema)
@_doc_errors(401, 403)
@bp.alt_response(404, schema=ErrorSchema, description="No such plan in your city")
@bp.alt_response(
    409,
    schema=ErrorSchema,
    description="A driver is already dispatched on another route that day "
    "(type driver_busy); nothing is changed",
)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Invalid fields, a route not of this plan or an unknown driver "
    "(errors name assignments.N.route / assignments.N.driver); nothing is changed",
)
def dispatch_route_plan(args: dict[str, Any], plan_id: int) -> Any:
    """Give routes of a plan to drivers for its day (dlh, admin).

    Each driver is an active user with role driver of the plan's city, and drives
    one route a day. Sending the same assignments again changes nothing; giving a
    route to another driver reassigns it (audited).
    """
    actor = api_actor()
    services.dispatch_plan(
        db.session,
        actor,
        plan_id,
        [(item["route"], item["driver"]) for item in args["assignments"]],
    )
    db.session.commit()
    return services.get_route_plan(db.session, actor, plan_id)


@bp.route("/route-plans/<int:plan_id>/replan", methods=["POST"])
@bp.arguments(ReplanCreateSchema)
@bp.response(201, ReplanSchema)
@_doc_errors(401, 403, 503)
@bp.alt_response(404, schema=ErrorSchema, description="No such plan in your city")
@bp.alt_response(
    409,
    schema=ErrorSchema,
    description="The plan is not dispatched, not today's, re-planned already, or "
    "has nothing left to do (type replan_refused); nothing is stored",
)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Invalid fields, or an unknown or inactive truck",
)
def replan_route_plan(args: dict[str, Any], plan_id: int) -> Any:
    """Plan the rest of today's dispatched plan from where the trucks are (dlh, admin).

    The bins nobody has reported done are planned again; each truck starts where
    its driver last reported, now, with what it collected since its last unloading.
    Bins no truck can still fit in today are listed in left_out. The new plan is
    stored as planned, with suggested_assignments (the drivers of its trucks today);
    dispatching it hands the old plan's unfinished bins over. Re-plans count against
    the same limits as plans (503 planner_busy with Retry-After).
    """
    actor = api_actor()
    new = services.replan_route_plan(
        db.session,
        actor,
        plan_id,
        **args,
        distance_source=plan_distance_source(),
        solver=plan_solver(),
    )
    db.session.commit()
    plan = services.get_route_plan(db.session, actor, new.id)
    # Read by ReplanSchema; not a column.
    plan.suggested_assignments = [
        {"route": route, "driver": driver}
        for route, driver in services.suggested_drivers(db.session, plan).items()
    ]
    return plan


@bp.route("/driver/routes")
@bp.arguments(DriverRouteQueryArgsSchema, location="query")
@bp.response(200, DriverRouteSchema(many=True))
@_doc_errors(401, 403)
def list_driver_routes(args: dict[str, Any]) -> Any:
    """Your routes of a day (drivers only): stops in order, times in the city's zone."""
    return services.list_driver_routes(
        db.session,
        api_actor(),
        args["service_date"],
        default_timezone=current_app.config["DEFAULT_TIMEZONE"],
    )


@bp.route("/route-stops/<int:stop_id>/events", methods=["POST"])
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.arguments(RouteStopEventCreateSchema)
@bp.response(
    201,
    RouteStopEventSchema,
    headers={
        "Idempotent-Replayed": {
            "description": "true when this replays an earlier request under the key",
            "schema": {"type": "string", "enum": ["true", "false"]},
        }
    },
)
@_doc_errors(401, 403)
@bp.alt_response(
    404, schema=ErrorSchema, description="No such stop on a route dispatched to you"
)
@bp.alt_response(
    409,
    schema=ErrorSchema,
    description="The Idempotency-Key was used for another request "
    "(idempotency_key_reused), or the ticket was recorded with other data "
    "(duplicate_ticket); nothing is written",
)
@bp.alt_response(
    422,
    schema=ErrorSchema,
    description="Invalid fields: a kind the stop does not take, a missing reason, "
    "ticket or weight, a time in the future or before the route's day; the errors "
    "name the field, and nothing is written",
)
def record_stop_event(
    headers: dict[str, Any], args: dict[str, Any], stop_id: int
) -> Any:
    """Report on a stop of your route (drivers only): collected, skipped or unloaded.

    ``Idempotency-Key`` required: a phone that queued the report offline sends it
    again under the same key, and the replay returns the original
    (``Idempotent-Replayed: true``). A later report on the stop supersedes the
    earlier one. A collected bin is taken as emptied; an unloading becomes a TPA
    delivery with its weighbridge ticket; a skipped stop stays open.
    """
    event, replayed = services.record_stop_event(
        db.session,
        api_actor(),
        stop_id,
        **args,
        idempotency_key=headers["idempotency_key"],
        request_hash=request_hash(),
    )
    db.session.commit()
    return created(event, replayed)


@bp.route("/route-stop-events/<int:event_id>/photo")
@bp.response(200, BINARY, description="The photo (JPEG)", content_type="image/jpeg")
@_doc_errors(401, 403)
@bp.alt_response(
    404,
    schema=ErrorSchema,
    description="No photo on that report, or not yours / not in your city",
)
def get_stop_photo(event_id: int) -> Any:
    """The photo attached to a report (its driver; dlh of the city; admin)."""
    photo = services.get_stop_photo(db.session, api_actor(), event_id)
    response = current_app.response_class(photo.data, mimetype=photo.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    # Only the header was read: never let a browser take it for anything but a JPEG.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- registry --------------------------------------------------------------------------------
@bp.route("/trucks")
class Trucks(MethodView):
    @bp.arguments(TruckQueryArgsSchema, location="query")
    @bp.response(200, TruckSchema(many=True))
    @_doc_errors(401, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """List the trucks you can see."""
        return services.list_trucks(db.session, api_actor(), **args)

    @bp.arguments(TruckCreateSchema)
    @bp.response(201, TruckSchema)
    @_doc_errors(401, 403)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a truck (dlh of its city, admin)."""
        truck = services.create_truck(db.session, api_actor(), **args)
        db.session.commit()
        return truck


@bp.route("/depots")
class Depots(MethodView):
    @bp.arguments(RegistryQueryArgsSchema, location="query")
    @bp.response(200, DepotSchema(many=True))
    @_doc_errors(401, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """List the depots (garages) you can see."""
        return services.list_depots(db.session, api_actor(), **args)

    @bp.arguments(DepotCreateSchema)
    @bp.response(201, DepotSchema)
    @_doc_errors(401, 403)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a depot (dlh of its city, admin)."""
        depot = services.create_depot(db.session, api_actor(), **args)
        db.session.commit()
        return depot


@bp.route("/facilities")
class Facilities(MethodView):
    @bp.arguments(RegistryQueryArgsSchema, location="query")
    @bp.response(200, FacilitySchema(many=True))
    @_doc_errors(401, 403)
    def get(self, args: dict[str, Any]) -> Any:
        """List the disposal facilities you can see."""
        return services.list_facilities(db.session, api_actor(), **args)

    @bp.arguments(FacilityCreateSchema)
    @bp.response(201, FacilitySchema)
    @_doc_errors(401, 403)
    def post(self, args: dict[str, Any]) -> Any:
        """Register a TPA, transfer station, RDF or composting plant (dlh, admin)."""
        facility = services.create_facility(db.session, api_actor(), **args)
        db.session.commit()
        return facility
