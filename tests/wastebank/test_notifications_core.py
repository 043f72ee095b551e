"""Pure rules of member notifications: phone numbers, texts, request bodies, retries."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from wastebank import notify
from wastebank.notify import Outcome


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 789", "+628123456789"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("006281234567890", "+6281234567890"),
        ("(0812) 3456.7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
    ],
)
def test_indonesian_mobile_numbers_become_e164(raw: str, expected: str) -> None:
    assert notify.normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "-",
        "tidak ada",
        "0812abc4567",
        "0911-312345",  # a landline in Ambon: no WhatsApp, no SMS
        "+1 415 555 0100",  # not Indonesian
        "+0812345678",
        "0812345",  # too short
        "08123456789012345",  # too long
        "０８１２３４５６７８９０",  # full-width digits
    ],
)
def test_junk_and_non_mobile_numbers_give_none(raw: str | None) -> None:
    assert notify.normalise_phone(raw) is None


def _deposit(**overrides: object) -> notify.DepositFacts:
    fields: dict[str, object] = {
        "bank_name": "Bank Sampah Hatiwe",
        "member_name": "Ibu Siti",
        "receipt_no": "BSU1-D000042",
        "total_rp": 12500,
        "weight_kg": Decimal("3.500"),
        "mode": "save",
        "balance_rp": 1234567,
    }
    fields.update(overrides)
    return notify.DepositFacts(**fields)  # type: ignore[arg-type]


def test_a_deposit_message_says_amount_weight_balance_and_receipt_in_indonesian() -> (
    None
):
    text = notify.deposit_message(_deposit())
    assert text == (
        "Halo Ibu Siti, setoran sampah Anda di Bank Sampah Hatiwe sudah dicatat. "
        "No. BSU1-D000042: 3,5 kg, Rp12.500 (ditabung). "
        "Saldo tabungan Anda sekarang Rp1.234.567. Terima kasih sudah memilah sampah!"
    )


def test_a_cash_deposit_without_weighed_lines_says_paid_in_cash_and_no_weight() -> None:
    text = notify.deposit_message(_deposit(mode="cash", weight_kg=Decimal("0")))
    assert "dibayar tunai" in text
    assert " kg" not in text


def test_the_sms_form_fits_one_sms() -> None:
    text = notify.deposit_message(_deposit(), short=True)
    assert text == (
        "Bank Sampah Hatiwe: setoran BSU1-D000042 3,5 kg, Rp12.500 (ditabung). "
        "Saldo Rp1.234.567."
    )
    assert len(text) <= 160


def test_a_payout_message_shows_the_fee_and_what_the_member_received() -> None:
    facts = notify.PayoutFacts(
        bank_name="Bank Sampah Hatiwe",
        member_name="Ibu Siti",
        receipt_no="BSU1-D000043",
        amount_rp=50000,
        fee_rp=1250,
        net_rp=48750,
        balance_rp=7500,
    )
    text = notify.payout_message(facts)
    assert "Rp50.000 (biaya Rp1.250, diterima Rp48.750)" in text
    assert text.endswith("Sisa saldo tabungan Anda Rp7.500.")
    short = notify.payout_message(facts, short=True)
    assert len(short) <= 160
    assert "Saldo Rp7.500" in short


def test_format_kg_uses_a_decimal_comma_and_drops_trailing_zeros() -> None:
    assert notify.format_kg(Decimal("12.500")) == "12,5 kg"
    assert notify.format_kg(Decimal("1000.000")) == "1000 kg"
    assert notify.format_kg(Decimal("0.125")) == "0,125 kg"


def test_the_default_body_carries_phone_and_message() -> None:
    body = json.loads(notify.render_body(None, "+6281234567890", "Halo"))
    assert body == {"phone": "+6281234567890", "message": "Halo"}


def test_a_template_is_filled_inside_strings_and_cannot_be_broken_by_the_text() -> None:
    template = {
        "target": "{phone_digits}",
        "data": {"text": "Info: {message}", "to": ["{phone}"]},
        "priority": 1,
    }
    tricky = 'He said "hi"}, "admin": true, {phone} \\ '
    body = json.loads(notify.render_body(template, "+6281234567890", tricky))
    assert body == {
        "target": "6281234567890",
        "data": {"text": f"Info: {tricky}", "to": ["+6281234567890"]},
        "priority": 1,
    }


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ({"phone": "{phone}", "message": "{message}"}, None),
        ({"target": "{phone_digits}", "text": "{message}"}, None),
        ({"phone": "{phone}"}, "{message}"),
        ({"message": "{message}"}, "{phone}"),
        ({}, "non-empty JSON object"),
        (["{phone}", "{message}"], "non-empty JSON object"),
    ],
)
def test_a_template_must_name_the_message_and_the_phone(
    template: object, problem: str | None
) -> None:
    found = notify.template_problem(template)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.SENT),
        (201, Outcome.SENT),
        (204, Outcome.SENT),
        (None, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (429, Outcome.RETRY),
        (408, Outcome.RETRY),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (404, Outcome.FAILED),
        (302, Outcome.FAILED),
    ],
)
def test_answers_are_classified_sent_retry_or_failed(
    status: int | None, outcome: Outcome
) -> None:
    assert notify.classify(status) is outcome


def test_backoff_is_1_5_30_120_minutes_then_give_up() -> None:
    now = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    delays = [notify.next_attempt_at(n, now) for n in range(1, 6)]
    assert [d - now if d else None for d in delays] == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(hours=2),
        None,
    ]


def test_retry_after_lengthens_the_delay_but_is_capped() -> None:
    now = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    assert notify.next_attempt_at(1, now, retry_after_s=10) == now + dt.timedelta(
        minutes=1
    )
    assert notify.next_attempt_at(1, now, retry_after_s=900) == now + dt.timedelta(
        minutes=15
    )
    assert notify.next_attempt_at(1, now, retry_after_s=10**9) == now + dt.timedelta(
        hours=6
    )
    assert notify.parse_retry_after("120") == 120
    assert notify.parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") is None
    assert notify.parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("host", "addresses", "allowed", "refused"),
    [
        ("api.fonnte.com", ["103.10.1.2"], (), False),
        (
            "api.fonnte.com",
            ["103.10.1.2", "10.0.0.1"],
            (),
            True,
        ),  # one private is enough
        ("localhost", ["127.0.0.1"], (), True),
        ("metadata", ["169.254.169.254"], (), True),
        ("v6", ["fe80::1%eth0"], (), True),
        ("v6", ["2001:4860:4860::8888"], (), False),
        ("gw.lan", ["192.168.1.9"], ("gw.lan",), False),  # the admin listed it
        ("GW.LAN.", ["192.168.1.9"], ("gw.lan",), False),
        ("a.wablas.com", ["103.1.1.1"], ("*.wablas.com",), False),
        ("wablas.com.evil.io", ["103.1.1.1"], ("*.wablas.com",), True),
        ("api.fonnte.com", ["103.10.1.2"], ("*.wablas.com",), True),  # not on the list
    ],
)
def test_gateway_hosts(
    host: str, addresses: list[str], allowed: tuple[str, ...], refused: bool
) -> None:
    problem = notify.gateway_host_problem(host, addresses, allowed)
    assert (problem is not None) is refused
    if refused:
        assert notify.ALLOWED_HOSTS_SETTING in problem  # type: ignore[operator]


def test_the_allow_list_setting_is_a_list_or_one_string() -> None:
    assert notify.allowed_hosts(None) == ()
    assert notify.allowed_hosts(" api.fonnte.com , *.Wablas.com.,") == (
        "api.fonnte.com",
        "*.wablas.com",
    )
    assert notify.allowed_hosts(["GW.lan"]) == ("gw.lan",)
