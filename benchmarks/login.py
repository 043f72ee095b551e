"""Benchmark: how long a refused login takes for an unknown username and for a wrong
password (they must be alike, or the timing tells which usernames exist).

Usage::

    .venv/bin/python benchmarks/login.py [--rounds 40] [--method scrypt]

Builds a scratch SQLite database with one cashier whose password is hashed with
``--method`` (werkzeug's ``scrypt`` is the production default), then sends
``POST /api/v1/auth/token`` through the app's test client ``--rounds`` times with an
unknown username and ``--rounds`` times with the cashier's name and a wrong password,
interleaved, each from its own source address so that the throttle refuses none.
Prints the median and the 10th and 90th percentiles of each, in milliseconds, and
their difference. The figures include the throttle's two counter writes per attempt.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._scratch import scratch_app
from wastebank import services
from wastebank.access import SYSTEM
from wastebank.extensions import db

PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database


def main() -> None:
    """Time refused logins and print the two distributions."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--method", default="scrypt", help="werkzeug hash method")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app, cleanup = scratch_app(f"sqlite:///{os.path.join(folder, 'login.db')}")
        app.config["PASSWORD_HASH_METHOD"] = args.method
        with app.app_context():
            services.create_user(
                db.session,
                SYSTEM,
                username="kasir.bench",
                password=PASSWORD,
                role="admin",
                policy=services.PasswordPolicy(hash_method=args.method),
            )
            db.session.commit()
        client = app.test_client()
        timings: dict[str, list[float]] = {"unknown username": [], "wrong password": []}
        for n in range(-1, args.rounds):  # round -1 warms up both paths
            for label, username in (
                ("unknown username", f"nobody{n}"),
                ("wrong password", "kasir.bench"),
            ):
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/auth/token",
                    json={"username": username, "password": "wrong-password"},
                    environ_base={"REMOTE_ADDR": f"10.{n % 200}.{len(label)}.1"},
                )
                elapsed_ms = (time.perf_counter() - started) * 1000
                if response.status_code != 401:
                    raise RuntimeError(response.get_data(as_text=True))
                if n >= 0:
                    timings[label].append(elapsed_ms)
        cleanup()

    print(f"hash method {args.method}, {args.rounds} refused logins each")
    medians = {}
    for label, values in timings.items():
        deciles = statistics.quantiles(values, n=10)
        medians[label] = statistics.median(values)
        print(
            f"  {label:<17} median {medians[label]:7.1f} ms"
            f"   p10 {deciles[0]:7.1f} ms   p90 {deciles[-1]:7.1f} ms"
        )
    difference = medians["unknown username"] - medians["wrong password"]
    print(f"  difference of the medians: {difference:+.1f} ms")


if __name__ == "__main__":
    main()
