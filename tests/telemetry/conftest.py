"""Telemetry fixtures: a private Mosquitto, a pymodbus TCP server, a small bin registry."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.models import Bin, Sensor
from telemetry.mqtt import BrokerUrl
from tests import factories
from wastebank.access import SYSTEM
from wastebank.models import User

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Poll until a TCP connect to ``127.0.0.1:port`` succeeds."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def wait_until(
    condition: Callable[[], bool], timeout_s: float = 20.0, step_s: float = 0.05
) -> None:
    """Poll ``condition()`` until it is true; fail with a clear message on timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(step_s)


# -- Mosquitto ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def address(self) -> BrokerUrl:
        return BrokerUrl(self.host, self.port)


def start_mosquitto(directory: Path, port: int) -> subprocess.Popen[bytes]:
    """Start a private Mosquitto on ``port`` with its own configuration file.

    Unlimited queues (``max_queued_messages 0``): Mosquitto's default of 1000 drops
    QoS 1 messages silently (stack-notes §4).  A missing binary is an error.
    """
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"mosquitto not found at {MOSQUITTO}: apt-get install mosquitto")
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        "max_queued_messages 0\n"
        "log_dest stdout\n"
    )
    with (directory / "mosquitto.log").open("ab") as log:
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    wait_for_port(port)
    return process


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, by its PID; kill it if it lingers."""
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A private Mosquitto on a free loopback port, shared by the session."""
    port = free_port()
    process = start_mosquitto(tmp_path_factory.mktemp("mosquitto"), port)
    try:
        yield Broker("127.0.0.1", port)
    finally:
        stop_process(process)


# -- Modbus ------------------------------------------------------------------------------
#: Registers the test server holds: DYP-class map at 0x0100 (processed distance mm,
#: real-time distance, temperature 0.1 °C); a float32 1234.5 mm at 0x0200 (high word
#: first); the SEN0754 "no echo" sentinel at 0x0300.
REGISTERS = [
    SimData(0x0100, values=[754, 751, 300], datatype=DataType.REGISTERS),
    SimData(0x0200, values=[17562, 20480], datatype=DataType.REGISTERS),
    SimData(0x0300, values=[0xFFFD], datatype=DataType.REGISTERS),
]


@dataclass
class ModbusServer:
    """A pymodbus TCP server in its own thread and event loop; can stop and restart."""

    port: int
    _loop: asyncio.AbstractEventLoop | None = None
    _server: ModbusTcpServer | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._ready.clear()
        loop = asyncio.new_event_loop()

        async def serve() -> None:
            device = SimDevice(id=1, simdata=list(REGISTERS))
            # ModbusTcpServer needs the running loop (stack-notes §2).
            self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            self._ready.set()
            await self._server.serve_forever()

        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_until_complete, args=(serve(),), daemon=True
        )
        self._thread.start()
        assert self._ready.wait(5)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(5)
        assert self._thread is not None
        self._thread.join(5)
        self._loop.close()
        self._loop = self._server = self._thread = None


@pytest.fixture
def modbus_server() -> Iterator[ModbusServer]:
    """A Modbus TCP server on a free port serving unit id 1 (see ``REGISTERS``)."""
    server = ModbusServer(port=free_port())
    server.start()
    yield server
    server.stop()


# -- a small registry --------------------------------------------------------------------
TTS_DEVICE = "em310-amb-001"
CHIRPSTACK_EUI = "A84041000181C061"
JSON_DEVICE = "gw-amb-003"


@dataclass
class Registry:
    """Ambon with three bins and sensors of three formats; Mojokerto with one bin."""

    bins: dict[str, Bin]
    sensors: dict[str, Sensor]
    keys: dict[str, str]  # device id -> device key
    users: dict[str, User]


def make_bin(
    session: Session, code: str, city: str = "AMB", **overrides: object
) -> Bin:
    fields: dict[str, object] = {
        "code": code,
        "name": f"TPS {code}",
        "kind": "tps",
        "stream": "mixed",
        "capacity_l": 1100,
        "lat": -3.6954,
        "lon": 128.1814,
        "city": city,
        "district": "Sirimau",
    }
    fields.update(overrides)
    return services.create_bin(session, SYSTEM, **fields)  # type: ignore[arg-type]


@pytest.fixture
def registry(db: Session) -> Registry:
    factories.make_city(db, code="AMB", name="Kota Ambon")
    factories.make_city(db, code="MJK", name="Kota Mojokerto", timezone="Asia/Jakarta")
    bank = factories.make_bank(db, code="BSU1", city_code="AMB")
    bins = {
        code: make_bin(db, code, city)
        for code, city in (
            ("AMB-001", "AMB"),
            ("AMB-002", "AMB"),
            ("AMB-003", "AMB"),
            ("MJK-001", "MJK"),
        )
    }
    sensors: dict[str, Sensor] = {}
    keys: dict[str, str] = {}
    for device_id, bin_code, format_ in (
        (TTS_DEVICE, "AMB-001", "ttn-v3"),
        (CHIRPSTACK_EUI, "AMB-002", "chirpstack-v4"),
        (JSON_DEVICE, "AMB-003", "json"),
    ):
        sensor, key = services.create_sensor(
            db,
            SYSTEM,
            device_id=device_id,
            bin=bin_code,
            format=format_,
            empty_distance_mm=1500,
            full_distance_mm=300,
        )
        sensors[device_id], keys[device_id] = sensor, key
    users = {
        "admin": factories.make_user(db, username="admin", role="admin"),
        "dlh": factories.make_user(db, username="dlh", role="dlh", city_code="AMB"),
        "dlh_other_city": factories.make_user(
            db, username="dlh2", role="dlh", city_code="MJK"
        ),
        "manager": factories.make_user(
            db, username="mgr", role="manager", bank_code=bank.code
        ),
        "cashier": factories.make_user(
            db, username="kasir", role="cashier", bank_code=bank.code
        ),
    }
    db.commit()
    return Registry(bins, sensors, keys, users)


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "telemetry"
