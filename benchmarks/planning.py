"""Does the server keep answering while route plans are computed?

Builds a database with the demo city (``flask db upgrade``, ``flask demo load``, as
``./script/server`` does), serves it with gunicorn (``-w WORKERS --threads 4``, the
server script's defaults) and measures, from a prober thread, how long ``GET /healthz``
and a counter read (``GET /api/v1/banks/BSU01/prices`` as the demo cashier) take:

1. **idle**: ``--probes`` probes, no plan running;
2. **while planning**: ``--plans`` concurrent ``POST /api/v1/route-plans`` for Ambon
   tomorrow with ``time_limit_s`` = ``--time-limit`` (as the demo DLH user); the prober
   runs from the moment they are sent until the last one has answered.

It prints each plan's status and how long its answer took, then per phase the probes'
latency (p50 / p90 / max, milliseconds) and how many gunicorn workers were killed for
not reporting in time (``WORKER TIMEOUT`` in its log: a worker whose threads cannot
run its heartbeat for ``--timeout``, 30 s). A plan answers 201 when it was computed,
503 ``planner_busy`` (with ``Retry-After``) when the planner's limits refused it.

The load runs on the same machine as the server, so the figures are noisy on a shared
machine; what matters is the order of magnitude of the probes' worst case against the
plans' time limit. Run from the repository root::

    .venv/bin/python benchmarks/planning.py [--plans 8] [--time-limit 30]
        [--workers 2] [--threads 4] [--probe-interval 0.25]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/db]

SQLite in a temporary directory unless ``--postgres-url`` names an empty PostgreSQL
database (the demo is loaded into it).
Settings such as ``WASTEBANK_PLAN_MAX_CONCURRENT`` are passed on from the environment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.counter import _flask_env, gunicorn, migrate, request  # noqa: E402

DEMO_PASSWORD = "sampah123"  # noqa: S105 - the demo's printed password
DLH = "dlh.ambon"
CASHIER = "kasir.bsu01"
COUNTER_PATH = "/api/v1/banks/BSU01/prices"


@dataclass
class Probes:
    """Latencies of the probes, milliseconds, by path."""

    healthz_ms: list[float] = field(default_factory=list)
    counter_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class PlanAnswer:
    status: int
    seconds: float
    type_: str
    retry_after: str | None


def load_demo(url: str, log: Path) -> None:
    """``flask --app wsgi demo load`` into the new database."""
    with log.open("a") as out:
        subprocess.run(
            [*(sys.executable, "-m", "flask", "--app", "wsgi"), "demo", "load"],
            cwd=ROOT,
            env=_flask_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=600,
        )


def token(port: int, username: str) -> str:
    status, _, body = request(
        port,
        "POST",
        "/api/v1/auth/token",
        {"username": username, "password": DEMO_PASSWORD},
    )
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"token for {username} answered {status}: {body}")
    return str(body["access_token"])


def probe_once(port: int, cashier: str, probes: Probes) -> None:
    """One ``/healthz`` and one counter read, each timed on the client."""
    for path, headers, into in (
        ("/healthz", {}, probes.healthz_ms),
        (COUNTER_PATH, {"Authorization": f"Bearer {cashier}"}, probes.counter_ms),
    ):
        started = time.perf_counter()
        try:
            status, _, _ = request(port, "GET", path, headers=headers)
        except OSError as error:
            probes.failures[f"{path}: {type(error).__name__}"] += 1
            continue
        into.append((time.perf_counter() - started) * 1000)
        if status != 200:
            probes.failures[f"{path}: {status}"] += 1


def probe_until(
    port: int, cashier: str, done: threading.Event, interval_s: float
) -> Probes:
    probes = Probes()
    while not done.is_set():
        probe_once(port, cashier, probes)
        done.wait(interval_s)
    return probes


def post_plan(port: int, dlh: str, body: dict[str, object]) -> PlanAnswer:
    started = time.perf_counter()
    try:
        status, headers, answer = request(
            port,
            "POST",
            "/api/v1/route-plans",
            body,
            {"Authorization": f"Bearer {dlh}"},
            timeout_s=3600,
        )
    except OSError as error:  # e.g. gunicorn killed the worker (WORKER TIMEOUT)
        return PlanAnswer(0, time.perf_counter() - started, repr(error), None)
    kind = "" if status == 201 or not isinstance(answer, dict) else answer["type"]
    return PlanAnswer(
        status, time.perf_counter() - started, str(kind), headers.get("Retry-After")
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def describe(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<22} no answer"
    return (
        f"{name:<22} n={len(values):<4} p50 {percentile(values, 0.5):8.1f}  "
        f"p90 {percentile(values, 0.9):8.1f}  max {max(values):8.1f} ms"
    )


def run(args: argparse.Namespace, url: str, log: Path) -> None:
    migrate(url, log)
    load_demo(url, log)
    tomorrow = dt.datetime.now(ZoneInfo("Asia/Jayapura")).date() + dt.timedelta(days=1)
    body = {"date": tomorrow.isoformat(), "time_limit_s": args.time_limit}
    with gunicorn(url, args.workers, args.threads, log) as port:
        dlh, cashier = token(port, DLH), token(port, CASHIER)
        idle = Probes()
        for _ in range(args.probes):
            probe_once(port, cashier, idle)
        done = threading.Event()
        answers: list[PlanAnswer] = []
        lock = threading.Lock()

        def plan() -> None:
            answer = post_plan(port, dlh, body)
            with lock:
                answers.append(answer)

        busy: list[Probes] = []
        prober = threading.Thread(
            target=lambda: busy.append(
                probe_until(port, cashier, done, args.probe_interval)
            )
        )
        planners = [threading.Thread(target=plan) for _ in range(args.plans)]
        started = time.perf_counter()
        for thread in planners:
            thread.start()
        prober.start()
        for thread in planners:
            thread.join()
        done.set()
        prober.join()
        wall_s = time.perf_counter() - started

    print(
        f"gunicorn -w {args.workers} --threads {args.threads}; {args.plans} concurrent "
        f"plans for AMB on {tomorrow}, time_limit_s {args.time_limit:g}; "
        f"all answered after {wall_s:.1f} s"
    )
    for answer in sorted(answers, key=lambda a: a.seconds):
        extra = f" {answer.type_}" if answer.type_ else ""
        if answer.retry_after is not None:
            extra += f", Retry-After {answer.retry_after}"
        status = answer.status or "no answer:"
        print(f"  plan: {status}{extra} after {answer.seconds:6.2f} s")
    print("latency of the probes:")
    print(describe("idle /healthz", idle.healthz_ms))
    print(describe("idle counter read", idle.counter_ms))
    print(describe("planning /healthz", busy[0].healthz_ms))
    print(describe("planning counter read", busy[0].counter_ms))
    killed = log.read_text().count("WORKER TIMEOUT")
    print(f"workers killed by gunicorn's --timeout (WORKER TIMEOUT): {killed}")
    failures = idle.failures + busy[0].failures
    print(
        "probe failures: "
        + (", ".join(f"{k} x{v}" for k, v in failures.items()) or "none")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WASTEBANK_WORKERS", "2"))
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--probes", type=int, default=20, help="idle probes")
    parser.add_argument("--probe-interval", type=float, default=0.25)
    parser.add_argument("--postgres-url", help="use this (empty) PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-planning-") as tmp:
        log = Path(tmp) / "server.log"
        url = args.postgres_url or f"sqlite:///{tmp}/planning.db"
        try:
            run(args, url, log)
        except Exception:
            print(log.read_text()[-4000:] if log.exists() else "", file=sys.stderr)
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
