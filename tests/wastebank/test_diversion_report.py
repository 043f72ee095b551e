"""The city's diversion report: figures computed by hand for a small world, exports.

The world (Kota Ambon, WIT = UTC+9, November 2026, 30 days):

- deposits: BSU1 12.5 kg PET + 20 kg cardboard (10 Nov) and 1 kg PET at 00:00 WIT on
  1 Nov; the induk BSI 2.25 kg copper, 5 L used cooking oil and 10 glass bottles at
  23:30 WIT on 30 Nov. Excluded: 100 kg PET at BSU2 (reversed), 7 kg PET at 00:30 WIT
  on 1 Dec, 3 kg PET at 23:59 WIT on 31 Oct, and 50 kg PET in Mojokerto.
- weighbridge tickets: 8,000 kg and 7,500.5 kg (a December ticket and a Mojokerto one
  are excluded).
- one composting input: 600 kg of food with 60 kg of rejects.
- profile: 1,000 people at 0.7 kg/cap/day, an open dump >= 5 m (MCF 0.8), 10,000 m3 of
  airspace left, not a controlled site, Jakstrada targets 28 % / 72 % for 2026.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from routing.energy import loose_density_kg_per_m3
from telemetry import services as telemetry_services
from telemetry.readings import parse_plain_json
from tests import factories
from tests.wastebank.conftest import World
from tests.wastebank.test_spreadsheets import HOSTILE
from wastebank import services
from wastebank.access import SYSTEM
from wastebank.models import AuditEntry, Deposit, TpaDelivery, TreatmentInput
from wastebank.services import diversion

WIT = ZoneInfo("Asia/Jayapura")
NOV = {"city": "AMB", "from": "2026-11-01", "to": "2026-11-30"}
_keys = itertools.count(1)


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIT)


def _deposit(
    db: Session, world: World, bank: str, at: dt.datetime, *lines: tuple[str, str]
) -> Deposit:
    deposit, _ = services.record_deposit(
        db,
        SYSTEM,
        member_id=world.members[bank].id,
        lines=[services.DepositLineInput(code, Decimal(qty)) for code, qty in lines],
        idempotency_key=f"k{next(_keys)}",
        request_hash="h",
        now=at,
    )
    return deposit


@pytest.fixture
def diversion_world(db: Session, counter_world: World) -> World:
    """The world of the module docstring, committed."""
    for bank, code, price_rp in (("BSI", "KACA", 200), ("MJK1", "PET", 2500)):
        services.set_price(
            db,
            SYSTEM,
            bank,
            code,
            price_rp=price_rp,
            effective_from=dt.date(2020, 1, 1),
        )
    _deposit(db, counter_world, "BSU1", _at(2026, 11, 10, 10), ("PET", "12.5"))
    _deposit(db, counter_world, "BSU1", _at(2026, 11, 10, 10, 5), ("KARDUS", "20"))
    _deposit(db, counter_world, "BSU1", _at(2026, 11, 1, 0, 0), ("PET", "1"))
    _deposit(
        db,
        counter_world,
        "BSI",
        _at(2026, 11, 30, 23, 30),
        ("TEMBAGA", "2.25"),
        ("JELANTAH", "5"),
        ("KACA", "10"),
    )
    reversed_ = _deposit(db, counter_world, "BSU2", _at(2026, 11, 15), ("PET", "100"))
    services.reverse_deposit(db, SYSTEM, reversed_.id, reason="salah timbang")
    _deposit(db, counter_world, "BSU1", _at(2026, 12, 1, 0, 30), ("PET", "7"))
    _deposit(db, counter_world, "BSU1", _at(2026, 10, 31, 23, 59), ("PET", "3"))
    _deposit(db, counter_world, "MJK1", _at(2026, 11, 10), ("PET", "50"))
    now = _at(2027, 1, 5)
    for city, ticket, at, kg in (
        ("AMB", "TS-001", _at(2026, 11, 5, 8), "8000"),
        ("AMB", "TS-002", _at(2026, 11, 20, 9, 15), "7500.5"),
        ("AMB", "TS-003", _at(2026, 12, 1, 7), "9000"),
        ("MJK", "TS-001", _at(2026, 11, 5, 8), "6000"),
    ):
        diversion.record_tpa_delivery(
            db,
            SYSTEM,
            city_code=city,
            facility="TPA Toisapu" if city == "AMB" else "TPA Randegan",
            ticket_no=ticket,
            delivered_at=at,
            net_weight_kg=Decimal(kg),
            now=now,
        )
    diversion.record_treatment_input(
        db,
        SYSTEM,
        city_code="AMB",
        facility="TPS3R Batu Merah",
        treated_on=dt.date(2026, 11, 15),
        pathway="composting",
        material="food",
        mass_kg=Decimal("600"),
        residue_kg=Decimal("60"),
    )
    diversion.update_waste_profile(
        db,
        SYSTEM,
        "AMB",
        {
            "population": 1000,
            "generation_kg_per_capita_per_day": Decimal("0.7"),
            "tpa_name": "TPA Toisapu",
            "tpa_site_type": "open_dump_deep",
            "tpa_controlled": False,
            "tpa_remaining_airspace_m3": Decimal("10000"),
            "jakstrada_targets": {"2026": {"reduction_pct": 28, "handling_pct": 72}},
        },
    )
    db.commit()
    return counter_world


def _report(
    client: FlaskClient, db: Session, world: World, who: str = "dlh", **args: str
) -> Any:
    headers = factories.auth_headers(db, world.users[who])
    return client.get(
        "/api/v1/reports/diversion", query_string={**NOV, **args}, headers=headers
    )


def _figures(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    figures: dict[str, Any] = response.get_json()["figures"]
    return figures


def _kg(figure: dict[str, Any]) -> Decimal:
    """A mass figure's value as the exact decimal the JSON number spells."""
    return Decimal(repr(figure["value"]))


# -- the figures -------------------------------------------------------------------------------
def test_bank_intake_counts_deposits_once_without_reversals(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    intake = figures["bank_intake_kg"]
    # 12.5 + 1 PET, 20 cardboard, 2.25 copper, 5 L oil x 0.91 kg/L = 40.3 kg.
    assert _kg(intake) == Decimal("40.3")
    assert intake["unit"] == "kg"
    assert intake["basis"] == "estimated"  # the oil was measured in litres
    assert (
        "deposits at 2 banks (4 deposits, reversed ones excluded: 1)"
        in (intake["source"])
    )
    assert "5.000 L used cooking oil at 0.91 kg/L" in intake["source"]
    by_material = {
        key.rsplit(".", 1)[1]: (_kg(f), f["basis"])
        for key, f in figures.items()
        if key.startswith("bank_intake_kg.material.")
    }
    assert by_material == {
        "plastic": (Decimal("13.5"), "measured"),
        "paper": (Decimal("20"), "measured"),
        "metal": (Decimal("2.25"), "measured"),
        "used_cooking_oil": (Decimal("4.55"), "estimated"),
    }
    assert _kg(figures["bank_intake_kg.category.PET"]) == Decimal("13.5")
    glass = figures["bank_unweighed_qty.category.KACA"]
    assert (glass["value"], glass["unit"], glass["basis"]) == (10.0, "pcs", "measured")
    assert "bank_intake_kg.material.glass" not in figures


def test_tpa_treatment_and_diversion_figures(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    tpa = figures["tpa_delivered_kg"]
    assert (_kg(tpa), tpa["basis"]) == (Decimal("15500.5"), "measured")
    assert tpa["source"] == "weighbridge tickets (2)"
    assert _kg(figures["treatment_input_kg"]) == Decimal("600")
    assert _kg(figures["treatment_input_kg.pathway.composting"]) == Decimal("600")
    assert _kg(figures["treatment_residue_kg"]) == Decimal("60")
    # Kept out: 40.3 at the banks + (600 - 60) composted.
    diverted = figures["diverted_kg"]
    assert (_kg(diverted), diverted["basis"]) == (Decimal("580.3"), "estimated")
    assert _kg(figures["diverted_kg.pathway.recycling"]) == Decimal("40.3")
    assert _kg(figures["diverted_kg.pathway.composting"]) == Decimal("540")
    rate = figures["diversion_rate_pct"]
    assert rate["value"] == pytest.approx(580.3 / (580.3 + 15500.5) * 100, rel=1e-12)
    assert rate["unit"] == "%"
    assert rate["basis"] == "estimated"
    airspace = figures["airspace_saved_m3"]
    assert airspace["value"] == pytest.approx(0.5803 / 0.6, rel=1e-12)
    assert airspace["basis"] == "estimated"


def test_tpa_lifespan_from_the_city_profile(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    per_year = 365 / 30
    landfilled = (15.5005 + 0.5803) * per_year  # without diversion, t/yr
    without = 10000 / (landfilled / 0.6)
    with_ = 10000 / (15.5005 * per_year / 0.6)
    assert figures["tpa_life_without_diversion_yr"]["value"] == pytest.approx(
        without, rel=1e-12
    )
    assert figures["tpa_life_with_diversion_yr"]["value"] == pytest.approx(
        with_, rel=1e-12
    )
    extension = figures["tpa_life_extension_yr"]
    assert extension["value"] == pytest.approx(with_ - without, rel=1e-9)
    assert extension["unit"] == "yr"
    assert "remaining airspace 10000 m3" in extension["source"]


def test_methane_avoided_is_the_commitment_of_what_was_kept_out(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    # DOC x DOCf x MCF x F x 16/12 per wet t: food 0.15 x 0.5 x 0.8 x 0.5 x 4/3 = 0.04,
    # paper 0.40 x ... = 0.10667; plastics, metal: no DOC. Food kept out: 4.55 kg of
    # oil + 540 kg composted.
    ch4_t = 0.54455 * 0.04 + 0.020 * 0.4 * 0.5 * 0.8 * 0.5 * 16 / 12
    assert figures["ch4_avoided_t"]["value"] == pytest.approx(ch4_t, rel=1e-12)
    assert figures["ch4_avoided_t"]["unit"] == "t CH4"
    assert "MCF 0.8 open_dump_deep" in figures["ch4_avoided_t"]["source"]
    co2e = figures["co2e_avoided_t"]
    assert co2e["value"] == pytest.approx(ch4_t * 28, rel=1e-12)
    assert "GWP 28 (ar5)" in co2e["source"]
    # Composting emits 4 kg CH4 per wet t fed (IPCC 2006 Vol. 5 Table 4.1).
    assert figures["ch4_treatment_emitted_t"]["value"] == pytest.approx(0.0024)
    ar6 = _figures(_report(client, db, diversion_world, gwp="ar6_non_fossil"))
    assert ar6["co2e_avoided_t"]["value"] == pytest.approx(ch4_t * 27, rel=1e-12)


def test_energy_potential_and_treatment_energy(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    potential = {
        key.rsplit(".", 1)[1]: f
        for key, f in figures.items()
        if key.startswith("energy_potential_kwh.")
    }
    assert set(potential) == {"incineration", "rdf", "anaerobic_digestion"}
    # RDF: 15.5005 t x 0.375 t/t x 11.2 MJ/kg / 3.6 (routing.energy defaults).
    rdf = potential["rdf"]
    assert rdf["value"] == pytest.approx(15.5005 * 0.375 * 1000 * 11.2 / 3.6)
    assert (rdf["unit"], rdf["basis"]) == ("kWh", "estimated")
    # AD of the food share of the SIPSN mix: 40.12 % x 120 Nm3/t x 0.6 x 35.8 x 0.38.
    food_t = 15.5005 * 0.4012
    ad_kwh = food_t * 120 * 0.6 * 35.8 / 3.6 * 0.38
    assert potential["anaerobic_digestion"]["value"] == pytest.approx(ad_kwh)
    # Composting produces no energy figure of its own.
    assert not any(key.startswith("energy_from_treatment_kwh.") for key in figures)


def test_generation_jakstranas_and_sdg_11_6_1(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world))
    generated = figures["msw_generated_kg"]
    assert (_kg(generated), generated["basis"]) == (Decimal("21000"), "estimated")
    assert "population 1000 x 0.700 kg/cap/day" in generated["source"]
    assert figures["jakstranas_reduction_target_pct"]["value"] == 28.0
    assert figures["jakstranas_handling_target_pct"]["value"] == 72.0
    assert "Jakstrada" in figures["jakstranas_reduction_target_pct"]["source"]
    reduction = figures["jakstranas_reduction_pct"]
    assert reduction["value"] == pytest.approx(40.3 / 21000 * 100, rel=1e-12)
    assert reduction["basis"] == "estimated"
    handling = figures["jakstranas_handling_pct"]
    assert handling["value"] == pytest.approx((15500.5 + 540) / 21000 * 100, rel=1e-12)
    assert _kg(figures["jakstranas_reduction_shortfall_kg"]) == Decimal("5839.7")
    assert _kg(figures["jakstranas_handling_shortfall_kg"]) == Decimal("0")

    assert _kg(figures["sdg_msw_collected_kg"]) == Decimal("16080.8")
    # The TPA is not a controlled site: only recovery counts as controlled.
    controlled = figures["sdg_msw_controlled_kg"]
    assert _kg(controlled) == Decimal("580.3")
    assert "does not meet WaCT basic control" in controlled["source"]
    assert _kg(figures["sdg_msw_recovered_kg"]) == Decimal("580.3")
    assert figures["sdg_collection_rate_pct"]["value"] == pytest.approx(
        16080.8 / 21000 * 100, rel=1e-12
    )
    assert figures["sdg_11_6_1_pct"]["value"] == pytest.approx(
        580.3 / 21000 * 100, rel=1e-12
    )
    assert figures["sdg_recovery_rate_pct"]["value"] == pytest.approx(
        580.3 / 21000 * 100, rel=1e-12
    )


def test_every_figure_states_its_basis_and_source(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    body = _report(client, db, diversion_world).get_json()
    assert (body["city"], body["from"], body["to"], body["days"]) == (
        "AMB",
        "2026-11-01",
        "2026-11-30",
        30,
    )
    # Local midnights in WIT.
    assert body["period_start_at"].startswith("2026-10-31T15:00:00")
    assert body["period_end_at"].startswith("2026-11-30T15:00:00")
    assert body["parameters"]["mcf"] == 0.8
    assert body["parameters"]["gwp_ch4"] == 28.0
    for key, figure in body["figures"].items():
        assert figure["key"] == key
        assert figure["basis"] in {"measured", "estimated"}, key
        assert figure["source"], key
        assert figure["label_id"]
        assert figure["label_en"]
    assert any("internal transfers" in note for note in body["notes"])


def test_period_boundaries_are_midnights_in_the_city_zone(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    """23:30 WIT on 30 Nov is November; 00:30 WIT on 1 Dec (15:30 UTC) is not."""
    november = _figures(_report(client, db, diversion_world))
    assert _kg(november["bank_intake_kg.material.metal"]) == Decimal("2.25")
    december = _figures(
        _report(
            client, db, diversion_world, **{"from": "2026-12-01", "to": "2026-12-31"}
        )
    )
    assert _kg(december["bank_intake_kg"]) == Decimal("7")
    assert {k for k in december if k.startswith("bank_intake_kg.material.")} == {
        "bank_intake_kg.material.plastic"
    }
    assert _kg(december["tpa_delivered_kg"]) == Decimal("9000")
    # One day: 1 Nov holds only the 1 kg of PET weighed at 00:00 WIT.
    first = _figures(
        _report(
            client, db, diversion_world, **{"from": "2026-11-01", "to": "2026-11-01"}
        )
    )
    assert _kg(first["bank_intake_kg"]) == Decimal("1")


def test_missing_profile_leaves_dependent_figures_unavailable(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = factories.auth_headers(db, world.users["admin"])
    body = client.get(
        "/api/v1/reports/diversion", query_string=NOV, headers=headers
    ).get_json()
    figures = body["figures"]
    assert _kg(figures["bank_intake_kg"]) == Decimal("0")
    assert figures["bank_intake_kg"]["basis"] == "measured"
    for key in (
        "tpa_delivered_kg",
        "diversion_rate_pct",
        "tpa_life_extension_yr",
        "msw_generated_kg",
        "jakstranas_reduction_pct",
        "sdg_11_6_1_pct",
    ):
        assert figures[key]["value"] is None, key
        assert figures[key]["basis"] == "not_available", key
        assert figures[key]["source"], key
    assert "no population" in figures["msw_generated_kg"]["source"]
    # Without a profile: national targets and the IPCC "uncategorised" site.
    assert figures["jakstranas_reduction_target_pct"]["value"] == 30.0
    assert body["parameters"]["mcf"] == 0.6
    assert "tpa_site_type" in body["parameters"]["defaults_used"]


# -- the estimate from collected bins ------------------------------------------------------------
def _readings(
    db: Session, device: str, start: dt.datetime, levels: list[float]
) -> None:
    readings = []
    for hour, level in enumerate(levels):
        at = start + dt.timedelta(hours=hour)
        payload = f'{{"fill_pct": {level}, "measured_at": "{at.isoformat()}"}}'
        readings.append(
            parse_plain_json(payload.encode(), device_id=device, received_at=at)
        )
    telemetry_services.record_readings(db, readings)


def test_tpa_mass_is_estimated_from_emptied_bins_without_tickets(
    client: FlaskClient, db: Session, world: World
) -> None:
    for code, stream, capacity_l in (
        ("AMB-R1", "residual", 1100),
        ("AMB-O1", "organic", 240),
    ):
        telemetry_services.create_bin(
            db,
            SYSTEM,
            code=code,
            name=code,
            kind="tps",
            stream=stream,
            capacity_l=capacity_l,
            lat=-3.69,
            lon=128.18,
            city="AMB",
        )
        telemetry_services.create_sensor(
            db,
            SYSTEM,
            device_id=f"dev-{code}",
            bin=code,
            format="json",
            empty_distance_mm=1500,
            full_distance_mm=300,
        )
    # Residual bin: filled to 60 %, emptied to 5 % on 9 Nov: the level before is the
    # median of the last three (40, 50, 60) = 50, so 45 % of 1.1 m3 at 250 kg/m3.
    _readings(db, "dev-AMB-R1", _at(2026, 11, 9, 6), [10, 20, 30, 40, 50, 60, 5, 4])
    # Organic bin: emptied at 04:00 WIT on 1 Dec, after the period.
    _readings(db, "dev-AMB-O1", _at(2026, 11, 30, 22), [50, 60, 70, 80, 5, 6])
    db.commit()

    figures = _figures(_report(client, db, world, who="admin"))
    tpa = figures["tpa_delivered_kg"]
    assert _kg(tpa) == Decimal("123.75")
    assert tpa["basis"] == "estimated"
    assert "no weighbridge tickets: 1 emptyings of 1 sensor bins" in tpa["source"]
    assert "residual 250 kg/m3" in tpa["source"]
    assert _kg(figures["tpa_delivered_kg.stream.residual"]) == Decimal("123.75")
    assert figures["diversion_rate_pct"]["value"] == 0.0
    assert figures["diversion_rate_pct"]["basis"] == "estimated"

    december = _figures(
        _report(
            client, db, world, who="admin", **{"from": "2026-12-01", "to": "2026-12-31"}
        )
    )
    # Median before (60, 70, 80) = 70, down to 5: 65 % of 240 L at the organic density.
    organic_kg = 0.65 * 0.240 * loose_density_kg_per_m3("organic")
    assert _kg(december["tpa_delivered_kg"]) == Decimal(str(organic_kg)).quantize(
        Decimal("0.001")
    )
    assert "organic" in december["tpa_delivered_kg"]["source"]

    # A ticket for the period replaces the estimate.
    diversion.record_tpa_delivery(
        db,
        SYSTEM,
        city_code="AMB",
        facility="TPA Toisapu",
        ticket_no="TS-9",
        delivered_at=_at(2026, 11, 9, 12),
        net_weight_kg=Decimal("4000"),
    )
    db.commit()
    measured = _figures(_report(client, db, world, who="admin"))["tpa_delivered_kg"]
    assert (_kg(measured), measured["basis"]) == (Decimal("4000"), "measured")


# -- exports ---------------------------------------------------------------------------------
def test_csv_export_has_the_same_totals(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    response = _report(client, db, diversion_world, format="csv")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="diversi-AMB-2026-11-01-2026-11-30.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_key = {row["Kode / Key"]: row for row in rows}
    assert by_key["city"]["Nilai / Value"] == "AMB"
    assert by_key["bank_intake_kg"]["Nilai / Value"] == "40.300"
    assert by_key["bank_intake_kg"]["Uraian"] == "Sampah diterima bank sampah"
    assert by_key["bank_intake_kg"]["Description"] == "Waste received by waste banks"
    assert by_key["tpa_delivered_kg"]["Nilai / Value"] == "15500.500"
    assert by_key["tpa_delivered_kg"]["Dasar / Basis"] == "measured"
    assert by_key["tpa_delivered_kg"]["Sumber / Source"] == "weighbridge tickets (2)"
    assert by_key["diverted_kg"]["Nilai / Value"] == "580.300"
    assert float(by_key["co2e_avoided_t"]["Nilai / Value"]) == pytest.approx(
        (0.54455 * 0.04 + 0.02 * 0.4 * 0.5 * 0.8 * 0.5 * 16 / 12) * 28, rel=1e-12
    )
    json_keys = set(_figures(_report(client, db, diversion_world)))
    assert json_keys <= set(by_key)


def test_xlsx_export_has_the_same_totals(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    response = _report(client, db, diversion_world, format="xlsx")
    assert response.status_code == 200
    assert response.content_type.startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (
        "diversi-AMB-2026-11-01-2026-11-30.xlsx"
        in (response.headers["Content-Disposition"])
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Laporan diversi"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(
        (
            "Bagian / Section",
            "Kode / Key",
            "Uraian",
            "Description",
            "Nilai / Value",
            "Satuan / Unit",
            "Dasar / Basis",
            "Sumber / Source",
        )
    )
    by_key = {row[1]: row for row in rows[header + 1 :]}
    assert by_key["bank_intake_kg"][4] == pytest.approx(40.3)
    assert by_key["tpa_delivered_kg"][4] == pytest.approx(15500.5)
    assert by_key["diverted_kg"][4] == pytest.approx(580.3)
    assert by_key["diverted_kg"][6] == "estimated"
    assert by_key["msw_generated_kg"][4] == pytest.approx(21000)
    assert rows[0][:3] == ("Kota / City", "AMB", "city")
    assert book["Parameter"]["A1"].value == "Parameter"
    assert any(
        "internal transfers" in (row[0] or "")
        for row in book["Catatan - Notes"].iter_rows(values_only=True)
    )


# -- who may read it, and bad requests ---------------------------------------------------------
@pytest.mark.parametrize("who", ["cashier", "unit_manager", "induk_manager", "driver"])
def test_roles_other_than_dlh_and_admin_are_refused(
    client: FlaskClient, db: Session, diversion_world: World, who: str
) -> None:
    response = _report(client, db, diversion_world, who=who)
    assert response.status_code == 403
    assert response.get_json()["type"] == "permission_denied"


def test_another_citys_dlh_gets_not_found(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    response = _report(client, db, diversion_world, who="dlh_other_city")
    assert response.status_code == 404
    assert response.get_json()["type"] == "city_not_found"
    # The Mojokerto DLH reads its own city.
    own = _report(client, db, diversion_world, who="dlh_other_city", city="MJK")
    assert _kg(_figures(own)["bank_intake_kg"]) == Decimal("50")


def test_admin_reads_every_city(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    figures = _figures(_report(client, db, diversion_world, who="admin", city="mjk"))
    assert _kg(figures["tpa_delivered_kg"]) == Decimal("6000")


@pytest.mark.parametrize(
    ("args", "status", "type_", "field"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, 422, "invalid_period", "to"),
        ({"from": "2026-12-01", "to": "2027-01-31"}, 422, "invalid_period", "to"),
        ({"city": "XYZ"}, 404, "city_not_found", "city"),
        ({"from": "2026-13-01"}, 422, "validation_error", "from"),
        ({"gwp": "ar7"}, 422, "validation_error", "gwp"),
        ({"format": "pdf"}, 422, "validation_error", "format"),
    ],
)
def test_bad_report_requests_get_the_envelope(
    client: FlaskClient,
    db: Session,
    diversion_world: World,
    args: dict[str, str],
    status: int,
    type_: str,
    field: str,
) -> None:
    response = _report(client, db, diversion_world, who="admin", **args)
    assert response.status_code == status
    body = response.get_json()
    assert body["type"] == type_
    assert field in body["errors"]


def test_report_needs_the_period(
    client: FlaskClient, db: Session, diversion_world: World
) -> None:
    headers = factories.auth_headers(db, diversion_world.users["dlh"])
    response = client.get(
        "/api/v1/reports/diversion", query_string={"city": "AMB"}, headers=headers
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"from", "to"}
    assert client.get("/api/v1/reports/diversion", query_string=NOV).status_code == 401


def test_report_writes_nothing(db: Session, diversion_world: World) -> None:
    """Reading the report is a pure read: no rows, no flushes pending."""
    counts = [
        db.scalar(sa.select(sa.func.count()).select_from(table)) for table in _tables()
    ]
    diversion.diversion_report(
        db,
        SYSTEM,
        city_code="AMB",
        date_from=dt.date(2026, 11, 1),
        date_to=dt.date(2026, 11, 30),
    )
    assert not db.new and not db.dirty and not db.deleted
    assert counts == [
        db.scalar(sa.select(sa.func.count()).select_from(table)) for table in _tables()
    ]


def _tables() -> list[Any]:
    return [AuditEntry.__table__, TpaDelivery.__table__, TreatmentInput.__table__]


def test_energy_of_treatment_inputs_and_a_controlled_tpa(
    client: FlaskClient, db: Session, world: World
) -> None:
    for pathway, material, kg in (
        ("anaerobic_digestion", "food", "1000"),
        ("rdf", "mixed", "2000"),
        ("incineration", "plastics", "500"),
        ("other", "garden", "300"),
    ):
        diversion.record_treatment_input(
            db,
            SYSTEM,
            city_code="AMB",
            facility=f"Plant {pathway}",
            treated_on=dt.date(2026, 11, 20),
            pathway=pathway,
            material=material,
            mass_kg=Decimal(kg),
            basis="estimated" if pathway == "other" else "measured",
        )
    diversion.record_tpa_delivery(
        db,
        SYSTEM,
        city_code="AMB",
        facility="TPA Toisapu",
        ticket_no="EST-1",
        delivered_at=_at(2026, 11, 21, 9),
        net_weight_kg=Decimal("5000"),
        source="estimate",
    )
    diversion.update_waste_profile(
        db, SYSTEM, "AMB", {"population": 2000, "tpa_controlled": True}
    )
    db.commit()
    figures = _figures(_report(client, db, world, who="admin"))
    energy = figures["energy_from_treatment_kwh.pathway.anaerobic_digestion"]
    # 1 t food x 120 Nm3/t x 60 % CH4 x 35.8 MJ/Nm3 / 3.6 x 38 % (case G: 272 kWh).
    assert energy["value"] == pytest.approx(120 * 0.6 * 35.8 / 3.6 * 0.38)
    rdf = figures["energy_from_treatment_kwh.pathway.rdf"]
    assert rdf["value"] == pytest.approx(2 * 0.375 * 1000 * 11.2 / 3.6)
    assert figures["energy_from_treatment_kwh.pathway.incineration"]["value"] > 0
    assert "energy_from_treatment_kwh.pathway.other" not in figures
    # Digestion leaks 0.8 kg CH4 per wet t fed.
    assert figures["ch4_treatment_emitted_t"]["value"] == pytest.approx(0.0008)
    assert _kg(figures["diverted_kg.pathway.other"]) == Decimal("300")
    assert figures["treatment_input_kg"]["basis"] == "estimated"
    tpa = figures["tpa_delivered_kg"]
    assert (_kg(tpa), tpa["basis"]) == (Decimal("5000"), "estimated")
    assert tpa["source"] == "DLH estimates (1)"
    # A controlled TPA counts in 11.6.1: 5,000 kg + 3,800 kg recovered.
    assert _kg(figures["sdg_msw_controlled_kg"]) == Decimal("8800")
    generated_kg = 2000 * 0.6625 * 30  # SNI 19-3983-1995 kota kecil mid-point
    assert _kg(figures["msw_generated_kg"]) == Decimal(str(generated_kg))
    assert figures["sdg_11_6_1_pct"]["value"] == pytest.approx(
        8800 / generated_kg * 100, rel=1e-12
    )


def test_an_estimated_generation_below_what_was_handled_is_flagged(
    client: FlaskClient, db: Session, world: World
) -> None:
    diversion.update_waste_profile(db, SYSTEM, "AMB", {"population": 10})
    diversion.record_tpa_delivery(
        db,
        SYSTEM,
        city_code="AMB",
        facility="TPA Toisapu",
        ticket_no="T-1",
        delivered_at=_at(2026, 11, 2, 9),
        net_weight_kg=Decimal("1000"),
    )
    db.commit()
    body = _report(client, db, world, who="admin").get_json()
    figures = body["figures"]
    # 10 people x 0.6625 kg x 30 days = 198.75 kg, less than the 1,000 kg delivered.
    assert _kg(figures["msw_generated_kg"]) == Decimal("198.75")
    for key in ("jakstranas_handling_pct", "sdg_collection_rate_pct"):
        assert figures[key]["value"] is None
        assert "exceed" in figures[key]["source"]
    assert any("Jakstranas shares not computed" in note for note in body["notes"])
    assert any("SDG 11.6.1 rates not computed" in note for note in body["notes"])


def test_openapi_documents_the_report_and_its_exports(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    report = spec["paths"]["/api/v1/reports/diversion"]["get"]
    assert {p["name"] for p in report["parameters"]} == {
        "city",
        "from",
        "to",
        "gwp",
        "format",
    }
    content = report["responses"]["200"]["content"]
    assert set(content) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for path in (
        "/api/v1/tpa-deliveries",
        "/api/v1/tpa-deliveries/{delivery_id}",
        "/api/v1/treatment-inputs",
        "/api/v1/treatment-inputs/{input_id}",
        "/api/v1/cities/{city_code}/waste-profile",
    ):
        assert path in spec["paths"]


def _cells(data: bytes) -> list[Any]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]


def test_a_tpa_named_like_a_formula_stays_text_in_the_diversion_exports(
    client: FlaskClient,
    db: Session,
    diversion_world: World,
) -> None:
    diversion.update_waste_profile(db, SYSTEM, "AMB", {"tpa_name": HOSTILE})
    db.commit()
    xlsx = _report(client, db, diversion_world, format="xlsx")
    assert xlsx.status_code == 200
    hits = [cell for cell in _cells(xlsx.data) if cell.value == HOSTILE]
    assert hits and all(cell.data_type == "s" for cell in hits)
    assert not [cell for cell in _cells(xlsx.data) if cell.data_type == "f"]
    text = _report(client, db, diversion_world, format="csv").data.decode("utf-8-sig")
    fields = [field for line in text.splitlines() for field in line.split(",")]
    assert not [field for field in fields if field.lstrip('"').startswith("=")]
