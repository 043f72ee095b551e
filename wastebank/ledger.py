"""Money rules of the counter (pure): line values, balances, holds, withdrawal fees.

Rupiah are integers. Quantities are :class:`~decimal.Decimal` in the category's unit (kg,
pcs or litre) with at most three decimals. A deposit line's value is rounded once, half up,
to whole rupiah; a deposit's total is the sum of its rounded lines, so the receipt adds up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

#: The largest quantity one deposit line may carry (1,000 kg / pcs / litres): more is a
#: typing error at the scale, not a delivery a counter receives.
MAX_LINE_QUANTITY = Decimal("1000")
QUANTITY_PLACES = Decimal("0.001")
#: What :func:`check_quantity` says by default about a line above its maximum, and about
#: a quantity that is not a number.
TOO_LARGE = "More than {maximum} in one line; split the delivery or check the scale."
NOT_A_NUMBER = "The quantity must be a number."


class FeeKind(StrEnum):
    """How a bank charges for a withdrawal (*potongan*)."""

    NONE = "none"
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True)
class FeeRule:
    """A bank's withdrawal fee: ``value`` is basis points for PERCENT, rupiah for FIXED."""

    kind: FeeKind = FeeKind.NONE
    value: int = 0


def line_value_rp(quantity: Decimal, price_rp: int) -> int:
    """The value of one deposit line, rounded half up to whole rupiah.

    :param quantity: amount in the category's unit, > 0, at most 3 decimals.
    :param price_rp: buying price per unit in rupiah, >= 0.
    :returns: quantity x price, rounded once.
    """
    return int((quantity * price_rp).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_quantity(
    quantity: Decimal,
    *,
    maximum: Decimal = MAX_LINE_QUANTITY,
    too_large: str = TOO_LARGE,
    not_a_number: str = NOT_A_NUMBER,
) -> str | None:
    """Why ``quantity`` cannot be a line, or None when it can.

    :param quantity: in the category's unit; it must be finite, > 0 and whole grams.
    :param maximum: the largest quantity allowed (a deposit line by default).
    :param too_large: the message when above ``maximum``; ``{maximum}`` is filled in.
    :param not_a_number: the message for NaN or infinity.
    """
    if not quantity.is_finite():
        return not_a_number
    if quantity <= 0:
        return "The quantity must be more than zero."
    if quantity > maximum:
        return too_large.format(maximum=maximum)
    if quantity != quantity.quantize(QUANTITY_PLACES):
        return "At most three decimals (grams)."
    return None


def fee_rp(amount_rp: int, rule: FeeRule) -> int:
    """The fee on a withdrawal of ``amount_rp`` (never more than the amount).

    :param amount_rp: the amount requested, > 0.
    :param rule: the bank's fee rule; percent in basis points (250 = 2.5 %).
    :returns: the fee in rupiah, percentages rounded half up.
    """
    if rule.kind is FeeKind.PERCENT:
        fee = int(
            (Decimal(amount_rp) * rule.value / 10_000).quantize(
                Decimal(1), ROUND_HALF_UP
            )
        )
    elif rule.kind is FeeKind.FIXED:
        fee = rule.value
    else:
        fee = 0
    return min(fee, amount_rp)


@dataclass(frozen=True)
class Position:
    """A member's savings: the ledger balance and what is held for pending withdrawals."""

    balance_rp: int
    held_rp: int

    @property
    def available_rp(self) -> int:
        """What may still be withdrawn or reversed: balance minus holds."""
        return self.balance_rp - self.held_rp


def position(entries_rp: Iterable[int], holds_rp: Iterable[int]) -> Position:
    """Derive a member's position from ledger entry amounts and active hold amounts."""
    return Position(balance_rp=sum(entries_rp), held_rp=sum(holds_rp))


def running_balances(opening_rp: int, amounts_rp: Iterable[int]) -> list[int]:
    """The balance after each entry, starting from ``opening_rp`` (for statements)."""
    balances = []
    balance = opening_rp
    for amount in amounts_rp:
        balance += amount
        balances.append(balance)
    return balances


def format_rp(amount_rp: int) -> str:
    """``Rp12.500`` in the Indonesian way (dot as thousands separator)."""
    sign = "-" if amount_rp < 0 else ""
    return f"{sign}Rp{abs(amount_rp):,}".replace(",", ".")
