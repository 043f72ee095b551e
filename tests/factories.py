"""Test data builders: add, flush and return; they never commit."""

from __future__ import annotations

import itertools
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from wastebank import services
from wastebank.access import SYSTEM
from wastebank.models import Bank, BankNotificationChannel, City, Member, User
from wastebank.services import notifications

PASSWORD = "correct-horse-9"
#: The password rules with the tests' cheap hash (``TEST_CONFIG``).
TEST_PASSWORDS = services.PasswordPolicy(hash_method="pbkdf2:sha256:1000")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_seq = itertools.count(1)


def make_city(session: Session, **overrides: Any) -> City:
    fields = {"code": f"C{next(_seq)}", "name": "Kota Uji", "timezone": "Asia/Jayapura"}
    fields.update(overrides)
    return services.create_city(session, **fields)


def make_bank(session: Session, **overrides: Any) -> Bank:
    fields: dict[str, Any] = {
        "code": f"B{next(_seq)}",
        "name": "Bank Sampah Uji",
        "kind": "unit",
    }
    fields.update(overrides)
    return services.create_bank(session, SYSTEM, **fields)


def make_user(session: Session, **overrides: Any) -> User:
    fields: dict[str, Any] = {
        "username": f"user{next(_seq)}",
        "password": PASSWORD,
        "role": "admin",
        "policy": TEST_PASSWORDS,
    }
    fields.update(overrides)
    return services.create_user(session, SYSTEM, **fields)


def make_member(session: Session, bank: Bank, **overrides: Any) -> Member:
    fields: dict[str, Any] = {"name": "Nasabah Uji"}
    fields.update(overrides)
    return services.register_member(session, SYSTEM, bank=bank.code, **fields)


def auth_headers(session: Session, user: User) -> dict[str, str]:
    """A valid bearer token header for ``user`` (issued directly, and committed so a
    live server or another session can see it)."""
    raw, _ = services.issue_token(session, user, ttl_s=3600)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def make_notification_channel(
    session: Session, bank: Bank, **overrides: Any
) -> BankNotificationChannel:
    """A WhatsApp gateway for ``bank`` (enabled, no token unless given)."""
    fields: dict[str, Any] = {
        "kind": "whatsapp_http",
        "url": "http://127.0.0.1:9/",
        # Test gateways listen on this machine, which the default forbids.
        "allowed_hosts": ("127.0.0.1", "*.example", "*.invalid"),
    }
    fields.update(overrides)
    return notifications.set_channel(session, SYSTEM, bank.code, **fields)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the form on ``path``, in the client's session."""
    match = CSRF.search(client.get(path, follow_redirects=True).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form, as a person does; returns the new session's CSRF token
    (logging in starts a fresh session, and with it a fresh token)."""
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/")
