"""A stored route plan as GeoJSON."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from routing.models import RoutePlan


def _local(at: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return None if at is None else at.astimezone(zone).isoformat()


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def route_plan_geojson(plan: RoutePlan) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection (RFC 7946, ``[lon, lat]``).

    One LineString per route, from its depot (a re-plan's route: from where the
    truck was) through every visit in order (bins and unloadings) back to the
    depot, drawn as straight legs; a Point per visit, per depot and facility used,
    and per bin left out or skipped. Every feature has a ``feature`` property:
    ``route``, ``stop``, ``unload``, ``depot``, ``facility``, ``left_out`` or
    ``skipped``. Times are in the city's zone.
    """
    zone = ZoneInfo(plan.timezone)
    features: list[dict[str, Any]] = []
    places: dict[str, dict[str, Any]] = {}
    for route in plan.routes:
        depot = route.depot
        # A re-planned route leaves from where the truck was, and goes home.
        if route.start_lat is not None and route.start_lon is not None:
            line = [[route.start_lon, route.start_lat]]
        else:
            line = [[depot.lon, depot.lat]]
        places.setdefault(
            f"depot:{depot.code}",
            _point(
                depot.lon,
                depot.lat,
                {"feature": "depot", "code": depot.code, "name": depot.name},
            ),
        )
        visit_points = []
        for stop in route.stops:
            common = {
                "route_id": route.id,
                "truck": route.truck.code,
                "route_stop_id": stop.id,
                "seq": stop.seq,
                "arrival_at": _local(stop.arrival_at, zone),
                "start_at": _local(stop.start_at, zone),
                "departure_at": _local(stop.departure_at, zone),
                "load_after_kg": str(stop.load_after_kg),
            }
            if stop.bin is not None:
                lon, lat = stop.bin.lon, stop.bin.lat
                visit_points.append(
                    _point(
                        lon,
                        lat,
                        {
                            "feature": "stop",
                            **common,
                            "bin": stop.bin.code,
                            "name": stop.bin.name,
                            "priority": stop.priority,
                            "expected_fill_pct": stop.expected_fill_pct,
                            "demand_kg": str(stop.demand_kg),
                        },
                    )
                )
            else:
                facility = stop.facility
                if facility is None:  # impossible: the "place" check constraint
                    continue
                lon, lat = facility.lon, facility.lat
                visit_points.append(
                    _point(
                        lon,
                        lat,
                        {
                            "feature": "unload",
                            **common,
                            "facility": facility.code,
                            "name": facility.name,
                        },
                    )
                )
                places.setdefault(
                    f"facility:{facility.code}",
                    _point(
                        lon,
                        lat,
                        {
                            "feature": "facility",
                            "code": facility.code,
                            "name": facility.name,
                            "kind": facility.kind,
                        },
                    ),
                )
            line.append([lon, lat])
        line.append([depot.lon, depot.lat])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "feature": "route",
                    "route_id": route.id,
                    "truck": route.truck.code,
                    "truck_name": route.truck.name,
                    "depot": depot.code,
                    "start_at": _local(route.start_at, zone),
                    "end_at": _local(route.end_at, zone),
                    "distance_km": route.distance_m / 1000,
                    "duration_s": route.duration_s,
                    "collected_kg": str(route.collected_kg),
                    "trips": route.trips,
                    "cost_rp": route.cost_rp,
                },
            }
        )
        features.extend(visit_points)
    features.extend(places.values())
    for skip in plan.skips:
        features.append(
            _point(
                skip.bin.lon,
                skip.bin.lat,
                {
                    "feature": skip.kind,
                    "bin": skip.bin.code,
                    "name": skip.bin.name,
                    "reason": skip.reason,
                    "expected_fill_pct": skip.expected_fill_pct,
                },
            )
        )
    return {
        "type": "FeatureCollection",
        "properties": {
            "route_plan_id": plan.id,
            "city": plan.city_code,
            "service_date": plan.service_date.isoformat(),
            "timezone": plan.timezone,
        },
        "features": features,
    }
