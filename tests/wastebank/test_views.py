"""Server-rendered pages: language, login, CSRF, member form, card pages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.conftest import World
from wastebank.models import Member

CSRF = factories.CSRF


def test_anonymous_visit_lands_on_the_indonesian_login_page(
    client: FlaskClient,
) -> None:
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert '<html lang="id">' in page
    assert "Nama pengguna" in page and "Kata sandi" in page and "Masuk" in page


def test_browser_asking_for_english_gets_english_and_can_switch(
    client: FlaskClient,
) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(
        as_text=True
    )
    assert '<html lang="en">' in page and "Username" in page
    client.get("/lang/id?next=/login")
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Nama pengguna" in page  # the explicit choice wins over the browser


def test_login_with_wrong_password_shows_a_readable_message(
    client: FlaskClient, world: World
) -> None:
    response = client.post(
        "/login",
        data={
            "username": "kasir",
            "password": "salah",
            "csrf_token": factories.csrf_token(client),
        },
    )
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused_readably(
    client: FlaskClient, world: World
) -> None:
    response = client.post(
        "/login", data={"username": "kasir", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "Formulir sudah kedaluwarsa" in response.get_data(as_text=True)
    factories.login(client, "kasir")
    before = _count(client, world)
    refused = client.post("/members/new", data={"bank": "BSU1", "name": "Tanpa token"})
    assert refused.status_code == 400
    assert _count(client, world) == before


def _count(client: FlaskClient, world: World) -> int:
    from wastebank.extensions import db

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Member)) or 0


def test_cashier_registers_a_member_through_the_form(
    client: FlaskClient, world: World
) -> None:
    factories.login(client, "kasir")
    token = factories.csrf_token(client, "/members/new")
    response = client.post(
        "/members/new",
        data={
            "csrf_token": token,
            "bank": "BSU1",
            "name": "Marthen Huwae",
            "kind": "person",
            "phone": "",
            "nik": "",
            "rt": "004",
            "rw": "",
            "kelurahan": "Batu Merah",
        },
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Marthen Huwae" in page
    assert "AMB-BSU1-000002" in page
    assert "Nasabah Marthen Huwae terdaftar dengan nomor AMB-BSU1-000002." in page
    assert re.search(r'<img src="/members/\d+/card.png"', page)


def test_form_errors_are_shown_in_indonesian_and_nothing_is_saved(
    client: FlaskClient, world: World
) -> None:
    factories.login(client, "kasir")
    before = _count(client, world)
    response = client.post(
        "/members/new",
        data={
            "csrf_token": factories.csrf_token(client, "/members/new"),
            "bank": "BSU1",
            "name": "",
            "nik": "123",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Mohon perbaiki isian yang ditandai." in page
    assert "NIK harus tepat 16 angka." in page
    assert "Harus 1 sampai 120 karakter." in page  # the empty name
    assert _count(client, world) == before


def test_cashier_cannot_use_another_banks_code_in_the_form(
    client: FlaskClient, world: World
) -> None:
    factories.login(client, "kasir")
    before = _count(client, world)
    response = client.post(
        "/members/new",
        data={
            "csrf_token": factories.csrf_token(client, "/members/new"),
            "bank": "BSU2",
            "name": "X",
        },
    )
    assert response.status_code == 422
    assert _count(client, world) == before


def test_the_member_form_trims_what_people_type(
    client: FlaskClient, db: Session, world: World
) -> None:
    """Forms trim values and drop empty ones; the API takes them as sent (test_api)."""
    factories.login(client, "kasir")
    response = client.post(
        "/members/new",
        data={
            "csrf_token": factories.csrf_token(client, "/members/new"),
            "bank": " BSU1 ",
            "name": " Marthen Huwae ",
            "kind": "person",
            "nik": " 8171012345678901 ",
            "rt": " 004",
            "rw": "",
        },
    )
    assert response.status_code == 302
    member = db.query(Member).filter_by(name="Marthen Huwae").one()
    assert (member.nik, member.rt, member.rw) == ("8171012345678901", "004", None)


def test_member_pages_are_scoped(client: FlaskClient, world: World) -> None:
    factories.login(client, "kasir")
    assert client.get(f"/members/{world.members['BSU1'].id}").status_code == 200
    assert client.get(f"/members/{world.members['BSU2'].id}").status_code == 404
    assert (
        client.get(f"/members/{world.members['BSU2'].id}/card.png").status_code == 404
    )
    listing = client.get("/members").get_data(as_text=True)
    assert "Anggota BSU1" in listing and "Anggota BSU2" not in listing


def test_a_page_beyond_the_last_shows_the_first(
    client: FlaskClient, world: World
) -> None:
    """A page number past the database's OFFSET range was a 500."""
    factories.login(client, "kasir")
    for page in ("99999999999999999999", "0", "-3", "x"):
        response = client.get(f"/members?page={page}")
        assert response.status_code == 200, page
        assert "Anggota BSU1" in response.get_data(as_text=True), page


def test_pages_need_a_login(client: FlaskClient, world: World) -> None:
    response = client.get(f"/members/{world.members['BSU1'].id}")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_login_does_not_redirect_off_site(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/login?next=//evil.example/x",
        data={
            "username": "kasir",
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_token(client),
        },
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_driver_sees_their_own_start_page_and_no_member_register(
    client: FlaskClient, world: World
) -> None:
    factories.login(client, "sopir")
    assert "Rute saya" in client.get("/").get_data(as_text=True)
    assert client.get("/members").status_code == 403


@pytest.mark.parametrize("members", [3, 9])
def test_card_sheet_lays_out_eight_cards_per_a4_sheet(
    client: FlaskClient, db: Session, world: World, members: int
) -> None:
    for i in range(members - 1):  # the world has one member at BSU1 already
        factories.make_member(db, world.unit, name=f"Kartu {i}")
    db.commit()
    factories.login(client, "kasir")
    page = client.get("/banks/BSU1/cards").get_data(as_text=True)
    assert page.count('class="sheet"') == (members + 7) // 8
    assert page.count('class="id-card"') == members
    assert "AMB-BSU1-000001" in page
    assert client.get("/banks/BSU2/cards").status_code == 404


@pytest.mark.parametrize(
    ("username", "path"),
    [
        (None, "/login"),
        ("kasir", "/members/new"),
        ("kasir", "/account/password"),
        ("mu", "/banks/BSU1/members/import"),
        ("admin", "/users/kasir/password"),
    ],
)
def test_head_on_a_form_page_answers_like_get(
    client: FlaskClient, world: World, username: str | None, path: str
) -> None:
    """HEAD (monitoring, link checkers) is the page's GET without a body; it took the
    form's POST path and answered 422 with the form's errors."""
    if username:
        factories.login(client, username)
    assert client.get(path).status_code == 200
    head = client.head(path)
    assert head.status_code == 200
    assert head.get_data() == b""
