"""A collection problem as plain JSON data, and back.

A stored route plan keeps the problem it was solved from, so that it can be checked
again with :func:`routing.validate` (or solved again with the same seed) whatever
happens to the bins and trucks afterwards. A :class:`HaversineSource` is stored by
its parameters; a :class:`MatrixSource` (e.g. what an OSRM server answered when the
plan was made) is stored with its matrices, so the plan can be checked again without
the server, together with an ``origin`` saying where the matrices came from.

Decimals are written as strings, so that no weight changes on the way through JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from routing.distance import HaversineSource, MatrixSource
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

__all__ = [
    "SNAPSHOT_VERSION",
    "problem_from_json",
    "problem_to_json",
    "source_description",
]

#: Bumped when the layout below changes.
SNAPSHOT_VERSION = 1


def _windows(windows: tuple[TimeWindow, ...]) -> list[list[int]]:
    return [[w.start_s, w.end_s] for w in windows]


def _read_windows(data: list[list[int]]) -> tuple[TimeWindow, ...]:
    return tuple(TimeWindow(int(start), int(end)) for start, end in data)


def _ids(ids: frozenset[str] | None) -> list[str] | None:
    return None if ids is None else sorted(ids)


def _source_to_json(source: object, origin: Mapping[str, Any] | None) -> dict[str, Any]:
    if isinstance(source, HaversineSource):
        return {
            "kind": "haversine",
            "circuity": source.circuity,
            "speed_kmh": source.speed_kmh,
        }
    if isinstance(source, MatrixSource):
        return {
            "kind": "matrix",
            "origin": dict(origin) if origin is not None else {"kind": "matrix"},
            "place_ids": list(source.place_ids),
            "distance_m": [list(row) for row in source.distance_m],
            "duration_s": [list(row) for row in source.duration_s],
        }
    raise TypeError(
        "only a HaversineSource or a MatrixSource can be stored with a plan; "
        "measure other sources into a MatrixSource first"
    )


def source_description(data: Mapping[str, Any]) -> dict[str, Any]:
    """Where a snapshot's distances came from, without the matrices.

    :param data: a snapshot written by :func:`problem_to_json`.
    :returns: ``{"kind": "haversine", "circuity", "speed_kmh"}``, or the ``origin``
        of stored matrices (e.g. ``{"kind": "osrm", "base_url", "profile"}``).
    """
    source = data["distance_source"]
    if source["kind"] == "matrix":
        return dict(source.get("origin") or {"kind": "matrix"})
    return dict(source)


def problem_to_json(
    problem: CollectionProblem, *, origin: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The problem as JSON-compatible data.

    :param problem: a problem whose distance source is a :class:`HaversineSource`
        or a :class:`MatrixSource`.
    :param origin: for a :class:`MatrixSource`, where its matrices came from
        (JSON-compatible; default ``{"kind": "matrix"}``).
    :returns: dicts, lists, strings and numbers only.
    :raises TypeError: for any other distance source.
    """
    return {
        "version": SNAPSHOT_VERSION,
        "distance_source": _source_to_json(problem.distance_source, origin),
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
                "start_id": v.start_id,
                "initial_load_kg": str(v.initial_load_kg),
                "initial_load_m3": str(v.initial_load_m3),
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
    distance_source: HaversineSource | MatrixSource
    if source["kind"] == "haversine":
        distance_source = HaversineSource(
            circuity=source["circuity"], speed_kmh=source["speed_kmh"]
        )
    elif source["kind"] == "matrix":
        distance_source = MatrixSource(
            place_ids=tuple(source["place_ids"]),
            distance_m=tuple(
                tuple(int(v) for v in row) for row in source["distance_m"]
            ),
            duration_s=tuple(
                tuple(int(v) for v in row) for row in source["duration_s"]
            ),
        )
    else:
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
                # Absent from snapshots stored before re-planning existed.
                start_id=v.get("start_id"),
                initial_load_kg=Decimal(v.get("initial_load_kg", "0")),
                initial_load_m3=Decimal(v.get("initial_load_m3", "0")),
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
        distance_source=distance_source,
    )
