"""MQTT adapter: paho client -> batches of messages -> a sink that stores and commits.

Delivery guarantee (at least once into the database, exactly once after dedup):

- QoS 1 subscriptions on a persistent MQTT 5 session (fixed client id,
  ``clean_start=False`` and a session expiry), so the broker keeps what arrives while
  the worker is down;
- ``manual_ack``: a message is acknowledged only after the sink returned, i.e. after
  its reading (or its rejection) was committed.  A worker killed at any moment leaves
  the unacknowledged messages with the broker, which redelivers them on reconnect;
  the copies whose reading was already committed are ignored by the idempotent insert.

paho's network thread only queues messages; the worker's own thread takes them in
small batches, calls the sink once per batch (one commit per batch, not per message)
and then acks the batch.  This module knows nothing of Flask or the database: the
sink is given by the CLI command.

Also here: builders of realistic The Things Stack v3 and ChirpStack v4 uplinks and a
publisher, used by ``flask telemetry simulate``, the tests and the benchmark.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from telemetry.readings import topic_filters

log = logging.getLogger(__name__)

#: How long the broker keeps the session (and queues QoS 1 messages) while the
#: worker is away.  A day covers a night-time outage; Mosquitto's own
#: ``persistent_client_expiration`` may cut it shorter.
DEFAULT_SESSION_EXPIRY_S: Final = 86_400
#: Messages committed together.  Larger batches amortise the commit; the broker's
#: in-flight window (Mosquitto: the client's receive maximum, see below) caps it.
DEFAULT_BATCH_SIZE: Final = 500
#: How long to wait for more messages before committing a partial batch, seconds.
DEFAULT_BATCH_WAIT_S: Final = 0.05
#: Longest delay of the periodic work (bin refresh) while a backlog drains, seconds.
MAX_IDLE_DEFER_S: Final = 60.0
#: How many unacknowledged QoS 1 messages the broker may send us at once (MQTT 5
#: Receive Maximum).  With ack-after-commit it must exceed the batch size, or the
#: broker would stall waiting for acks of a batch that is not full yet.
RECEIVE_MAXIMUM: Final = 1000


@dataclass(frozen=True)
class BrokerUrl:
    """Where the broker is: ``mqtt://[user:password@]host[:port]`` or ``mqtts://``.

    :param host: broker host name or address.
    :param port: TCP port (1883, or 8883 for ``mqtts``).
    :param tls: whether to use TLS.
    :param username: user name from the URL, if any.
    :param password: password from the URL, if any.
    """

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None


def parse_broker_url(url: str) -> BrokerUrl:
    """Parse ``mqtt://host:port`` (or ``mqtts://``) into its parts.

    :raises ValueError: another scheme, or no host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"broker URL has no host: {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerUrl(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True)
class Message:
    """One received MQTT message, as the sink sees it.

    :param topic: the topic it arrived on.
    :param payload: the raw body.
    :param received_at: timezone-aware UTC time the worker received it.
    :param mid: the broker's packet id (only meaningful for the ack).
    :param qos: 0 or 1.
    :param connection: which connection of this worker received it.
    """

    topic: str
    payload: bytes
    received_at: datetime
    mid: int
    qos: int
    connection: int


#: Stores a batch and commits before returning; raising means "nothing committed".
Sink = Callable[[Sequence[Message]], None]


def subscription_filters(shared_group: str | None = None) -> list[str]:
    """The topic filters the worker subscribes to.

    :param shared_group: with a name, ``$share/<name>/<filter>`` so that several
        workers share the load (each message goes to one member of the group).
    """
    filters = list(topic_filters())
    if shared_group:
        return [f"$share/{shared_group}/{topic}" for topic in filters]
    return filters


class IngestWorker:
    """Subscribes to the uplink topics and feeds batches of messages to a sink.

    :param broker: where the broker is.
    :param sink: stores a batch and commits (see :data:`Sink`).
    :param client_id: fixed client id: the broker keeps this id's session, so each
        worker of a shared group needs its own.
    :param shared_group: share the subscriptions with other workers of this group.
    :param batch_size: at most this many messages per commit.
    :param batch_wait_s: wait this long for a batch to fill, seconds.
    :param session_expiry_s: how long the broker keeps the session while away.
    :param on_idle: called about every ``idle_interval_s`` seconds from the
        worker's thread (e.g. to refresh bin states), deferred while a backlog
        drains; exceptions are logged.
    :param idle_interval_s: seconds between ``on_idle`` calls.
    """

    def __init__(
        self,
        broker: BrokerUrl,
        sink: Sink,
        *,
        client_id: str = "wastebank-ingest",
        shared_group: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        batch_wait_s: float = DEFAULT_BATCH_WAIT_S,
        session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S,
        on_idle: Callable[[], None] | None = None,
        idle_interval_s: float = 30.0,
    ) -> None:
        self.broker = broker
        self.sink = sink
        self.client_id = client_id
        self.filters = subscription_filters(shared_group)
        self.batch_size = batch_size
        self.batch_wait_s = batch_wait_s
        self.session_expiry_s = session_expiry_s
        self.on_idle = on_idle
        self.idle_interval_s = idle_interval_s
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.processed = 0
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()
        # Packet ids are per connection: an ack for a message of an earlier
        # connection could acknowledge a different, uncommitted message.
        self._connection = 0
        self._client = self._make_client()

    # -- paho callbacks (network thread: keep them short) --
    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("MQTT connect refused: %s", reason_code)
            return
        self._connection += 1
        log.info(
            "Connected to %s:%s (session present: %s); subscribing to %s",
            self.broker.host,
            self.broker.port,
            flags.session_present,
            ", ".join(self.filters),
        )
        # Subscribe on every connect: harmless when the session kept them.
        client.subscribe([(topic, 1) for topic in self.filters])
        self.connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if reason_code.is_failure:
            log.warning("Disconnected from the broker (%s); reconnecting", reason_code)
        else:
            log.info("Disconnected from the broker")

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        failed = [str(code) for code in reason_codes if code.is_failure]
        if failed:
            log.error("Subscription refused: %s", ", ".join(failed))
        else:
            self.subscribed.set()

    def _on_message(
        self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
    ) -> None:
        self._queue.put(
            Message(
                topic=message.topic,
                payload=bytes(message.payload),
                received_at=datetime.now(UTC),
                mid=message.mid,
                qos=message.qos,
                connection=self._connection,
            )
        )

    # -- the worker's own thread --
    def _store(self, batch: Sequence[Message], stop: threading.Event) -> bool:
        """Hand the batch to the sink until it succeeds; False if stopped first."""
        delay_s = 0.5
        while True:
            try:
                self.sink(batch)
                return True
            except Exception:
                # A database outage: keep the batch (unacked) and try again.
                log.exception("Storing %d messages failed; retrying", len(batch))
            if stop.wait(delay_s):
                return False
            delay_s = min(delay_s * 2, 30.0)

    def _ack(self, batch: Iterable[Message]) -> None:
        current = self._connection
        for message in batch:
            if message.qos > 0 and message.connection == current:
                self._client.ack(message.mid, message.qos)

    def _pump(self, timeout_s: float) -> bool:
        """Let paho read and write; False when the connection is gone."""
        rc = self._client.loop(timeout=timeout_s)
        return rc == mqtt.MQTT_ERR_SUCCESS

    def _fill_batch(self) -> list[Message]:
        """Read from the socket until a batch is full or nothing more is waiting."""
        batch: list[Message] = []
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._pump(remaining if batch else 0.2):
                break
            if not batch and self._queue.empty():
                break  # idle: give the caller a chance to run periodic work
        return batch

    def run(self, stop: threading.Event) -> None:
        """Connect and ingest until ``stop`` is set, then disconnect cleanly.

        Everything runs on the caller's thread: paho's network I/O (``loop()``), the
        sink and the acks.  One thread means no hand-over between paho's network
        thread and the worker (under the GIL that hand-over costs more than the
        parsing).  A lost connection is re-established with back-off (1 to 30 s);
        the worker never exits because the broker is away.
        """
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry_s
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self._client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        delay_s = 1.0
        socket_open = False
        next_idle = time.monotonic() + self.idle_interval_s
        try:
            while not stop.is_set():
                if not socket_open:
                    try:
                        self._client.reconnect()
                        socket_open = True
                    except OSError as error:
                        log.warning(
                            "Cannot reach the broker at %s:%s (%s); retry in %.0f s",
                            self.broker.host,
                            self.broker.port,
                            error,
                            delay_s,
                        )
                        stop.wait(delay_s)
                        delay_s = min(delay_s * 2, 30.0)
                        continue
                batch = self._fill_batch()
                if batch:
                    if not self._store(batch, stop):
                        break
                    self._ack(batch)
                    self.processed += len(batch)
                if self._client.socket() is None:
                    # paho closed the socket (lost connection, or CONNACK refused):
                    # back off, then reconnect above.
                    self.connected.clear()
                    socket_open = False
                    log.warning("Connection lost; reconnecting in %.0f s", delay_s)
                    stop.wait(delay_s)
                    delay_s = min(delay_s * 2, 30.0)
                    continue
                if self.connected.is_set():
                    delay_s = 1.0
                # Periodic work waits while a backlog drains (full batches), but
                # never longer than MAX_IDLE_DEFER_S.
                now = time.monotonic()
                backlog = len(batch) >= self.batch_size
                if self.on_idle is not None and (
                    (now >= next_idle and not backlog)
                    or now >= next_idle + MAX_IDLE_DEFER_S
                ):
                    next_idle = now + self.idle_interval_s
                    try:
                        self.on_idle()
                    except Exception:
                        log.exception("Periodic task failed")
        finally:
            if socket_open:
                self._client.disconnect()
                self._pump(0.1)  # send the DISCONNECT


# -- uplink builders and a publisher (simulator, tests, benchmark) ----------------------------
def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tts_uplink(
    device_id: str,
    *,
    distance_mm: int,
    measured_at: datetime,
    battery_pct: int = 90,
    tilt: bool = False,
    f_cnt: int = 0,
    application_id: str = "wastebank-ambon",
    dev_eui: str | None = None,
    message_id: str | None = None,
) -> tuple[str, bytes]:
    """A The Things Stack v3 uplink of a Milesight EM310-UDL (fPort 85).

    :param device_id: the TTS device id.
    :param distance_mm: the distance the sensor measured, mm.
    :param measured_at: timezone-aware time the network server received it.
    :param battery_pct: battery level, percent.
    :param tilt: the lid accelerometer says tilted (lid open).
    :param f_cnt: the frame counter.
    :param application_id: the TTS application.
    :param dev_eui: the DevEUI (random when omitted).
    :param message_id: the ``as:up:`` correlation id (random when omitted); a copy
        with the same id is a duplicate.
    :returns: the topic and the JSON body.
    """
    # EM310-UDL frame: 01 75 battery, 03 82 distance (LE uint16), 04 00 position.
    frame = (
        bytes([0x01, 0x75, battery_pct, 0x03, 0x82])
        + distance_mm.to_bytes(2, "little")
        + bytes([0x04, 0x00, 1 if tilt else 0])
    )
    body = {
        "end_device_ids": {
            "device_id": device_id,
            "application_ids": {"application_id": application_id},
            "dev_eui": dev_eui or uuid.uuid4().hex[:16].upper(),
        },
        "correlation_ids": [f"as:up:{message_id or uuid.uuid4().hex.upper()}"],
        "received_at": _iso(measured_at),
        "uplink_message": {
            "f_port": 85,
            "f_cnt": f_cnt,
            "frm_payload": base64.b64encode(frame).decode("ascii"),
            "decoded_payload": {
                "battery": battery_pct,
                "distance": distance_mm,
                "position": "tilt" if tilt else "normal",
            },
            "rx_metadata": [
                {"gateway_ids": {"gateway_id": "ambon-gw-01"}, "rssi": -97, "snr": 6.2}
            ],
            "received_at": _iso(measured_at),
            "version_ids": {"brand_id": "milesight-iot", "model_id": "em310-udl"},
        },
    }
    topic = f"v3/{application_id}@ttn/devices/{device_id}/up"
    return topic, json.dumps(body).encode("utf-8")


def chirpstack_uplink(
    dev_eui: str,
    *,
    distance_mm: int,
    measured_at: datetime,
    battery_v: float = 3.3,
    f_cnt: int = 0,
    application_id: str = "6f1b9c2e-7a44-4d0b-8e3f-5b2a9d1c4e77",
    bin_code: str | None = None,
    message_id: str | None = None,
) -> tuple[str, bytes]:
    """A ChirpStack v4 ``up`` event of a Dragino LDDS75 (fPort 2).

    :param dev_eui: the device's DevEUI, 16 hex digits.
    :param distance_mm: the distance the sensor measured, mm.
    :param measured_at: timezone-aware time the network server received it.
    :param battery_v: battery voltage, volts.
    :param f_cnt: the frame counter.
    :param application_id: the ChirpStack application id.
    :param bin_code: a ``bin_id`` device tag, if any.
    :param message_id: the ``deduplicationId`` (random when omitted).
    :returns: the topic and the JSON body.
    """
    # LDDS75 frame, big-endian: battery mV, distance mm, interrupt, temp, sensor flag.
    frame = (
        int(battery_v * 1000).to_bytes(2, "big")
        + distance_mm.to_bytes(2, "big")
        + bytes([0, 0, 0, 1])
    )
    tags = {"bin_id": bin_code} if bin_code else {}
    body = {
        "deduplicationId": message_id or str(uuid.uuid4()),
        "time": _iso(measured_at),
        "deviceInfo": {
            "applicationId": application_id,
            "applicationName": "wastebank-ambon",
            "deviceProfileName": "Dragino LDDS75 AS923-2",
            "deviceName": f"ldds75-{dev_eui[-4:].lower()}",
            "devEui": dev_eui.lower(),
            "tags": tags,
        },
        "fCnt": f_cnt,
        "fPort": 2,
        "data": base64.b64encode(frame).decode("ascii"),
        "object": {
            "Bat": f"{battery_v:.2f} V",
            "Distance": f"{distance_mm} mm",
            "Sensor_flag": 1,
        },
        "rxInfo": [{"gatewayId": "6a7e111a10000000", "rssi": -101, "snr": 4.5}],
    }
    topic = f"application/{application_id}/device/{dev_eui.lower()}/event/up"
    return topic, json.dumps(body).encode("utf-8")


def plain_reading(
    device_id: str, *, distance_mm: int, measured_at: datetime, battery_pct: int = 90
) -> tuple[str, bytes]:
    """A reading on the project's own ``wastebank/sensors/{device_id}/reading`` topic."""
    body = {
        "distance_mm": distance_mm,
        "battery_pct": battery_pct,
        "measured_at": _iso(measured_at),
    }
    return f"wastebank/sensors/{device_id}/reading", json.dumps(body).encode("utf-8")


def publish_all(
    broker: BrokerUrl,
    messages: Iterable[tuple[str, bytes]],
    *,
    client_id: str | None = None,
    qos: int = 1,
    timeout_s: float = 60.0,
) -> int:
    """Publish messages with QoS 1 and wait until the broker acknowledged them all.

    :param broker: where the broker is.
    :param messages: ``(topic, payload)`` pairs.
    :param client_id: the publisher's client id (random when omitted).
    :param qos: 0 or 1.
    :param timeout_s: give up waiting for acknowledgements after this, seconds.
    :returns: the number published.
    :raises TimeoutError: the broker did not acknowledge in time.
    """
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"wastebank-pub-{uuid.uuid4().hex[:8]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    # Unlimited local queue: publish() must not fail while acks are outstanding.
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port, keepalive=30)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("broker did not acknowledge every message")
            info.wait_for_publish(timeout=remaining)
            if not info.is_published():
                raise TimeoutError("broker did not acknowledge every message")
        return len(infos)
    finally:
        client.disconnect()
        client.loop_stop()
