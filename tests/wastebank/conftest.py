"""A small two-city world for scoping tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Route
from sqlalchemy.orm import Session

from tests import factories
from wastebank.models import Bank, Member, User


@dataclass
class World:
    induk: Bank
    unit: Bank
    sibling: Bank
    other_city_bank: Bank
    members: dict[str, Member]  # bank code -> one member
    users: dict[str, User]  # label -> user


@pytest.fixture
def world(db: Session) -> World:
    """Ambon: induk BSI with units BSU1 and BSU2; Mojokerto: one bank. Users of each role."""
    amb = factories.make_city(db, code="AMB", name="Kota Ambon")
    mjk = factories.make_city(
        db, code="MJK", name="Kota Mojokerto", timezone="Asia/Jakarta"
    )
    induk = factories.make_bank(db, code="BSI", kind="induk", city_code=amb.code)
    unit = factories.make_bank(db, code="BSU1", parent_code="BSI", city_code=amb.code)
    sibling = factories.make_bank(
        db, code="BSU2", parent_code="BSI", city_code=amb.code
    )
    other = factories.make_bank(db, code="MJK1", city_code=mjk.code)
    members = {
        b.code: factories.make_member(db, b, name=f"Anggota {b.code}")
        for b in (induk, unit, sibling, other)
    }
    users = {
        "admin": factories.make_user(db, username="admin", role="admin"),
        "dlh": factories.make_user(db, username="dlh", role="dlh", city_code="AMB"),
        "dlh_other_city": factories.make_user(
            db, username="dlh2", role="dlh", city_code="MJK"
        ),
        "induk_manager": factories.make_user(
            db, username="mi", role="manager", bank_code="BSI"
        ),
        "unit_manager": factories.make_user(
            db, username="mu", role="manager", bank_code="BSU1"
        ),
        "cashier": factories.make_user(
            db, username="kasir", role="cashier", bank_code="BSU1"
        ),
        "driver": factories.make_user(
            db, username="sopir", role="driver", city_code="AMB"
        ),
    }
    db.commit()
    return World(induk, unit, sibling, other, members, users)


@pytest.fixture
def counter_world(db: Session, world: World) -> World:
    """The world plus a catalogue: the induk's price list with bounds, a unit override."""
    import datetime as dt

    from wastebank import services
    from wastebank.access import SYSTEM

    for code, name, material, unit in [
        ("PET", "Botol PET bening", "plastic", "kg"),
        ("KARDUS", "Kardus", "paper", "kg"),
        ("JELANTAH", "Minyak jelantah", "used_cooking_oil", "litre"),
        ("TEMBAGA", "Tembaga", "metal", "kg"),
        ("KACA", "Botol kaca", "glass", "pcs"),
    ]:
        services.create_category(
            db,
            SYSTEM,
            code=code,
            name_id=name,
            name_en=name,
            material=material,
            unit=unit,
        )
    long_ago = dt.date(2020, 1, 1)
    services.set_price(
        db,
        SYSTEM,
        "BSI",
        "PET",
        price_rp=3000,
        effective_from=long_ago,
        floor_rp=2000,
        ceiling_rp=5000,
    )
    services.set_price(
        db, SYSTEM, "BSI", "KARDUS", price_rp=1100, effective_from=long_ago
    )
    services.set_price(
        db, SYSTEM, "BSI", "JELANTAH", price_rp=4000, effective_from=long_ago
    )
    services.set_price(
        db, SYSTEM, "BSI", "TEMBAGA", price_rp=50000, effective_from=long_ago
    )
    services.set_price(
        db, SYSTEM, "BSU1", "PET", price_rp=3500, effective_from=long_ago
    )
    # KACA deliberately has no price anywhere.
    db.commit()
    return world


DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A desktop browser in Indonesian, cut off from the internet (no map tiles).

    Its clock is on WIB, as an office PC in Jakarta or one set up by a vendor may
    be: the pages must show Ambon's times in WIT whatever the PC's zone.
    """
    context = browser.new_context(**DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta")

    def offline(route: Route) -> None:
        route.abort()

    context.route(re.compile(r"https?://(?!127\.0\.0\.1).*"), offline)
    page = context.new_page()
    yield page
    context.close()
