"""HTTP tests of the members, cards, banks and token API."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import sqlalchemy as sa
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests import factories
from tests.wastebank.conftest import World
from wastebank import services
from wastebank.models import AuditEntry, Bank, Member, MemberCard

# Who reaches which bank's member: own unit, sibling unit, parent induk, other city.
SCOPE_MATRIX = {
    #               BSU1   BSU2   BSI    MJK1
    "admin": (200, 200, 200, 200),
    "dlh": (200, 200, 200, 404),
    "dlh_other_city": (404, 404, 404, 200),
    "induk_manager": (200, 200, 200, 404),
    "unit_manager": (200, 404, 404, 404),
    "cashier": (200, 404, 404, 404),
    "driver": (403, 403, 403, 403),
}
BANK_ORDER = ("BSU1", "BSU2", "BSI", "MJK1")


def _headers(db: Session, world: World, who: str) -> dict[str, str]:
    return factories.auth_headers(db, world.users[who])


def _member_count(db: Session) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(Member)) or 0


# -- tokens ----------------------------------------------------------------------------
def test_token_is_issued_for_the_right_password_and_opens_the_api(
    client: FlaskClient, world: World
) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "kasir", "password": factories.PASSWORD}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert len(body["access_token"]) >= 40
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(hours=11)
    listed = client.get(
        "/api/v1/members", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert listed.status_code == 200


def test_wrong_password_gets_401_envelope(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/auth/token", json={"username": "kasir", "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.get_json()["type"] == "authentication_failed"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_repeated_failures_for_one_user_are_throttled_even_with_the_right_password(
    client: FlaskClient, world: World
) -> None:
    statuses = [
        client.post(
            "/api/v1/auth/token", json={"username": "kasir", "password": "nope"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    locked = client.post(
        "/api/v1/auth/token", json={"username": "KASIR", "password": factories.PASSWORD}
    )
    assert locked.status_code == 429
    assert locked.get_json()["type"] == "too_many_attempts"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    # Another user is not affected by kasir's lock.
    other = client.post(
        "/api/v1/auth/token", json={"username": "mu", "password": factories.PASSWORD}
    )
    assert other.status_code == 200


def test_expired_token_is_refused_with_its_own_type(
    client: FlaskClient, db: Session, world: World
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    raw, _ = services.issue_token(db, world.users["cashier"], ttl_s=3600, now=past)
    db.commit()
    response = client.get("/api/v1/members", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert response.get_json()["type"] == "token_expired"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-token", "Basic a2FzaXI6eA==", "bearer    "],
)
def test_api_routes_require_a_valid_token(
    client: FlaskClient, world: World, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(
        f"/api/v1/members/{world.members['BSU1'].id}", headers=headers
    )
    assert response.status_code == 401
    assert set(response.get_json()) == {"code", "status", "type", "message", "errors"}


def test_openapi_document_and_health_need_no_token(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    assert "/api/v1/members/{member_id}/card.png" in paths
    assert (
        spec.get_json()["components"]["securitySchemes"]["bearerAuth"]["scheme"]
        == "bearer"
    )
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.data


# -- scoping matrix --------------------------------------------------------------------
@pytest.mark.parametrize("who", sorted(SCOPE_MATRIX))
def test_role_and_bank_scoping_matrix_for_reading_members(
    client: FlaskClient, db: Session, world: World, who: str
) -> None:
    headers = _headers(db, world, who)
    got = tuple(
        client.get(
            f"/api/v1/members/{world.members[code].id}", headers=headers
        ).status_code
        for code in BANK_ORDER
    )
    assert got == SCOPE_MATRIX[who]


@pytest.mark.parametrize("who", sorted(SCOPE_MATRIX))
def test_member_listing_shows_only_reachable_banks(
    client: FlaskClient, db: Session, world: World, who: str
) -> None:
    response = client.get("/api/v1/members", headers=_headers(db, world, who))
    expected = {
        code
        for code, status in zip(BANK_ORDER, SCOPE_MATRIX[who], strict=True)
        if status == 200
    }
    if who == "driver":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {item["bank"] for item in response.get_json()} == expected
    assert json.loads(response.headers["X-Pagination"])["total"] == len(expected)


@pytest.mark.parametrize(
    ("who", "bank", "status"),
    [
        ("cashier", "BSU1", 201),
        ("cashier", "BSU2", 403),
        ("cashier", "BSI", 403),
        ("unit_manager", "BSI", 403),
        ("induk_manager", "BSU2", 201),
        ("dlh", "BSU1", 403),
        ("driver", "BSU1", 403),
        ("admin", "MJK1", 201),
    ],
)
def test_member_registration_is_scoped_to_reachable_banks(
    client: FlaskClient, db: Session, world: World, who: str, bank: str, status: int
) -> None:
    before = _member_count(db)
    response = client.post(
        "/api/v1/members",
        json={"bank": bank, "name": "Baru"},
        headers=_headers(db, world, who),
    )
    assert response.status_code == status, response.get_json()
    assert _member_count(db) == before + (1 if status == 201 else 0)


def test_listing_another_banks_members_by_filter_is_forbidden(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.get(
        "/api/v1/members?bank=BSU2", headers=_headers(db, world, "cashier")
    )
    assert response.status_code == 403
    assert response.get_json()["type"] == "permission_denied"


# -- members ---------------------------------------------------------------------------
def test_the_api_takes_formatted_values_as_sent(
    client: FlaskClient, db: Session, world: World
) -> None:
    """What the OpenAPI document's patterns refuse is refused, not trimmed or dropped.

    Only the spaces around a name are trimmed (see the next test); forms trim all.
    """
    headers = _headers(db, world, "cashier")
    for field, value in [("nik", " 8171012345678901"), ("rt", "003 "), ("phone", "")]:
        response = client.post(
            "/api/v1/members",
            json={"bank": "BSU1", "name": "Ani", field: value},
            headers=headers,
        )
        assert response.status_code == 422, field
        assert list(response.get_json()["errors"]) == [field]


def test_register_member_returns_a_readable_member_number(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "cashier")
    body = {
        "bank": "bsu1",
        "name": "  Yohana Latuheru ",
        "phone": "081234567890",
        "address": "Jl. Batu Merah",
        "rt": "003",
        "rw": "002",
        "kelurahan": "Batu Merah",
        "nik": "8171012345678901",
        "kind": "person",
    }
    response = client.post("/api/v1/members", json=body, headers=headers)
    assert response.status_code == 201
    member = response.get_json()
    # world already registered member 1 at BSU1; numbers count on from there.
    assert member["member_no"] == "AMB-BSU1-000002"
    assert member["name"] == "Yohana Latuheru"
    assert member["bank"] == "BSU1"
    assert member["active"] is True
    fetched = client.get(f"/api/v1/members/{member['id']}", headers=headers)
    assert fetched.get_json() == member


def test_search_by_name_number_or_phone_with_pagination(
    client: FlaskClient, db: Session, world: World
) -> None:
    for i in range(7):
        factories.make_member(
            db, world.unit, name=f"Siti {i}", phone=f"0812000000{i:02d}"
        )
    db.commit()
    headers = _headers(db, world, "cashier")
    by_name = client.get("/api/v1/members?q=siti&page_size=3&page=3", headers=headers)
    assert by_name.status_code == 200
    assert len(by_name.get_json()) == 1
    pagination = json.loads(by_name.headers["X-Pagination"])
    assert pagination["total"] == 7
    assert pagination["total_pages"] == 3
    by_phone = client.get("/api/v1/members?q=081200000003", headers=headers).get_json()
    assert [m["name"] for m in by_phone] == ["Siti 3"]
    by_number = client.get("/api/v1/members?q=BSU1-000001", headers=headers).get_json()
    assert [m["name"] for m in by_number] == ["Anggota BSU1"]
    # LIKE wildcards in the query are literal characters, not patterns.
    assert client.get("/api/v1/members?q=%25", headers=headers).get_json() == []


def test_page_size_is_capped_at_1000(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "admin")
    assert (
        client.get("/api/v1/members?page_size=1000", headers=headers).status_code == 200
    )
    too_big = client.get("/api/v1/members?page_size=1001", headers=headers)
    assert too_big.status_code == 422
    assert "page_size" in too_big.get_json()["errors"]


def test_members_are_deactivated_not_deleted(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "cashier")
    member_id = world.members["BSU1"].id
    response = client.patch(
        f"/api/v1/members/{member_id}",
        json={"active": False, "phone": "0811111111"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert response.get_json()["phone"] == "0811111111"
    assert (
        client.delete(f"/api/v1/members/{member_id}", headers=headers).status_code
        == 405
    )
    active_only = client.get("/api/v1/members?active=true", headers=headers).get_json()
    assert member_id not in [m["id"] for m in active_only]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Tanpa bank"}, "bank"),
        ({"bank": "BSU1"}, "name"),
        ({"bank": "BSU1", "name": ""}, "name"),
        ({"bank": "BSU1", "name": "A", "nik": "12345678901234567"}, "nik"),
        ({"bank": "BSU1", "name": "A", "nik": "12345678901234AB"}, "nik"),
        ({"bank": "BSU1", "name": "A", "kind": "robot"}, "kind"),
        ({"bank": "BSU1", "name": "A", "rt": "1234"}, "rt"),
        ({"bank": "BSU1", "name": "x" * 121}, "name"),
        ({"bank": "BSU1", "name": "A", "surprise": 1}, "surprise"),
        ({"bank": "BSU1", "name": 42}, "name"),
        ({"bank": "NOPE", "name": "A"}, "bank"),
    ],
)
def test_bad_member_input_gets_422_and_writes_nothing(
    client: FlaskClient, db: Session, world: World, body: dict[str, object], field: str
) -> None:
    before = _member_count(db)
    response = client.post(
        "/api/v1/members", json=body, headers=_headers(db, world, "admin")
    )
    assert response.status_code == 422
    envelope = response.get_json()
    assert field in envelope["errors"]
    assert envelope["code"] == 422
    assert _member_count(db) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2, 3]", "application/json", 422),
        ('"just a string"', "application/json", 422),
        ("null", "application/json", 422),
        ("", "application/json", 422),  # an empty body is a body with no fields
        ("name=x", "application/x-www-form-urlencoded", 422),
    ],
)
def test_malformed_bodies_get_a_4xx_envelope_and_write_nothing(
    client: FlaskClient,
    db: Session,
    world: World,
    data: str,
    content_type: str,
    status: int,
) -> None:
    before = _member_count(db)
    headers = {**_headers(db, world, "admin"), "Content-Type": content_type}
    response = client.post("/api/v1/members", data=data, headers=headers)
    assert response.status_code == status
    assert set(response.get_json()) == {"code", "status", "type", "message", "errors"}
    assert _member_count(db) == before


def test_huge_body_is_refused_with_413_envelope(
    client: FlaskClient, db: Session, world: World
) -> None:
    before = _member_count(db)
    body = json.dumps({"bank": "BSU1", "name": "A", "address": "x" * (2 * 1024 * 1024)})
    response = client.post(
        "/api/v1/members",
        data=body,
        headers={**_headers(db, world, "admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["type"] == "request_entity_too_large"
    assert _member_count(db) == before


# -- cards -----------------------------------------------------------------------------
def test_card_png_decodes_to_the_token_that_resolves_to_the_member(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "cashier")
    member = world.members["BSU1"]
    png = client.get(f"/api/v1/members/{member.id}/card.png", headers=headers)
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert len(results) == 1
    token = results[0].text
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert (
        member.name not in token and member.member_no not in token
    )  # no personal data
    resolved = _look_up(client, token, headers)
    assert resolved.status_code == 200
    assert resolved.get_json()["member"]["id"] == member.id
    # A scanner with caps lock on, or a person reading it aloud with hyphens, still works.
    spoken = f"{token.lower()[:13]}-{token.lower()[13:]}"
    assert _look_up(client, spoken, headers).status_code == 200
    # Older clients put the token in the URL; that still works.
    old_way = client.get(f"/api/v1/cards/{spoken}", headers=headers)
    assert old_way.get_json()["member"]["id"] == member.id


def _look_up(client: FlaskClient, token: str, headers: dict[str, str]) -> TestResponse:
    """What a counter asks after a scan: the token in the body, not in the URL."""
    return client.post("/api/v1/card-lookups", json={"token": token}, headers=headers)


def test_a_card_lookup_needs_a_token(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "cashier")
    for body in ({}, {"token": ""}, {"token": "X" * 65}):
        response = client.post("/api/v1/card-lookups", json=body, headers=headers)
        assert response.status_code == 422, body
    assert client.post("/api/v1/card-lookups", json={"token": "X"}).status_code == 401


def test_card_svg_is_served(client: FlaskClient, db: Session, world: World) -> None:
    response = client.get(
        f"/api/v1/members/{world.members['BSU1'].id}/card.svg",
        headers=_headers(db, world, "cashier"),
    )
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<path" in response.data


def test_reissued_card_replaces_the_old_token(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = _headers(db, world, "cashier")
    member = world.members["BSU1"]
    old = member.active_card.token
    response = client.post(f"/api/v1/members/{member.id}/card/reissue", headers=headers)
    assert response.status_code == 201
    new = response.get_json()["token"]
    assert new != old
    assert _look_up(client, old, headers).status_code == 410
    assert _look_up(client, new, headers).get_json()["member"]["id"] == member.id
    assert client.get(f"/api/v1/cards/{old}", headers=headers).status_code == 410
    db.expire_all()
    cards = db.scalars(
        sa.select(MemberCard).where(MemberCard.member_id == member.id)
    ).all()
    assert sum(card.revoked_at is None for card in cards) == 1


def test_cards_of_unreachable_banks_resolve_to_nothing(
    client: FlaskClient, db: Session, world: World
) -> None:
    token = world.members["BSU2"].active_card.token
    headers = _headers(db, world, "cashier")
    for response in (
        _look_up(client, token, headers),
        client.get(f"/api/v1/cards/{token}", headers=headers),
    ):
        assert response.status_code == 404
        assert response.get_json()["type"] == "card_not_found"
    assert _look_up(client, "garbage", headers).status_code == 404
    assert client.get("/api/v1/cards/garbage", headers=headers).status_code == 404


def test_dlh_cannot_reissue_cards(
    client: FlaskClient, db: Session, world: World
) -> None:
    response = client.post(
        f"/api/v1/members/{world.members['BSU1'].id}/card/reissue",
        headers=_headers(db, world, "dlh"),
    )
    assert response.status_code == 403


# -- banks -----------------------------------------------------------------------------
def test_banks_listing_is_scoped_and_creation_is_admin_only(
    client: FlaskClient, db: Session, world: World
) -> None:
    induk_view = client.get(
        "/api/v1/banks", headers=_headers(db, world, "induk_manager")
    ).get_json()
    assert [b["code"] for b in induk_view] == ["BSI", "BSU1", "BSU2"]
    assert induk_view[1]["parent"] == "BSI"
    body = {
        "code": "BSU9",
        "name": "Baru",
        "kind": "unit",
        "parent": "BSI",
        "opening_days": ["sat"],
    }
    assert (
        client.post(
            "/api/v1/banks", json=body, headers=_headers(db, world, "induk_manager")
        ).status_code
        == 403
    )
    created = client.post(
        "/api/v1/banks", json=body, headers=_headers(db, world, "admin")
    )
    assert created.status_code == 201
    assert created.get_json()["city"] == "AMB"  # inherited from the induk
    assert created.get_json()["timezone"] == "Asia/Jayapura"
    bad_parent = client.post(
        "/api/v1/banks",
        json={**body, "code": "BSU8", "parent": "BSU1"},
        headers=_headers(db, world, "admin"),
    )
    assert bad_parent.status_code == 409
    assert bad_parent.get_json()["type"] == "invalid_hierarchy"
    assert (
        client.get(
            "/api/v1/banks/MJK1", headers=_headers(db, world, "cashier")
        ).status_code
        == 404
    )


def test_a_bank_is_created_with_its_district(
    client: FlaskClient, db: Session, world: World
) -> None:
    body = {"code": "BSU7", "name": "Baru", "kind": "unit", "parent": "BSI"}
    created = client.post(
        "/api/v1/banks",
        json={**body, "district": "  Teluk Ambon  Baguala "},
        headers=_headers(db, world, "admin"),
    )
    assert created.status_code == 201
    assert created.get_json()["district"] == "Teluk Ambon Baguala"  # spaces tidied
    without = client.post(
        "/api/v1/banks",
        json={**body, "code": "BSU6"},
        headers=_headers(db, world, "admin"),
    )
    assert without.get_json()["district"] is None


def test_the_banks_manager_sets_and_clears_its_district(
    client: FlaskClient, db: Session, world: World
) -> None:
    manager = _headers(db, world, "unit_manager")
    changed = client.patch(
        "/api/v1/banks/BSU1", json={"district": " Nusaniwe "}, headers=manager
    )
    assert changed.status_code == 200
    assert changed.get_json()["district"] == "Nusaniwe"
    # The withdrawal rules are untouched by a district-only change.
    assert changed.get_json()["withdrawal_rules"] is None
    read = client.get("/api/v1/banks/BSU1", headers=manager).get_json()
    assert read["district"] == "Nusaniwe"
    audit = db.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bank.district"))
    assert audit is not None
    assert (audit.before, audit.after) == ({"district": None}, {"district": "Nusaniwe"})
    both = client.patch(
        "/api/v1/banks/BSU1",
        json={"district": "Sirimau", "min_withdrawal_rp": 5000},
        headers=manager,
    ).get_json()
    assert both["district"] == "Sirimau"
    assert both["withdrawal_rules"]["min_withdrawal_rp"] == 5000
    for empty in (None, "  "):
        cleared = client.patch(
            "/api/v1/banks/BSU1", json={"district": empty}, headers=manager
        )
        assert cleared.status_code == 200
        assert cleared.get_json()["district"] is None


@pytest.mark.parametrize(
    ("who", "status"),
    [("cashier", 403), ("dlh", 403), ("driver", 403), ("dlh_other_city", 403)],
)
def test_only_managers_and_admins_change_a_district(
    client: FlaskClient, db: Session, world: World, who: str, status: int
) -> None:
    response = client.patch(
        "/api/v1/banks/BSU1",
        json={"district": "Sirimau"},
        headers=_headers(db, world, who),
    )
    assert response.status_code == status
    db.expire_all()
    assert db.get(Bank, world.unit.id).district is None  # type: ignore[union-attr]


def test_another_banks_manager_and_a_long_district_are_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    manager = _headers(db, world, "unit_manager")
    sibling = client.patch(
        "/api/v1/banks/BSU2", json={"district": "Sirimau"}, headers=manager
    )
    assert sibling.status_code == 404
    too_long = client.patch(
        "/api/v1/banks/BSU1", json={"district": "x" * 121}, headers=manager
    )
    assert too_long.status_code == 422
    assert "district" in too_long.get_json()["errors"]


@pytest.mark.parametrize("id_", [2**31, 2**63, 10**30])
def test_an_id_beyond_any_table_in_a_url_is_404_not_500(
    client: FlaskClient, db: Session, world: World, id_: int
) -> None:
    # Every GET route with an id, pages and API: the number never reaches the
    # database driver (SQLite cannot bind 2**63; PostgreSQL ids are 32-bit).
    headers = factories.auth_headers(db, world.users["admin"])
    rules = [
        r.rule
        for r in client.application.url_map.iter_rules()
        if "<int:" in r.rule and "GET" in (r.methods or ())
    ]
    assert len(rules) > 10
    for rule in rules:
        url = re.sub(r"<int:\w+>", str(id_), rule)
        url = re.sub(r"<(?:string:)?\w+>", "BSU1", url)
        response = client.get(url, headers=headers)
        assert response.status_code == 404, (url, response.status_code)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bank": "BSU1", "name": "Ibu\u0000Ani"}, "name"),  # PostgreSQL: a 500 before
        ({"bank": "BSU1", "name": "Ibu Ani", "address": "Jl.\u0001"}, "address"),
        ({"bank": "BSU1", "name": "Ibu Ani\u007f"}, "name"),
    ],
)
def test_text_with_control_characters_is_refused_and_nothing_is_written(
    client: FlaskClient, db: Session, world: World, body: dict[str, str], field: str
) -> None:
    headers = factories.auth_headers(db, world.users["unit_manager"])
    before = db.scalar(sa.select(sa.func.count()).select_from(Member))
    response = client.post("/api/v1/members", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    answer = response.get_json()
    assert answer["type"] == "validation_error"
    assert "karakter kontrol" in answer["errors"][field][0]
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Member)) == before
    # Tabs and line breaks are text, not control characters here.
    fine = client.post(
        "/api/v1/members",
        json={"bank": "BSU1", "name": "Ibu Ani", "address": "Jl. Baru\r\nRT 2\t"},
        headers=headers,
    )
    assert fine.status_code == 201, fine.get_json()


def test_control_characters_are_found_in_nested_bodies_and_query_strings(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = factories.auth_headers(db, world.users["cashier"])
    deposit = client.post(
        "/api/v1/deposits",
        json={"member": 1, "lines": [{"category": "PET\u0000", "weight_kg": "1"}]},
        headers={**headers, "Idempotency-Key": "nul-1"},
    )
    assert deposit.status_code == 422
    assert "lines.0.category" in deposit.get_json()["errors"]
    search = client.get("/api/v1/members?bank=BSU1&q=a%00b", headers=headers)
    assert search.status_code == 422
    assert "q" in search.get_json()["errors"]


def test_a_page_sent_a_control_character_answers_in_indonesian(
    client: FlaskClient,
) -> None:
    page = client.get("/login?next=%00")
    assert page.status_code == 422
    assert "Sebagian isian tidak dapat digunakan" in page.get_data(as_text=True)
