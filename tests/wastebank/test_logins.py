"""Logging in: the throttle per source address, the dummy hash, sessions and tokens."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from tests import factories
from tests.conftest import TEST_CONFIG
from tests.wastebank.conftest import World
from wastebank import create_app, services
from wastebank.access import SYSTEM
from wastebank.exceptions import AuthenticationFailed, TooManyAttempts
from wastebank.extensions import db as _db
from wastebank.models import LoginThrottle
from wastebank.services import logins

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"
ADDRESS_ROW = logins.ADDRESS_COUNTER


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _token(client: FlaskClient, username: str, password: str) -> tuple[int, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )
    return response.status_code, response.headers.get("Retry-After", "")


def _attempts(db: Session, address: str, username: str) -> int | None:
    db.expire_all()
    row = db.get(LoginThrottle, (address, username))
    return row.attempts if row is not None else None


# -- the throttle ----------------------------------------------------------------------
def test_parallel_wrong_passwords_are_all_counted_and_the_user_logs_in_elsewhere(
    app: Flask, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N wrong passwords at once from one address: exactly the limit get checked, the
    rest get 429 with Retry-After, and all N are stored; the same user logs in from
    another address meanwhile."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 1000)
    attempts = 40
    start = threading.Barrier(attempts)
    results: list[tuple[int, str]] = []

    def guess() -> None:
        client = _client(app, ATTACKER)
        start.wait()
        results.append(_token(client, "kasir", "tebak-tebakan"))

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = Counter(status for status, _retry in results)
    assert statuses == {401: 5, 429: attempts - 5}
    assert all(int(retry) > 0 for status, retry in results if status == 429)
    assert _attempts(db, ATTACKER, "kasir") == attempts
    assert _attempts(db, ATTACKER, ADDRESS_ROW) == attempts

    # The attacker's address stays locked for the user, even with the right password...
    status, retry = _token(_client(app, ATTACKER), "kasir", factories.PASSWORD)
    assert status == 429 and 0 < int(retry) <= 15 * 60 + 1
    # ...but the cashier logs in from the bank's office.
    assert _token(_client(app, OFFICE), "kasir", factories.PASSWORD)[0] == 200


def test_one_address_trying_many_usernames_is_locked_for_all_of_them(
    app: Flask, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password spraying: one common password over many usernames."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 4)
    attacker = _client(app, ATTACKER)
    tried = ["admin", "kasir", "mu", "mi", "dlh", "sopir"]
    statuses = [_token(attacker, name, "bismillah123")[0] for name in tried]
    assert statuses == [401, 401, 401, 401, 429, 429]
    assert _attempts(db, ATTACKER, ADDRESS_ROW) == len(tried)
    # Refused before any password check: the right one does not get in either.
    assert _token(attacker, "dlh2", factories.PASSWORD)[0] == 429
    # Elsewhere nobody is affected.
    assert _token(_client(app, OFFICE), "mu", factories.PASSWORD)[0] == 200


def test_a_correct_login_forgets_the_users_failures_and_gives_its_count_back(
    app: Flask, db: Session, world: World
) -> None:
    office = _client(app, OFFICE)
    for _ in range(3):
        assert _token(office, "kasir", "salah-ketik")[0] == 401
    assert _attempts(db, OFFICE, "kasir") == 3
    assert _token(office, "kasir", factories.PASSWORD)[0] == 200
    assert _attempts(db, OFFICE, "kasir") is None
    # The address keeps the three failures, not the successful login.
    assert _attempts(db, OFFICE, ADDRESS_ROW) == 3


def test_the_login_form_is_throttled_with_retry_after(
    app: Flask, db: Session, world: World
) -> None:
    client = _client(app, ATTACKER)
    csrf = factories.csrf_token(client)
    form = {"username": "kasir", "password": "salah", "csrf_token": csrf}
    assert [client.post("/login", data=form).status_code for _ in range(5)] == [401] * 5
    locked = client.post("/login", data={**form, "password": factories.PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Terlalu banyak" in locked.get_data(as_text=True)
    # The office logs in through the form.
    factories.login(_client(app, OFFICE), "kasir")


def test_the_lock_lifts_after_the_window(db: Session, world: World) -> None:
    policy = services.LoginPolicy(max_failures=2, window_s=60)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def attempt(at: dt.datetime) -> None:
        services.count_login_attempt(
            db, username="kasir", address=ATTACKER, policy=policy, now=at
        )

    attempt(start)
    attempt(start)
    with pytest.raises(TooManyAttempts) as locked:
        attempt(start + dt.timedelta(seconds=10))
    assert locked.value.retry_after_s == 61  # the window, from the refused attempt
    with pytest.raises(TooManyAttempts):
        attempt(start + dt.timedelta(seconds=69))  # counted, the lock not extended
    attempt(start + dt.timedelta(seconds=71))  # a fresh window
    assert _attempts(db, ATTACKER, "kasir") == 1


def test_an_unlocked_window_expires_by_itself(db: Session, world: World) -> None:
    policy = services.LoginPolicy(max_failures=3, window_s=60)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(3):
        services.count_login_attempt(
            db, username="kasir", address=ATTACKER, policy=policy, now=start
        )
    later = start + dt.timedelta(seconds=61)
    services.count_login_attempt(
        db, username="kasir", address=ATTACKER, policy=policy, now=later
    )
    assert _attempts(db, ATTACKER, "kasir") == 1


def test_an_admin_unlocks_a_username_or_an_address(
    app: Flask, db: Session, world: World
) -> None:
    policy = services.LoginPolicy(max_failures=1, max_failures_per_address=1)
    for address in (ATTACKER, OFFICE):
        services.count_login_attempt(
            db, username="kasir", address=address, policy=policy
        )
        with pytest.raises(TooManyAttempts):
            services.count_login_attempt(
                db, username="kasir", address=address, policy=policy
            )
    assert len(services.active_login_locks(db, SYSTEM)) == 4
    assert services.unlock_logins(db, SYSTEM, username="KASIR ") == 2
    assert {
        (lock.address, lock.username) for lock in db.scalars(sa.select(LoginThrottle))
    } == {(ATTACKER, ADDRESS_ROW), (OFFICE, ADDRESS_ROW)}
    assert services.unlock_logins(db, SYSTEM, address=OFFICE) == 1
    assert services.active_login_locks(db, SYSTEM)[0].address == ATTACKER


# -- unknown usernames cost what wrong passwords cost ------------------------------------
@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1000"])
def test_the_dummy_hash_uses_the_configured_method(method: str) -> None:
    dummy = services.dummy_password_hash(method)
    real = generate_password_hash("kopi-susu-dingin", method=method)
    assert dummy.split("$")[0] == real.split("$")[0]
    assert dummy.split("$")[0].startswith(method.split(":")[0])


def test_an_unknown_username_checks_one_hash_like_a_wrong_password(
    app: Flask, db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing: the unknown username's path checks exactly one hash made with the
    configured method, as a wrong password does."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    world.users["cashier"].password_hash = generate_password_hash(
        factories.PASSWORD, method="scrypt"
    )
    db.commit()
    checked: list[str] = []
    real_check = logins.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$")[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(logins, "check_password_hash", counting_check)
    client = _client(app, OFFICE)
    assert _token(client, "kasir", "salah-sekali")[0] == 401
    wrong_password = list(checked)
    checked.clear()
    assert _token(client, "tidak-ada", "salah-sekali")[0] == 401
    assert checked == wrong_password == ["scrypt:32768:8:1"]


def test_check_credentials_refuses_unknown_inactive_and_wrong_alike(
    db: Session, world: World
) -> None:
    world.users["cashier"].active = False
    db.flush()
    for username, password in [
        ("kasir", factories.PASSWORD),  # inactive
        ("mu", "salah"),
        ("nobody", "salah"),
        ("   ", "salah"),
    ]:
        with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
            services.check_credentials(
                db, username=username, password=password, hash_method="pbkdf2"
            )


# -- source address behind a proxy -----------------------------------------------------
@pytest.fixture
def proxied_app(database_url: str, db: Session) -> Iterator[Flask]:
    """The app as configured behind one reverse proxy (``TRUSTED_PROXIES=1``)."""
    app = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": 1}
    )
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_x_forwarded_for_counts_only_behind_trusted_proxies(
    app: Flask, proxied_app: Flask, db: Session, world: World
) -> None:
    def wrong(client: FlaskClient, forwarded: str) -> int:
        return client.post(
            "/api/v1/auth/token",
            json={"username": "kasir", "password": "salah"},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    # Directly exposed: the header is anyone's to write and is ignored.
    direct = _client(app, ATTACKER)
    statuses = [wrong(direct, f"192.0.2.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert _attempts(db, ATTACKER, "kasir") == 6
    # Behind the proxy (whose own address is the peer), the client it names counts.
    proxied = _client(proxied_app, "10.0.0.2")
    assert [wrong(proxied, "192.0.2.1") for _ in range(6)] == [401] * 5 + [429]
    assert wrong(proxied, "192.0.2.2") == 401
    assert _attempts(db, "192.0.2.1", "kasir") == 6
    assert _attempts(db, "10.0.0.2", "kasir") is None


# -- browser sessions end on the server ------------------------------------------------
def test_a_copied_session_cookie_stops_working_after_logout(
    app: Flask, client: FlaskClient, world: World
) -> None:
    csrf = factories.login(client, "sopir")
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/driver").status_code == 200
    assert thief.get("/api/v1/driver/routes").status_code == 200

    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    page = thief.get("/driver")
    assert page.status_code == 302 and page.location.startswith("/login")
    api = thief.get("/api/v1/driver/routes")
    assert api.status_code == 401
    assert api.get_json()["type"] == "authentication_failed"


def test_a_session_ends_after_its_lifetime(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    factories.login(client, "kasir")
    assert client.get("/members").status_code == 200
    db.execute(
        sa.text("UPDATE user_sessions SET expires_at = :past"),
        {"past": dt.datetime(2020, 1, 1)},
    )
    db.commit()
    assert client.get("/members").status_code == 302


def test_logging_in_starts_a_fresh_session_record(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    factories.login(client, "kasir")
    factories.login(app.test_client(), "kasir")
    rows = db.execute(
        sa.text("SELECT key_hash, revoked_at, expires_at FROM user_sessions")
    ).all()
    assert len(rows) == 2 and len({row.key_hash for row in rows}) == 2
    assert all(row.revoked_at is None for row in rows)


# -- bearer tokens ---------------------------------------------------------------------
def test_api_logout_revokes_only_the_calling_token(
    client: FlaskClient, db: Session, world: World
) -> None:
    first = factories.auth_headers(db, world.users["cashier"])
    second = factories.auth_headers(db, world.users["cashier"])
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    refused = client.get("/api/v1/members", headers=first)
    assert refused.status_code == 401
    assert refused.get_json()["type"] == "authentication_failed"
    assert client.get("/api/v1/members", headers=second).status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 401
