"""The Modbus poller against a real pymodbus TCP server in a thread (never a mock)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telemetry import services
from telemetry.cli import _store_poll as store_poll
from telemetry.modbus import ModbusPoller, PollResult, run_polling
from telemetry.models import RejectedMessage, SensorReading
from telemetry.services import ModbusConfig, ModbusTarget
from tests.telemetry.conftest import ModbusServer, Registry, free_port
from wastebank.access import SYSTEM

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def _target(port: int, address: int = 0x0100, **overrides: object) -> ModbusTarget:
    config = ModbusConfig(host="127.0.0.1", port=port, device_id=1, address=address)
    return ModbusTarget(
        sensor_device_id="dyp-1",
        config=ModbusConfig(**{**config.__dict__, **overrides}),
    )


def _poller() -> ModbusPoller:
    return ModbusPoller(timeout_s=0.5, clock=lambda: T0)


def test_reads_distance_registers_of_both_kinds(modbus_server: ModbusServer) -> None:
    poller = _poller()
    result = poller.poll(
        [
            _target(modbus_server.port),
            _target(modbus_server.port, 0x0200, count=2, function=3),
            _target(modbus_server.port, 0x0100, scale=Decimal("0.1")),
        ]
    )
    poller.close()
    assert [r.distance_mm for r in result.readings] == [754, 1235, 75]
    assert result.readings[0].measured_at == T0
    assert result.failures == [] and result.unreachable == []


def test_sentinels_and_exception_responses_are_reported_not_raised(
    modbus_server: ModbusServer,
) -> None:
    poller = _poller()
    result = poller.poll(
        [
            _target(modbus_server.port, 0x0300),  # 0xFFFD: no echo
            _target(modbus_server.port, 0x0400),  # not defined: exception code 2
        ]
    )
    poller.close()
    (fault,) = result.readings
    assert fault.distance_mm is None and fault.sensor_fault == "no_echo"
    (failure,) = result.failures
    assert failure.error.code == "invalid_registers"


def test_survives_a_server_that_goes_away_and_comes_back(
    modbus_server: ModbusServer,
) -> None:
    poller = _poller()
    target = _target(modbus_server.port)
    assert len(poller.poll([target]).readings) == 1
    modbus_server.stop()
    gone = poller.poll([target, target])
    assert gone.readings == [] and gone.unreachable == ["dyp-1", "dyp-1"]
    modbus_server.start()
    back = poller.poll([target])
    poller.close()
    assert [r.distance_mm for r in back.readings] == [754]


def test_a_port_nobody_listens_on_is_unreachable_quickly() -> None:
    poller = _poller()
    result = poller.poll([_target(free_port())])
    poller.close()
    assert result.unreachable == ["dyp-1"]


def test_polling_loop_stores_readings_and_rejects(
    db: Session, registry: Registry, modbus_server: ModbusServer
) -> None:
    for device_id, address in (("dyp-ok", 0x0100), ("dyp-bad", 0x0400)):
        services.create_sensor(
            db,
            SYSTEM,
            device_id=device_id,
            bin="AMB-001",
            format="modbus",
            empty_distance_mm=1500,
            full_distance_mm=300,
            modbus=ModbusConfig("127.0.0.1", modbus_server.port, 1, address),
        )
    db.commit()
    results: list[PollResult] = []

    def sink(result: PollResult) -> None:
        results.append(result)
        store_poll(result)  # the worker's own sink

    rounds = run_polling(
        lambda: services.modbus_targets(db),
        sink,
        interval_s=0.01,
        stop=threading.Event(),
        poller=ModbusPoller(timeout_s=0.5),
        rounds=2,
    )
    assert rounds == 2
    assert [f.sensor_device_id for f in results[0].failures] == ["dyp-bad"]
    stored = db.scalars(sa.select(SensorReading.distance_mm)).all()
    assert stored == [754, 754]
    assert registry.bins["AMB-001"].fill_pct == pytest.approx(62.2, abs=0.1)
    # dyp-bad's registers hold no distance: the worker keeps one reject a round.
    rejected = db.scalars(sa.select(RejectedMessage)).all()
    assert [(r.source, r.device_id) for r in rejected] == [("modbus", "dyp-bad")] * 2
