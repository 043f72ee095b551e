"""Names refuse invisible and text-direction characters, in the API, forms and CLI.

A right-to-left override (U+202E) turns "Ani<RLO>gnatuh" into "Anihutang" on screen,
zero-width characters make two different names look the same; neither has a place in
a name people read on receipts and maps.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import Bank, Member

#: Bidirectional overrides and isolates, zero-width characters.
HOSTILE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
]

#: (method, URL, a valid body, the name fields of that body)
WRITES: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "POST",
        "/api/v1/banks",
        {"code": "BSU9", "name": "Bank Baru", "kind": "unit", "parent": "BSI"},
        ["name"],
    ),
    (
        "PATCH",
        "/api/v1/banks/BSU1",
        {"district": "Sirimau"},
        ["district"],
    ),
    (
        "POST",
        "/api/v1/members",
        {"bank": "BSU1", "name": "Ani", "kelurahan": "Batu Merah"},
        ["name", "kelurahan"],
    ),
    ("PATCH", "/api/v1/members/{member}", {"name": "Ani"}, ["name"]),
    (
        "POST",
        "/api/v1/categories",
        {
            "code": "KRESEK",
            "name_id": "Kresek",
            "name_en": "Plastic bag",
            "material": "plastic",
            "unit": "kg",
        },
        ["name_id", "name_en"],
    ),
    (
        "POST",
        "/api/v1/banks/BSU1/buyers",
        {"name": "Pengepul Ani", "kind": "pengepul"},
        ["name"],
    ),
    (
        "POST",
        "/api/v1/bins",
        {
            "code": "TPS9",
            "name": "TPS Pasar",
            "kind": "tps",
            "stream": "mixed",
            "capacity_l": 660,
            "lat": -3.69,
            "lon": 128.18,
            "city": "AMB",
            "district": "Sirimau",
        },
        ["name", "district"],
    ),
    ("PATCH", "/api/v1/bins/TPS1", {"name": "TPS", "district": "Sirimau"}, ["name"]),
    (
        "POST",
        "/api/v1/depots",
        {"code": "POOL9", "name": "Pool", "city": "AMB", "lat": -3.7, "lon": 128.2},
        ["name"],
    ),
    (
        "POST",
        "/api/v1/facilities",
        {
            "code": "TPA9",
            "name": "TPA",
            "kind": "tpa",
            "city": "AMB",
            "lat": -3.6,
            "lon": 128.3,
        },
        ["name"],
    ),
    (
        "POST",
        "/api/v1/trucks",
        {
            "code": "DT9",
            "name": "Dump truck",
            "kind": "dump_truck",
            "depot": "POOL1",
            "city": "AMB",
            "capacity_kg": "4000",
            "capacity_m3": "6",
            "shift_start": "05:00",
            "shift_end": "13:00",
            "cost_rp_per_km": 5000,
            "cost_rp_per_hour": 60000,
        },
        ["name"],
    ),
    (
        "POST",
        "/api/v1/tpa-deliveries",
        {
            "city": "AMB",
            "facility": "TPA Toisapu",
            "ticket_no": "T-1",
            "delivered_at": "2026-01-05T08:00:00+09:00",
            "net_weight_kg": "7000",
        },
        ["facility"],
    ),
    (
        "POST",
        "/api/v1/treatment-inputs",
        {
            "city": "AMB",
            "facility": "TPS3R",
            "treated_on": "2026-01-05",
            "pathway": "composting",
            "material": "food",
            "mass_kg": "120",
        },
        ["facility"],
    ),
    ("PATCH", "/api/v1/cities/AMB/waste-profile", {"tpa_name": "TPA"}, ["tpa_name"]),
]


def _with(body: dict[str, Any], field: str, char: str) -> dict[str, Any]:
    return {**body, field: f"{body[field][:2]}{char}{body[field][2:]}"}


@pytest.mark.parametrize(
    ("method", "url", "body", "names"),
    WRITES,
    ids=[f"{method} {url}" for method, url, _, _ in WRITES],
)
def test_api_names_refuse_hidden_characters_naming_the_field(
    client: FlaskClient,
    db: Session,
    world: World,
    method: str,
    url: str,
    body: dict[str, Any],
    names: list[str],
) -> None:
    headers = factories.auth_headers(db, world.users["admin"])
    url = url.format(member=world.members["BSU1"].id)
    for field in names:
        for char in HOSTILE:
            response = client.open(
                url, method=method, json=_with(body, field, char), headers=headers
            )
            assert response.status_code == 422, (field, hex(ord(char)))
            assert set(response.get_json()["errors"]) == {field}


def test_the_member_form_shows_the_error_next_to_the_name(
    client: FlaskClient, db: Session, world: World
) -> None:
    factories.login(client, "kasir")
    before = db.query(Member).count()
    response = client.post(
        "/members/new",
        data={
            "name": "Ani\u202eatas",
            "kind": "person",
            "csrf_token": factories.csrf_token(client, "/members/new"),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tanpa karakter kontrol, karakter tanpa lebar" in html
    assert db.query(Member).count() == before


def test_the_cli_refuses_hidden_characters_in_names(
    runner: FlaskCliRunner, db: Session, world: World
) -> None:
    result = runner.invoke(
        args=["users", "create", "ani", "--role", "admin", "--name", "A\u202eni"],
        input="correct-horse-9\ncorrect-horse-9\n",
    )
    assert result.exit_code == 1
    assert "--name" in result.output
    result = runner.invoke(args=["cities", "create", "KPG", "--name", "Kota\u200b"])
    assert result.exit_code == 1
    result = runner.invoke(
        args=["banks", "create", "BSU9", "--kind", "induk", "--name", "B\u2066"]
    )
    assert result.exit_code == 1
    assert db.query(Bank).filter_by(code="BSU9").count() == 0
