"""Distance sources: haversine, explicit matrices and the OSRM table service."""

from __future__ import annotations

import pytest

from routing.distance import (
    UNREACHABLE,
    HaversineSource,
    Matrices,
    MatrixSource,
    OsrmSource,
    Place,
    fetch_json,
    haversine_m,
    osrm_table_url,
    parse_osrm_table,
)

AMBON = Place("ambon", -3.6954, 128.1814)
TPA = Place("tpa", -3.6500, 128.2600)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, abs=5)


def test_haversine_is_symmetric_and_zero_on_the_diagonal() -> None:
    d = haversine_m(AMBON.lat, AMBON.lon, TPA.lat, TPA.lon)
    assert d == pytest.approx(haversine_m(TPA.lat, TPA.lon, AMBON.lat, AMBON.lon))
    assert haversine_m(AMBON.lat, AMBON.lon, AMBON.lat, AMBON.lon) == 0.0
    assert 9_000 < d < 11_000


def test_circuity_and_speed_scale_the_matrices() -> None:
    straight = HaversineSource(circuity=1.0, speed_kmh=36.0).matrices([AMBON, TPA])
    road = HaversineSource(circuity=1.3, speed_kmh=36.0).matrices([AMBON, TPA])
    assert road.distance_m[0][1] == pytest.approx(
        1.3 * straight.distance_m[0][1], abs=1
    )
    # 36 km/h is 10 m/s.
    assert road.duration_s[0][1] == pytest.approx(road.distance_m[0][1] / 10, abs=1)
    assert road.distance_m[0][0] == road.duration_s[1][1] == 0
    assert all(isinstance(x, int) for row in road.distance_m for x in row)


@pytest.mark.parametrize(("circuity", "speed"), [(0.9, 20.0), (1.3, 0.0)])
def test_haversine_source_rejects_nonsense(circuity: float, speed: float) -> None:
    with pytest.raises(ValueError, match=r"circuity|speed"):
        HaversineSource(circuity=circuity, speed_kmh=speed)


def test_matrix_source_returns_the_submatrix_in_the_requested_order() -> None:
    source = MatrixSource(
        ("a", "b", "c"),
        ((0, 1, 2), (3, 0, 4), (5, 6, 0)),
        ((0, 10, 20), (30, 0, 40), (50, 60, 0)),
    )
    got = source.matrices([Place("c", 0, 0), Place("a", 0, 0)])
    assert got == Matrices(((0, 5), (2, 0)), ((0, 50), (20, 0)))
    with pytest.raises(KeyError):
        source.matrices([Place("zzz", 0, 0)])


def test_matrix_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="n x n"):
        Matrices(((0, 1),), ((0,),))
    with pytest.raises(ValueError, match="unique"):
        MatrixSource(("a", "a"), ((0, 1), (1, 0)), ((0, 1), (1, 0)))


def test_osrm_url_lists_lon_lat_pairs_and_asks_for_both_annotations() -> None:
    url = osrm_table_url("http://localhost:5000/", [AMBON, TPA], profile="truck")
    assert url == (
        "http://localhost:5000/table/v1/truck/128.181400,-3.695400;128.260000,-3.650000"
        "?annotations=distance,duration"
    )


def test_osrm_response_is_rounded_and_nulls_become_unreachable() -> None:
    payload = {
        "code": "Ok",
        "distances": [[0, 1234.6], [None, 0]],
        "durations": [[0, 99.4], [None, 0]],
    }
    matrices = parse_osrm_table(payload)
    assert matrices.distance_m == ((0, 1235), (UNREACHABLE, 0))
    assert matrices.duration_s == ((0, 99), (UNREACHABLE, 0))


def test_osrm_errors_are_raised() -> None:
    with pytest.raises(ValueError, match="InvalidQuery"):
        parse_osrm_table({"code": "InvalidQuery", "message": "bad coordinates"})
    with pytest.raises(ValueError, match="durations"):
        parse_osrm_table({"code": "Ok", "distances": [[0]]})


def test_osrm_source_fetches_through_fetch_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def fake_fetch(url: str, timeout_s: float = 30.0) -> object:
        seen.append(url)
        return {
            "code": "Ok",
            "distances": [[0, 5], [6, 0]],
            "durations": [[0, 1], [2, 0]],
        }

    monkeypatch.setattr("routing.distance.fetch_json", fake_fetch)
    matrices = OsrmSource("http://osrm.local").matrices([AMBON, TPA])
    assert matrices.distance_m == ((0, 5), (6, 0))
    assert seen[0].startswith("http://osrm.local/table/v1/driving/")


def test_fetch_json_refuses_other_schemes() -> None:
    with pytest.raises(ValueError, match="http"):
        fetch_json("file:///etc/passwd")
