"""Demo data of the counter: the waste catalogue, Ambon's price list and past deposits.

Prices are the Maluku Tengah 2021 list (the one closest to Ambon) from
``reference/wastebank-domain.md`` §3, set on the induk BSI01 with a floor and ceiling so
its units can see the bounds; a few units pay their own price within them. The mandiri bank
BSU04 has no induk and keeps its own short list; Mojokerto's induk gets a Java-level list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from wastebank import services
from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike
from wastebank.models import WEEKDAYS

#: (code, name_id, name_en, SIPSN material class, unit)
CATEGORIES: list[tuple[str, str, str, str, str]] = [
    ("PET", "Botol PET bening", "Clear PET bottles", "plastic", "kg"),
    ("PET-WARNA", "Botol PET berwarna", "Coloured PET bottles", "plastic", "kg"),
    ("PP-GELAS", "Gelas plastik PP bersih", "Clean PP cups", "plastic", "kg"),
    ("HDPE", "Plastik keras / emberan", "HDPE and hard plastics", "plastic", "kg"),
    ("TUTUP-BOTOL", "Tutup botol", "Bottle caps", "plastic", "kg"),
    ("GALON", "Galon air bekas", "Water gallons", "plastic", "pcs"),
    ("KARDUS", "Kardus", "Cardboard", "paper", "kg"),
    ("HVS", "Kertas HVS / kantor", "Office paper", "paper", "kg"),
    ("KORAN", "Koran", "Newspaper", "paper", "kg"),
    ("BESI", "Besi", "Iron and steel", "metal", "kg"),
    ("KALENG", "Kaleng", "Cans", "metal", "kg"),
    ("ALUMINIUM", "Aluminium", "Aluminium", "metal", "kg"),
    ("TEMBAGA", "Tembaga", "Copper", "metal", "kg"),
    ("KUNINGAN", "Kuningan", "Brass", "metal", "kg"),
    ("BOTOL-KACA", "Botol kaca", "Glass bottles", "glass", "kg"),
    (
        "MINYAK-JELANTAH",
        "Minyak jelantah",
        "Used cooking oil",
        "used_cooking_oil",
        "litre",
    ),
]

#: Each category's price ceiling in Rp per unit (``max_price_rp``): five to ten times
#: the dearest price found for it, so no real price is refused. Prices found (Rp/kg):
#: Maluku Tengah DLH bank list (ambon.tribunnews.com, 2021-07-31: the induk prices
#: below); Bank Sampah USK, Banda Aceh (aceh.tribunnews.com, 2024-06-22: clean PET
#: 4,000, caps 4,000, cans 3,200, oil 4,000/litre); munasya.com and medcom.id bank
#: sampah guides (PP cups up to 6,000, HDPE 4,000-6,000); Pekanbaru (medcom.id, 2021:
#: cardboard 2,000, HVS 2,500, metal 4,000); scrap iron at lapak in Bogor 4,000-5,000
#: (Liputan6, 2025-05-19) and Bangka Selatan 5,300, aluminium 15,000
#: (kabarbabel.com, 2022-10-26); pengepul in Kota Metro: copper 85,000, brass 55,000,
#: aluminium 18,000 (jejamo.com, 2023-07-14); scrap copper 105,000-115,000 in 2025
#: (medialogam.com, "Harga Perkilo Tembaga 2025"); used cooking oil 3,500-5,000 per
#: litre (tempo.co, 2024-08-05), 12,000/kg to a large collector in Medan (riau24.com).
MAX_PRICES_RP: dict[str, int] = {
    "PET": 25_000,
    "PET-WARNA": 20_000,
    "PP-GELAS": 40_000,
    "HDPE": 40_000,
    "TUTUP-BOTOL": 30_000,
    "GALON": 40_000,  # per piece
    "KARDUS": 15_000,
    "HVS": 20_000,
    "KORAN": 10_000,
    "BESI": 40_000,
    "KALENG": 30_000,
    "ALUMINIUM": 150_000,
    "TEMBAGA": 750_000,
    "KUNINGAN": 400_000,
    "BOTOL-KACA": 5_000,
    "MINYAK-JELANTAH": 60_000,  # per litre
}

#: BSI01's buying prices in Rp per unit (Maluku Tengah 2021; glass from Jakarta Barat
#: 2021 and used cooking oil from Banda Aceh 2024, the only sources for those two).
INDUK_PRICES_RP: dict[str, int] = {
    "PET": 1_500,
    "PET-WARNA": 1_200,
    "PP-GELAS": 5_000,
    "HDPE": 1_750,
    "TUTUP-BOTOL": 750,
    "GALON": 4_000,
    "KARDUS": 1_100,
    "HVS": 1_150,
    "KORAN": 700,
    "BESI": 2_000,
    "KALENG": 1_000,
    "ALUMINIUM": 2_000,
    "TEMBAGA": 50_000,
    "KUNINGAN": 30_000,
    "BOTOL-KACA": 250,
    "MINYAK-JELANTAH": 4_000,
}

#: Units that pay their own price, within BSI01's bounds (bank, category, Rp).
UNIT_OVERRIDES: list[tuple[str, str, int]] = [
    ("BSU01", "PET", 1_700),  # Batu Merah competes with a pengepul next door
    ("BSU02", "PP-GELAS", 4_500),
    ("BSU03", "KARDUS", 1_000),
]

#: The mandiri bank BSU04 has no induk: its own short list (Rp/kg).
MANDIRI_PRICES_RP = {"PET": 1_300, "KARDUS": 1_000, "BESI": 2_000, "KALENG": 1_000}

#: Mojokerto's induk, at Java prices (Bandung 2015 / Pontianak 2020 / Pekanbaru 2021).
MOJOKERTO_PRICES_RP = {
    "PET": 2_500,
    "PP-GELAS": 5_000,
    "KARDUS": 1_500,
    "HVS": 2_500,
    "BESI": 2_500,
    "ALUMINIUM": 7_000,
}

#: Prices hold from this date on, so past demo deposits find a price in force.
PRICES_FROM = dt.date(2025, 1, 1)

#: Banks with past deposits, and how many counter days back to fill.
DEPOSIT_BANKS = ("BSU01", "BSU02", "BSU03", "BSU21")
DEPOSIT_DAYS = 6

# What members typically bring: mostly plastic and paper, sometimes metal or oil.
_BASKETS: list[list[str]] = [
    ["PET", "PP-GELAS"],
    ["PET", "KARDUS", "HVS"],
    ["KARDUS", "KORAN"],
    ["PET-WARNA", "HDPE", "TUTUP-BOTOL"],
    ["KALENG", "BESI"],
    ["PET", "ALUMINIUM"],
    ["MINYAK-JELANTAH"],
    ["TEMBAGA"],
    ["BOTOL-KACA", "PET"],
]


def _bounds(price_rp: int) -> tuple[int, int]:
    """The induk's floor and ceiling: 60 % to 150 % of its own price, in whole Rp 50."""
    return (price_rp * 60 // 100 // 50 * 50, price_rp * 150 // 100 // 50 * 50)


def _quantity(rng: random.Random, code: str, unit: str) -> Decimal:
    if code in ("TEMBAGA", "KUNINGAN"):
        return Decimal(rng.randint(1, 15)) / 10  # 0.1 - 1.5 kg of cable or fittings
    if unit == "pcs":
        return Decimal(rng.randint(1, 4))
    if unit == "litre":
        return Decimal(rng.randint(2, 10)) / 2  # half-litre bottles of oil
    return Decimal(rng.randint(3, 120)) / 10  # 0.3 - 12 kg as weighed


def _counter_days(bank_days: list[str], count: int, today: dt.date) -> list[dt.date]:
    """The bank's last ``count`` opening days before ``today`` (every day if none)."""
    open_days = {WEEKDAYS.index(day) for day in bank_days} or set(range(7))
    days: list[dt.date] = []
    day = today - dt.timedelta(days=1)
    while len(days) < count:
        if day.weekday() in open_days:
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def load_counter(
    session: SessionLike, rng: random.Random, *, days: int = DEPOSIT_DAYS
) -> int:
    """Create the catalogue, the price lists and past deposits (flushes, never commits).

    Needs the demo banks and members of :func:`wastebank.demo.load`.

    :param rng: the demo's seeded generator, so the demo city is the same every time.
    :param days: how many past opening days of each bank get deposits.
    :returns: how many deposits were recorded.
    """
    units = {}
    for code, name_id, name_en, material, unit in CATEGORIES:
        services.create_category(
            session,
            SYSTEM,
            code=code,
            name_id=name_id,
            name_en=name_en,
            material=material,
            unit=unit,
            max_price_rp=MAX_PRICES_RP[code],
        )
        units[code] = unit
    for code, price_rp in INDUK_PRICES_RP.items():
        floor_rp, ceiling_rp = _bounds(price_rp)
        services.set_price(
            session,
            SYSTEM,
            "BSI01",
            code,
            price_rp=price_rp,
            effective_from=PRICES_FROM,
            floor_rp=floor_rp,
            ceiling_rp=ceiling_rp,
        )
    for bank_code, code, price_rp in UNIT_OVERRIDES:
        services.set_price(
            session,
            SYSTEM,
            bank_code,
            code,
            price_rp=price_rp,
            effective_from=PRICES_FROM,
        )
    for bank_code, prices in (
        ("BSU04", MANDIRI_PRICES_RP),
        ("BSI02", MOJOKERTO_PRICES_RP),
    ):
        for code, price_rp in prices.items():
            services.set_price(
                session,
                SYSTEM,
                bank_code,
                code,
                price_rp=price_rp,
                effective_from=PRICES_FROM,
            )

    recorded = 0
    now = dt.datetime.now(dt.UTC)
    for bank_code in DEPOSIT_BANKS:
        bank = services.get_bank(session, SYSTEM, bank_code)
        _bank, quotes = services.price_list(session, SYSTEM, bank_code)
        priced = {quote.category.code for quote in quotes}
        members, _total = services.search_members(
            session, SYSTEM, bank=bank_code, page_size=100
        )
        zone = ZoneInfo(bank.timezone)
        today = now.astimezone(zone).date()
        for day in _counter_days(bank.opening_days_list, days, today):
            # A morning session, 08:00-12:00 local: receipts numbered in time order.
            picked = rng.sample(members, k=min(len(members), rng.randint(3, 6)))
            times = sorted(
                dt.datetime.combine(
                    day, dt.time(8 + rng.randint(0, 3), rng.randint(0, 59)), zone
                )
                for _member in picked
            )
            for at, member in zip(times, picked, strict=True):
                basket = [c for c in rng.choice(_BASKETS) if c in priced]
                if not basket:
                    continue
                recorded += 1
                key = f"demo-{recorded}"
                services.record_deposit(
                    session,
                    SYSTEM,
                    member_id=member.id,
                    lines=[
                        services.DepositLineInput(
                            category=code, quantity=_quantity(rng, code, units[code])
                        )
                        for code in basket
                    ],
                    mode="cash" if rng.random() < 0.15 else "save",
                    idempotency_key=key,
                    request_hash=hashlib.sha256(key.encode()).hexdigest(),
                    now=at.astimezone(dt.UTC),
                )
    return recorded
