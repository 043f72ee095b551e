"""The DLH diversion dashboard (``/dlh/diversion``): who may open it, that its figures
are the diversion report's for the same period, and that every table downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.wastebank.test_spreadsheets import HOSTILE
from wastebank import demo, dlh_dashboard
from wastebank.access import SYSTEM
from wastebank.services import diversion

DATA = re.compile(
    r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S
)


@pytest.fixture
def demo_data(db: Session) -> None:
    """The demo: Ambon's banks and deposits, diversion profile, 14 days of tickets."""
    demo.load(db, password_method="pbkdf2:sha256:1000")
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
