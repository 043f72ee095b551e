"""Benchmark instances: readers, conventions and the command line."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from routing.vrplib import check_routes, main, read_instance, read_solution, route_cost

DATA = Path(__file__).resolve().parent.parent / "data" / "routing"


def _cvrplib_by_hand(
    path: Path,
) -> tuple[dict[int, tuple[float, float]], dict[int, int], int]:
    """Coordinates, demands and capacity, read independently of routing.vrplib."""
    coords: dict[int, tuple[float, float]] = {}
    demand: dict[int, int] = {}
    capacity, section = 0, ""
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "CAPACITY":
            capacity = int(fields[-1])
        elif fields[0].endswith("SECTION"):
            section = fields[0]
        elif section == "NODE_COORD_SECTION" and fields[0].isdigit():
            coords[int(fields[0])] = (float(fields[1]), float(fields[2]))
        elif section == "DEMAND_SECTION" and fields[0].isdigit():
            demand[int(fields[0])] = int(fields[1])
    return coords, demand, capacity


def test_cli_on_a_n32_k5_prints_a_feasible_solution_and_its_true_cost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = DATA / "A-n32-k5.vrp"
    assert main([str(path), "--time-limit", "1", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    coords, demand, capacity = _cvrplib_by_hand(path)

    # CVRPLIB numbering: the depot is file node 1, customer c is file node c + 1.
    def nint_dist(a: int, b: int) -> int:
        (xa, ya), (xb, yb) = coords[a], coords[b]
        return int(math.sqrt((xa - xb) ** 2 + (ya - yb) ** 2) + 0.5)

    cost = 0
    for route in out["routes"]:
        nodes = [1, *(c + 1 for c in route), 1]
        cost += sum(nint_dist(a, b) for a, b in itertools.pairwise(nodes))
        assert sum(demand[c + 1] for c in route) <= capacity
    assert out["cost"] == cost
    visited = sorted(c for r in out["routes"] for c in r)
    assert visited == list(range(1, 32))
    assert cost >= 784  # the proven optimum
    assert cost <= 784 * 1.05


def test_best_known_solutions_recost_to_their_stated_values() -> None:
    for stem in ("A-n32-k5.vrp", "C101.txt"):
        inst = read_instance(DATA / stem)
        routes, bks = read_solution((DATA / stem).with_suffix(".sol"))
        assert check_routes(inst, routes) == []
        assert route_cost(inst, routes) == pytest.approx(bks)


def test_solomon_distances_are_truncated_to_one_decimal() -> None:
    inst = read_instance(DATA / "C101.txt")
    assert inst.kind == "vrptw"
    assert inst.num_vehicles == 25
    assert inst.capacity == 200
    # Depot (40, 50) to customer 1 (45, 68): sqrt(349) = 18.681... -> 18.6
    assert inst.distance[0][1] == 186
    assert (inst.ready[1], inst.due[1], inst.service[1]) == (9120, 9670, 900)


def test_checker_finds_violations() -> None:
    inst = read_instance(DATA / "C101.txt")
    routes, _ = read_solution(DATA / "C101.sol")
    problems = check_routes(inst, [list(reversed(routes[0])), *routes[1:-1]])
    assert any("not visited" in p for p in problems)
    assert any("due" in p for p in problems)
    cvrp = read_instance(DATA / "A-n32-k5.vrp")
    assert any("capacity" in p for p in check_routes(cvrp, [list(range(1, 32))]))


def test_cli_solves_a_solomon_instance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "C101.txt"), "--time-limit", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    inst = read_instance(DATA / "C101.txt")
    assert check_routes(inst, out["routes"]) == []
    assert out["cost"] == route_cost(inst, out["routes"])
    assert out["cost"] <= 827.3 * 1.05


def test_cli_plain_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "A-n32-k5.vrp"), "--time-limit", "0.5"]) == 0
    assert capsys.readouterr().out.startswith("A-n32-k5: cost ")
