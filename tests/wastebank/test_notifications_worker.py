"""The sender worker against a real HTTP gateway on loopback (a peer, not a mock)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from flask import current_app
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.extensions import db as _db
from wastebank.models import Notification, utcnow
from wastebank.notifications_worker import send_due
from wastebank.services import notifications


@dataclass
class Gateway:
    """A WhatsApp/SMS gateway stand-in: records requests, answers scripted statuses."""

    url: str
    requests: list[dict[str, object]] = field(default_factory=list)
    #: statuses to answer, in order; 200 once they run out
    statuses: list[int] = field(default_factory=list)
    retry_after: str | None = None


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "json": json.loads(body),
                }
            )
            status = state.statuses.pop(0) if state.statuses else 200
            answer = json.dumps(
                {"ok": status < 300, "detail": "nomor tidak valid"}
            ).encode()
            self.send_response(status)
            if state.retry_after is not None:
                self.send_header("Retry-After", state.retry_after)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return None  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/api/send"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (the gateway is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/send"


def _deposit(db: Session, world: World, key: str | None = None) -> int:
    deposit, _ = services.record_deposit(
        db,
        services.actor_for(world.users["cashier"]),
        member_id=world.members["BSU1"].id,
        idempotency_key=key or uuid.uuid4().hex,
        request_hash="h",
        lines=[services.DepositLineInput("PET", Decimal("2"))],
    )
    db.commit()
    return deposit.id


def _setup(db: Session, world: World, url: str, **channel: object) -> Notification:
    factories.make_notification_channel(db, world.unit, url=url, **channel)
    world.members["BSU1"].phone = "0812-3456-7890"
    db.commit()
    deposit_id = _deposit(db, world)
    return db.scalars(
        sa.select(Notification).where(Notification.deposit_id == deposit_id)
    ).one()


def _reload(db: Session, notification: Notification) -> Notification:
    db.expire_all()
    return db.get(Notification, notification.id)  # type: ignore[return-value]


class Clock:
    """A clock the test moves forward (backoff is tested without sleeping)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def test_send_once_posts_the_whatsapp_message_with_auth_and_marks_it_sent(
    runner: FlaskCliRunner, db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(
        db,
        counter_world,
        gateway.url,
        auth_header="X-Api-Key",
        auth_token="wa-s3cret",
        body_template={"target": "{phone_digits}", "text": "{message}"},
    )
    result = runner.invoke(args=["notifications", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "claimed": 1,
        "sent": 1,
        "retrying": 0,
        "failed": 0,
    }
    [request] = gateway.requests
    assert request["path"] == "/api/send"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["X-Api-Key"] == "wa-s3cret"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert request["json"] == {
        "target": "6281234567890",
        "text": notification.message,
    }
    sent = _reload(db, notification)
    assert sent.status == "sent"
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert sent.next_attempt_at is None
    # Nothing is due any more: a second run sends nothing.
    again = runner.invoke(args=["notifications", "send", "--once"])
    assert json.loads(again.output)["claimed"] == 0
    assert len(gateway.requests) == 1


def test_an_sms_gateway_gets_the_default_body(
    runner: FlaskCliRunner, db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(
        db,
        counter_world,
        gateway.url,
        kind="sms_http",
        auth_header="Authorization",
        auth_token="Bearer abc 123",
    )
    runner.invoke(args=["notifications", "send", "--once", "--batch", "5"])
    [request] = gateway.requests
    assert request["json"] == {
        "phone": "+6281234567890",
        "message": notification.message,
    }
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["Authorization"] == "Bearer abc 123"


def test_a_503_is_retried_after_the_backoff_and_then_sent(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    gateway.statuses = [503]
    clock = Clock()
    assert send_due(now=clock).retrying == 1
    waiting = _reload(db, notification)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == clock.now + dt.timedelta(minutes=1)
    assert (waiting.last_error or "").startswith("HTTP 503")
    # Not due yet: nothing is sent before the delay is over.
    clock.advance(seconds=59)
    assert send_due(now=clock).claimed == 0
    clock.advance(seconds=2)
    assert send_due(now=clock).sent == 1
    sent = _reload(db, notification)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert len(gateway.requests) == 2


def test_a_429_with_retry_after_waits_as_long_as_the_gateway_asks(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    gateway.statuses = [429]
    gateway.retry_after = "600"
    clock = Clock()
    send_due(now=clock)
    waiting = _reload(db, notification)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == clock.now + dt.timedelta(minutes=10)


def test_a_400_fails_for_good_and_keeps_the_gateway_error(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    gateway.statuses = [400]
    clock = Clock()
    assert send_due(now=clock).failed == 1
    failed = _reload(db, notification)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.next_attempt_at is None
    assert failed.last_error is not None
    assert failed.last_error.startswith("HTTP 400")
    assert "nomor tidak valid" in failed.last_error
    clock.advance(days=1)
    assert send_due(now=clock).claimed == 0


def test_five_server_errors_in_a_row_give_up(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    gateway.statuses = [500] * 5
    clock = Clock()
    for delay_s in (60, 300, 1800, 7200):
        send_due(now=clock)
        clock.advance(seconds=delay_s)
    assert send_due(now=clock).failed == 1
    failed = _reload(db, notification)
    assert (failed.status, failed.attempts) == ("failed", 5)
    assert len(gateway.requests) == 5


def test_a_gateway_that_is_down_gets_a_retry_and_the_counter_carries_on(
    client: FlaskClient,
    db: Session,
    counter_world: World,
    closed_port_url: str,
) -> None:
    notification = _setup(db, counter_world, closed_port_url)
    clock = Clock()
    report = send_due(now=clock, timeout_s=2)
    assert report.retrying == 1
    waiting = _reload(db, notification)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == clock.now + dt.timedelta(minutes=1)
    assert "refused" in (waiting.last_error or "").lower()
    # The counter does not notice: the next deposit is recorded and queued as usual.
    response = client.post(
        "/api/v1/deposits",
        json={
            "member": counter_world.members["BSU1"].id,
            "lines": [{"category": "PET", "quantity": "1"}],
        },
        headers={
            **factories.auth_headers(db, counter_world.users["cashier"]),
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 201, response.get_json()
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2


def test_a_claimed_message_is_not_claimed_again_while_in_flight(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    _setup(db, counter_world, gateway.url)
    now = utcnow()
    first = notifications.claim_due(db, now=now, batch=10, lease_s=300)
    db.commit()
    assert len(first) == 1
    assert notifications.claim_due(db, now=now, batch=10, lease_s=300) == []
    db.commit()
    # A worker that died mid-send: the message falls due again after the lease.
    later = notifications.claim_due(
        db, now=now + dt.timedelta(seconds=301), batch=10, lease_s=300
    )
    db.commit()
    assert [m.attempt for m in later] == [2]
    # The dead worker's late answer no longer counts.
    stale = notifications.record_attempt(
        db, first[0], notifications.AttemptResult(status_code=200), now=now
    )
    assert stale is None


def test_postgresql_workers_skip_each_others_locked_rows(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite runs one worker")
    _setup(db, counter_world, gateway.url)
    _deposit(db, counter_world)
    now = utcnow()
    other = Session(bind=_db.engine)
    try:
        # Worker A holds its claim open; worker B must not wait for it nor take it.
        mine = notifications.claim_due(other, now=now, batch=1, lease_s=300)
        theirs = notifications.claim_due(db, now=now, batch=10, lease_s=300)
        assert len(mine) == len(theirs) == 1
        assert mine[0].id != theirs[0].id
    finally:
        other.rollback()
        other.close()
        db.rollback()


def test_a_gateway_switched_off_after_queueing_skips_the_message(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    factories.make_notification_channel(
        db, counter_world.unit, url=gateway.url, enabled=False
    )
    db.commit()
    assert send_due(now=utcnow).claimed == 0
    skipped = _reload(db, notification)
    assert (skipped.status, skipped.attempts) == ("skipped", 0)
    assert gateway.requests == []


def test_a_redirect_is_not_followed_and_fails(
    db: Session, counter_world: World, gateway: Gateway
) -> None:
    notification = _setup(db, counter_world, gateway.url)
    gateway.statuses = [302]
    assert send_due(now=utcnow).failed == 1
    assert _reload(db, notification).status == "failed"
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("allowed", [[], ["api.fonnte.com"]])
def test_a_gateway_on_this_machine_is_not_called_unless_the_admin_allows_it(
    db: Session,
    counter_world: World,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
    allowed: list[str],
) -> None:
    # A manager's URL must not turn the worker into a proxy into the server's own
    # network: the gateway is real and listening, and gets nothing.
    notification = _setup(db, counter_world, gateway.url)
    monkeypatch.setitem(current_app.config, "NOTIFY_ALLOWED_HOSTS", allowed)
    assert send_due(now=utcnow).failed == 1
    refused = _reload(db, notification)
    assert refused.status == "failed"
    assert refused.last_error is not None
    assert "WASTEBANK_NOTIFY_ALLOWED_HOSTS" in refused.last_error
    assert gateway.requests == []


def test_a_gateway_name_that_does_not_resolve_is_retried(
    db: Session, counter_world: World
) -> None:
    notification = _setup(db, counter_world, "http://gateway.invalid/send")
    assert send_due(now=utcnow).retrying == 1
    waiting = _reload(db, notification)
    assert waiting.status == "pending"
    assert waiting.last_error is not None and waiting.last_error.startswith("DNS")


def test_purge_deletes_old_finished_messages_and_never_pending_ones(
    runner: FlaskCliRunner, db: Session, counter_world: World, gateway: Gateway
) -> None:
    first = _setup(db, counter_world, gateway.url)
    others = [_deposit(db, counter_world) for _ in range(3)]
    rows = [first] + [
        db.scalars(
            sa.select(Notification).where(Notification.deposit_id == deposit_id)
        ).one()
        for deposit_id in others
    ]
    long_ago = utcnow() - dt.timedelta(days=400)
    for row, status, created in zip(
        rows,
        ["sent", "failed", "pending", "sent"],
        [long_ago, long_ago, long_ago, utcnow() - dt.timedelta(days=10)],
        strict=True,
    ):
        row.status, row.created_at = status, created
    db.commit()
    ids = [row.id for row in rows]

    too_soon = runner.invoke(args=["notifications", "purge", "--older-than-days", "7"])
    assert too_soon.exit_code == 2  # a week is not a retention period

    result = runner.invoke(args=["notifications", "purge"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted"] == 2
    db.expire_all()
    left = set(db.scalars(sa.select(Notification.id)))
    assert left == {ids[2], ids[3]}  # the pending one and the recent one
