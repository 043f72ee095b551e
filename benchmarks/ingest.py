"""Benchmark: MQTT ingest rate against a bare subscriber, through a real Mosquitto.

Usage::

    .venv/bin/python benchmarks/ingest.py [--messages 20000] [--sensors 60] [--rounds 3]
        [--processes 2] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/db]

It starts its own private Mosquitto on a free port (unlimited queues, no
persistence), then for each consumer:

1. connects the consumer once, so the broker holds a persistent session for it;
2. disconnects it and publishes the whole burst (QoS 1), which the broker queues;
3. reconnects the consumer and times how long it takes to drain the queue.

Bare and worker drains alternate for ``--rounds`` rounds and the medians are compared,
so that a change in the machine's load does not masquerade as a ratio.

Draining a queued burst measures the consumer, not the publisher.  The bare
subscriber only counts unique payloads (QoS 1, automatic acks); the ingest worker
is the real one (``telemetry.mqtt.IngestWorker`` with the CLI's ``BatchStore``:
parse, classify, insert idempotently, commit per batch, ack after commit), on a
fresh SQLite file and, with ``--postgres``, on a fresh schema of that database.
With ``--processes N`` (N > 1) the burst is also drained by N real ``flask telemetry
mqtt --shared-group`` processes, timed from the first stored reading to the last.
Lost = published readings missing from the database; duplicated = rows beyond one
per reading (the unique keys make this 0 unless something is badly wrong).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._scratch import scratch_app
from telemetry import services
from telemetry.cli import BatchStore
from telemetry.models import SensorReading
from telemetry.mqtt import (
    RECEIVE_MAXIMUM,
    BrokerUrl,
    IngestWorker,
    chirpstack_uplink,
    plain_reading,
    publish_all,
    subscription_filters,
    tts_uplink,
)
from wastebank.access import SYSTEM
from wastebank.extensions import db

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def private_mosquitto() -> Iterator[BrokerUrl]:
    """Mosquitto on a free loopback port with unlimited queues (stack-notes §4, §6)."""
    with tempfile.TemporaryDirectory() as directory:
        port = _free_port()
        config = Path(directory) / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\n"
            "persistence false\nmax_queued_messages 0\n"
        )
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            yield BrokerUrl("127.0.0.1", port)
        finally:
            process.terminate()
            process.wait(5)


def burst(count: int, sensors: int, tag: str) -> list[tuple[str, bytes]]:
    """``count`` distinct uplinks over ``sensors`` devices of the three formats."""
    now = dt.datetime.now(dt.UTC)
    messages = []
    for i in range(count):
        n = i % sensors
        at = now - dt.timedelta(seconds=i // sensors, microseconds=n)
        distance_mm = 400 + (i * 7) % 1000
        if n % 3 == 0:
            messages.append(
                tts_uplink(f"tts-{n}", distance_mm=distance_mm, measured_at=at, f_cnt=i)
            )
        elif n % 3 == 1:
            messages.append(
                chirpstack_uplink(
                    f"{n:016X}", distance_mm=distance_mm, measured_at=at, f_cnt=i
                )
            )
        else:
            messages.append(
                plain_reading(f"json-{n}", distance_mm=distance_mm, measured_at=at)
            )
    return messages


def _connect_properties() -> Properties:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return properties


class BareSubscriber:
    """Counts unique payloads; QoS 1 with automatic acks; persistent session."""

    def __init__(self, broker: BrokerUrl) -> None:
        self.broker = broker
        self.client_id = f"bench-bare-{uuid.uuid4().hex[:6]}"
        self.seen: set[bytes] = set()
        self.received = 0
        self.first_at: float | None = None
        self.last_at = 0.0

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        subscribed = threading.Event()
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(topic, 1) for topic in subscription_filters()]
        )
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_message = self._on_message
        client.connect(
            self.broker.host,
            self.broker.port,
            clean_start=False,
            properties=_connect_properties(),
        )
        client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("bare subscriber could not subscribe")
        return client

    def _on_message(
        self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage
    ) -> None:
        now = time.perf_counter()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.received += 1
        self.seen.add(bytes(message.payload))

    def register(self) -> None:
        client = self._client()
        client.disconnect()
        client.loop_stop()

    def drain(self, expected: int, timeout_s: float) -> float:
        """Reconnect and time the drain; returns messages per second."""
        started = time.perf_counter()
        client = self._client()
        deadline = time.monotonic() + timeout_s
        while len(self.seen) < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        # End the session, so the later bursts are not queued for it too.
        properties = Properties(PacketTypes.DISCONNECT)
        properties.SessionExpiryInterval = 0
        client.disconnect(properties=properties)
        client.loop_stop()
        elapsed = self.last_at - started
        return len(self.seen) / elapsed if elapsed > 0 else float("nan")


def _prepare_database(url: str, sensors: int) -> Callable[[], None]:
    """Create the schema and the registry; returns a cleanup function."""
    app, cleanup = scratch_app(url)
    with app.app_context():
        for n in range(sensors):
            code = f"AMB-{n:03d}"
            services.create_bin(
                db.session,
                SYSTEM,
                code=code,
                name=f"TPS {n}",
                kind="tps",
                stream="mixed",
                capacity_l=1100,
                lat=-3.69,
                lon=128.18,
                city="AMB",
            )
            format_, device_id = (
                ("ttn-v3", f"tts-{n}"),
                ("chirpstack-v4", f"{n:016X}"),
                ("json", f"json-{n}"),
            )[n % 3]
            services.create_sensor(
                db.session,
                SYSTEM,
                device_id=device_id,
                bin=code,
                format=format_,
                empty_distance_mm=1500,
                full_distance_mm=300,
            )
        db.session.commit()
    _APPS[url] = app

    return cleanup


_APPS: dict[str, object] = {}


def run_worker(
    url: str, broker: BrokerUrl, messages: list[tuple[str, bytes]], timeout_s: float
) -> tuple[float, int, int, int]:
    """Register the worker's session, queue the burst, time the drain.

    :returns: (stored readings per second, lost, duplicated rows, redelivered copies)
    """
    app = _APPS[url]
    client_id = f"bench-ingest-{uuid.uuid4().hex[:6]}"
    expected = len(messages)
    rows_before, unique_before = _counts(app)

    def run(stop: threading.Event, holder: dict[str, object]) -> None:
        with app.app_context():  # type: ignore[attr-defined]
            store = BatchStore()
            worker = IngestWorker(
                broker, store, client_id=client_id, on_idle=store.refresh_dirty
            )
            holder["worker"], holder["store"] = worker, store
            worker.run(stop)

    # 1. create the session
    stop = threading.Event()
    holder: dict[str, object] = {}
    thread = threading.Thread(target=run, args=(stop, holder))
    thread.start()
    while "worker" not in holder or not holder["worker"].subscribed.is_set():  # type: ignore[attr-defined]
        time.sleep(0.01)
    stop.set()
    thread.join()
    # 2. queue the burst while the worker is away
    publish_all(broker, messages, timeout_s=300)
    # 3. drain
    stop = threading.Event()
    holder = {}
    started = time.perf_counter()
    thread = threading.Thread(target=run, args=(stop, holder))
    thread.start()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        store = holder.get("store")
        if (
            isinstance(store, BatchStore)
            and store.stored + store.duplicates >= expected
        ):
            break
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join()
    store = holder["store"]
    if not isinstance(store, BatchStore):
        raise RuntimeError("the worker did not start")
    rows, unique = _counts(app)
    stored_unique = unique - unique_before
    return (
        store.stored / elapsed,
        expected - stored_unique,
        (rows - rows_before) - stored_unique,
        store.duplicates,
    )


def _row_count(app: object) -> int:
    with app.app_context():  # type: ignore[attr-defined]
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(SensorReading))
        db.session.remove()
    return int(rows or 0)


def _counts(app: object) -> tuple[int, int]:
    """Rows of sensor_readings, and distinct dedup keys among them."""
    with app.app_context():  # type: ignore[attr-defined]
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(SensorReading))
        unique = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(SensorReading.dedup_key)))
        )
        db.session.remove()
    return int(rows or 0), int(unique or 0)


def run_worker_processes(
    url: str,
    broker: BrokerUrl,
    messages: list[tuple[str, bytes]],
    processes: int,
    timeout_s: float,
) -> tuple[float, int, int]:
    """Like :func:`run_worker`, with ``processes`` real ``flask telemetry mqtt``
    workers sharing the subscriptions (``--shared-group``).

    The clock runs from the first stored reading to the last, so the workers'
    start-up (importing Flask and friends) is not counted.

    :returns: (stored readings per second, lost, duplicated rows)
    """
    app = _APPS[url]
    rows_before, unique_before = _counts(app)
    env = {
        **os.environ,
        "WASTEBANK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],  # type: ignore[attr-defined]
        "WASTEBANK_SECRET_KEY": "benchmark-only-secret-key-not-for-production",
    }
    group = f"bench{uuid.uuid4().hex[:6]}"
    ids = [f"{group}-{n}" for n in range(processes)]
    flask = str(Path(sys.executable).parent / "flask")
    root = Path(__file__).resolve().parent.parent

    def start(client_id: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            return subprocess.Popen(
                [flask, "--app", "wsgi", "telemetry", "mqtt", "--url",
                 f"mqtt://{broker.host}:{broker.port}", "--shared-group", group,
                 "--client-id", client_id],
                cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    with tempfile.TemporaryDirectory() as directory:
        logs = [Path(directory) / f"{client_id}.log" for client_id in ids]
        # 1. create the sessions, then stop the workers
        workers = [start(c, log) for c, log in zip(ids, logs, strict=True)]
        deadline = time.monotonic() + 60
        while not all("subscribing" in log.read_text() for log in logs):
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not subscribe")
            time.sleep(0.05)
        time.sleep(0.2)  # let the SUBACKs arrive
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        # 2. queue the burst, 3. drain it with every worker running
        publish_all(broker, messages, timeout_s=300)
        workers = [start(c, log) for c, log in zip(ids, logs, strict=True)]
        first_at = last_at = None
        expected = rows_before + len(messages)
        deadline = time.monotonic() + timeout_s
        try:
            before = time.perf_counter()  # the last poll that saw nothing new
            while time.monotonic() < deadline:
                rows = _row_count(app)  # cheap; duplicates are counted at the end
                now = time.perf_counter()
                if first_at is None and rows > rows_before:
                    # Storing began after the previous poll: count from there, so a
                    # burst drained between two polls is not timed as zero seconds.
                    first_at = before
                before = now
                if rows >= expected:
                    last_at = now
                    break
                time.sleep(0.05)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
    rows, unique = _counts(app)
    stored = unique - unique_before
    elapsed = (last_at or time.perf_counter()) - (first_at or 0.0)
    return stored / elapsed, len(messages) - stored, (rows - rows_before) - stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--sensors", type=int, default=60)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a schema is created)")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating drains; medians reported"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="also drain with N `flask telemetry mqtt --shared-group` processes",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault(
        "WASTEBANK_SECRET_KEY", "benchmark-only-secret-key-not-for-production"
    )

    with tempfile.TemporaryDirectory() as directory, private_mosquitto() as broker:
        urls = [f"sqlite:///{directory}/bench.db"]
        if args.postgres:
            urls.append(args.postgres)
        cleanups = [_prepare_database(url, args.sensors) for url in urls]
        try:
            print(
                f"Burst: {args.messages} QoS 1 uplinks from {args.sensors} sensors "
                "(TTS v3, ChirpStack v4, plain JSON), queued at a private Mosquitto "
                f"({MOSQUITTO}) and drained."
            )
            bare_rates: list[float] = []
            worker_rates: dict[str, list[float]] = {}
            losses: dict[str, tuple[int, int]] = {}
            for round_ in range(1, args.rounds + 1):
                # Alternate bare and worker drains: the machine's load drifts, and a
                # ratio of figures taken minutes apart would measure the drift.
                bare = BareSubscriber(broker)
                bare.register()
                publish_all(
                    broker,
                    burst(args.messages, args.sensors, f"bare{round_}"),
                    timeout_s=300,
                )
                bare_rate = bare.drain(args.messages, args.timeout)
                bare_rates.append(bare_rate)
                print(
                    f"round {round_}: bare subscriber         {bare_rate:8.0f} msg/s"
                    f"  ({len(bare.seen)}/{args.messages} unique received)"
                )
                for url in urls:
                    name = "postgresql" if url.startswith("postgresql") else "sqlite"
                    messages = burst(args.messages, args.sensors, f"{name}{round_}")
                    rate, lost, duplicated, redelivered = run_worker(
                        url, broker, messages, args.timeout
                    )
                    worker_rates.setdefault(name, []).append(rate)
                    before = losses.get(name, (0, 0))
                    losses[name] = (before[0] + lost, before[1] + duplicated)
                    print(
                        f"round {round_}: ingest worker, {name:10} {rate:8.0f} "
                        f"stored readings/s  (ratio {rate / bare_rate:.2f}, "
                        f"lost {lost}, duplicated {duplicated}, "
                        f"redelivered copies ignored {redelivered})"
                    )
                    if args.processes > 1:
                        label = f"{name} x{args.processes}"
                        messages = burst(
                            args.messages, args.sensors, f"{name}p{round_}"
                        )
                        rate, lost, duplicated = run_worker_processes(
                            url, broker, messages, args.processes, args.timeout
                        )
                        worker_rates.setdefault(label, []).append(rate)
                        before = losses.get(label, (0, 0))
                        losses[label] = (before[0] + lost, before[1] + duplicated)
                        print(
                            f"round {round_}: {args.processes} worker processes, "
                            f"{name:10} {rate:8.0f} stored readings/s  (ratio "
                            f"{rate / bare_rate:.2f}, lost {lost}, "
                            f"duplicated {duplicated})"
                        )
            bare_median = statistics.median(bare_rates)
            print(f"median bare subscriber: {bare_median:8.0f} msg/s")
            for name, rates in worker_rates.items():
                median = statistics.median(rates)
                lost, duplicated = losses[name]
                print(
                    f"median ingest worker ({name}): {median:8.0f} stored readings/s"
                    f"  ratio {median / bare_median:.2f}  lost {lost}"
                    f"  duplicated {duplicated}"
                )
        finally:
            for cleanup in cleanups:
                cleanup()


if __name__ == "__main__":
    main()
