"""The DLH diversion dashboard: the city's diversion report as figures, tables and charts.

``/dlh/diversion`` (same access as ``/dlh``: the DLH's own city, an admin any city with
``?city=AMB``, other roles 403) server-renders the headline figures of
:func:`wastebank.services.diversion.diversion_report` for the period ``from``..``to``
(local dates, one calendar year; default the last 30 days), a table by month, a table
by material and a table by district, and embeds the same rows as JSON for the charts
(``static/js/dlh_dashboard.js``, Chart.js vendored in ``static/vendor/chartjs``).

The report has no monthly breakdown: the table by month is the report run once per
calendar month of the period (clipped to the period), so every monthly figure is the
report's own.

The table by district is :func:`wastebank.services.diversion.district_breakdown`: per
kecamatan, as written on the city's banks (``Bank.district``) and bins
(``Bin.district``), the banks' intake (the report's own deposit query, grouped by the
bank's district), the truck collection **estimated** from the planned demand of the
bin stops reported collected, and the active bins and banks. Banks and bins without a
district make the row "Tanpa kecamatan".

Pathways and materials are shown by name in the page's language (:data:`PATHWAY_NAMES`,
:data:`MATERIAL_NAMES`, Indonesian in the catalog); the downloads keep the report's
codes.

``/dlh/diversion/<table>.<csv|xlsx>`` downloads a table: ``figures`` is the report's
own export (:mod:`wastebank.reports_export`); ``months``, ``materials`` and
``districts`` go through :mod:`wastebank.spreadsheets` like every export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from openpyxl import Workbook
from openpyxl.styles import Font

from wastebank import reports_export, services
from wastebank.access import Actor, Role
from wastebank.auth import ui_actor
from wastebank.extensions import db
from wastebank.fields import parse_date
from wastebank.messages import N_
from wastebank.models import City
from wastebank.services import diversion
from wastebank.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_text,
    xlsx_bytes,
)

bp = Blueprint("dlh_dashboard", __name__)

#: Days the dashboard shows when no period is asked for (ending today).
DEFAULT_DAYS = 30

#: Headline figures, in the order shown; energy and treatment keys are prefixes.
HEADLINE_KEYS: tuple[str, ...] = (
    "bank_intake_kg",
    "treatment_input_kg",
    "tpa_delivered_kg",
    "diverted_kg",
    "diversion_rate_pct",
    "airspace_saved_m3",
    "tpa_life_without_diversion_yr",
    "tpa_life_with_diversion_yr",
    "tpa_life_extension_yr",
    "ch4_avoided_t",
    "co2e_avoided_t",
    "energy_from_treatment_kwh.",
    "energy_potential_kwh.",
    "jakstranas_reduction_pct",
    "jakstranas_reduction_target_pct",
    "jakstranas_handling_pct",
    "jakstranas_handling_target_pct",
)

#: Columns of the table by month: report figure keys.
MONTH_KEYS: tuple[str, ...] = (
    "bank_intake_kg",
    "tpa_delivered_kg",
    "diverted_kg",
    "diversion_rate_pct",
    "airspace_saved_m3",
    "co2e_avoided_t",
    "jakstranas_reduction_pct",
    "jakstranas_handling_pct",
)

#: Names shown for the report's pathway codes (``energy_*_kwh.pathway.<code>``); N_
#: puts them in the catalog, :func:`_name` translates them for the page.
PATHWAY_NAMES: dict[str, str] = {
    "reduction": N_("Reduction at source"),
    "reuse": N_("Reuse"),
    "recycling": N_("Recycling"),
    "composting": N_("Composting"),
    "anaerobic_digestion": N_("Anaerobic digestion (biogas)"),
    "rdf": N_("Refuse-derived fuel (RDF)"),
    "incineration": N_("Incineration"),
    "other": N_("Other"),
}

#: Names shown for the material classes of the deposits (``wastebank.models.MATERIALS``).
MATERIAL_NAMES: dict[str, str] = {
    "plastic": N_("Plastic"),
    "paper": N_("Paper"),
    "metal": N_("Metal"),
    "glass": N_("Glass"),
    "rubber_leather": N_("Rubber and leather"),
    "textile": N_("Textile"),
    "organic": N_("Organic"),
    "used_cooking_oil": N_("Used cooking oil"),
    "e_waste": N_("E-waste"),
    "other": N_("Other"),
}

#: The district column of the downloads for banks and bins without one (the page
#: shows the translation of "No district", which is this in Indonesian).
NO_DISTRICT_EXPORT = "Tanpa kecamatan"

_MATERIAL_PREFIX = "bank_intake_kg.material."
_NAMED_PARTS = {".pathway.": PATHWAY_NAMES, ".material.": MATERIAL_NAMES}
_TABLES = ("figures", "months", "materials", "districts")


@dataclass(frozen=True)
class Period:
    city: City
    date_from: dt.date
    date_to: dt.date


# -- pages ------------------------------------------------------------------------------------
@bp.get("/dlh/diversion")
@login_required
def show_dashboard() -> Any:
    """The diversion dashboard of the DLH's own city (admin: ``?city=AMB``)."""
    _require_dlh_or_admin()
    if current_user.role == Role.ADMIN and not request.args.get("city", "").strip():
        return render_template(
            "wastebank/dlh_cities.html", cities=services.list_cities(db.session)
        )
    actor = ui_actor()
    period = _period(actor)
    report = _report(actor, period, period.date_from, period.date_to)
    months = monthly_rows(actor, period)
    materials = material_rows(report)
    districts = district_rows(actor, period)
    headlines = [_shown(figure) for figure in headline_figures(report)]
    return render_template(
        "wastebank/dlh_dashboard.html",
        city=period.city,
        report=report,
        date_from=period.date_from,
        date_to=period.date_to,
        headlines=headlines,
        month_keys=MONTH_KEYS,
        month_labels={key: _column_label(report, key) for key in MONTH_KEYS},
        months=months,
        materials=materials,
        districts=districts,
        chart_data={
            "headlines": headlines,
            "months": months,
            "materials": materials,
            "districts": districts,
            "jakstranas": _jakstranas(report),
        },
    )


@bp.get("/dlh/diversion/<string:table>.<string:extension>")
@login_required
def download_table(table: str, extension: str) -> Any:
    """One table of the dashboard as CSV or XLSX, for the same city and period."""
    _require_dlh_or_admin()
    if table not in _TABLES or extension not in ("csv", "xlsx"):
        abort(404)
    actor = ui_actor()
    period = _period(actor)
    report = _report(actor, period, period.date_from, period.date_to)
    if table == "figures":
        body = (
            reports_export.to_csv if extension == "csv" else reports_export.to_xlsx
        )(report)
        name = reports_export.filename(report, extension)
    else:
        if table == "months":
            header, rows = _months_table(report, monthly_rows(actor, period))
        elif table == "materials":
            header, rows = _materials_table(material_rows(report))
        else:
            header, rows = _districts_table(_districts(actor, period))
        body = _csv(header, rows) if extension == "csv" else _xlsx(table, header, rows)
        name = (
            f"diversi-{table}-{report.city_code}-{report.date_from.isoformat()}-"
            f"{report.date_to.isoformat()}.{extension}"
        )
    return Response(
        body,
        content_type=CSV_CONTENT_TYPE if extension == "csv" else XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- the figures ------------------------------------------------------------------------------
def headline_figures(report: diversion.DiversionReport) -> list[diversion.Figure]:
    """The report's headline figures in :data:`HEADLINE_KEYS` order."""
    out: list[diversion.Figure] = []
    for key in HEADLINE_KEYS:
        if key.endswith("."):
            out.extend(f for f in report.figures if f.key.startswith(key))
        else:
            out.extend(f for f in report.figures if f.key == key)
    return out


def month_spans(date_from: dt.date, date_to: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Each calendar month of ``date_from``..``date_to``, clipped to it."""
    spans = []
    start = date_from
    while start <= date_to:
        next_month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(date_to, next_month - dt.timedelta(days=1))
        spans.append((start, end))
        start = next_month
    return spans


def monthly_rows(actor: Actor, period: Period) -> list[dict[str, Any]]:
    """The report once per month of the period: its :data:`MONTH_KEYS` figures."""
    rows = []
    for start, end in month_spans(period.date_from, period.date_to):
        report = _report(actor, period, start, end)
        values = {}
        for key in MONTH_KEYS:
            figure = _figure(report, key)
            values[key] = {
                "value": _number(figure.value) if figure else None,
                "unit": figure.unit if figure else "",
                "basis": figure.basis if figure else diversion.NOT_AVAILABLE,
            }
        rows.append(
            {
                "month": start.strftime("%Y-%m"),
                "from": start.isoformat(),
                "to": end.isoformat(),
                "figures": values,
            }
        )
    return rows


def material_rows(report: diversion.DiversionReport) -> list[dict[str, Any]]:
    """Bank intake by material class (kg), as the report breaks it down."""
    rows = []
    for figure in report.figures:
        if not figure.key.startswith(_MATERIAL_PREFIX):
            continue
        material = figure.key.removeprefix(_MATERIAL_PREFIX)
        rows.append(
            {
                "material": material,
                "label": _name(MATERIAL_NAMES, material),
                "value": _number(figure.value),
                "unit": figure.unit,
                "basis": figure.basis,
            }
        )
    return rows


def district_rows(actor: Actor, period: Period) -> list[dict[str, Any]]:
    """The flows by district (kecamatan) as the page shows them and the charts read
    them: kg as numbers, the row without a district labelled "Tanpa kecamatan"."""
    return [
        {
            "district": row.district,
            "label": row.district if row.district is not None else _("No district"),
            "bank_intake_kg": _number(row.bank_intake_kg),
            "bank_intake_basis": row.bank_intake_basis,
            "truck_collected_kg": _number(row.truck_collected_kg),
            "truck_collected_basis": row.truck_collected_basis,
            "collected_stops": row.collected_stops,
            "bins": row.bins,
            "banks": row.banks,
        }
        for row in _districts(actor, period)
    ]


# -- helpers ----------------------------------------------------------------------------------
def _require_dlh_or_admin() -> None:
    if current_user.role not in (Role.DLH, Role.ADMIN):
        abort(403)


def _period(actor: Actor) -> Period:
    """The city and the asked-for period (default: the last 30 days within the year)."""
    city = services.control_room_city(
        db.session, actor, request.args.get("city", "").strip()
    )
    today = dt.datetime.now(ZoneInfo(city.timezone)).date()
    date_to = _date_arg("to") or today
    default_from = max(
        date_to - dt.timedelta(days=DEFAULT_DAYS - 1), date_to.replace(month=1, day=1)
    )
    return Period(city, _date_arg("from") or default_from, date_to)


def _date_arg(name: str) -> dt.date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValidationError:
        abort(400)


def _report(
    actor: Actor, period: Period, date_from: dt.date, date_to: dt.date
) -> diversion.DiversionReport:
    return diversion.diversion_report(
        db.session,
        actor,
        city_code=period.city.code,
        date_from=date_from,
        date_to=date_to,
    )


def _figure(report: diversion.DiversionReport, key: str) -> diversion.Figure | None:
    try:
        return report.figure(key)
    except KeyError:
        return None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _name(names: dict[str, str], code: str) -> str:
    """The translated name of a pathway or material code; an unknown code as it is."""
    return _(names[code]) if code in names else code


def _label(figure: diversion.Figure) -> str:
    """The figure's label in the page's language, a pathway or material by its name.

    The report appends the code (or an English phrase) to a breakdown's label, e.g.
    "Energi dari pengolahan: anaerobic_digestion"; here it becomes the name.
    """
    label = figure.label_id if str(get_locale()) == "id" else figure.label_en
    for part, names in _NAMED_PARTS.items():
        root, found, code = figure.key.partition(part)
        if found and root and code in names:
            return f"{label.rsplit(': ', 1)[0]}: {_name(names, code)}"
    return label


def _column_label(report: diversion.DiversionReport, key: str) -> str:
    figure = _figure(report, key)
    return _label(figure) if figure else key


def _shown(figure: diversion.Figure) -> dict[str, Any]:
    """A headline figure as the page shows it and the charts read it."""
    return {
        "key": figure.key,
        "label": _label(figure),
        "value": _number(figure.value),
        "unit": figure.unit,
        "basis": figure.basis,
        "source": figure.source,
    }


def _jakstranas(report: diversion.DiversionReport) -> dict[str, Any]:
    values = {}
    for key in (
        "jakstranas_reduction_pct",
        "jakstranas_reduction_target_pct",
        "jakstranas_handling_pct",
        "jakstranas_handling_target_pct",
    ):
        figure = _figure(report, key)
        values[key] = _number(figure.value) if figure else None
    return values


def _districts(actor: Actor, period: Period) -> list[diversion.DistrictRow]:
    return diversion.district_breakdown(
        db.session,
        actor,
        city_code=period.city.code,
        date_from=period.date_from,
        date_to=period.date_to,
    )


def _months_table(
    report: diversion.DiversionReport, months: list[dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    header = ["Bulan / Month", "Dari / From", "Sampai / To"]
    for key in MONTH_KEYS:
        figure = _figure(report, key)
        unit = figure.unit if figure else ""
        label = f"{figure.label_id} / {figure.label_en}" if figure else key
        header += [f"{label} ({unit})", f"Dasar / Basis: {key}"]
    rows = []
    for month in months:
        row: list[Any] = [month["month"], month["from"], month["to"]]
        for key in MONTH_KEYS:
            cell = month["figures"][key]
            row += [cell["value"], cell["basis"]]
        rows.append(row)
    return header, rows


def _materials_table(
    materials: list[dict[str, Any]],
) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Bahan / Material",
        "Nilai / Value",
        "Satuan / Unit",
        "Dasar / Basis",
    ]
    rows = [
        [item["material"], item["value"], item["unit"], item["basis"]]
        for item in materials
    ]
    return header, rows


def _districts_table(
    districts: list[diversion.DistrictRow],
) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Kecamatan / District",
        "Diterima bank sampah / Received by waste banks (kg)",
        "Dasar / Basis",
        "Diangkut truk, perkiraan / Collected by trucks, estimated (kg)",
        "Dasar / Basis",
        "Titik terangkut / Stops collected",
        "Tempat sampah aktif / Active bins",
        "Bank sampah aktif / Active waste banks",
    ]
    rows = [
        [
            row.district if row.district is not None else NO_DISTRICT_EXPORT,
            row.bank_intake_kg,
            row.bank_intake_basis,
            row.truck_collected_kg,
            row.truck_collected_basis,
            row.collected_stops,
            row.bins,
            row.banks,
        ]
        for row in districts
    ]
    return header, rows


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark and a decimal point, as the report's CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                ""
                if cell is None
                else csv_text(cell)
                if isinstance(cell, str)
                # kg as stored, 3 decimals ("12.500"), not Decimal('12.500')
                else str(cell)
                if isinstance(cell, Decimal)
                else repr(cell)
                for cell in row
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    return xlsx_bytes(book)


__all__ = [
    "bp",
    "district_rows",
    "headline_figures",
    "material_rows",
    "month_spans",
    "monthly_rows",
]
