"""The DLH control room (Indonesian first, desktop first): bins, alerts, plans, progress.

The page is a shell like the driver's page: ``static/js/dlh.js`` reads the city's bins
(``GET /api/v1/bins``), acknowledges alerts (``POST /api/v1/alerts/{id}/acknowledge``),
plans (``POST /api/v1/route-plans``), previews the plan's GeoJSON and dispatches it
(``POST /api/v1/route-plans/{id}/dispatch``), all with the login session and the CSRF
token in a header (see :func:`wastebank.auth.authenticate_bearer_or_session`), so the
page and other clients share one adapter and one error envelope. What the forms offer
(the city's active trucks and drivers) and today's progress, with the drivers' reports
(reasons, notes, tickets, photos), are rendered here; re-planning the rest of the day
(``POST /api/v1/route-plans/{id}/replan``) previews and dispatches like a plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from routing import services as routing_services
from routing.models import Route, RoutePlan
from routing.plan_schemas import MAX_TIME_LIMIT_S
from wastebank import services
from wastebank.access import Role
from wastebank.auth import ui_actor
from wastebank.extensions import db

bp = Blueprint("dlh", __name__)

#: Must-collect level the plan form starts with (%), as bins are configured by default.
DEFAULT_THRESHOLD_PCT = 80
#: Search budget the plan form starts with (s): quick enough to wait for on the page.
DEFAULT_TIME_LIMIT_S = 5


@bp.get("/dlh")
@login_required
def show_control_room() -> Any:
    """The control room of the DLH's own city (admin: any city, ``?city=AMB``)."""
    if current_user.role not in (Role.DLH, Role.ADMIN):
        abort(403)
    actor = ui_actor()
    code = request.args.get("city", "").strip()
    if current_user.role == Role.ADMIN and not code:
        return render_template(
            "wastebank/dlh_cities.html", cities=services.list_cities(db.session)
        )
    city = services.control_room_city(db.session, actor, code)
    today = dt.datetime.now(ZoneInfo(city.timezone)).date()
    plans, _ = routing_services.list_route_plans(
        db.session, actor, city=city.code, service_date=today
    )
    return render_template(
        "wastebank/dlh.html",
        city=city,
        today=today,
        tomorrow=today + dt.timedelta(days=1),
        trucks=routing_services.list_trucks(
            db.session, actor, city=city.code, active=True
        ),
        drivers=services.list_city_drivers(db.session, actor, city),
        progress=_progress(plans),
        replannable=_replannable(plans),
        threshold_pct=DEFAULT_THRESHOLD_PCT,
        time_limit_s=DEFAULT_TIME_LIMIT_S,
        max_time_limit_s=int(MAX_TIME_LIMIT_S),
        tile_url=current_app.config["MAP_TILE_URL"],
        tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
    )


def _reports(route: Route) -> list[dict[str, Any]]:
    """The route's reported visits, latest report each: what the office reads back."""
    found = []
    for stop in route.stops:
        event = stop.last_event
        if event is None:
            continue
        found.append(
            {
                "seq": stop.seq,
                "place": stop.bin.code
                if stop.bin is not None
                else getattr(stop.facility, "name", ""),
                "kind": event.kind,
                "reason": event.reason,
                "note": event.note,
                "ticket_no": event.ticket_no,
                "net_weight_kg": event.net_weight_kg,
                "at": event.occurred_at,
                "photo_event": event.id if event.photo is not None else None,
            }
        )
    return found


def _replanned(plans: Sequence[RoutePlan]) -> set[int]:
    """The plans of the day that a dispatched re-plan took over."""
    return {
        plan.replans_id
        for plan in plans
        if plan.status == "dispatched" and plan.replans_id is not None
    }


def _replannable(plans: Sequence[RoutePlan]) -> list[int]:
    """The day's dispatched plans not taken over by a re-plan, oldest first."""
    replanned = _replanned(plans)
    return sorted(
        plan.id
        for plan in plans
        if plan.status == "dispatched" and plan.id not in replanned
    )


def _progress(plans: Sequence[RoutePlan]) -> list[dict[str, Any]]:
    """Per dispatched route of the day: truck, driver, stops reported / all stops.

    Visits a re-plan took over are not counted: they are on the newer route.
    """
    replanned = _replanned(plans)
    rows = []
    for plan in sorted(plans, key=lambda p: p.id):
        if plan.status == "cancelled":
            continue
        for route in plan.routes:
            if route.driver_username is None:
                continue
            states = [stop.state for stop in route.stops if stop.state != "replaced"]
            if not states:
                continue  # a re-plan took every visit over
            rows.append(
                {
                    "plan": plan.id,
                    "replaced": plan.id in replanned,
                    "route": route.id,
                    "truck": route.truck.code,
                    "driver": route.driver_username,
                    "done": sum(state != "open" for state in states),
                    "skipped": states.count("skipped"),
                    "total": len(states),
                    "reports": _reports(route),
                }
            )
    return rows
