"""Gap to the best-known solutions on the shared CVRPLIB and Solomon instances.

Runs ``python -m routing.vrplib FILE --time-limit S --seed N --json`` on every
instance of ``../shared/benchmarks/instances/`` (relative to the repository) at
each time limit, re-checks every solution and its cost independently of the
solver, and prints a table per time limit plus the mean gap per class (CVRP,
VRPTW). Instances marked "test" in that folder's README are the benchmark; the
"tuning" ones are reported apart (``--tuning``) and never mixed into the means.

Examples::

    python benchmarks/routing.py                       # test instances, 2, 10 and 30 s
    python benchmarks/routing.py --limits 10 --instances A-n32-k5,C101
    python benchmarks/routing.py --limits 2 --tuning --jobs 2
    python benchmarks/routing.py --limits 10 --seeds 1,2,3   # mean over seeds

One seed is one sample: on the X instances the same configuration lands between
about 0.5 % and 3 % depending on the seed, so ``--seeds`` reports each instance's
mean and range over several seeds and the class means over all runs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from routing.vrplib import check_routes, read_instance, read_solution, route_cost  # noqa: E402

INSTANCES = REPO.parent / "shared" / "benchmarks" / "instances"


@dataclass(frozen=True)
class Case:
    """One instance: its files, class and use (``test`` or ``tuning``)."""

    name: str
    path: Path
    kind: str
    use: str
    bks: float


def discover(folder: Path) -> list[Case]:
    """List the instances of ``folder`` with their use taken from its README."""
    uses: dict[str, str] = {}
    readme = folder / "README.md"
    if readme.exists():
        for line in readme.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 3 and re.fullmatch(r"[A-Za-z0-9_\-]+", cells[0]):
                uses[cells[0]] = "tuning" if "tuning" in cells[-1] else "test"
    cases = []
    for path in sorted(folder.glob("*.vrp")) + sorted(folder.glob("*.txt")):
        _, bks = read_solution(path.with_suffix(".sol"))
        kind = "CVRP" if path.suffix == ".vrp" else "VRPTW"
        cases.append(Case(path.stem, path, kind, uses.get(path.stem, "test"), bks))
    return cases


@dataclass(frozen=True)
class Result:
    """The outcome of one run: cost and gap, or the error the CLI printed."""

    case: Case
    limit: float
    seed: int
    wall_s: float
    cost: float = math.nan
    gap_pct: float = math.nan
    routes: int = 0
    violations: tuple[str, ...] = ()
    error: str = ""


def run(case: Case, limit: float, seed: int, restarts: int | None) -> Result:
    """Solve one case through the CLI and check what it printed."""
    cmd = [sys.executable, "-m", "routing.vrplib", str(case.path)]
    cmd += ["--time-limit", str(limit), "--seed", str(seed), "--json"]
    if restarts is not None:
        cmd += ["--restarts", str(restarts)]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        return Result(
            case, limit, seed, wall, error=proc.stderr.strip()[-200:] or "failed"
        )
    out = json.loads(proc.stdout)
    inst = read_instance(case.path)
    recomputed = route_cost(inst, out["routes"])
    violations = check_routes(inst, out["routes"])
    if abs(recomputed - out["cost"]) > 1e-6:
        violations.append(f"printed cost {out['cost']} != recomputed {recomputed}")
    gap = 100.0 * (recomputed - case.bks) / case.bks
    return Result(
        case,
        limit,
        seed,
        wall,
        recomputed,
        gap,
        len(out["routes"]),
        tuple(violations),
    )


def main() -> int:
    """Parse options, run the cases and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", default="2,10,30", help="comma-separated seconds")
    parser.add_argument("--instances", default="", help="comma-separated names")
    parser.add_argument(
        "--tuning", action="store_true", help="add the tuning instances"
    )
    parser.add_argument(
        "--only-tuning", action="store_true", help="only the tuning ones"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--seeds", default="", help="comma-separated seeds (overrides --seed)"
    )
    parser.add_argument("--restarts", type=int, default=None, help="override restarts")
    parser.add_argument("--jobs", type=int, default=1, help="parallel runs (1 = quiet)")
    parser.add_argument("--folder", type=Path, default=INSTANCES)
    args = parser.parse_args()

    limits = [float(x) for x in args.limits.split(",") if x]
    cases = discover(args.folder)
    if args.instances:
        wanted = set(args.instances.split(","))
        cases = [c for c in cases if c.name in wanted]
    elif args.only_tuning:
        cases = [c for c in cases if c.use == "tuning"]
    elif not args.tuning:
        cases = [c for c in cases if c.use == "test"]

    seeds = [int(x) for x in args.seeds.split(",") if x] or [args.seed]
    jobs = [(c, lim, s) for lim in limits for s in seeds for c in cases]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda j: run(j[0], j[1], j[2], args.restarts), jobs))

    failures = 0
    for lim in limits:
        seed_text = ", ".join(str(s) for s in seeds)
        print(f"\n## time limit {lim:g} s (seed{'s' * (len(seeds) > 1)} {seed_text})")
        print(
            f"| {'instance':<12} | {'class':<5} | {'use':<6} | {'BKS':>9} | {'cost':>9} "
            f"| {'gap %':>6} | {'routes':>6} | {'wall s':>6} | check |"
        )
        print("|" + "|".join("-" * w for w in (14, 7, 8, 11, 11, 8, 8, 8, 7)) + "|")
        for res in (r for r in results if r.limit == lim):
            case = res.case
            failures += bool(res.error or res.violations)
            check = res.error or ("; ".join(res.violations) if res.violations else "ok")
            name = case.name if len(seeds) == 1 else f"{case.name} s{res.seed}"
            print(
                f"| {name:<12} | {case.kind:<5} | {case.use:<6} | {case.bks:>9g} "
                f"| {res.cost:>9g} | {res.gap_pct:>6.2f} | {res.routes:>6} "
                f"| {res.wall_s:>6.1f} | {check} |"
            )
        if len(seeds) > 1:
            print(f"\nper instance over {len(seeds)} seeds: mean gap % (min - max)")
            for case in cases:
                gaps = [
                    r.gap_pct
                    for r in results
                    if r.limit == lim and r.case == case and not r.error
                ]
                if gaps:
                    print(
                        f"  {case.name:<12} {statistics.mean(gaps):6.2f} "
                        f"({min(gaps):.2f} - {max(gaps):.2f})"
                    )
        for use in ("test", "tuning"):
            for kind in ("CVRP", "VRPTW"):
                gaps = [
                    r.gap_pct
                    for r in results
                    if r.limit == lim
                    and not r.error
                    and r.case.kind == kind
                    and r.case.use == use
                ]
                if gaps:
                    runs = f"{len(gaps) // len(seeds)} instances x {len(seeds)} seeds"
                    print(
                        f"mean gap {kind:<5} ({use}, {runs}) at {lim:g} s: "
                        f"{statistics.mean(gaps):.2f} %"
                    )
            every = [
                r.gap_pct
                for r in results
                if r.limit == lim and not r.error and r.case.use == use
            ]
            if every and use == "test":
                print(
                    f"mean gap, all test instances at {lim:g} s: "
                    f"{statistics.mean(every):.2f} %"
                )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
