"""Passwords and user accounts: change your own, an admin resets, (de)activates, unlocks.

Through the API, the pages and the CLI. Each change of password and each
(de)activation ends the user's sessions and tokens and is audited.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import AuditEntry, User

NEW = "pala-banda-1621"


def _audit_actions(db: Session, user: User) -> list[tuple[str, int | None]]:
    db.expire_all()
    rows = db.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_id)
        .where(
            AuditEntry.object_type == "User",
            AuditEntry.object_id == str(user.id),
            AuditEntry.action != "user.create",
        )
        .order_by(AuditEntry.id)
    )
    return [(action, actor_id) for action, actor_id in rows]


def _token_status(client: FlaskClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    ).status_code


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/members").status_code == 200


# -- a user changes their own password -------------------------------------------------
def test_changing_the_password_on_a_page_logs_out_every_other_session_and_token(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    cashier = world.users["cashier"]
    elsewhere = app.test_client()
    factories.login(elsewhere, "kasir")
    token = factories.auth_headers(db, cashier)
    csrf = factories.login(client, "kasir")
    page = client.get("/members").get_data(as_text=True)
    assert 'href="/account/password">Ganti kata sandi</a>' in page

    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": factories.PASSWORD,
            "new_password": NEW,
            "new_password_repeat": NEW,
        },
    )
    assert changed.status_code == 302
    assert "Kata sandi Anda sudah diganti" in client.get("/members").get_data(
        as_text=True
    )
    assert _logged_in(client)  # this browser goes on
    assert not _logged_in(elsewhere)
    assert client.get("/api/v1/members", headers=token).status_code == 401
    assert _token_status(client, "kasir", factories.PASSWORD) == 401
    assert _token_status(client, "kasir", NEW) == 200
    assert _audit_actions(db, cashier) == [("user.password_change", cashier.id)]


def test_the_password_page_shows_each_error_next_to_its_field(
    client: FlaskClient, db: Session, world: World
) -> None:
    csrf = factories.login(client, "kasir")

    def post(current: str, new: str, repeat: str) -> str:
        response = client.post(
            "/account/password",
            data={
                "csrf_token": csrf,
                "current_password": current,
                "new_password": new,
                "new_password_repeat": repeat,
            },
        )
        assert response.status_code == 422
        return response.get_data(as_text=True)

    page = post(factories.PASSWORD, NEW, NEW + "x")
    assert 'id="new_password_repeat-error">Kedua kata sandi baru tidak sama.' in page
    page = post(factories.PASSWORD, "sampah12345", "sampah12345")
    assert 'id="new_password-error">Kata sandi ini termasuk yang paling umum' in page
    page = post(factories.PASSWORD, "pendek", "pendek")
    assert 'id="new_password-error">Kata sandi minimal 10 karakter.' in page
    page = post("salah-sekali", NEW, NEW)
    assert 'id="current_password-error">Kata sandi sekarang salah.' in page
    # Nothing changed.
    assert _token_status(client, "kasir", factories.PASSWORD) == 200


def test_wrong_current_passwords_are_throttled_like_logins(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = factories.auth_headers(db, world.users["cashier"])
    body = {"current_password": "tebak-tebakan", "new_password": NEW}
    statuses = [
        client.post("/api/v1/auth/password", json=body, headers=headers).status_code
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
    # A weak new password is refused before the throttle counts anything.
    weak = {"current_password": factories.PASSWORD, "new_password": "kasir-12345"}
    refused = client.post("/api/v1/auth/password", json=weak, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["type"] == "weak_password"


def test_the_api_changes_the_password_and_keeps_only_the_calling_token(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    cashier = world.users["cashier"]
    caller = factories.auth_headers(db, cashier)
    other = factories.auth_headers(db, cashier)
    browser = app.test_client()
    factories.login(browser, "kasir")

    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "salah-sekali", "new_password": NEW},
        headers=caller,
    )
    assert wrong.status_code == 422
    assert wrong.get_json()["type"] == "wrong_password"
    assert set(wrong.get_json()["errors"]) == {"current_password"}
    weak = client.post(
        "/api/v1/auth/password",
        json={"current_password": factories.PASSWORD, "new_password": "1234567890"},
        headers=caller,
    )
    assert weak.status_code == 422
    assert weak.get_json()["errors"] == {
        "new_password": [
            "This password is one of the most common ones and is guessed first; "
            "choose another."
        ]
    }

    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": factories.PASSWORD, "new_password": NEW},
        headers=caller,
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/members", headers=caller).status_code == 200
    assert client.get("/api/v1/members", headers=other).status_code == 401
    assert not _logged_in(browser)
    assert _token_status(client, "kasir", NEW) == 200
    assert _audit_actions(db, cashier) == [("user.password_change", cashier.id)]


# -- an admin manages users ------------------------------------------------------------
def test_only_admins_list_and_manage_users(
    client: FlaskClient, db: Session, world: World
) -> None:
    admin = factories.auth_headers(db, world.users["admin"])
    listed = client.get("/api/v1/users", headers=admin)
    assert listed.status_code == 200
    kasir = next(u for u in listed.get_json() if u["username"] == "kasir")
    assert kasir["bank"] == "BSU1" and kasir["city"] == "AMB" and kasir["active"]
    assert "password_hash" not in kasir
    for who in ("induk_manager", "cashier", "dlh", "driver"):
        headers = factories.auth_headers(db, world.users[who])
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        reset = client.post(
            "/api/v1/users/kasir/password", json={"new_password": NEW}, headers=headers
        )
        assert reset.status_code == 403
    assert client.get("/api/v1/users/nobody", headers=admin).status_code == 404


def test_an_admin_deactivates_and_reactivates_a_user(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    cashier, admin_user = world.users["cashier"], world.users["admin"]
    admin = factories.auth_headers(db, admin_user)
    token = factories.auth_headers(db, cashier)
    browser = app.test_client()
    factories.login(browser, "kasir")

    off = client.patch("/api/v1/users/kasir", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert client.get("/api/v1/members", headers=token).status_code == 401
    assert not _logged_in(browser)
    assert _token_status(client, "kasir", factories.PASSWORD) == 401

    on = client.patch("/api/v1/users/kasir", json={"active": True}, headers=admin)
    assert on.status_code == 200 and on.get_json()["active"] is True
    # Reactivation revives no old session or token: the user logs in again.
    assert client.get("/api/v1/members", headers=token).status_code == 401
    assert not _logged_in(browser)
    assert _token_status(client, "kasir", factories.PASSWORD) == 200
    assert _audit_actions(db, cashier) == [
        ("user.deactivate", admin_user.id),
        ("user.activate", admin_user.id),
    ]
    own = client.patch("/api/v1/users/admin", json={"active": False}, headers=admin)
    assert own.status_code == 409
    assert own.get_json()["type"] == "self_deactivation"


def test_an_admin_resets_a_password_which_ends_sessions_and_lifts_locks(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    cashier, admin_user = world.users["cashier"], world.users["admin"]
    admin = factories.auth_headers(db, admin_user)
    token = factories.auth_headers(db, cashier)
    for _ in range(6):
        _token_status(client, "kasir", "lupa-lupa-ingat")
    assert _token_status(client, "kasir", factories.PASSWORD) == 429

    weak = client.post(
        "/api/v1/users/kasir/password",
        json={"new_password": "sampah123"},
        headers=admin,
    )
    assert weak.status_code == 422 and weak.get_json()["type"] == "weak_password"
    reset = client.post(
        "/api/v1/users/kasir/password", json={"new_password": NEW}, headers=admin
    )
    assert reset.status_code == 204
    assert client.get("/api/v1/members", headers=token).status_code == 401
    assert _token_status(client, "kasir", NEW) == 200  # unlocked, new password
    assert _audit_actions(db, cashier) == [("user.password_reset", admin_user.id)]


def test_the_users_page_lists_users_and_its_buttons_work(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    cashier_browser = app.test_client()
    factories.login(cashier_browser, "kasir")
    assert cashier_browser.get("/users").status_code == 403
    for _ in range(6):
        _token_status(client, "mu", "salah-terus")

    csrf = factories.login(client, "admin")
    page = client.get("/users").get_data(as_text=True)
    assert 'href="/users">Pengguna</a>' in page
    assert "kasir" in page and "dlh2" in page
    assert "Login terkunci (alamat: 1)" in page
    assert "Alamat yang terkunci" not in page  # 6 attempts: no address lock yet

    client.post("/users/kasir/active", data={"csrf_token": csrf, "active": "0"})
    assert not _logged_in(cashier_browser)
    page = client.get("/users").get_data(as_text=True)
    assert "kasir dinonaktifkan dan dikeluarkan dari semua perangkat." in page
    client.post("/users/kasir/active", data={"csrf_token": csrf, "active": "1"})
    db.expire_all()
    assert world.users["cashier"].active

    client.post("/users/unlock", data={"csrf_token": csrf, "username": "mu"})
    assert _token_status(client, "mu", factories.PASSWORD) == 200

    form = client.get("/users/kasir/password").get_data(as_text=True)
    assert "Setel kata sandi baru untuk kasir" in form
    weak = client.post(
        "/users/kasir/password",
        data={
            "csrf_token": csrf,
            "new_password": "kasir-baru-2026",
            "new_password_repeat": "kasir-baru-2026",
        },
    )
    assert weak.status_code == 422
    assert 'id="new_password-error">Kata sandi tidak boleh memuat nama pengguna.' in (
        weak.get_data(as_text=True)
    )
    done = client.post(
        "/users/kasir/password",
        data={"csrf_token": csrf, "new_password": NEW, "new_password_repeat": NEW},
    )
    assert done.status_code == 302
    assert _token_status(client, "kasir", NEW) == 200
    own = client.post("/users/admin/active", data={"csrf_token": csrf, "active": "0"})
    assert own.status_code == 302
    db.expire_all()
    assert world.users["admin"].active


# -- the CLI ---------------------------------------------------------------------------
def test_cli_resets_deactivates_activates_and_unlocks(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, db: Session, world: World
) -> None:
    weak = runner.invoke(
        args=["users", "reset-password", "kasir", "--password-stdin"],
        input="sampah123\n",
    )
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    reset = runner.invoke(
        args=["users", "reset-password", "kasir", "--password-stdin"],
        input=f"{NEW}\n",
    )
    assert reset.exit_code == 0, reset.output
    assert _token_status(client, "kasir", NEW) == 200

    assert runner.invoke(args=["users", "deactivate", "kasir"]).exit_code == 0
    assert _token_status(client, "kasir", NEW) == 401
    assert runner.invoke(args=["users", "activate", "kasir"]).exit_code == 0
    assert _token_status(client, "kasir", NEW) == 200
    assert runner.invoke(args=["users", "deactivate", "nobody"]).exit_code == 1

    for _ in range(6):
        _token_status(client, "kasir", "salah-lagi")
    assert _token_status(client, "kasir", NEW) == 429
    wrong_address = runner.invoke(
        args=["users", "unlock", "kasir", "--address", "192.0.2.9"]
    )
    assert "0 login counter(s) removed" in wrong_address.output
    unlocked = runner.invoke(
        args=["users", "unlock", "kasir", "--address", "127.0.0.1"]
    )
    assert unlocked.exit_code == 0 and "1 login counter(s)" in unlocked.output
    assert _token_status(client, "kasir", NEW) == 200
    assert runner.invoke(args=["users", "unlock"]).exit_code == 1


def test_cli_refuses_a_weak_password_for_a_new_user(
    runner: FlaskCliRunner, db: Session
) -> None:
    result = runner.invoke(
        args=["users", "create", "siti", "--role", "admin", "--password-stdin"],
        input="bismillah123\n",
    )
    assert result.exit_code == 1 and "most common" in result.output
    assert db.scalar(sa.select(User).where(User.username == "siti")) is None
