"""Distance and travel-time sources: haversine, explicit matrices, OSRM ``table``.

Every source turns an ordered list of places into two square integer matrices,
distances in metres and durations in seconds, row = from, column = to. The
default is :class:`HaversineSource`: great-circle distance times a road
circuity factor, driven at a constant mean speed. :class:`MatrixSource` takes
matrices measured elsewhere, and :class:`OsrmSource` asks an OSRM server's
``table`` service (request building and response parsing are pure functions;
only :func:`fetch_json` does I/O).
"""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

__all__ = [
    "EARTH_RADIUS_M",
    "UNREACHABLE",
    "DistanceSource",
    "HaversineSource",
    "Matrices",
    "MatrixSource",
    "OsrmSource",
    "Place",
    "fetch_json",
    "haversine_m",
    "osrm_table_url",
    "parse_osrm_table",
]

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

#: Distance (m) and duration (s) that stand for "no road between these places".
#: Large enough to exceed any shift, small enough to keep sums inside int64.
UNREACHABLE = 10**9


class Place(NamedTuple):
    """A location to put in a matrix: its id and WGS84 coordinates in degrees."""

    place_id: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Matrices:
    """Square distance (m) and duration (s) matrices over an ordered list of places."""

    distance_m: tuple[tuple[int, ...], ...]
    duration_s: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        """Check that both matrices are square and of the same size."""
        n = len(self.distance_m)
        for matrix in (self.distance_m, self.duration_s):
            if len(matrix) != n or any(len(row) != n for row in matrix):
                raise ValueError("distance and duration matrices must be n x n")


class DistanceSource(Protocol):
    """Anything that can produce :class:`Matrices` for a list of places."""

    def matrices(self, places: Sequence[Place]) -> Matrices:
        """Return the matrices over ``places``, in their order."""
        ...


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two WGS84 points.

    :param lat1: latitude of the first point, degrees.
    :param lon1: longitude of the first point, degrees.
    :param lat2: latitude of the second point, degrees.
    :param lon2: longitude of the second point, degrees.
    :returns: the distance in metres on a sphere of radius :data:`EARTH_RADIUS_M`.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = (
        math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class HaversineSource:
    """Straight-line distance stretched by a circuity factor, at a constant speed.

    :param circuity: road distance / great-circle distance (dimensionless, >= 1).
        1.3 is a common urban value; measure it on a sample of real trips when
        a city's road network is known.
    :param speed_kmh: mean driving speed of a collection truck between stops, km/h.
    """

    circuity: float = 1.3
    speed_kmh: float = 25.0

    def __post_init__(self) -> None:
        """Reject factors and speeds that would make no physical sense."""
        if not self.circuity >= 1.0:
            raise ValueError("circuity must be >= 1")
        if not self.speed_kmh > 0:
            raise ValueError("speed_kmh must be > 0")

    def matrices(self, places: Sequence[Place]) -> Matrices:
        """Return haversine-based matrices over ``places``.

        :param places: the places, in matrix order.
        :returns: distances rounded to the metre, durations rounded to the second.
        """
        speed_m_per_s = self.speed_kmh / 3.6
        dist: list[tuple[int, ...]] = []
        dur: list[tuple[int, ...]] = []
        for a in places:
            d_row = []
            t_row = []
            for b in places:
                metres = self.circuity * haversine_m(a.lat, a.lon, b.lat, b.lon)
                d_row.append(round(metres))
                t_row.append(round(metres / speed_m_per_s))
            dist.append(tuple(d_row))
            dur.append(tuple(t_row))
        return Matrices(tuple(dist), tuple(dur))


@dataclass(frozen=True)
class MatrixSource:
    """Explicit matrices, keyed by place id (e.g. measured or from a routing engine).

    :param place_ids: the ids labelling rows and columns.
    :param distance_m: distances in metres, ``distance_m[i][j]`` from i to j.
    :param duration_s: durations in seconds, same layout.
    """

    place_ids: tuple[str, ...]
    distance_m: tuple[tuple[int, ...], ...]
    duration_s: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        """Check shapes and that ids are unique."""
        Matrices(self.distance_m, self.duration_s)
        if len(self.place_ids) != len(self.distance_m):
            raise ValueError("one place id per matrix row is required")
        if len(set(self.place_ids)) != len(self.place_ids):
            raise ValueError("place ids must be unique")

    def matrices(self, places: Sequence[Place]) -> Matrices:
        """Return the sub-matrices for ``places`` (ids must all be known).

        :raises KeyError: when a place id is not in :attr:`place_ids`.
        """
        position = {pid: k for k, pid in enumerate(self.place_ids)}
        idx = [position[p.place_id] for p in places]
        return Matrices(
            tuple(tuple(self.distance_m[i][j] for j in idx) for i in idx),
            tuple(tuple(self.duration_s[i][j] for j in idx) for i in idx),
        )


def osrm_table_url(
    base_url: str, places: Sequence[Place], profile: str = "driving"
) -> str:
    """Build an OSRM ``table`` request asking for both distances and durations.

    :param base_url: server root, e.g. ``http://localhost:5000``.
    :param places: the places; OSRM wants ``lon,lat`` pairs.
    :param profile: the OSRM profile name.
    :returns: the URL to GET.
    """
    coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in places)
    path = f"/table/v1/{urllib.parse.quote(profile)}/{coords}"
    return base_url.rstrip("/") + path + "?annotations=distance,duration"


def parse_osrm_table(payload: Mapping[str, Any]) -> Matrices:
    """Turn an OSRM ``table`` response into integer matrices.

    Unroutable pairs (``null`` in the response) become :data:`UNREACHABLE`, so
    that the feasibility checks name the stop that cannot be reached.

    :param payload: the decoded JSON body.
    :returns: distances (m) and durations (s), rounded to integers.
    :raises ValueError: when the response is an error or lacks a matrix.
    """
    if payload.get("code") != "Ok":
        raise ValueError(
            f"OSRM table error: {payload.get('code')}: {payload.get('message')}"
        )
    try:
        raw_dist = payload["distances"]
        raw_dur = payload["durations"]
    except KeyError as exc:
        raise ValueError(f"OSRM table response without {exc.args[0]}") from exc

    def convert(rows: Sequence[Sequence[float | None]]) -> tuple[tuple[int, ...], ...]:
        return tuple(
            tuple(UNREACHABLE if v is None else round(v) for v in row) for row in rows
        )

    return Matrices(convert(raw_dist), convert(raw_dur))


def fetch_json(url: str, timeout_s: float = 30.0) -> Any:
    """GET ``url`` and decode its JSON body (the only I/O in this module).

    :param url: an ``http`` or ``https`` URL.
    :param timeout_s: socket timeout, seconds.
    :raises ValueError: for any other URL scheme.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("only http and https URLs are fetched")
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 (scheme checked)
        return json.load(response)


@dataclass(frozen=True)
class OsrmSource:
    """An OSRM server's ``table`` service.

    :param base_url: server root, e.g. ``http://localhost:5000``.
    :param profile: the OSRM profile name.
    :param timeout_s: socket timeout, seconds.
    """

    base_url: str
    profile: str = "driving"
    timeout_s: float = 30.0

    def matrices(self, places: Sequence[Place]) -> Matrices:
        """Fetch and parse the table for ``places``."""
        url = osrm_table_url(self.base_url, places, self.profile)
        return parse_osrm_table(fetch_json(url, self.timeout_s))
