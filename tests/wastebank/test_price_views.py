"""The price list page: managers set prices there, each refusal next to its field."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import PriceRule

CSRF = factories.CSRF


def _post(client: FlaskClient, bank: str, **fields: str) -> object:
    page = client.get(f"/banks/{bank}/prices").get_data(as_text=True)
    csrf = CSRF.search(page)
    assert csrf
    return client.post(
        f"/banks/{bank}/prices", data={"csrf_token": csrf.group(1), **fields}
    )


def _rules(db: Session) -> int:
    db.rollback()  # a fresh snapshot: the requests wrote through their own sessions
    return db.scalar(sa.select(sa.func.count()).select_from(PriceRule)) or 0


def _error_next_to(page: str, field: str) -> str:
    """The error shown right after the field's input, which points at it."""
    match = re.search(
        rf'<(?:input|select) name="{field}"[^>]*'
        rf'aria-describedby="price-{field}-error"[^>]*>.*?'
        rf'<span class="error" id="price-{field}-error">([^<]*)</span>',
        page,
        re.DOTALL,
    )
    assert match, f"no error next to {field}"
    return match.group(1)


def test_a_manager_sets_a_price_through_the_form(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.login(client, "mu")
    home = client.get("/banks/BSU1/backoffice").get_data(as_text=True)
    assert 'href="/banks/BSU1/prices"' in home
    response = _post(
        client, "BSU1", category="KARDUS", price="1.250", effective_from="2021-01-01"
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/banks/BSU1/prices").get_data(as_text=True)
    row = re.search(r'<tr data-category="KARDUS">(.*?)</tr>', page, re.DOTALL)
    assert row and "Rp1.250/kg" in row.group(1) and "BSU1" in row.group(1)


def test_a_price_above_the_catalogues_maximum_is_refused_next_to_the_price(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.login(client, "mi")
    before = _rules(db)
    response = _post(client, "BSI", category="PET", price="1.000.000.000.000")
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _error_next_to(page, "price").startswith(
        "Di atas batas tertinggi katalog untuk jenis sampah ini: paling banyak Rp50.000"
    )
    assert 'value="1.000.000.000.000"' in page  # what was typed stays to be corrected
    ceiling = _post(client, "BSI", category="PET", price="3000", ceiling="60.000")
    assert ceiling.status_code == 422  # type: ignore[attr-defined]
    _error_next_to(ceiling.get_data(as_text=True), "ceiling")  # type: ignore[attr-defined]
    assert _rules(db) == before


def test_a_units_price_outside_the_induks_bounds_or_not_a_number_is_refused(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.login(client, "mu")
    before = _rules(db)
    outside = _post(client, "BSU1", category="PET", price="6000")  # BSI: 2000-5000
    page = outside.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _error_next_to(page, "price").startswith("Di luar batas bawah dan atas")
    words = _post(client, "BSU1", category="PET", price="tiga ribu")
    page = words.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _error_next_to(page, "price") == (
        "Masukkan jumlah dalam rupiah bulat, misalnya 1.500."
    )
    nothing = _post(client, "BSU1", price="3000")
    _error_next_to(nothing.get_data(as_text=True), "category")  # type: ignore[attr-defined]
    assert _rules(db) == before


def test_a_banks_own_manager_sees_the_approver_rule_read_only_and_who_changes_it(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.login(client, "mu")
    page = client.get("/banks/BSU1/prices").get_data(as_text=True)
    assert re.search(r'id="separate-approver-and-payer">ya<', page)
    assert "hanya admin atau pengelola BSI yang dapat" in page
    assert 'name="separate_approver_and_payer"' not in page


def test_only_managers_of_reachable_banks_open_the_price_page(
    client: FlaskClient, db: Session, counter_world: World
) -> None:
    factories.login(client, "kasir")
    assert client.get("/banks/BSU1/prices").status_code == 403
    factories.login(client, "mu")
    assert client.get("/banks/BSU2/prices").status_code == 404
    assert client.get("/banks/BSU1/prices").status_code == 200
