"""The cashier's counter pages, receipts and the public receipt check (HTTP level)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests import factories
from tests.wastebank.conftest import World
from wastebank import counter_forms, demo, services
from wastebank.access import SYSTEM
from wastebank.models import Deposit, LedgerEntry, WasteCategory, Withdrawal

CSRF = factories.CSRF
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _catalogue(db: Session) -> None:
    """PET and cardboard priced at the induk BSI (units inherit), copper at BSU1."""
    for code, name_id, name_en, material in (
        ("PET", "Botol PET bening", "Clear PET bottles", "plastic"),
        ("KARDUS", "Kardus", "Cardboard", "paper"),
        ("TEMBAGA", "Tembaga", "Copper", "metal"),
    ):
        services.create_category(
            db,
            SYSTEM,
            code=code,
            name_id=name_id,
            name_en=name_en,
            material=material,
            unit="kg",
        )
    since = dt.date(2026, 1, 1)
    services.set_price(db, SYSTEM, "BSI", "PET", price_rp=1500, effective_from=since)
    services.set_price(db, SYSTEM, "BSI", "KARDUS", price_rp=1100, effective_from=since)
    services.set_price(
        db, SYSTEM, "BSU1", "TEMBAGA", price_rp=50_000, effective_from=since
    )
    db.commit()


@pytest.fixture
def counter(db: Session, world: World, client: FlaskClient) -> FlaskClient:
    """The BSU1 cashier, logged in, with a priced catalogue."""
    _catalogue(db)
    factories.login(client, "kasir")
    return client


def _token(world: World, bank: str = "BSU1") -> str:
    card = world.members[bank].active_card
    assert card is not None
    return card.token


def _scan(client: FlaskClient, text: str) -> TestResponse:
    """What the scan box sends: the card code (or a number or name) in a POST body."""
    return client.post(
        "/counter/scan", data={"card": text, "csrf_token": factories.csrf_token(client)}
    )


def _form(client: FlaskClient, world: World) -> dict[str, str]:
    """The hidden fields of a freshly rendered counter page for BSU1's member."""
    page = client.get(f"/counter?member={world.members['BSU1'].id}").get_data(
        as_text=True
    )
    csrf, key = CSRF.search(page), KEY.search(page)
    assert csrf and key
    return {
        "csrf_token": csrf.group(1),
        "idempotency_key": key.group(1),
        "member": str(world.members["BSU1"].id),
    }


def _count(db: Session, model: type) -> int:
    db.rollback()  # a fresh snapshot: the requests wrote through their own sessions
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _deposit(
    client: FlaskClient, form: dict[str, str], lines: list[tuple[str, str]]
) -> object:
    return client.post(
        "/counter/deposits",
        data={
            **form,
            "mode": "save",
            "category": [code for code, _quantity in lines],
            "quantity": [quantity for _code, quantity in lines],
        },
    )


# -- access -----------------------------------------------------------------------------
def test_counter_needs_a_login(client: FlaskClient, world: World) -> None:
    response = client.get("/counter")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_counter_is_for_cashiers_and_managers(
    client: FlaskClient, world: World
) -> None:
    for username, status in [
        ("kasir", 200),
        ("mu", 200),
        ("mi", 200),
        ("dlh", 403),
        ("sopir", 403),
    ]:
        browser = client.application.test_client()
        factories.login(browser, username)
        assert browser.get("/counter").status_code == status, username
        page = browser.get("/", follow_redirects=True).get_data(as_text=True)
        match = CSRF.search(page)  # the log-out form's token
        assert match
        posted = browser.post("/counter/deposits", data={"csrf_token": match.group(1)})
        assert posted.status_code == (422 if status == 200 else 403), username


def test_cashiers_start_at_the_counter(counter: FlaskClient) -> None:
    response = counter.get("/")
    assert response.status_code == 302
    assert response.location == "/counter"
    page = counter.get("/counter").get_data(as_text=True)
    assert "Pindai kartu nasabah" in page
    assert 'href="/counter">Kasir</a>' in page  # the nav link


# -- scanning -------------------------------------------------------------------------------
def test_scanning_a_card_opens_the_member_panel_with_the_price_list(
    counter: FlaskClient, world: World
) -> None:
    scanned = _token(world).lower()  # a scanner with caps lock off
    response = _scan(counter, scanned)
    # POST/redirect/GET: the member's page has the member's id in its URL, not the card.
    assert response.status_code == 303
    assert response.location == f"/counter?member={world.members['BSU1'].id}"
    response = counter.get(response.location)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Anggota BSU1" in page
    assert world.members["BSU1"].member_no in page
    assert 'id="member-balance">Rp0<' in page
    # Inherited from the induk, and the unit's own copper price.
    assert 'data-price="1500"' in page and "Botol PET bening · Rp1.500/kg" in page
    assert 'data-price="50000"' in page


def test_another_banks_card_is_not_found(
    counter: FlaskClient, db: Session, world: World
) -> None:
    response = _scan(counter, _token(world, "BSU2"))
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Tidak ada nasabah dengan kartu, nomor atau nama ini" in page
    assert "Anggota BSU2" not in page
    # Nor can a forged form credit that bank's member.
    form = {**_form(counter, world), "member": str(world.members["BSU2"].id)}
    assert _deposit(counter, form, [("PET", "1")]).status_code == 404
    assert _count(db, Deposit) == 0


def test_a_member_id_beyond_any_table_opens_nobody(counter: FlaskClient) -> None:
    """It reached the database driver, which cannot bind it: a 500."""
    for member in ("99999999999999999999", "2147483648", "-1", "0"):
        response = counter.get(f"/counter?member={member}")
        assert response.status_code == 200, member
        assert 'name="member"' not in response.get_data(as_text=True)


def test_a_member_without_card_is_found_by_number(
    counter: FlaskClient, world: World
) -> None:
    member = world.members["BSU1"]
    response = _scan(counter, member.member_no)
    assert response.location == f"/counter?member={member.id}"
    page = counter.get(response.location).get_data(as_text=True)
    assert 'id="member-name">Anggota BSU1<' in page
    other = world.members["BSU2"].member_no
    missing = _scan(counter, other)
    assert missing.status_code == 404
    assert f'value="{other}"' in missing.get_data(as_text=True)  # kept to correct it


def test_a_scan_needs_the_sessions_csrf_token(
    counter: FlaskClient, world: World
) -> None:
    response = counter.post("/counter/scan", data={"card": _token(world)})
    assert response.status_code == 400


# -- deposits --------------------------------------------------------------------------------
def test_a_deposit_is_recorded_and_the_receipt_adds_up(
    counter: FlaskClient, db: Session, world: World
) -> None:
    form = _form(counter, world)
    response = _deposit(counter, form, [("PET", "2,5"), ("kardus", "1.5")])
    assert response.status_code == 303  # POST/redirect/GET
    assert re.fullmatch(r"/deposits/\d+/receipt", response.location)
    page = counter.get(response.location).get_data(as_text=True)
    # 2.5 kg x Rp1.500 + 1.5 kg x Rp1.100 = Rp3.750 + Rp1.650
    assert "Rp3.750" in page and "Rp1.650" in page
    assert 'id="receipt-total">Rp5.400<' in page
    assert "Anggota BSU1" in page and "Setoran dicatat." in page
    assert "Saldo setelah setoran ini" in page
    assert "WIT" in page  # the bank's time zone (Ambon)
    deposit = db.scalars(sa.select(Deposit)).one()
    # The verification link: the public URL, the code in the fragment.
    assert f"http://localhost/receipts/verify#{deposit.verify_code}" in page
    assert 'src="data:image/svg+xml;base64,' in page
    assert services.member_position(db, world.members["BSU1"].id).balance_rp == 5400


BAD_LINES: list[tuple[list[tuple[str, str]], str]] = [
    ([("XYZ", "1")], "Baris 1: Jenis sampah tidak ada di katalog."),
    ([("PET", "0")], "Baris 1: Jumlah harus lebih dari nol."),
    ([("PET", "-2")], "Baris 1: Jumlah harus lebih dari nol."),
    ([("PET", "2"), ("KARDUS", "1001")], "Baris 2: Paling banyak 1.000"),
    ([("PET", "dua")], "Baris 1: Jumlah harus berupa angka"),
    ([("PET", "1,2345")], "Baris 1: Paling banyak tiga desimal"),
    ([("", "")], "Tambahkan minimal satu baris"),
    ([("", "2")], "Baris 1: Pilih jenis sampah."),
]


def test_bad_deposit_lines_are_refused_readably_and_nothing_is_written(
    counter: FlaskClient, db: Session, world: World
) -> None:
    """Unknown category, zero, negative, absurd or malformed quantity, no lines."""
    for lines, message in BAD_LINES:
        response = _deposit(counter, _form(counter, world), lines)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, lines
        assert "Tidak ada yang disimpan." in page
        assert message in page, lines
        assert 'id="member-name">Anggota BSU1<' in page  # the panel stays open
        assert all(f'value="{quantity}"' in page for _code, quantity in lines)
    assert _count(db, Deposit) == 0
    assert _count(db, LedgerEntry) == 0


def test_an_empty_deposit_form_writes_nothing(
    counter: FlaskClient, db: Session, world: World
) -> None:
    form = _form(counter, world)
    response = counter.post("/counter/deposits", data=form)
    assert response.status_code == 422
    assert "Tambahkan minimal satu baris" in response.get_data(as_text=True)
    assert _count(db, Deposit) == 0


def test_replaying_the_same_form_records_once(
    counter: FlaskClient, db: Session, world: World
) -> None:
    form = _form(counter, world)
    first = _deposit(counter, form, [("PET", "2"), ("KARDUS", "3")])
    again = _deposit(counter, form, [("PET", "2.000"), ("KARDUS", "3")])
    assert first.status_code == again.status_code == 303
    assert again.location == first.location
    assert "sudah dicatat" in counter.get(again.location).get_data(as_text=True)
    assert _count(db, Deposit) == 1
    assert services.member_position(db, world.members["BSU1"].id).balance_rp == 6300

    # The same key with other lines is refused; a fresh key is offered.
    changed = _deposit(counter, form, [("PET", "5")])
    page = changed.get_data(as_text=True)
    assert changed.status_code == 409
    assert "Formulir ini sudah dipakai" in page
    assert form["idempotency_key"] not in page
    assert _count(db, Deposit) == 1


def test_cash_deposits_are_not_credited_and_show_in_the_day_totals(
    counter: FlaskClient, db: Session, world: World
) -> None:
    saved = _deposit(counter, _form(counter, world), [("PET", "2")])
    cash_form = {**_form(counter, world), "mode": "cash"}
    cash = counter.post(
        "/counter/deposits",
        data={**cash_form, "category": ["TEMBAGA"], "quantity": ["0,5"]},
    )
    assert saved.status_code == cash.status_code == 303
    assert "Dibayar tunai" in counter.get(cash.location).get_data(as_text=True)
    assert services.member_position(db, world.members["BSU1"].id).balance_rp == 3000
    page = counter.get("/counter").get_data(as_text=True)
    assert "Transaksi hari ini" in page
    totals = page[page.index('id="day-totals"') :]
    assert "<dd>2</dd>" in totals and "<dd>2,5 kg</dd>" in totals
    assert "<dd>Rp28.000</dd>" in totals
    assert 'id="cash-out">Rp25.000<' in totals


def test_receipts_are_scoped_and_offer_a4(
    counter: FlaskClient, client: FlaskClient, world: World
) -> None:
    location = _deposit(counter, _form(counter, world), [("PET", "1")]).location
    assert 'class="receipt-page paper-a4"' in counter.get(
        location + "?paper=a4"
    ).get_data(as_text=True)
    assert 'class="receipt-page paper-58"' in counter.get(location).get_data(
        as_text=True
    )
    counter.post(
        "/logout", data={"csrf_token": factories.csrf_token(counter, "/counter")}
    )
    factories.login(counter, "mu")  # BSU1's manager sees it
    assert counter.get(location).status_code == 200


def test_another_banks_cashier_cannot_open_a_receipt(
    counter: FlaskClient, db: Session, world: World
) -> None:
    location = _deposit(counter, _form(counter, world), [("PET", "1")]).location
    factories.make_user(db, username="kasir2", role="cashier", bank_code="BSU2")
    db.commit()
    counter.post(
        "/logout", data={"csrf_token": factories.csrf_token(counter, "/counter")}
    )
    factories.login(counter, "kasir2")
    assert counter.get(location).status_code == 404


# -- withdrawals ----------------------------------------------------------------------------
def test_a_withdrawal_request_holds_the_amount_and_prints_a_slip(
    counter: FlaskClient, db: Session, world: World
) -> None:
    _deposit(counter, _form(counter, world), [("TEMBAGA", "2")])  # Rp100.000
    form = _form(counter, world)
    form["idempotency_key"] = KEY.findall(
        counter.get(f"/counter?member={form['member']}").get_data(as_text=True)
    )[1]  # the second key on the page belongs to the withdrawal form
    response = counter.post(
        "/counter/withdrawals",
        data={**form, "amount": "Rp 60.000", "method": "cash", "note": ""},
    )
    assert response.status_code == 303
    assert re.fullmatch(r"/withdrawals/\d+/receipt", response.location)
    slip = counter.get(response.location).get_data(as_text=True)
    assert "Permintaan penarikan" in slip and "Rp60.000" in slip
    position = services.member_position(db, world.members["BSU1"].id)
    assert (position.balance_rp, position.held_rp) == (100_000, 60_000)

    too_much = counter.post(
        "/counter/withdrawals",
        data={**_withdrawal_form(counter, world), "amount": "50.000"},
    )
    assert too_much.status_code == 409
    assert "melebihi saldo yang tersedia" in too_much.get_data(as_text=True)
    assert _count(db, Withdrawal) == 1


def test_a_paid_withdrawal_has_a_receipt_and_counts_in_the_cash_box(
    counter: FlaskClient, client: FlaskClient, db: Session, world: World
) -> None:
    _deposit(counter, _form(counter, world), [("TEMBAGA", "2")])  # Rp100.000
    slip = counter.post(
        "/counter/withdrawals",
        data={**_withdrawal_form(counter, world), "amount": "40000"},
    ).location
    withdrawal = db.scalars(sa.select(Withdrawal)).one()
    manager = services.actor_for(world.users["unit_manager"])
    services.approve_withdrawal(db, manager, withdrawal.id)
    services.pay_withdrawal(
        db, services.actor_for(world.users["cashier"]), withdrawal.id
    )
    db.commit()
    receipt = counter.get(slip).get_data(as_text=True)
    assert "Bukti penarikan" in receipt and "Dibayar" in receipt
    assert "Saldo setelah penarikan ini" in receipt and "Rp60.000" in receipt
    page = counter.get("/counter").get_data(as_text=True)
    assert 'id="cash-out">Rp40.000<' in page
    check = client.application.test_client().post(
        "/receipts/verify", data={"code": withdrawal.verify_code}
    )
    text = check.get_data(as_text=True)
    assert check.status_code == 200
    assert "Penarikan" in text and "Rp40.000" in text and "A. B." in text


def test_the_counter_speaks_english_when_asked(
    counter: FlaskClient, world: World
) -> None:
    page = counter.get(
        f"/counter?member={world.members['BSU1'].id}",
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "Scan the member card" in page and "Confirm deposit" in page
    assert "Clear PET bottles · Rp1.500/kg" in page


def _withdrawal_form(client: FlaskClient, world: World) -> dict[str, str]:
    form = _form(client, world)
    page = client.get(f"/counter?member={form['member']}").get_data(as_text=True)
    form["idempotency_key"] = KEY.findall(page)[1]
    return form


def test_a_withdrawal_amount_must_be_rupiah(
    counter: FlaskClient, db: Session, world: World
) -> None:
    response = counter.post(
        "/counter/withdrawals",
        data={**_withdrawal_form(counter, world), "amount": "lima puluh"},
    )
    assert response.status_code == 422
    assert "Masukkan jumlah dalam rupiah" in response.get_data(as_text=True)
    assert _count(db, Withdrawal) == 0


def test_a_withdrawal_whose_fee_leaves_nothing_is_refused_next_to_the_amount(
    counter: FlaskClient, db: Session, world: World
) -> None:
    _deposit(counter, _form(counter, world), [("TEMBAGA", "1")])  # Rp50.000
    services.update_counter_settings(
        db, SYSTEM, "BSU1", {"fee_kind": "fixed", "fee_value": 5000}
    )
    db.commit()
    response = counter.post(
        "/counter/withdrawals",
        data={**_withdrawal_form(counter, world), "amount": "5.000"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    amount = re.search(r'<input name="amount"[^>]*>\s*<span[^>]*>([^<]*)</span>', page)
    assert amount, "no error next to the amount"
    assert 'aria-describedby="withdrawal-amount-error"' in amount.group(0)
    assert amount.group(1).startswith("Biaya mengambil seluruh jumlah")
    assert _count(db, Withdrawal) == 0


def test_a_deposit_at_a_price_above_the_catalogues_maximum_is_refused(
    counter: FlaskClient, db: Session, world: World
) -> None:
    db.execute(
        sa.update(WasteCategory)
        .where(WasteCategory.code == "PET")
        .values(max_price_rp=1000)
    )
    db.commit()
    response = _deposit(counter, _form(counter, world), [("KARDUS", "1"), ("PET", "1")])
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Baris 2: Harga jenis sampah ini di atas batas tertinggi katalog" in page
    assert _count(db, Deposit) == 0


# -- public verification ---------------------------------------------------------------------
def test_the_public_receipt_check_shows_only_bank_date_total_and_initials(
    counter: FlaskClient, client: FlaskClient, db: Session, world: World
) -> None:
    member = world.members["BSU1"]
    services.update_member(db, SYSTEM, member.id, {"name": "Elisabeth Sahetapy"})
    db.commit()
    _deposit(counter, _form(counter, world), [("PET", "2"), ("KARDUS", "1")])
    deposit = db.scalars(sa.select(Deposit)).one()
    anonymous = client.application.test_client()
    # No CSRF token: a stranger's phone opens the link without a session.
    response = anonymous.post(
        "/receipts/verify", data={"code": deposit.verify_code.lower()}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bank Sampah Uji" in page  # the bank
    assert 'id="verify-total"><strong>Rp4.100<' in page
    assert 'id="verify-initials">E. S.<' in page
    assert "WIT" in page  # the date, in the bank's zone
    assert "Elisabeth" not in page and "Sahetapy" not in page
    assert member.member_no not in page
    assert deposit.receipt_no not in page
    assert "noindex" in page


def test_receipts_printed_before_are_checked_at_their_old_link(
    counter: FlaskClient, client: FlaskClient, db: Session, world: World
) -> None:
    _deposit(counter, _form(counter, world), [("PET", "2")])
    deposit = db.scalars(sa.select(Deposit)).one()
    response = client.application.test_client().get(f"/r/{deposit.verify_code}")
    assert response.status_code == 200
    assert 'id="verify-total"><strong>Rp3.000<' in response.get_data(as_text=True)


def test_the_check_page_is_a_form_for_the_code_in_the_fragment(
    client: FlaskClient,
) -> None:
    page = client.get("/receipts/verify").get_data(as_text=True)
    assert 'action="/receipts/verify"' in page and 'name="code"' in page
    assert "/static/js/verify.js" in page


def test_an_unknown_receipt_code_gives_a_readable_404(client: FlaskClient) -> None:
    for code in ("0" * 26, "not-a-code", ""):
        response = client.post("/receipts/verify", data={"code": code})
        assert response.status_code == 404
        assert "Tidak ada bukti dengan kode ini" in response.get_data(as_text=True)
    assert client.get(f"/r/{'0' * 26}").status_code == 404


# -- pure form rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("2,5", Decimal("2.5")),
        ("2.5", Decimal("2.5")),
        (" 1.500 ", Decimal("1.5")),  # as a scale shows one and a half kilograms
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("-1", Decimal("-1")),
        ("1e3", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_quantities_are_read_the_indonesian_way(
    text: str, quantity: Decimal | None
) -> None:
    assert counter_forms.parse_quantity(text) == quantity


def test_the_request_hash_ignores_how_a_quantity_was_typed() -> None:
    def load(quantity: str) -> str:
        args = counter_forms.DepositFormSchema().load(
            {
                "idempotency_key": "form-12345678",
                "member": "7",
                "category": ["pet"],
                "quantity": [quantity],
            }
        )
        return counter_forms.deposit_request_hash(
            args["member"], args["mode"], args["lines"]
        )

    assert load("2,5") == load("2.500") != load("2.6")


# -- demo data -------------------------------------------------------------------------------
def test_the_demo_counter_has_ambon_prices_and_past_deposits(db: Session) -> None:
    demo.load(db, password_method="pbkdf2:sha256:1000")  # includes the counter's demo
    db.commit()
    prices = {
        bank: {q.category.code: q for q in services.price_list(db, SYSTEM, bank)[1]}
        for bank in ("BSU01", "BSU02", "BSU04")
    }
    assert prices["BSU02"]["PET"].price_rp == 1500  # inherited from the induk
    assert prices["BSU02"]["PET"].source_bank_code == "BSI01"
    assert prices["BSU01"]["PET"].price_rp == 1700  # the unit's own, within bounds
    assert prices["BSU02"]["MINYAK-JELANTAH"].category.unit == "litre"
    assert "PP-GELAS" not in prices["BSU04"]  # the mandiri bank has its own short list
    deposits = list(db.scalars(sa.select(Deposit)))
    assert len(deposits) > 10
    # The passbook dates the demo credits when they were weighed, not when loaded.
    credits = {e.deposit_id: e.created_at for e in db.scalars(sa.select(LedgerEntry))}
    assert all(credits[d.id] == d.occurred_at for d in deposits if d.mode == "save")
    assert all(d.total_rp == sum(line.value_rp for line in d.lines) for d in deposits)
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(days=60) < d.occurred_at < now for d in deposits)
