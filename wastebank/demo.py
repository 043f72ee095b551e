"""The demo city: Ambon's DLH, an induk, units, members and users of each role.

Mojokerto is added with one induk and one unit so that city scoping can be seen
(Ambon's DLH does not see Mojokerto's banks) and a second time zone (WIB) is in play.
"""

from __future__ import annotations

import random
import secrets

from werkzeug.security import generate_password_hash

from routing import demo as routing_demo
from telemetry import demo as telemetry_demo
from wastebank import (
    demo_backoffice,
    demo_counter,
    demo_dispatch,
    demo_diversion,
    services,
)
from wastebank.access import SYSTEM
from wastebank.extensions import SessionLike

DEMO_PASSWORD = "sampah123"  # noqa: S105 - printed on purpose: demo data only

#: (username, role, bank code, city code, full name)
DEMO_USERS: list[tuple[str, str, str | None, str | None, str]] = [
    ("admin", "admin", None, None, "Administrator"),
    ("dlh.ambon", "dlh", None, "AMB", "Staf DLH Kota Ambon"),
    ("manajer.bsi", "manager", "BSI01", None, "Maria Latuconsina"),
    ("manajer.bsu01", "manager", "BSU01", None, "Johanis Pattiasina"),
    ("kasir.bsu01", "cashier", "BSU01", None, "Siti Rumra"),
    ("kasir.bsu02", "cashier", "BSU02", None, "Agus Tuhumury"),
    ("sopir.1", "driver", None, "AMB", "Yosef Manuhutu"),
    ("sopir.2", "driver", None, "AMB", "Hendrik Sapulette"),
    ("dlh.mojokerto", "dlh", None, "MJK", "Staf DLH Kota Mojokerto"),
]

# (code, name, kind, parent, city, address, district, lat, lon, opening days); the
# districts are kecamatan spelled as on the demo bins (telemetry.demo)
_BANKS = [
    (
        "BSI01",
        "Bank Sampah Induk Kota Ambon",
        "induk",
        None,
        "AMB",
        "Jl. Sultan Hasanuddin, Hative Kecil, Sirimau",
        "Sirimau",
        -3.6735,
        128.2064,
        ["mon", "wed", "fri"],
    ),
    (
        "BSU01",
        "Bank Sampah Unit Beta Bersih",
        "unit",
        "BSI01",
        "AMB",
        "Jl. Batu Merah Dalam, Batu Merah, Sirimau",
        "Sirimau",
        -3.6876,
        128.1917,
        ["sat"],
    ),
    (
        "BSU02",
        "Bank Sampah Unit Kudamati Hijau",
        "unit",
        "BSI01",
        "AMB",
        "Jl. Dr. Kayadoe, Kudamati, Nusaniwe",
        "Nusaniwe",
        -3.7104,
        128.1731,
        ["sun"],
    ),
    (
        "BSU03",
        "Bank Sampah Unit Passo Lestari",
        "unit",
        "BSI01",
        "AMB",
        "Jl. Raya Passo, Passo, Baguala",
        "Teluk Ambon Baguala",
        -3.6320,
        128.2520,
        ["sat", "sun"],
    ),
    (
        "BSU04",
        "Bank Sampah Mandiri Laha",
        "unit",
        None,
        "AMB",
        "Jl. Laksdya Leo Wattimena, Laha, Teluk Ambon",
        "Teluk Ambon",
        -3.7222,
        128.0902,
        ["sat"],
    ),
    (
        "BSI02",
        "Bank Sampah Induk Kota Mojokerto",
        "induk",
        None,
        "MJK",
        "Jl. Empunala, Balongsari, Magersari",
        "Magersari",
        -7.4705,
        112.4401,
        ["mon", "thu"],
    ),
    (
        "BSU21",
        "Bank Sampah Unit Surodinawan",
        "unit",
        "BSI02",
        "MJK",
        "Surodinawan, Prajuritkulon",
        "Prajurit Kulon",
        -7.4810,
        112.4190,
        ["sun"],
    ),
]

_FIRST = [
    "Yohana",
    "Abdul",
    "Marthen",
    "Fatimah",
    "Ronald",
    "Nur",
    "Elisabeth",
    "Hasan",
    "Sarah",
    "Rudy",
    "Wa Ode",
    "Daniel",
    "Aisyah",
    "Frans",
    "Ratna",
    "La Ode",
    "Melky",
    "Ida",
]
_LAST = [
    "Latuheru",
    "Pattimura",
    "Sahetapy",
    "Tuasikal",
    "Leiwakabessy",
    "Soumokil",
    "Wattimena",
    "Ohorella",
    "Huwae",
    "Rahanra",
    "Tanamal",
    "Lessy",
    "Makatita",
    "Papilaya",
]
_KELURAHAN = {
    "BSU01": ["Batu Merah", "Rijali", "Karang Panjang"],
    "BSU02": ["Kudamati", "Benteng", "Wainitu"],
    "BSU03": ["Passo", "Lateri", "Waiheru"],
    "BSU04": ["Laha", "Tawiri", "Hatiwe Besar"],
    "BSI01": ["Hative Kecil", "Galala"],
    "BSI02": ["Balongsari", "Magersari"],
    "BSU21": ["Surodinawan", "Prajuritkulon"],
}
_COLLECTIVES = [
    "Majelis Taklim Al-Ikhlas",
    "SD Negeri 2 Ambon",
    "Jemaat GPM Bethel",
    "Kantor Kelurahan",
    "PKK RW 03",
]


def load(
    session: SessionLike,
    *,
    password_method: str = "scrypt",  # noqa: S107 - a hash method name
) -> list[tuple[str, str, str]]:
    """Create the demo cities, banks, members, users, prices, deposits, bins, sensors,
    Ambon's fleet (garage, TPA Toisapu, trucks) and today's route plan, dispatched to
    the demo drivers with the first reports on the first route.

    Flushes, never commits.

    :returns: the demo logins as (username, password, role).
    """
    rng = random.Random(2026)  # the same demo city every time
    services.create_city(
        session,
        code="AMB",
        name="Kota Ambon",
        timezone="Asia/Jayapura",
        province="Maluku",
        dlh_name="Dinas Lingkungan Hidup dan Persampahan Kota Ambon",
    )
    services.create_city(
        session,
        code="MJK",
        name="Kota Mojokerto",
        timezone="Asia/Jakarta",
        province="Jawa Timur",
        dlh_name="Dinas Lingkungan Hidup Kota Mojokerto",
    )
    for code, name, kind, parent, city, address, district, lat, lon, days in _BANKS:
        services.create_bank(
            session,
            SYSTEM,
            code=code,
            name=name,
            kind=kind,
            parent_code=parent,
            city_code=city,
            address=address,
            district=district,
            latitude=lat,
            longitude=lon,
            opening_days=days,
        )
    for code, *_rest in _BANKS:
        count = 4 if code.startswith("BSI") else 12
        for i in range(count):
            collective = i % 6 == 5
            name = (
                rng.choice(_COLLECTIVES)
                if collective
                else f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            )
            services.register_member(
                session,
                SYSTEM,
                bank=code,
                name=name,
                kind="collective" if collective else "person",
                phone=f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
                address=f"Lorong {rng.randint(1, 12)}",
                rt=f"{rng.randint(1, 12):03d}",
                rw=f"{rng.randint(1, 8):03d}",
                kelurahan=rng.choice(_KELURAHAN[code]),
            )
    policy = services.PasswordPolicy(hash_method=password_method)
    for username, role, user_bank, user_city, full_name in DEMO_USERS:
        user = services.create_user(
            session,
            SYSTEM,
            username=username,
            password=secrets.token_urlsafe(16),
            role=role,
            bank_code=user_bank,
            city_code=user_city,
            full_name=full_name,
            policy=policy,
        )
        # The demo's one known password, printed at every start, breaks the password
        # rules on purpose (short and common): it is set here, past the rules, for the
        # demo users only. Every password set through the product meets the rules.
        user.password_hash = generate_password_hash(
            DEMO_PASSWORD, method=password_method
        )
    demo_counter.load_counter(session, rng)
    demo_backoffice.load_backoffice(session, rng)
    telemetry_demo.load(session)
    routing_demo.load(session)
    demo_diversion.load(session, rng)
    demo_dispatch.load(session)
    return demo_logins()


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo users' logins as (username, password, role)."""
    return [(username, DEMO_PASSWORD, role) for username, role, *_ in DEMO_USERS]
