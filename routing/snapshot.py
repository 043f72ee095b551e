"""A collection problem as plain JSON data, and back.

A stored route plan keeps the problem it was solved from, so that it can be checked
again with :func:`routing.validate` (or solved again with the same seed) whatever
happens to the bins and trucks afterwards. Only the haversine distance source can be
stored; its parameters are part of the snapshot.

Decimals are written as strings, so that no weight changes on the way through JSON.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routing.distance import HaversineSource
from routing.problem import (
    Break,
    CollectionProblem,
    Depot,
    Facility,
    FacilityKind,
    Priority,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
)

__all__ = ["SNAPSHOT_VERSION", "problem_from_json", "problem_to_json"]

#: Bumped when the layout below changes.
SNAPSHOT_VERSION = 1


def _windows(windows: tuple[TimeWindow, ...]) -> list[list[int]]:
    return [[w.start_s, w.end_s] for w in windows]


def _read_windows(data: list[list[int]]) -> tuple[TimeWindow, ...]:
    return tuple(TimeWindow(int(start), int(end)) for start, end in data)


def _ids(ids: frozenset[str] | None) -> list[str] | None:
    return None if ids is None else sorted(ids)


def problem_to_json(problem: CollectionProblem) -> dict[str, Any]:
    """The problem as JSON-compatible data.

    :param problem: a problem whose distance source is a :class:`HaversineSource`.
    :returns: dicts, lists, strings and numbers only.
    :raises TypeError: for any other distance source.
    """
    source = problem.distance_source
    if not isinstance(source, HaversineSource):
        raise TypeError("only a HaversineSource can be stored with a plan")
    return {
        "version": SNAPSHOT_VERSION,
        "distance_source": {
            "kind": "haversine",
            "circuity": source.circuity,
            "speed_kmh": source.speed_kmh,
        },
        "depots": [
            {"depot_id": d.depot_id, "lat": d.lat, "lon": d.lon} for d in problem.depots
        ],
        "facilities": [
            {
                "facility_id": f.facility_id,
                "lat": f.lat,
                "lon": f.lon,
                "kind": f.kind.value,
                "opening_hours": _windows(f.opening_hours),
                "unload_s": f.unload_s,
            }
            for f in problem.facilities
        ],
        "vehicles": [
            {
                "vehicle_id": v.vehicle_id,
                "depot_id": v.depot_id,
                "capacity_kg": str(v.capacity_kg),
                "capacity_m3": str(v.capacity_m3),
                "shift_start_s": v.shift_start_s,
                "shift_end_s": v.shift_end_s,
                "rest_break": None
                if v.rest_break is None
                else [
                    v.rest_break.earliest_start_s,
                    v.rest_break.latest_start_s,
                    v.rest_break.duration_s,
                ],
                "speed_factor": v.speed_factor,
                "cost_rp_per_km": v.cost_rp_per_km,
                "cost_rp_per_hour": v.cost_rp_per_hour,
                "fixed_cost_rp": v.fixed_cost_rp,
                "allowed_facility_ids": _ids(v.allowed_facility_ids),
            }
            for v in problem.vehicles
        ],
        "stops": [
            {
                "stop_id": s.stop_id,
                "lat": s.lat,
                "lon": s.lon,
                "demand_kg": str(s.demand_kg),
                "demand_m3": str(s.demand_m3),
                "service_s": s.service_s,
                "time_windows": _windows(s.time_windows),
                "priority": s.priority.value,
                "penalty_rp": s.penalty_rp,
                "kind": s.kind.value,
                "allowed_vehicle_ids": _ids(s.allowed_vehicle_ids),
            }
            for s in problem.stops
        ],
    }


def problem_from_json(data: dict[str, Any]) -> CollectionProblem:
    """Rebuild a problem written by :func:`problem_to_json`.

    :raises ValueError: for an unknown snapshot version or distance source.
    """
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unknown problem snapshot version {data.get('version')!r}")
    source = data["distance_source"]
    if source["kind"] != "haversine":
        raise ValueError(f"unknown distance source {source['kind']!r}")
    vehicles = []
    for v in data["vehicles"]:
        brk = v["rest_break"]
        allowed = v["allowed_facility_ids"]
        vehicles.append(
            Vehicle(
                vehicle_id=v["vehicle_id"],
                depot_id=v["depot_id"],
                capacity_kg=Decimal(v["capacity_kg"]),
                capacity_m3=Decimal(v["capacity_m3"]),
                shift_start_s=v["shift_start_s"],
                shift_end_s=v["shift_end_s"],
                rest_break=None if brk is None else Break(*brk),
                speed_factor=v["speed_factor"],
                cost_rp_per_km=v["cost_rp_per_km"],
                cost_rp_per_hour=v["cost_rp_per_hour"],
                fixed_cost_rp=v["fixed_cost_rp"],
                allowed_facility_ids=None if allowed is None else frozenset(allowed),
            )
        )
    stops = []
    for s in data["stops"]:
        allowed = s["allowed_vehicle_ids"]
        stops.append(
            Stop(
                stop_id=s["stop_id"],
                lat=s["lat"],
                lon=s["lon"],
                demand_kg=Decimal(s["demand_kg"]),
                demand_m3=Decimal(s["demand_m3"]),
                service_s=s["service_s"],
                time_windows=_read_windows(s["time_windows"]),
                priority=Priority(s["priority"]),
                penalty_rp=s["penalty_rp"],
                kind=StopKind(s["kind"]),
                allowed_vehicle_ids=None if allowed is None else frozenset(allowed),
            )
        )
    return CollectionProblem(
        depots=tuple(Depot(d["depot_id"], d["lat"], d["lon"]) for d in data["depots"]),
        facilities=tuple(
            Facility(
                facility_id=f["facility_id"],
                lat=f["lat"],
                lon=f["lon"],
                kind=FacilityKind(f["kind"]),
                opening_hours=_read_windows(f["opening_hours"]),
                unload_s=f["unload_s"],
            )
            for f in data["facilities"]
        ),
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        distance_source=HaversineSource(
            circuity=source["circuity"], speed_kmh=source["speed_kmh"]
        ),
    )
