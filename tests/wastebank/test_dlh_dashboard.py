"""The DLH diversion dashboard (``/dlh/diversion``): who may open it, that its figures
are the diversion report's for the same period, the table by district (kecamatan), the
Indonesian names of pathways and materials, and that every table downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing import services as routing_services
from tests import factories
from tests.routing.conftest import (
    WIT,
    add_bin,
    ambon_garage,
    offset,
    plan_and_dispatch,
)
from tests.wastebank.conftest import World
from tests.wastebank.test_spreadsheets import HOSTILE
from wastebank import demo, dlh_dashboard, services
from wastebank.access import SYSTEM
from wastebank.extensions import db as app_db
from wastebank.services import diversion

DATA = re.compile(
    r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S
)


#: The demo's rows per database, loaded once per test session and copied back for
#: each test: loading it runs the services (password hashes, sensor readings, a route
#: plan) and takes about 3 s, copying it a fraction of that.
_DEMO_ROWS: dict[str, list[tuple[sa.Table, list[dict[str, Any]]]]] = {}


@pytest.fixture
def demo_data(db: Session) -> None:
    """The demo: Ambon's banks and deposits, diversion profile, 14 days of tickets."""
    bind = db.get_bind()
    saved = _DEMO_ROWS.get(str(bind.url))
    if saved is None:
        demo.load(db, password_method="pbkdf2:sha256:1000")
        db.commit()
        _DEMO_ROWS[str(bind.url)] = [
            (
                table,
                [
                    dict(row._mapping)
                    for row in db.execute(
                        table.select().order_by(*table.primary_key.columns)
                    )
                ],
            )
            for table in app_db.metadata.sorted_tables
        ]
        return
    for table, rows in saved:
        if rows:
            db.execute(table.insert(), rows)
    if bind.dialect.name == "postgresql":
        # Rows came with their ids: move each id sequence past them.
        for table, rows in saved:
            (key, *more) = table.primary_key.columns
            if rows and not more and isinstance(key.type, sa.Integer):
                db.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                    {
                        "t": table.name,
                        "c": key.name,
                        "n": max(r[key.name] for r in rows),
                    },
                )
    db.commit()


def _period() -> tuple[dt.date, dt.date]:
    """About six weeks ending today in Ambon, within the year: one or two months."""
    today = dt.datetime.now(ZoneInfo("Asia/Jayapura")).date()
    return max(today - dt.timedelta(days=40), today.replace(month=1, day=1)), today


def _data(html: str) -> dict[str, Any]:
    match = DATA.search(html)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _report(date_from: dt.date, date_to: dt.date) -> diversion.DiversionReport:
    from wastebank.extensions import db

    return diversion.diversion_report(
        db.session, SYSTEM, city_code="AMB", date_from=date_from, date_to=date_to
    )


def _value(figure: diversion.Figure) -> float | None:
    return None if figure.value is None else float(figure.value)


# -- who may open it --------------------------------------------------------------------------
def test_an_anonymous_visitor_is_sent_to_the_login(client: FlaskClient) -> None:
    response = client.get("/dlh/diversion")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("who", ["kasir.bsu01", "manajer.bsu01", "sopir.1"])
def test_only_dlh_and_admin_may_open_the_dashboard(
    client: FlaskClient, demo_data: None, who: str
) -> None:
    factories.login(client, who, demo.DEMO_PASSWORD)
    assert client.get("/dlh/diversion?city=AMB").status_code == 403
    assert client.get("/dlh/diversion/months.csv?city=AMB").status_code == 403


def test_a_dlh_sees_its_own_city_whatever_it_asks(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.mojokerto", demo.DEMO_PASSWORD)
    page = client.get("/dlh/diversion?city=AMB").get_data(as_text=True)
    assert "Mojokerto" in page
    assert "Ambon" not in page


def test_an_admin_picks_a_city(client: FlaskClient, demo_data: None) -> None:
    factories.login(client, "admin", demo.DEMO_PASSWORD)
    choose = client.get("/dlh/diversion")
    assert choose.status_code == 200
    assert 'id="cities"' in choose.get_data(as_text=True)
    page = client.get("/dlh/diversion?city=AMB")
    assert page.status_code == 200
    assert "Ambon" in page.get_data(as_text=True)


def test_the_control_room_links_to_the_dashboard(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    page = client.get("/dlh").get_data(as_text=True)
    assert 'href="/dlh/diversion?city=AMB"' in page
    assert "Dasbor diversi" in page  # Indonesian first


def test_a_bad_date_or_table_is_refused(client: FlaskClient, demo_data: None) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    assert client.get("/dlh/diversion?from=kemarin").status_code == 400
    assert client.get("/dlh/diversion/other.csv").status_code == 404
    assert client.get("/dlh/diversion/months.pdf").status_code == 404


# -- the figures ------------------------------------------------------------------------------
def test_the_figures_are_the_reports_for_the_same_period(
    client: FlaskClient, demo_data: None
) -> None:
    date_from, date_to = _period()
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    response = client.get(
        f"/dlh/diversion?from={date_from.isoformat()}&to={date_to.isoformat()}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = _data(html)
    report = _report(date_from, date_to)

    shown = {item["key"]: item for item in data["headlines"]}
    expected = dlh_dashboard.headline_figures(report)
    assert [item["key"] for item in data["headlines"]] == [f.key for f in expected]
    for key in (
        "bank_intake_kg",
        "tpa_delivered_kg",
        "diversion_rate_pct",
        "airspace_saved_m3",
        "tpa_life_extension_yr",
        "ch4_avoided_t",
        "co2e_avoided_t",
        "jakstranas_reduction_pct",
        "jakstranas_handling_pct",
    ):
        assert key in shown
    assert any(key.startswith("energy_potential_kwh.") for key in shown)
    for figure in expected:
        item = shown[figure.key]
        assert item["value"] == _value(figure)
        assert (item["unit"], item["basis"]) == (figure.unit, figure.basis)
        # Every headline is on the page, with its basis in words.
        assert f'data-key="{figure.key}"' in html
    assert "perkiraan" in html and "terukur" in html

    spans = dlh_dashboard.month_spans(date_from, date_to)
    assert [row["month"] for row in data["months"]] == [
        start.strftime("%Y-%m") for start, _ in spans
    ]
    for row, (start, end) in zip(data["months"], spans, strict=True):
        monthly = _report(start, end)
        for key in dlh_dashboard.MONTH_KEYS:
            figure = monthly.figure(key)
            assert row["figures"][key]["value"] == _value(figure)
            assert row["figures"][key]["basis"] == figure.basis

    materials = {item["material"]: item["value"] for item in data["materials"]}
    assert materials == {
        f.key.removeprefix("bank_intake_kg.material."): _value(f)
        for f in report.figures
        if f.key.startswith("bank_intake_kg.material.")
    }
    assert materials  # the demo's deposits
    # The demo's tickets and deposits make a measured TPA mass and a diversion rate.
    assert shown["tpa_delivered_kg"]["basis"] == "measured"
    assert shown["diversion_rate_pct"]["value"] is not None


def test_month_spans_clip_the_period_to_calendar_months() -> None:
    assert dlh_dashboard.month_spans(dt.date(2026, 1, 20), dt.date(2026, 3, 5)) == [
        (dt.date(2026, 1, 20), dt.date(2026, 1, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 5)),
    ]


# -- the downloads ----------------------------------------------------------------------------
def _download(client: FlaskClient, table: str, extension: str) -> bytes:
    date_from, date_to = _period()
    response = client.get(
        f"/dlh/diversion/{table}.{extension}"
        f"?from={date_from.isoformat()}&to={date_to.isoformat()}"
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx_rows(body: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_page_links_a_csv_and_an_xlsx_of_each_table(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    page = client.get("/dlh/diversion").get_data(as_text=True)
    for table in ("figures", "months", "materials"):
        for extension in ("csv", "xlsx"):
            assert f"/dlh/diversion/{table}.{extension}?city=AMB" in page


def test_the_figures_download_is_the_reports_export(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    report = _report(*_period())
    keys = {figure.key for figure in report.figures}
    csv_rows = _csv_rows(_download(client, "figures", "csv"))
    assert csv_rows[0][1] == "Kode / Key"
    assert keys <= {row[1] for row in csv_rows[1:]}
    xlsx_rows = _xlsx_rows(_download(client, "figures", "xlsx"))
    assert keys <= {row[1] for row in xlsx_rows if len(row) > 1}


def test_the_months_download_has_a_row_per_month(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    spans = dlh_dashboard.month_spans(*_period())
    column = 3 + 2 * dlh_dashboard.MONTH_KEYS.index("tpa_delivered_kg")
    for rows in (
        _csv_rows(_download(client, "months", "csv")),
        _xlsx_rows(_download(client, "months", "xlsx")),
    ):
        assert rows[0][0] == "Bulan / Month"
        assert len(rows) == 1 + len(spans)
        for row, (start, end) in zip(rows[1:], spans, strict=True):
            assert row[0] == start.strftime("%Y-%m")
            tpa = _report(start, end).figure("tpa_delivered_kg")
            cell = row[column]
            assert (None if cell in ("", None) else float(cell)) == _value(tpa)


def test_the_materials_download_has_a_row_per_material(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    report = _report(*_period())
    expected = {
        f.key.removeprefix("bank_intake_kg.material."): _value(f)
        for f in report.figures
        if f.key.startswith("bank_intake_kg.material.")
    }
    for rows in (
        _csv_rows(_download(client, "materials", "csv")),
        _xlsx_rows(_download(client, "materials", "xlsx")),
    ):
        assert rows[0] == ["Bahan / Material", "Nilai / Value", "Satuan / Unit",
                           "Dasar / Basis"]  # fmt: skip
        assert {row[0]: float(row[1]) for row in rows[1:]} == expected


def test_new_downloads_keep_a_formula_as_text() -> None:
    header, rows = ["Bahan / Material"], [[HOSTILE, 1.5]]
    text = dlh_dashboard._csv(header, rows).decode("utf-8-sig")
    assert "'" + HOSTILE.replace('"', '""') in text
    sheet = openpyxl.load_workbook(
        io.BytesIO(dlh_dashboard._xlsx("t", header, rows))
    ).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == HOSTILE


def test_pathways_and_materials_are_shown_by_their_indonesian_names(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    html = client.get("/dlh/diversion").get_data(as_text=True)
    data = _data(html)
    labels = {item["key"]: item["label"] for item in data["headlines"]}
    assert labels["energy_potential_kwh.pathway.anaerobic_digestion"] == (
        "Potensi energi sampah yang masuk TPA: Digesti anaerobik (biogas)"
    )
    assert labels["energy_potential_kwh.pathway.incineration"].endswith(": Insinerasi")
    names = {item["material"]: item["label"] for item in data["materials"]}
    assert names["plastic"] == "Plastik" and names["paper"] == "Kertas"
    assert ">Plastik</td>" in html
    for code in ("anaerobic_digestion", "incineration", "plastic", "paper"):
        assert f">{code}<" not in html and f": {code}<" not in html
    # English for a visitor who picks it, from the same catalog.
    client.get("/lang/en")
    english = _data(client.get("/dlh/diversion").get_data(as_text=True))
    assert {item["material"]: item["label"] for item in english["materials"]}[
        "plastic"
    ] == "Plastic"


# -- by district --------------------------------------------------------------------------------
# Ambon in November 2026, by kecamatan. Banks: the induk BSI in Sirimau (2.25 kg copper
# and 5 L used cooking oil: 6.8 kg, estimated), BSU1 in Nusaniwe (12.5 kg PET; 7 kg on
# 1 December falls outside), BSU2 without a district (3 kg cardboard); MJK1 in
# Magersari (Mojokerto, 50 kg PET) must never show. Bins: AMB-S1 and AMB-S2 (too empty
# to plan) in Sirimau, AMB-N1 in Nusaniwe, AMB-X1 without a district, MJK-M1 in
# Magersari. Truck T1 collects on 20 November: AMB-S1 skipped then collected (counts),
# AMB-N1 collected then skipped (does not count), AMB-X1 collected (counts).
NOV_QUERY = "city=AMB&from=2026-11-01&to=2026-11-30"
_keys = itertools.count(1)


@dataclass
class DistrictWorld:
    demand_kg: dict[str, Decimal]  # bin code -> the planned demand of its stop


def _deposit(
    db: Session, world: World, bank: str, at: dt.datetime, *lines: tuple[str, str]
) -> None:
    services.record_deposit(
        db,
        SYSTEM,
        member_id=world.members[bank].id,
        lines=[services.DepositLineInput(code, Decimal(qty)) for code, qty in lines],
        idempotency_key=f"district-{next(_keys)}",
        request_hash="h",
        now=at,
    )


@pytest.fixture
def district_world(db: Session, counter_world: World) -> DistrictWorld:
    """The world of the comment above, committed."""
    for bank, bank_district in (
        ("BSI", "Sirimau"),
        ("BSU1", "Nusaniwe"),
        ("MJK1", "Magersari"),
    ):
        services.update_bank(db, SYSTEM, bank, {"district": bank_district})
    services.set_price(
        db, SYSTEM, "MJK1", "PET", price_rp=2500, effective_from=dt.date(2020, 1, 1)
    )
    _deposit(db, counter_world, "BSU1", _wit(11, 10, 10), ("PET", "12.5"))
    _deposit(db, counter_world, "BSU1", _wit(12, 1, 0, 30), ("PET", "7"))
    _deposit(
        db,
        counter_world,
        "BSI",
        _wit(11, 20, 9),
        ("TEMBAGA", "2.25"),
        ("JELANTAH", "5"),
    )
    _deposit(db, counter_world, "BSU2", _wit(11, 15, 8), ("KARDUS", "3"))
    _deposit(db, counter_world, "MJK1", _wit(11, 10, 8), ("PET", "50"))

    ambon_garage(db, ("T1",))
    bins: list[tuple[str, float, str | None, tuple[float, float], str]] = [
        ("AMB-S1", 95, "Sirimau", offset(0.002, 0.0), "AMB"),
        ("AMB-S2", 5, "Sirimau", offset(0.003, 0.0), "AMB"),
        ("AMB-N1", 95, "Nusaniwe", offset(-0.004, -0.002), "AMB"),
        ("AMB-X1", 95, None, offset(0.0, 0.004), "AMB"),
        ("MJK-M1", 95, "Magersari", offset(0.0, 0.0), "MJK"),
    ]
    for code, fill_pct, district, at, city in bins:
        add_bin(db, code, fill_pct=fill_pct, at=at, city=city).district = district
    db.commit()

    route = plan_and_dispatch(db)
    stops = {stop.bin.code: stop for stop in route.stops if stop.bin is not None}
    assert {"AMB-S1", "AMB-N1", "AMB-X1"} <= set(stops)
    driver = services.actor_for(counter_world.users["driver"])
    at_bin = dt.datetime(2026, 11, 20, 5, 30, tzinfo=WIT)
    for code, kind, minutes in (
        ("AMB-S1", "skipped", 0),
        ("AMB-S1", "collected", 20),
        ("AMB-N1", "collected", 5),
        ("AMB-N1", "skipped", 25),
        ("AMB-X1", "collected", 10),
    ):
        routing_services.record_stop_event(
            db,
            driver,
            stops[code].id,
            kind=kind,
            occurred_at=at_bin + dt.timedelta(minutes=minutes),
            reason="blocked" if kind == "skipped" else None,
            idempotency_key=f"{code}-{kind}",
            request_hash=f"{code}-{kind}",
        )
    db.commit()
    return DistrictWorld(
        {code: stop.demand_kg for code, stop in stops.items() if stop.demand_kg}
    )


def _wit(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Jayapura"))


def _rows(date_from: dt.date, date_to: dt.date) -> list[tuple[Any, ...]]:
    from wastebank.extensions import db

    return [
        (
            row.district,
            row.bank_intake_kg,
            row.bank_intake_basis,
            row.truck_collected_kg,
            row.truck_collected_basis,
            row.collected_stops,
            row.bins,
            row.banks,
        )
        for row in diversion.district_breakdown(
            db.session, SYSTEM, city_code="AMB", date_from=date_from, date_to=date_to
        )
    ]


def _expected(world: DistrictWorld) -> list[tuple[Any, ...]]:
    demand = world.demand_kg
    return [
        (
            "Nusaniwe",
            Decimal("12.500"),
            "measured",
            Decimal("0.000"),
            "estimated",
            0,
            1,
            1,
        ),
        (
            "Sirimau",
            Decimal("6.800"),  # 2.25 kg + 5 L x 0.91 kg/L
            "estimated",
            demand["AMB-S1"],
            "estimated",
            1,
            2,
            1,
        ),
        (None, Decimal("3.000"), "measured", demand["AMB-X1"], "estimated", 1, 1, 1),
    ]


def test_the_district_figures_are_bank_intake_and_collected_stop_demand(
    app: Flask, district_world: DistrictWorld
) -> None:
    with app.app_context():
        rows = _rows(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert rows == _expected(district_world)
        # The banks' column adds up to the report's intake: the same deposits.
        report = _report(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert sum(row[1] for row in rows) == report.figure("bank_intake_kg").value
        # Before the collection day: the banks' deposits of the 1st-19th, no truck.
        early = _rows(dt.date(2026, 11, 1), dt.date(2026, 11, 19))
        assert [(row[0], row[1], row[3], row[5]) for row in early] == [
            ("Nusaniwe", Decimal("12.500"), Decimal("0"), 0),
            ("Sirimau", Decimal("0"), Decimal("0"), 0),
            (None, Decimal("3.000"), Decimal("0"), 0),
        ]


def test_the_dashboard_shows_the_districts_of_its_own_city_only(
    client: FlaskClient, district_world: DistrictWorld
) -> None:
    factories.login(client, "dlh")
    response = client.get(f"/dlh/diversion?{NOV_QUERY}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = _data(html)
    assert [
        (
            row["district"],
            row["label"],
            row["bank_intake_kg"],
            row["truck_collected_kg"],
            row["collected_stops"],
            row["bins"],
            row["banks"],
        )
        for row in data["districts"]
    ] == [
        (
            district or None,
            district or "Tanpa kecamatan",
            float(bank_kg),
            float(truck_kg),
            stops,
            bins,
            banks,
        )
        for district, bank_kg, _, truck_kg, _, stops, bins, banks in _expected(
            district_world
        )
    ]
    assert 'id="districts-table"' in html and 'id="chart-districts"' in html
    assert "Tanpa kecamatan" in html and "Per kecamatan" in html
    assert "Magersari" not in html
    for extension in ("csv", "xlsx"):
        link = f"/dlh/diversion/districts.{extension}?{NOV_QUERY}"
        assert link.replace("&", "&amp;") in html


def test_the_district_table_downloads_as_csv_and_xlsx(
    client: FlaskClient, district_world: DistrictWorld
) -> None:
    factories.login(client, "dlh")
    expected = [
        [district or "Tanpa kecamatan", *rest]
        for district, *rest in _expected(district_world)
    ]
    csv_response = client.get(f"/dlh/diversion/districts.csv?{NOV_QUERY}")
    assert csv_response.status_code == 200
    disposition = csv_response.headers["Content-Disposition"]
    assert "diversi-districts-AMB-2026-11-01-2026-11-30.csv" in disposition
    rows = _csv_rows(csv_response.data)
    assert rows[0][0] == "Kecamatan / District"
    assert "(kg)" in rows[0][1] and "perkiraan / Collected by trucks" in rows[0][3]
    # kg with their 3 decimals, counts as integers.
    assert rows[1:] == [[str(cell) for cell in row] for row in expected]
    assert rows[1][1] == "12.500"

    xlsx_response = client.get(f"/dlh/diversion/districts.xlsx?{NOV_QUERY}")
    assert xlsx_response.status_code == 200
    sheet = _xlsx_rows(xlsx_response.data)
    assert sheet[0] == rows[0]
    assert [
        [row[0], Decimal(str(row[1])), row[2], Decimal(str(row[3])), *row[4:]]
        for row in sheet[1:]
    ] == expected


def test_another_citys_dlh_downloads_its_own_districts(
    client: FlaskClient, district_world: DistrictWorld
) -> None:
    factories.login(client, "dlh2")
    rows = _csv_rows(
        client.get(
            "/dlh/diversion/districts.csv?city=AMB&from=2026-11-01&to=2026-11-30"
        ).data
    )
    assert rows[1:] == [
        ["Magersari", "50.000", "measured", "0.000", "estimated", "0", "1", "1"]
    ]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=2026-11-30&to=2026-11-01", 422, "The period ends before it starts."),
        ("from=2025-12-01&to=2026-01-31", 422, "within one calendar year"),
        ("from=1%20November", 400, ""),
    ],
)
def test_a_bad_district_query_is_a_readable_error(
    client: FlaskClient,
    district_world: DistrictWorld,
    query: str,
    status: int,
    message: str,
) -> None:
    factories.login(client, "dlh")
    for path in ("/dlh/diversion", "/dlh/diversion/districts.csv"):
        response = client.get(f"{path}?city=AMB&{query}")
        assert response.status_code == status
        assert response.content_type.startswith("text/html")
        assert message in response.get_data(as_text=True)


def test_the_demo_banks_and_bins_line_up_by_district(
    client: FlaskClient, demo_data: None
) -> None:
    factories.login(client, "dlh.ambon", demo.DEMO_PASSWORD)
    data = _data(client.get("/dlh/diversion").get_data(as_text=True))
    rows = {row["district"]: row for row in data["districts"]}
    assert set(rows) == {
        "Leitimur Selatan",
        "Nusaniwe",
        "Sirimau",
        "Teluk Ambon",
        "Teluk Ambon Baguala",
    }
    # Each bank's kecamatan has bins too (the same spelling), and banks took waste in.
    assert all(row["bins"] > 0 for row in rows.values())
    assert sum(row["banks"] for row in rows.values()) == 5
    assert any(row["bank_intake_kg"] > 0 for row in rows.values())
