"""Modbus adapter: poll RS485 ultrasonic sensors over Modbus TCP -> readings -> sink.

One :class:`ModbusPoller` keeps one pymodbus TCP client per server (gateway) and reads
each sensor's distance register in turn.  Timeouts, refused connections and servers
that disappear are logged and retried on the next round; they never stop the loop.
The registers are decoded by the pure :func:`telemetry.readings.modbus_reading`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from telemetry.exceptions import InvalidRegisters, TelemetryError
from telemetry.readings import Reading, modbus_reading
from telemetry.services import ModbusConfig, ModbusTarget

log = logging.getLogger(__name__)

#: Seconds to wait for a reply; the DYP class needs up to 0.5 s behind a gateway.
DEFAULT_TIMEOUT_S: Final = 2.0


@dataclass(frozen=True)
class PollFailure:
    """A sensor that answered, but not with a distance (an exception response or
    registers that do not decode).

    :param sensor_device_id: the sensor's device id.
    :param error: what was wrong.
    :param registers: the raw registers, when there were any.
    """

    sensor_device_id: str
    error: TelemetryError
    registers: tuple[int, ...] = ()


@dataclass
class PollResult:
    """What one polling round produced.

    :param readings: one reading per sensor that answered with a distance or a fault.
    :param failures: sensors that answered with something unusable.
    :param unreachable: device ids of sensors whose server did not answer.
    """

    readings: list[Reading]
    failures: list[PollFailure]
    unreachable: list[str]


class ModbusPoller:
    """Reads every target's registers, one TCP client per ``(host, port)``.

    :param timeout_s: reply timeout per request, seconds.
    :param clock: returns the timezone-aware poll time (tests pin it).
    """

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.clock = clock or (lambda: datetime.now(UTC))
        self._clients: dict[tuple[str, int], ModbusTcpClient] = {}

    def _client(self, host: str, port: int) -> ModbusTcpClient:
        client = self._clients.get((host, port))
        if client is None:
            # retries=0: the next round is the retry; a dead server must not hold up
            # the other servers for retries x timeout.
            client = ModbusTcpClient(host, port=port, timeout=self.timeout_s, retries=0)
            self._clients[(host, port)] = client
        return client

    def _drop(self, host: str, port: int) -> None:
        client = self._clients.pop((host, port), None)
        if client is not None:
            client.close()

    def read(self, config: ModbusConfig) -> list[int]:
        """Read one sensor's registers.

        :raises ModbusException: no connection, timeout, or an exception response.
        """
        client = self._client(config.host, config.port)
        if not client.connected and not client.connect():
            raise ModbusException(f"cannot connect to {config.host}:{config.port}")
        reader = (
            client.read_input_registers
            if config.function == 4
            else client.read_holding_registers
        )
        response = reader(
            config.address, count=config.count, device_id=config.device_id
        )
        if response.isError():
            raise InvalidRegisters(f"Modbus exception response: {response}")
        return list(response.registers)

    def poll(self, targets: Sequence[ModbusTarget]) -> PollResult:
        """Read every target once.

        A server that fails is skipped for the rest of the round (its other sensors
        would only wait for the same timeout) and reconnected next round.
        """
        result = PollResult(readings=[], failures=[], unreachable=[])
        dead: set[tuple[str, int]] = set()
        for target in targets:
            config = target.config
            endpoint = (config.host, config.port)
            if endpoint in dead:
                result.unreachable.append(target.sensor_device_id)
                continue
            try:
                registers = self.read(config)
            except InvalidRegisters as error:
                result.failures.append(PollFailure(target.sensor_device_id, error))
                continue
            except (ModbusException, OSError) as error:
                log.warning(
                    "Modbus %s:%s unreachable (%s); retrying next round",
                    config.host,
                    config.port,
                    error,
                )
                self._drop(*endpoint)
                dead.add(endpoint)
                result.unreachable.append(target.sensor_device_id)
                continue
            now = self.clock()
            try:
                reading = modbus_reading(
                    target.sensor_device_id,
                    registers,
                    count=config.count,
                    scale=config.scale,
                    word_order=config.word_order,
                    measured_at=now,
                    received_at=now,
                )
            except TelemetryError as error:
                result.failures.append(
                    PollFailure(target.sensor_device_id, error, tuple(registers))
                )
                continue
            result.readings.append(reading)
        return result

    def close(self) -> None:
        """Close every connection."""
        for host, port in list(self._clients):
            self._drop(host, port)


def run_polling(
    load_targets: Callable[[], Sequence[ModbusTarget]],
    sink: Callable[[PollResult], None],
    *,
    interval_s: float,
    stop: threading.Event,
    poller: ModbusPoller | None = None,
    rounds: int | None = None,
) -> int:
    """Poll every ``interval_s`` seconds until ``stop`` is set (or ``rounds`` ran).

    The targets are reloaded each round, so new sensors are picked up without a
    restart.  A failing sink (database away) is logged and the round is lost: the
    next round reads fresh values anyway.

    :returns: the number of rounds run.
    """
    poller = poller or ModbusPoller()
    done = 0
    try:
        while not stop.is_set() and (rounds is None or done < rounds):
            started = datetime.now(UTC)
            try:
                sink(poller.poll(load_targets()))
            except Exception:
                log.exception("Modbus round failed; next round in %.0f s", interval_s)
            done += 1
            if rounds is not None and done >= rounds:
                break
            elapsed_s = (datetime.now(UTC) - started).total_seconds()
            stop.wait(max(0.0, interval_s - elapsed_s))
    finally:
        poller.close()
    return done
