"""Services of the waste catalogue every city shares, and its price ceilings.

A category's ``max_price_rp`` bounds every price per unit of it: a bank's buying price
(:func:`wastebank.services.counter.set_price`), the price a deposit is credited at, and
a sale's price per unit or lump amount. It catches typing errors (and worse) such as a
price in the billions; it is generous enough that no real price meets it. The catalogue
and its ceilings are changed by admins only, since every bank of every city uses them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from wastebank import ledger
from wastebank.access import Action, Actor
from wastebank.exceptions import DuplicateCode, PriceAboveMaximum
from wastebank.extensions import SessionLike
from wastebank.models import DEFAULT_MAX_PRICE_RP, WasteCategory
from wastebank.services.core import audit, find_category, require


def category_as_recorded(category: WasteCategory) -> dict[str, Any]:
    """The category's columns a deposit, sale or shipment line keeps as they were that
    day (the catalogue may rename a category later; the books do not change)."""
    return {
        "category_id": category.id,
        "category_code": category.code,
        "category_name": category.name_id,
        "material": category.material,
        "unit": category.unit,
    }


def create_category(
    session: SessionLike,
    actor: Actor,
    *,
    code: str,
    name_id: str,
    name_en: str,
    material: str,
    unit: str,
    max_price_rp: int | None = None,
) -> WasteCategory:
    """Add a waste category to the catalogue every city shares (admins only).

    :param max_price_rp: the ceiling on its price per unit; by default the material's
        (:data:`wastebank.models.DEFAULT_MAX_PRICE_RP`).
    :raises DuplicateCode: the code is taken.
    """
    require(actor, Action.CATEGORIES_WRITE)
    code = code.strip().upper()
    if session.scalar(sa.select(WasteCategory.id).where(WasteCategory.code == code)):
        raise DuplicateCode(
            f"A category with code {code} already exists.", field="code"
        )
    category = WasteCategory(
        code=code,
        name_id=name_id,
        name_en=name_en,
        material=material,
        unit=unit,
        max_price_rp=max_price_rp or DEFAULT_MAX_PRICE_RP[material],
    )
    session.add(category)
    session.flush()
    audit(
        session,
        actor,
        "category.create",
        category,
        after={"code": code, "max_price_rp": category.max_price_rp},
    )
    return category


def list_categories(session: SessionLike) -> list[WasteCategory]:
    """Every active category, by code."""
    return list(
        session.scalars(
            sa.select(WasteCategory)
            .where(WasteCategory.active.is_(True))
            .order_by(WasteCategory.code)
        )
    )


def set_max_price(
    session: SessionLike, actor: Actor, category_code: str, *, max_price_rp: int
) -> WasteCategory:
    """Change a category's price ceiling (admins only); audited as ``category.max_price``.

    Prices already in force above a lowered ceiling stay on record, but deposits at them
    are refused until a manager sets a price within it.

    :param max_price_rp: the new ceiling in rupiah per unit, > 0.
    :raises CategoryNotFound: no active category with that code.
    """
    require(actor, Action.CATEGORIES_WRITE)
    category = find_category(session, category_code)
    before = {"max_price_rp": category.max_price_rp}
    category.max_price_rp = max_price_rp
    session.flush()
    audit(
        session,
        actor,
        "category.max_price",
        category,
        before=before,
        after={"max_price_rp": max_price_rp},
    )
    return category


def _above_maximum(category: WasteCategory, field_name: str) -> PriceAboveMaximum:
    return PriceAboveMaximum(
        f"{category.code} is priced at most {ledger.format_rp(category.max_price_rp)} "
        f"per {category.unit} (the catalogue's ceiling; an admin changes it).",
        field=field_name,
        max_price_rp=category.max_price_rp,
    )


def check_price(category: WasteCategory, price_rp: int, *, field_name: str) -> None:
    """Refuse a price per unit above the category's ceiling.

    :raises PriceAboveMaximum: on ``field_name``.
    """
    if price_rp > category.max_price_rp:
        raise _above_maximum(category, field_name)


def check_amount(
    category: WasteCategory, quantity: Decimal, amount_rp: int, *, field_name: str
) -> None:
    """Refuse a lump amount for ``quantity`` whose price per unit is above the ceiling.

    :raises PriceAboveMaximum: on ``field_name``.
    """
    if amount_rp > quantity * category.max_price_rp:
        raise _above_maximum(category, field_name)
