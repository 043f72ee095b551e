"""Pure money rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wastebank import ledger


@pytest.mark.parametrize(
    ("quantity", "price_rp", "value_rp"),
    [
        ("1.234", 1100, 1357),  # 1357.4
        ("0.5", 1001, 501),  # 500.5 rounds half up
        ("0.001", 400, 0),  # 0.4
        ("1000", 50000, 50_000_000),
        ("2.5", 0, 0),
    ],
)
def test_line_value_is_rounded_once_half_up(
    quantity: str, price_rp: int, value_rp: int
) -> None:
    assert ledger.line_value_rp(Decimal(quantity), price_rp) == value_rp


@pytest.mark.parametrize(
    ("quantity", "ok"),
    [
        ("0.001", True),
        ("1000", True),
        ("0", False),
        ("-1", False),
        ("1000.001", False),
        ("1.0001", False),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_quantity_rules(quantity: str, ok: bool) -> None:
    assert (ledger.check_quantity(Decimal(quantity)) is None) is ok


def test_quantity_rules_take_another_maximum_and_wording() -> None:
    """The back office's sale lines: up to 100 t, with their own messages."""
    rule = {
        "maximum": Decimal("100000"),
        "too_large": "At most {maximum} in one line.",
        "not_a_number": "The quantity must be more than zero.",
    }
    assert ledger.check_quantity(Decimal("100000"), **rule) is None
    assert ledger.check_quantity(Decimal("100000.001"), **rule) == (
        "At most 100000 in one line."
    )
    assert ledger.check_quantity(Decimal("NaN"), **rule) == rule["not_a_number"]
    assert ledger.check_quantity(Decimal("1001")) == (
        "More than 1000 in one line; split the delivery or check the scale."
    )


@pytest.mark.parametrize(
    ("amount", "rule", "fee"),
    [
        (40000, ledger.FeeRule(ledger.FeeKind.PERCENT, 250), 1000),
        (10001, ledger.FeeRule(ledger.FeeKind.PERCENT, 250), 250),  # 250.025
        (
            1000,
            ledger.FeeRule(ledger.FeeKind.FIXED, 2500),
            1000,
        ),  # never above the amount
        (1000, ledger.FeeRule(ledger.FeeKind.FIXED, 500), 500),
        (1000, ledger.FeeRule(), 0),
    ],
)
def test_fees(amount: int, rule: ledger.FeeRule, fee: int) -> None:
    assert ledger.fee_rp(amount, rule) == fee


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.lists(st.integers(-(10**6), 10**6), max_size=30))
def test_running_balances_end_at_opening_plus_sum(
    opening: int, amounts: list[int]
) -> None:
    balances = ledger.running_balances(opening, amounts)
    assert len(balances) == len(amounts)
    assert (balances[-1] if balances else opening) == opening + sum(amounts)


def test_rupiah_formatting() -> None:
    assert ledger.format_rp(12500) == "Rp12.500"
    assert ledger.format_rp(-1_000_000) == "-Rp1.000.000"
    assert ledger.format_rp(0) == "Rp0"
