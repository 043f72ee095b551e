"""Secret key, public URL and the security headers of every answer (#15, items 4 and 8)."""

from __future__ import annotations

import base64
import io
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests import factories
from tests.conftest import TEST_CONFIG
from tests.wastebank.conftest import World
from tests.wastebank.test_counter_views import _catalogue, _deposit, _form
from wastebank import create_app, security
from wastebank.config import DEV_SECRET_KEY
from wastebank.extensions import db as _db
from wastebank.models import Deposit

ROOT = Path(__file__).resolve().parents[2]
LONG_KEY = "k" * security.MIN_SECRET_KEY_BYTES


def _app(**config: object) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config})


# -- the secret key ------------------------------------------------------------------------
def test_the_development_key_is_refused_unless_testing_even_in_debug_mode() -> None:
    with pytest.raises(RuntimeError, match="development SECRET_KEY"):
        _app(SECRET_KEY=DEV_SECRET_KEY, DEBUG=True)
    assert _app(SECRET_KEY=DEV_SECRET_KEY, TESTING=True).testing


def test_a_key_shorter_than_32_bytes_is_refused_with_a_clear_message() -> None:
    short = "k" * (security.MIN_SECRET_KEY_BYTES - 1)
    for config in ({}, {"TESTING": True}):
        with pytest.raises(RuntimeError, match="31 bytes long, shorter than 32"):
            _app(SECRET_KEY=short, **config)
    # Bytes count, not characters: 11 rupiah signs are 33 bytes.
    assert _app(SECRET_KEY="₨" * 11, TESTING=True)
    assert _app(SECRET_KEY=LONG_KEY).config["SECRET_KEY"] == LONG_KEY


def test_an_all_digit_key_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WASTEBANK_* values are JSON-parsed: such a key would arrive as a number."""
    monkeypatch.setenv("WASTEBANK_SECRET_KEY", "1" * 40)
    with pytest.raises(RuntimeError, match="must be a string"):
        _app()


def _secret_key(path: Path) -> str:
    result = subprocess.run(
        [str(ROOT / "script" / "secret-key"), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_server_script_keeps_a_long_key_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "instance" / "secret_key"
    key = _secret_key(path)
    assert len(key.encode()) >= security.MIN_SECRET_KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _secret_key(path) == key  # the same key on the next start
    path.chmod(0o644)  # made by an older script, or by hand
    assert _secret_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_server_script_uses_the_key_script_and_sets_a_public_url() -> None:
    server = (ROOT / "script" / "server").read_text()
    assert 'WASTEBANK_SECRET_KEY="$(script/secret-key instance/secret_key)"' in server
    assert 'export WASTEBANK_PUBLIC_URL="http://$public_host:$port"' in server


# -- the public URL ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "settled"),
    [
        ("https://BankSampah.Ambon.go.id/", "https://banksampah.ambon.go.id"),
        ("http://10.0.0.5:8000", "http://10.0.0.5:8000"),
        ("https://kota.example/wastebank/", "https://kota.example/wastebank"),
    ],
)
def test_the_public_url_is_normalized(given: str, settled: str) -> None:
    assert security.normalize_public_url(given) == settled


@pytest.mark.parametrize(
    "url",
    [
        "banksampah.ambon.go.id",
        "ftp://bank.example",
        "https://bank.example/?x=1",
        "https://bank.example/#top",
        "https://user@bank.example",
        "https://bank.example;script-src *",
    ],
)
def test_a_public_url_that_is_no_address_is_refused(url: str) -> None:
    with pytest.raises(RuntimeError, match="WASTEBANK_PUBLIC_URL"):
        _app(SECRET_KEY=LONG_KEY, PUBLIC_URL=url)


def test_without_a_public_url_the_app_warns(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WASTEBANK_PUBLIC_URL", raising=False)
    app = _app(SECRET_KEY=LONG_KEY)
    assert app.config["PUBLIC_URL"] == "http://localhost:5000"
    assert "WASTEBANK_PUBLIC_URL is not set" in caplog.text
    caplog.clear()
    assert _app(SECRET_KEY=LONG_KEY, PUBLIC_URL="http://bank.example")
    assert "WASTEBANK_PUBLIC_URL" not in caplog.text


def _log_in(client: FlaskClient, base_url: str = "http://localhost") -> list[str]:
    """Log in through the form; returns the Set-Cookie headers of the answer."""
    form = client.get("/login", base_url=base_url).get_data(as_text=True)
    csrf = factories.CSRF.search(form)
    assert csrf
    response = client.post(
        "/login",
        base_url=base_url,
        # Over HTTPS, Flask-WTF also wants a same-site Referer: the Referrer-Policy
        # keeps the full URL for same-origin requests.
        headers={"Referer": f"{base_url}/login"},
        data={
            "username": "kasir",
            "password": factories.PASSWORD,
            "csrf_token": csrf.group(1),
        },
    )
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


@pytest.fixture
def https_app(database_url: str) -> Iterator[Flask]:
    """The app of an installation behind HTTPS (same database as ``app``)."""
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_URL": "https://banksampah.ambon.go.id",
        }
    )
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_over_https_cookies_are_secure_and_hsts_is_sent(
    https_app: Flask, client: FlaskClient, world: World
) -> None:
    secure = https_app.test_client()
    https = "https://banksampah.ambon.go.id"
    cookies = _log_in(secure, https)
    assert cookies and all("; Secure" in cookie for cookie in cookies)
    page = secure.get("/counter", base_url=https)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    # Over plain HTTP (the test app's http://localhost) neither.
    assert not any("; Secure" in cookie for cookie in _log_in(client))
    assert "Strict-Transport-Security" not in client.get("/counter").headers


def _qr_text(page: str) -> str:
    """Decode the receipt's QR code (an SVG data: URI of one module per sub-path)."""
    match = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert match
    svg = base64.b64decode(match.group(1)).decode()
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * 8, size * 8), 255)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        image.paste(0, (int(x) * 8, int(y) * 8, int(x) * 8 + 8, int(y) * 8 + 8))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    (result,) = zxingcpp.read_barcodes(Image.open(buffer))
    return result.text


def test_a_receipt_links_to_the_public_url_whatever_the_host_header(
    app: Flask,
    client: FlaskClient,
    db: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://banksampah.ambon.go.id")
    _catalogue(db)
    factories.login(client, "kasir")
    receipt = _deposit(client, _form(client, world), [("PET", "1")]).location
    code = db.scalars(sa.select(Deposit)).one().verify_code
    session = client.get_cookie("session")
    assert session is not None
    for host in ("evil.example", "banksampah.ambon.go.id.evil.example"):
        # A logged-in user who sends another Host header (or a proxy that passes one).
        client.set_cookie("session", session.value, domain=host)
        page = client.get(receipt, headers={"Host": host}).get_data(as_text=True)
        link = f"https://banksampah.ambon.go.id/receipts/verify#{code}"
        assert f'<span class="verify-url">{link}</span>' in page
        assert _qr_text(page) == link
        assert "evil" not in page


# -- headers of every answer --------------------------------------------------------------
def _answers(client: FlaskClient, db: Session, world: World) -> dict[str, object]:
    """One answer of each kind: pages, API, static, errors, health."""
    api = factories.auth_headers(db, world.users["cashier"])
    member = world.members["BSU1"].id
    anonymous = client.application.test_client()
    factories.login(client, "kasir")
    return {
        "login page": anonymous.get("/login"),
        "member page": client.get(f"/members/{member}"),
        "API member": client.get(f"/api/v1/members/{member}", headers=api),
        "API error": client.get("/api/v1/members/0", headers=api),
        "OpenAPI": anonymous.get("/api/v1/openapi.json"),
        "API docs": anonymous.get("/api/v1/docs"),
        "card PNG": client.get(f"/members/{member}/card.png"),
        "page not found": client.get("/no-such-page"),
        "static": _closed(anonymous.get("/static/css/app.css")),
        "static not found": anonymous.get("/static/no-such-file.js"),
        "health": anonymous.get("/healthz"),
    }


def _closed(response: TestResponse) -> TestResponse:
    response.close()  # a file answer: only its headers are looked at
    return response


def test_every_answer_says_nosniff_referrer_policy_and_no_framing(
    client: FlaskClient, db: Session, world: World
) -> None:
    for name, response in _answers(client, db, world).items():
        headers = response.headers  # type: ignore[attr-defined]
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", name
        assert headers["X-Frame-Options"] == "DENY", name
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], name


def test_pages_run_only_our_own_scripts(
    client: FlaskClient, db: Session, world: World
) -> None:
    answers = _answers(client, db, world)
    for name in ("login page", "member page", "page not found", "API docs"):
        policy = answers[name].headers["Content-Security-Policy"]  # type: ignore[attr-defined]
        directives = dict(part.split(" ", 1) for part in policy.split("; "))
        assert directives["default-src"] == "'self'", name
        assert directives["script-src"] == "'self'", name
        assert directives["style-src"] == "'self'", name
        assert directives["object-src"] == "'none'", name
        assert directives["base-uri"] == "'self'", name
        assert directives["form-action"] == "'self'", name
        assert directives["img-src"] == (
            "'self' data: blob: https://tile.openstreetmap.org"
        ), name
    # Answers that are not pages run nothing, even opened as a document.
    for name in ("API member", "OpenAPI", "card PNG", "health"):
        policy = answers[name].headers["Content-Security-Policy"]  # type: ignore[attr-defined]
        assert policy.startswith("default-src 'none'"), name


def test_no_page_has_inline_script_or_event_handlers(
    client: FlaskClient, db: Session, world: World
) -> None:
    answers = _answers(client, db, world)
    for name in ("login page", "member page", "page not found", "API docs"):
        page = answers[name].get_data(as_text=True)  # type: ignore[attr-defined]
        assert not re.search(
            r"<script(?![^>]*\b(src=|type=\"application/json\"))", page
        )
        assert not re.search(r"\son[a-z]+=", page), name
        assert "javascript:" not in page, name


@pytest.mark.parametrize(
    ("tile_url", "source"),
    [
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        (
            "http://tiles.dlh.example:8080/{z}/{x}/{y}.png",
            "http://tiles.dlh.example:8080",
        ),
        ("/tiles/{z}/{x}/{y}.png", None),
        ("", None),
    ],
)
def test_the_map_tile_server_may_send_images(tile_url: str, source: str | None) -> None:
    policy = security.content_security_policy(tile_url)
    images = re.search(r"img-src ([^;]+)", policy).group(1).split()  # type: ignore[union-attr]
    assert images == ["'self'", "data:", "blob:", *([source] if source else [])]


def test_a_tile_url_that_would_widen_the_policy_is_refused() -> None:
    for url in ("https://tiles.example; script-src *", "https://tiles-{s}.example/"):
        with pytest.raises(RuntimeError, match="MAP_TILE_URL"):
            security.content_security_policy(url)


def test_answers_with_personal_data_are_not_stored_but_static_files_may_be(
    client: FlaskClient, db: Session, world: World
) -> None:
    answers = _answers(client, db, world)
    for name in ("member page", "API member", "API error", "login page", "health"):
        assert answers[name].headers["Cache-Control"] == "no-store", name  # type: ignore[attr-defined]
    static = answers["static"].headers.get("Cache-Control", "")  # type: ignore[attr-defined]
    assert "no-store" not in static


def test_a_public_url_on_a_path_builds_links_under_it(app: Flask) -> None:
    with (
        app.test_request_context("/", base_url="http://evil.example"),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setitem(app.config, "PUBLIC_URL", "https://kota.example/wastebank")
        url = security.public_url_for("wastebank.get_member", member_id=5, anchor="A B")
    assert url == "https://kota.example/wastebank/members/5#A%20B"


def test_the_environment_sets_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASTEBANK_PUBLIC_URL", "https://bank.example/")
    app = _app(SECRET_KEY=LONG_KEY)
    assert app.config["PUBLIC_URL"] == "https://bank.example"
    assert app.config["SESSION_COOKIE_SECURE"] is True
