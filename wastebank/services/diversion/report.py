"""The city's diversion report: deposits, TPA tickets or bin emptyings, treatment inputs.

Every figure is derived with the pure core :mod:`routing.energy`; no formula is repeated
here. The report reads deposits only, never shipments or sales (see the package doc).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from routing.energy import (
    COMPONENTS,
    GWP_CH4,
    LIQUID_DENSITY_KG_PER_L,
    MCF_BY_SITE_TYPE,
    STREAM_COMPOSITIONS,
    DivertedMass,
    EnergyModelError,
    FodParameters,
    MassFigure,
    RateFigure,
    avoided_methane,
    bin_collection_mass_kg,
    compost,
    digest_anaerobically,
    diversion_fraction,
    estimate_msw_generation,
    incinerate,
    jakstranas_progress,
    loose_density_kg_per_m3,
    material_composition,
    material_mass_kg,
    produce_rdf,
    sdg_11_6_1_parameters,
    split_by_composition,
    stream_composition,
    summarise_diversion,
    tpa_lifespan,
)
from routing.energy.diversion import DEFAULT_IN_PLACE_DENSITY_T_PER_M3
from routing.energy.targets import (
    JAKSTRANAS_HANDLING_TARGET_FRACTION,
    JAKSTRANAS_REDUCTION_TARGET_FRACTION,
    JAKSTRANAS_TARGET_YEAR,
    generation_rate_kg_per_capita_per_day,
)
from telemetry.fill import EmptyingEvent, FillPoint, QualityFlag, detect_emptying
from telemetry.models import Bin, SensorReading
from wastebank.access import Action, Actor
from wastebank.exceptions import (
    InvalidPeriod,
    InvalidValue,
)
from wastebank.extensions import SessionLike
from wastebank.models import (
    Bank,
    City,
    CityWasteProfile,
    Deposit,
    DepositLine,
    TpaDelivery,
    TreatmentInput,
    WasteCategory,
    utcnow,
)
from wastebank.services.diversion.inputs import (
    ESTIMATED,
    MEASURED,
    NOT_AVAILABLE,
    _basis,
    _city,
    _kg,
)

#: Readings read around the period so that an emptying near its edge has the levels
#: before it and the reading after it that confirms it (telemetry.fill.detect_emptying).
_EMPTYING_MARGIN = dt.timedelta(days=3)
#: When nothing says what the TPA is, IPCC's "uncategorised" site (MCF 0.6).
_DEFAULT_SITE_TYPE = "uncategorised"
_DEFAULT_CLIMATE_ZONE = "tropical_wet"
_DAYS_PER_YEAR = 365.0


# -- the report ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """One figure of the report, with what it is and where it comes from.

    :ivar value: kg as a 3-decimal :class:`~decimal.Decimal`; other units unrounded
        floats; None when it cannot be computed (``basis`` is then ``not_available``
        and ``source`` says what is missing).
    :ivar basis: ``measured``, ``estimated`` or ``not_available``.
    """

    key: str
    section: str
    label_id: str
    label_en: str
    value: Decimal | float | None
    unit: str
    basis: str
    source: str


@dataclass
class DiversionReport:
    """The diversion report of one city over local dates ``date_from``..``date_to``."""

    city_code: str
    city_name: str
    timezone: str
    date_from: dt.date
    date_to: dt.date
    days: int
    start_at: dt.datetime
    end_at: dt.datetime
    parameters: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def year(self) -> int:
        """The calendar year the period lies in."""
        return self.date_from.year

    def figure(self, key: str) -> Figure:
        """The figure with ``key``.

        :raises KeyError: no such figure.
        """
        for item in self.figures:
            if item.key == key:
                return item
        raise KeyError(key)


#: key -> (section, Indonesian label, English label). Breakdown figures
#: (``key.kind.name``) take their root's labels with the name appended.
_LABELS: dict[str, tuple[str, str, str]] = {
    "bank_intake_kg": (
        "bank_sampah",
        "Sampah diterima bank sampah",
        "Waste received by waste banks",
    ),
    "bank_unweighed_qty": (
        "bank_sampah",
        "Setoran tidak ditimbang (tidak dihitung dalam massa)",
        "Deposits not weighed (not in the masses)",
    ),
    "treatment_input_kg": (
        "pengolahan",
        "Sampah masuk pengolahan",
        "Waste fed to treatment",
    ),
    "treatment_residue_kg": (
        "pengolahan",
        "Residu pengolahan ke TPA",
        "Treatment residue sent to the TPA",
    ),
    "tpa_delivered_kg": ("tpa", "Sampah masuk TPA", "Waste delivered to the TPA"),
    "diverted_kg": (
        "diversi",
        "Sampah tidak masuk TPA",
        "Waste kept out of the TPA",
    ),
    "diversion_rate_pct": ("diversi", "Tingkat diversi", "Diversion rate"),
    "airspace_saved_m3": (
        "diversi",
        "Ruang TPA yang dihemat",
        "Landfill airspace saved",
    ),
    "tpa_life_without_diversion_yr": (
        "diversi",
        "Sisa umur TPA tanpa diversi",
        "Remaining TPA life without diversion",
    ),
    "tpa_life_with_diversion_yr": (
        "diversi",
        "Sisa umur TPA dengan diversi",
        "Remaining TPA life with diversion",
    ),
    "tpa_life_extension_yr": (
        "diversi",
        "Perpanjangan umur TPA",
        "TPA lifespan extension",
    ),
    "ch4_avoided_t": ("iklim", "CH4 yang dihindari", "CH4 avoided"),
    "co2e_avoided_t": ("iklim", "CO2e yang dihindari", "CO2e avoided"),
    "ch4_treatment_emitted_t": (
        "iklim",
        "CH4 dari pengolahan (kompos, biogas)",
        "CH4 emitted by treatment (composting, digestion)",
    ),
    "energy_from_treatment_kwh": (
        "energi",
        "Energi dari pengolahan",
        "Energy from treatment inputs",
    ),
    "energy_potential_kwh": (
        "energi",
        "Potensi energi sampah yang masuk TPA",
        "Energy potential of the waste delivered to the TPA",
    ),
    "msw_generated_kg": ("timbulan", "Timbulan sampah", "MSW generated"),
    "jakstranas_reduction_pct": (
        "jakstranas",
        "Capaian pengurangan",
        "Reduction (pengurangan) achieved",
    ),
    "jakstranas_reduction_target_pct": (
        "jakstranas",
        "Target pengurangan",
        "Reduction target",
    ),
    "jakstranas_reduction_shortfall_kg": (
        "jakstranas",
        "Kekurangan pengurangan terhadap target",
        "Reduction short of the target",
    ),
    "jakstranas_handling_pct": (
        "jakstranas",
        "Capaian penanganan",
        "Handling (penanganan) achieved",
    ),
    "jakstranas_handling_target_pct": (
        "jakstranas",
        "Target penanganan",
        "Handling target",
    ),
    "jakstranas_handling_shortfall_kg": (
        "jakstranas",
        "Kekurangan penanganan terhadap target",
        "Handling short of the target",
    ),
    "sdg_msw_collected_kg": (
        "sdg_11_6_1",
        "Sampah terkumpul",
        "MSW collected",
    ),
    "sdg_msw_controlled_kg": (
        "sdg_11_6_1",
        "Sampah dikelola di fasilitas terkendali",
        "MSW managed in controlled facilities",
    ),
    "sdg_msw_recovered_kg": ("sdg_11_6_1", "Sampah dipulihkan", "MSW recovered"),
    "sdg_collection_rate_pct": (
        "sdg_11_6_1",
        "Tingkat pengumpulan",
        "Collection rate",
    ),
    "sdg_11_6_1_pct": (
        "sdg_11_6_1",
        "Indikator 11.6.1: dikelola di fasilitas terkendali / timbulan",
        "Indicator 11.6.1: managed in controlled facilities / generated",
    ),
    "sdg_recovery_rate_pct": ("sdg_11_6_1", "Tingkat pemulihan", "Recovery rate"),
}


class _Builder:
    """Collects figures in report order, with labels from :data:`_LABELS`."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def add(
        self,
        key: str,
        value: Decimal | float | None,
        unit: str,
        basis: str,
        source: str,
        *,
        detail: str | None = None,
    ) -> None:
        root = key.split(".", 1)[0]
        section, label_id, label_en = _LABELS[root]
        if detail:
            label_id, label_en = f"{label_id}: {detail}", f"{label_en}: {detail}"
        if value is None:
            basis = NOT_AVAILABLE
        self.figures.append(
            Figure(key, section, label_id, label_en, value, unit, basis, source)
        )

    def missing(self, key: str, unit: str, why: str) -> None:
        self.add(key, None, unit, NOT_AVAILABLE, why)


@dataclass
class _Mass:
    """A mass over the period in kg, with its basis and how it was obtained."""

    kg: Decimal
    basis: str
    source: str
    by_component_kg: dict[str, float] = field(default_factory=dict)

    @property
    def t(self) -> float:
        return float(self.kg) / 1000.0

    def figure(self) -> MassFigure:
        return MassFigure(mass_t=self.t, basis=self.basis)


def _check_period(date_from: dt.date, date_to: dt.date) -> int:
    if date_to < date_from:
        raise InvalidPeriod("The period ends before it starts.", field="to")
    if date_to.year != date_from.year:
        # Jakstranas targets, FOD years and SIPSN reports are yearly.
        raise InvalidPeriod(
            "A report period lies within one calendar year; split it by year.",
            field="to",
        )
    return (date_to - date_from).days + 1


def _add_components(into: dict[str, float], mass_kg: float, composition: Any) -> None:
    for key, kg in split_by_composition(mass_kg, composition).items():
        into[key] = into.get(key, 0.0) + kg


def _t_by_component(kg_by_component: Mapping[str, float]) -> dict[str, float]:
    return {key: kg / 1000.0 for key, kg in kg_by_component.items() if kg > 0.0}


def intake_lines(
    session: SessionLike,
    city: City,
    start: dt.datetime,
    end: dt.datetime,
    *,
    by_district: bool = False,
) -> Sequence[Any]:
    """The quantities members brought to the city's banks in ``[start, end)``.

    One row per material, category and unit (``material``, ``category_code``,
    ``unit``, ``quantity`` in the category's unit), from deposits that were not
    reversed; only deposits count, never shipments or sales (see the package doc).
    With ``by_district`` the rows are per bank district too (``district``, ``None``
    for banks without one), for the dashboard's table by district.
    """
    columns: list[Any] = [
        DepositLine.material,
        DepositLine.category_code,
        DepositLine.unit,
    ]
    if by_district:
        columns.insert(0, Bank.district)
    return session.execute(
        sa.select(*columns, sa.func.sum(DepositLine.quantity).label("quantity"))
        .join(Deposit, Deposit.id == DepositLine.deposit_id)
        .join(Bank, Bank.id == Deposit.bank_id)
        .where(
            Bank.city_id == city.id,
            Deposit.occurred_at >= start,
            Deposit.occurred_at < end,
            Deposit.reversed_at.is_(None),
        )
        .group_by(*columns)
        .order_by(*columns)
    ).all()


def intake_line_mass_kg(row: Any) -> tuple[Decimal, bool] | None:
    """The mass of an :func:`intake_lines` row in kg (3 decimals), and whether it was
    weighed; ``None`` for pieces, which have no mass.

    Only kilograms are weighed; litres (used cooking oil) are converted with a density
    (``routing.energy.LIQUID_DENSITY_KG_PER_L``), which makes the mass estimated.
    """
    quantity = _kg(row.quantity)
    mass = material_mass_kg(row.material, float(quantity), row.unit)
    if mass is None:
        return None
    weighed = row.unit == "kg"
    return (quantity if weighed else _kg(mass)), weighed


def _bank_intake(
    session: SessionLike,
    city: City,
    start: dt.datetime,
    end: dt.datetime,
    out: _Builder,
) -> _Mass:
    """Mass members brought to the city's banks, from deposits (reversals excluded)."""
    in_period = sa.and_(
        Bank.city_id == city.id,
        Deposit.occurred_at >= start,
        Deposit.occurred_at < end,
    )
    counts = session.execute(
        sa.select(
            sa.func.count(Deposit.id).filter(Deposit.reversed_at.is_(None)),
            sa.func.count(sa.distinct(Deposit.bank_id)).filter(
                Deposit.reversed_at.is_(None)
            ),
            sa.func.count(Deposit.id).filter(Deposit.reversed_at.is_not(None)),
        )
        .select_from(Deposit)
        .join(Bank, Bank.id == Deposit.bank_id)
        .where(in_period)
    ).one()
    deposits, banks, reversed_ = (int(n or 0) for n in counts)
    rows = intake_lines(session, city, start, end)
    names = dict(
        session.execute(
            sa.select(WasteCategory.code, WasteCategory.name_id).where(
                WasteCategory.code.in_({row.category_code for row in rows})
            )
        ).all()
    )
    material_kg: dict[str, Decimal] = {}
    material_estimated: dict[str, bool] = {}
    by_category: list[tuple[str, str, Decimal, str]] = []
    unweighed: list[tuple[str, str, Decimal, str]] = []
    converted_l = Decimal("0")
    components: dict[str, float] = {}
    for row in rows:
        quantity = _kg(row.quantity)
        name = names.get(row.category_code, row.category_code)
        line_mass = intake_line_mass_kg(row)
        if line_mass is None:
            unweighed.append((row.category_code, name, quantity, row.unit))
            continue
        mass_kg, weighed = line_mass
        if not weighed:
            converted_l += quantity
        material_kg[row.material] = (
            material_kg.get(row.material, Decimal("0")) + mass_kg
        )
        material_estimated[row.material] = (
            material_estimated.get(row.material, False) or not weighed
        )
        by_category.append(
            (row.category_code, name, mass_kg, MEASURED if weighed else ESTIMATED)
        )
        _add_components(components, float(mass_kg), material_composition(row.material))

    total_kg = sum(material_kg.values(), Decimal("0"))
    source = (
        f"deposits at {banks} banks ({deposits} deposits, reversed ones excluded: "
        f"{reversed_})"
    )
    if converted_l:
        density = LIQUID_DENSITY_KG_PER_L["used_cooking_oil"]
        source += f"; {converted_l} L used cooking oil at {density} kg/L"
    intake = _Mass(
        kg=total_kg,
        basis=ESTIMATED if converted_l else MEASURED,
        source=source,
        by_component_kg=components,
    )
    out.add("bank_intake_kg", intake.kg, "kg", intake.basis, intake.source)
    for material, mass_kg in material_kg.items():
        out.add(
            f"bank_intake_kg.material.{material}",
            mass_kg,
            "kg",
            ESTIMATED if material_estimated[material] else MEASURED,
            "deposits, material class of the category",
            detail=material,
        )
    for code, name, mass_kg, basis in by_category:
        out.add(
            f"bank_intake_kg.category.{code}",
            mass_kg,
            "kg",
            basis,
            "deposits" if basis == MEASURED else "deposits, litres converted to kg",
            detail=f"{code} {name}",
        )
    for code, name, quantity, unit in unweighed:
        out.add(
            f"bank_unweighed_qty.category.{code}",
            quantity,
            unit,
            MEASURED,
            f"deposits counted in {unit}; no mass is assumed",
            detail=f"{code} {name}",
        )
    return intake


def _treatment(
    session: SessionLike,
    city: City,
    date_from: dt.date,
    date_to: dt.date,
    out: _Builder,
) -> tuple[list[DivertedMass], list[TreatmentInput], _Mass]:
    """DLH's treatment inputs of the period, as diverted masses by pathway."""
    items = list(
        session.scalars(
            sa.select(TreatmentInput)
            .where(
                TreatmentInput.city_id == city.id,
                TreatmentInput.treated_on >= date_from,
                TreatmentInput.treated_on <= date_to,
            )
            .order_by(TreatmentInput.treated_on, TreatmentInput.id)
        )
    )
    diverted: list[DivertedMass] = []
    gross: dict[str, list[Any]] = {}
    residue_kg = Decimal("0")
    components: dict[str, float] = {}
    for item in items:
        composition = (
            {item.material: 1.0}
            if item.material in COMPONENTS
            else stream_composition(item.material)
        )
        mass_kg = _kg(item.mass_kg)
        by_component_t = split_by_composition(float(mass_kg) / 1000.0, composition)
        # "other" treatment (larvae, feed) has no energy model but is still diverted.
        diverted.append(
            DivertedMass(
                item.pathway,
                by_component_t,
                residue_to_landfill_fraction=float(item.residue_kg / item.mass_kg),
            )
        )
        row = gross.setdefault(item.pathway, [Decimal("0"), MEASURED, 0])
        row[0] += mass_kg
        row[1] = _basis(row[1], item.basis)
        row[2] += 1
        residue_kg += _kg(item.residue_kg)
        kept = 1.0 - float(item.residue_kg / item.mass_kg)
        _add_components(components, float(mass_kg) * kept, composition)
    total = sum((row[0] for row in gross.values()), Decimal("0"))
    basis = _basis(*(row[1] for row in gross.values()))
    source = f"DLH treatment inputs ({len(items)})"
    out.add("treatment_input_kg", total, "kg", basis, source)
    for pathway, (mass_kg, pathway_basis, count) in gross.items():
        out.add(
            f"treatment_input_kg.pathway.{pathway}",
            mass_kg,
            "kg",
            pathway_basis,
            f"DLH treatment inputs ({count})",
            detail=pathway,
        )
    out.add(
        "treatment_residue_kg",
        residue_kg,
        "kg",
        basis,
        "residues entered with the inputs; they are in the TPA tickets",
    )
    net = _Mass(
        kg=total - residue_kg,
        basis=basis,
        source=source,
        by_component_kg=components,
    )
    return diverted, items, net


def _bin_emptyings(
    session: SessionLike, city: City, start: dt.datetime, end: dt.datetime
) -> list[tuple[Bin, EmptyingEvent]]:
    """Emptyings the city's fill-level sensors saw in ``[start, end)``.

    Emptyings are not stored; they are detected again from the accepted readings
    with :func:`telemetry.fill.detect_emptying`, as the bin states are.
    """
    bins = {
        b.id: b for b in session.scalars(sa.select(Bin).where(Bin.city_id == city.id))
    }
    if not bins:
        return []
    table = SensorReading.__table__
    rows = session.execute(
        sa.select(
            table.c.bin_id, table.c.measured_at, table.c.fill_pct, table.c.quality_flag
        )
        .where(
            table.c.bin_id.in_(list(bins)),
            table.c.measured_at >= start - _EMPTYING_MARGIN,
            table.c.measured_at < end + _EMPTYING_MARGIN,
            table.c.fill_pct.is_not(None),
        )
        .order_by(table.c.bin_id, table.c.measured_at)
    ).all()
    points: dict[int, list[FillPoint]] = defaultdict(list)
    for row in rows:
        points[row.bin_id].append(
            FillPoint(row.measured_at, row.fill_pct, QualityFlag(row.quality_flag))
        )
    return [
        (bins[bin_id], event)
        for bin_id, history in points.items()
        for event in detect_emptying(history)
        if start <= event.emptied_at < end
    ]


def _tpa(
    session: SessionLike,
    city: City,
    start: dt.datetime,
    end: dt.datetime,
    out: _Builder,
) -> _Mass | None:
    """Mass delivered to the TPA: tickets where recorded, else collected bins."""
    tickets = session.execute(
        sa.select(
            TpaDelivery.source,
            sa.func.count(TpaDelivery.id),
            sa.func.sum(TpaDelivery.net_weight_kg),
        )
        .where(
            TpaDelivery.city_id == city.id,
            TpaDelivery.delivered_at >= start,
            TpaDelivery.delivered_at < end,
        )
        .group_by(TpaDelivery.source)
        .order_by(TpaDelivery.source)
    ).all()
    mixed = dict(STREAM_COMPOSITIONS["mixed"])
    if tickets:
        counts = {row.source: int(row[1]) for row in tickets}
        masses = {row.source: _kg(row[2]) for row in tickets}
        parts = [
            f"{'weighbridge tickets' if source == 'weighbridge' else 'DLH estimates'}"
            f" ({count})"
            for source, count in counts.items()
        ]
        total = sum(masses.values(), Decimal("0"))
        mass = _Mass(
            kg=total,
            basis=MEASURED if set(counts) == {"weighbridge"} else ESTIMATED,
            source=" and ".join(parts),
            # Tickets carry no composition: the SIPSN 2023 mix stands in for it.
            by_component_kg=split_by_composition(float(total), mixed),
        )
        out.add("tpa_delivered_kg", mass.kg, "kg", mass.basis, mass.source)
        for source, source_kg in masses.items():
            out.add(
                f"tpa_delivered_kg.source.{source}",
                source_kg,
                "kg",
                MEASURED if source == "weighbridge" else ESTIMATED,
                f"{counts[source]} deliveries",
                detail=source,
            )
        return mass

    events = _bin_emptyings(session, city, start, end)
    if not events:
        out.missing(
            "tpa_delivered_kg",
            "kg",
            "no weighbridge tickets and no bin emptying seen by sensors in the period",
        )
        return None
    by_stream: dict[str, float] = defaultdict(float)
    components: dict[str, float] = {}
    for bin_, event in events:
        emptied = max(event.fill_before_pct - event.fill_after_pct, 0.0) / 100.0
        kg = bin_collection_mass_kg(
            min(emptied, 1.0), float(bin_.capacity_l), bin_.stream
        )
        by_stream[bin_.stream] += kg
        _add_components(components, kg, stream_composition(bin_.stream))
    total = _kg(math.fsum(by_stream.values()))
    densities = ", ".join(
        f"{stream} {loose_density_kg_per_m3(stream):.0f} kg/m3"
        for stream in sorted(by_stream)
    )
    mass = _Mass(
        kg=total,
        basis=ESTIMATED,
        source=(
            f"no weighbridge tickets: {len(events)} emptyings of "
            f"{len({b.id for b, _ in events})} sensor bins x emptied fill x capacity x "
            f"loose density ({densities}); bins without sensors are not counted"
        ),
        by_component_kg=components,
    )
    out.add("tpa_delivered_kg", mass.kg, "kg", mass.basis, mass.source)
    for stream, stream_kg in sorted(by_stream.items()):
        out.add(
            f"tpa_delivered_kg.stream.{stream}",
            _kg(stream_kg),
            "kg",
            ESTIMATED,
            "bin emptyings x capacity x loose density",
            detail=stream,
        )
    return mass


@dataclass(frozen=True)
class _Site:
    """The TPA's parameters for the models, each with where it came from."""

    site_type: str
    mcf: float
    climate_zone: str
    density_t_per_m3: float
    cover_fraction: float
    remaining_airspace_m3: float | None
    controlled: bool | None
    defaults: tuple[str, ...]


def _site(profile: CityWasteProfile | None) -> _Site:
    defaults: list[str] = []

    def pick(name: str, fallback: Any) -> Any:
        value = getattr(profile, name) if profile is not None else None
        if value is None:
            defaults.append(name)
            return fallback
        return value

    site_type = pick("tpa_site_type", _DEFAULT_SITE_TYPE)
    remaining = profile.tpa_remaining_airspace_m3 if profile else None
    return _Site(
        site_type=site_type,
        mcf=MCF_BY_SITE_TYPE[site_type],
        climate_zone=pick("climate_zone", _DEFAULT_CLIMATE_ZONE),
        density_t_per_m3=float(
            pick("in_place_density_t_per_m3", DEFAULT_IN_PLACE_DENSITY_T_PER_M3)
        ),
        cover_fraction=float(pick("cover_soil_fraction", 0.0)),
        remaining_airspace_m3=None if remaining is None else float(remaining),
        controlled=profile.tpa_controlled if profile else None,
        defaults=tuple(defaults),
    )


def _pct(rate: RateFigure | float | None) -> float | None:
    if rate is None:
        return None
    return (rate.fraction if isinstance(rate, RateFigure) else rate) * 100.0


def _energy(
    items: Sequence[TreatmentInput],
    diverted: Sequence[DivertedMass],
    tpa: _Mass | None,
    out: _Builder,
) -> float:
    """Energy of the treatment inputs, the potential of the TPA waste; CH4 of treatment."""
    by_pathway: dict[str, dict[str, float]] = defaultdict(dict)
    for item, mass in zip(items, diverted, strict=True):
        for key, t in mass.mass_t_by_component.items():
            by_pathway[item.pathway][key] = by_pathway[item.pathway].get(key, 0.0) + t
    treatment_ch4_t = 0.0
    model = "routing.energy defaults (README Methods, energy pathways)"
    for pathway, mass_t in sorted(by_pathway.items()):
        if pathway == "anaerobic_digestion":
            digestion = digest_anaerobically(mass_t)
            treatment_ch4_t += digestion.ch4_emitted_t
            value, what = digestion.electricity_kwh, "CHP electricity"
        elif pathway == "incineration":
            value, what = incinerate(mass_t).electricity_kwh, "electricity"
        elif pathway == "rdf":
            value, what = produce_rdf(mass_t).rdf_energy_kwh, "RDF fuel heat"
        else:
            if pathway == "composting":
                treatment_ch4_t += compost(mass_t).ch4_emitted_t
            continue
        out.add(
            f"energy_from_treatment_kwh.pathway.{pathway}",
            value,
            "kWh",
            ESTIMATED,
            f"{what} of the inputs, {model}",
            detail=pathway,
        )
    if tpa is None:
        out.missing("energy_potential_kwh", "kWh", "no mass delivered to the TPA known")
        return treatment_ch4_t
    mass_t = _t_by_component(tpa.by_component_kg)
    source = f"{tpa.source}; {model}"
    if not mass_t:
        mass_t = {"other": 0.0}
    burnt = incinerate(mass_t)
    for key, value, what, caveat in (
        (
            "incineration",
            burnt.electricity_kwh,
            "if incinerated",
            # Component LHVs are for clean material; measured Indonesian MSW is wetter.
            f"; LHV {burnt.lhv_mj_per_kg:.1f} MJ/kg from the composition, above the "
            "5.9 MJ/kg measured in Jakarta",
        ),
        ("rdf", produce_rdf(mass_t).rdf_energy_kwh, "as RDF fuel heat", ""),
        (
            "anaerobic_digestion",
            digest_anaerobically(mass_t).electricity_kwh,
            "its food fraction digested",
            "",
        ),
    ):
        out.add(
            f"energy_potential_kwh.pathway.{key}",
            value,
            "kWh",
            ESTIMATED,
            source + caveat,
            detail=what,
        )
    return treatment_ch4_t


def diversion_report(
    session: SessionLike,
    actor: Actor,
    *,
    city_code: str,
    date_from: dt.date,
    date_to: dt.date,
    gwp_set: str = "ar5",
    now: dt.datetime | None = None,
) -> DiversionReport:
    """The city's diversion figures over local dates ``date_from``..``date_to``.

    Period boundaries are midnights in the city's time zone (WIT for Ambon). Masses
    are kg with 3 decimals; every other figure is unrounded. Each figure says
    whether it is measured or estimated, and from what.

    :param gwp_set: a key of ``routing.energy.GWP_CH4`` (default AR5, 28).
    :raises PermissionDenied: the role may not read reports (cashier, manager, driver).
    :raises CityNotFound: an unknown city, or another city's.
    :raises InvalidPeriod: the period runs backwards or spans two years.
    :raises InvalidValue: an unknown GWP set.
    """
    city = _city(session, actor, city_code, Action.REPORTS_READ)
    days = _check_period(date_from, date_to)
    if gwp_set not in GWP_CH4:
        raise InvalidValue(f"Unknown GWP set {gwp_set!r}.", field="gwp")
    zone = ZoneInfo(city.timezone)
    start = dt.datetime.combine(date_from, dt.time(), zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), zone)
    profile = session.get(CityWasteProfile, city.id)
    site = _site(profile)
    report = DiversionReport(
        city_code=city.code,
        city_name=city.name,
        timezone=city.timezone,
        date_from=date_from,
        date_to=date_to,
        days=days,
        start_at=start.astimezone(dt.UTC),
        end_at=end.astimezone(dt.UTC),
        parameters={},
    )
    out = _Builder()
    try:
        _build(session, city, report, profile, site, gwp_set, start, end, out)
    except EnergyModelError as error:  # pragma: no cover - inputs are checked above
        raise InvalidValue(error.message, field=error.field) from error
    report.figures = out.figures
    report.parameters.update(
        {
            "generated_at": (now or utcnow()).isoformat(),
            "gwp_set": gwp_set,
            "gwp_ch4": GWP_CH4[gwp_set],
            "climate_zone": site.climate_zone,
            "tpa_name": profile.tpa_name if profile else None,
            "tpa_site_type": site.site_type,
            "mcf": site.mcf,
            "docf": FodParameters().docf,
            "methane_fraction": FodParameters().methane_fraction,
            "oxidation_fraction": FodParameters().oxidation_fraction,
            "in_place_density_t_per_m3": site.density_t_per_m3,
            "cover_soil_fraction": site.cover_fraction,
            "tpa_remaining_airspace_m3": site.remaining_airspace_m3,
            "tpa_controlled": site.controlled,
            "loose_density_kg_per_m3": {
                stream: loose_density_kg_per_m3(stream)
                for stream in STREAM_COMPOSITIONS
            },
            "liquid_density_kg_per_l": dict(LIQUID_DENSITY_KG_PER_L),
            "defaults_used": list(site.defaults),
        }
    )
    return report


def _jakstranas_targets(
    profile: CityWasteProfile | None, year: int
) -> tuple[float, float, str]:
    """The year's targets in %: the city's Jakstrada where entered, else Jakstranas."""
    entered = (profile.jakstrada_targets or {}) if profile else {}
    targets = entered.get(str(year))
    if targets:
        return (
            float(targets["reduction_pct"]),
            float(targets["handling_pct"]),
            f"the city's Jakstrada targets for {year}",
        )
    return (
        JAKSTRANAS_REDUCTION_TARGET_FRACTION * 100.0,
        JAKSTRANAS_HANDLING_TARGET_FRACTION * 100.0,
        f"Jakstranas (Perpres 97/2017) targets for {JAKSTRANAS_TARGET_YEAR}",
    )


def _build(
    session: SessionLike,
    city: City,
    report: DiversionReport,
    profile: CityWasteProfile | None,
    site: _Site,
    gwp_set: str,
    start: dt.datetime,
    end: dt.datetime,
    out: _Builder,
) -> None:
    notes = report.notes
    intake = _bank_intake(session, city, start, end, out)
    diverted, items, treated = _treatment(
        session, city, report.date_from, report.date_to, out
    )
    tpa = _tpa(session, city, start, end, out)
    notes.append(
        "Bank tonnage is counted once, where members brought it (units, induk and "
        "mandiri banks); shipments from units to their induk are internal transfers "
        "and are not added."
    )
    notes.append(
        "Sorting residue of the banks is not recorded and is taken as 0; treatment "
        "residues are subtracted from the diverted mass."
    )

    # -- diversion --------------------------------------------------------------------
    bank_t = _t_by_component(intake.by_component_kg)
    all_diverted = (
        [DivertedMass("recycling", bank_t), *diverted] if bank_t else diverted
    )
    summary = summarise_diversion(
        all_diverted,
        in_place_density_t_per_m3=site.density_t_per_m3,
        cover_soil_fraction=site.cover_fraction,
    )
    diverted_basis = _basis(intake.basis, treated.basis)
    diverted_kg = _kg(intake.kg + treated.kg)
    out.add(
        "diverted_kg",
        diverted_kg,
        "kg",
        diverted_basis,
        "bank intake + treatment inputs net of their residues",
    )
    for pathway, t in summary.diverted_t_by_pathway.items():
        out.add(
            f"diverted_kg.pathway.{pathway}",
            _kg(t * 1000.0),
            "kg",
            intake.basis if pathway == "recycling" else treated.basis,
            "waste banks" if pathway == "recycling" else "DLH treatment inputs",
            detail=pathway,
        )
    diverted_t = float(diverted_kg) / 1000.0
    if tpa is None:
        out.missing("diversion_rate_pct", "%", "mass delivered to the TPA unknown")
    else:
        out.add(
            "diversion_rate_pct",
            _pct(diversion_fraction(diverted_t, tpa.t)),
            "%",
            _basis(diverted_basis, tpa.basis),
            "kept out / (kept out + delivered to the TPA)",
        )
    density_source = (
        f"{site.density_t_per_m3} t/m3 in place, cover soil {site.cover_fraction:g}"
    )
    out.add(
        "airspace_saved_m3",
        summary.airspace_saved_m3,
        "m3",
        ESTIMATED,
        f"kept out / in-place density ({density_source})",
    )
    _lifespan(report, site, diverted_t, tpa, density_source, out)

    # -- methane ---------------------------------------------------------------------------
    year = report.year
    fod = FodParameters(climate_zone=site.climate_zone, mcf=site.mcf)
    avoided = avoided_methane(
        {year: summary.diverted_t_by_component}, fod, gwp_set=gwp_set
    )
    ch4_t = avoided.commitment_ch4_t_by_deposit_year[year]
    fod_source = (
        "IPCC 2006 FOD methane commitment of the waste kept out "
        f"(MCF {site.mcf:g} {site.site_type}, {site.climate_zone}, DOCf {fod.docf:g}, "
        f"F {fod.methane_fraction:g}, OX {fod.oxidation_fraction:g})"
    )
    out.add("ch4_avoided_t", ch4_t, "t CH4", ESTIMATED, fod_source)
    out.add(
        "co2e_avoided_t",
        avoided.commitment_co2e_t_by_deposit_year[year],
        "t CO2e",
        ESTIMATED,
        f"{fod_source} x GWP {avoided.gwp_ch4:g} ({gwp_set})",
    )
    treatment_ch4_t = _energy(items, diverted, tpa, out)
    out.add(
        "ch4_treatment_emitted_t",
        treatment_ch4_t,
        "t CH4",
        ESTIMATED,
        "IPCC 2006 Vol. 5 Table 4.1: composting 4 kg, digestion 0.8 kg CH4 per wet t;"
        " not subtracted from the CH4 avoided",
    )

    # -- generation, Jakstranas, SDG 11.6.1 -------------------------------------------------
    generated = _generation(profile, report.days, out)
    handled = (
        None
        if tpa is None
        else MassFigure(tpa.t + treated.t, _basis(tpa.basis, treated.basis))
    )
    _jakstranas(profile, year, generated, intake.figure(), handled, out, notes)
    _sdg(site, generated, intake, treated, tpa, out, notes)


def _lifespan(
    report: DiversionReport,
    site: _Site,
    diverted_t: float,
    tpa: _Mass | None,
    density_source: str,
    out: _Builder,
) -> None:
    keys = (
        "tpa_life_without_diversion_yr",
        "tpa_life_with_diversion_yr",
        "tpa_life_extension_yr",
    )
    if site.remaining_airspace_m3 is None or tpa is None:
        why = (
            "no remaining TPA airspace in the city profile"
            if site.remaining_airspace_m3 is None
            else "mass delivered to the TPA unknown"
        )
        for key in keys:
            out.missing(key, "yr", why)
        return
    # The period's flows at a yearly rate; without diversion the kept-out waste
    # would have gone to the TPA too.
    per_year = _DAYS_PER_YEAR / report.days
    life = tpa_lifespan(
        site.remaining_airspace_m3,
        (tpa.t + diverted_t) * per_year,
        diverted_t * per_year,
        in_place_density_t_per_m3=site.density_t_per_m3,
        cover_soil_fraction=site.cover_fraction,
    )
    source = (
        f"remaining airspace {site.remaining_airspace_m3:g} m3 / yearly airspace use at "
        f"the period's rate ({density_source}); settlement ignored"
    )
    for key, value in zip(
        keys,
        (
            life.life_without_diversion_yr,
            life.life_with_diversion_yr,
            life.extension_yr,
        ),
        strict=True,
    ):
        if value is None:
            out.missing(key, "yr", "nothing reaches the TPA: it does not fill")
        else:
            out.add(key, value, "yr", ESTIMATED, source)


def _generation(
    profile: CityWasteProfile | None, days: int, out: _Builder
) -> MassFigure | None:
    population = profile.population if profile else None
    if profile is None or population is None:
        out.missing("msw_generated_kg", "kg", "no population in the city profile")
        return None
    rate = profile.generation_kg_per_capita_per_day
    if rate is None:
        rate_source = (
            f"{generation_rate_kg_per_capita_per_day(population):g} kg/cap/day, the "
            "SNI 19-3983-1995 default for the city's size"
        )
    else:
        rate_source = (
            f"{rate} kg/cap/day ({profile.generation_source or 'the city profile'})"
        )
    generated = estimate_msw_generation(
        population, None if rate is None else float(rate), days=float(days)
    )
    out.add(
        "msw_generated_kg",
        _kg(generated.mass_t * 1000.0),
        "kg",
        generated.basis,
        f"population {population} x {rate_source} x {days} days (WaCT estimate)",
    )
    return generated


def _jakstranas(
    profile: CityWasteProfile | None,
    year: int,
    generated: MassFigure | None,
    reduction: MassFigure,
    handling: MassFigure | None,
    out: _Builder,
    notes: list[str],
) -> None:
    reduction_pct, handling_pct, target_source = _jakstranas_targets(profile, year)
    # Targets are set, not measured or estimated; "measured" marks them as given.
    out.add(
        "jakstranas_reduction_target_pct", reduction_pct, "%", MEASURED, target_source
    )
    out.add(
        "jakstranas_handling_target_pct", handling_pct, "%", MEASURED, target_source
    )
    keys = (
        "jakstranas_reduction_pct",
        "jakstranas_reduction_shortfall_kg",
        "jakstranas_handling_pct",
        "jakstranas_handling_shortfall_kg",
    )
    units = ("%", "kg", "%", "kg")
    if generated is None or handling is None:
        why = "MSW generated unknown" if generated is None else "TPA mass unknown"
        for key, unit in zip(keys, units, strict=True):
            out.missing(key, unit, why)
        return
    try:
        progress = jakstranas_progress(
            generated,
            reduction,
            handling,
            reduction_target_fraction=reduction_pct / 100.0,
            handling_target_fraction=handling_pct / 100.0,
        )
    except EnergyModelError as error:
        notes.append(
            "Jakstranas shares not computed: reduction and handling exceed the "
            f"estimated generation ({error.message}); check population and kg/cap/day."
        )
        for key, unit in zip(keys, units, strict=True):
            out.missing(
                key, unit, "reduction + handling exceed the estimated generation"
            )
        return
    source_r = "pengurangan (bank intake) / timbulan (MSW generated)"
    source_h = "penanganan (TPA + treatment net of residue) / timbulan (MSW generated)"
    out.add(keys[0], _pct(progress.reduction), "%", progress.reduction.basis, source_r)
    out.add(
        keys[1],
        _kg(progress.reduction_shortfall_t * 1000.0),
        "kg",
        progress.reduction.basis,
        f"target x generated - pengurangan ({target_source})",
    )
    out.add(keys[2], _pct(progress.handling), "%", progress.handling.basis, source_h)
    out.add(
        keys[3],
        _kg(progress.handling_shortfall_t * 1000.0),
        "kg",
        progress.handling.basis,
        f"target x generated - penanganan ({target_source})",
    )


def _sdg(
    site: _Site,
    generated: MassFigure | None,
    intake: _Mass,
    treated: _Mass,
    tpa: _Mass | None,
    out: _Builder,
    notes: list[str],
) -> None:
    recovered = MassFigure(intake.t + treated.t, _basis(intake.basis, treated.basis))
    recovered_kg = _kg(intake.kg + treated.kg)
    rate_keys = ("sdg_collection_rate_pct", "sdg_11_6_1_pct", "sdg_recovery_rate_pct")
    if tpa is None:
        out.missing("sdg_msw_collected_kg", "kg", "mass delivered to the TPA unknown")
        out.missing("sdg_msw_controlled_kg", "kg", "mass delivered to the TPA unknown")
    else:
        collected = MassFigure(
            tpa.t + recovered.mass_t, _basis(tpa.basis, recovered.basis)
        )
        controlled_tpa = bool(site.controlled)
        controlled = MassFigure(
            recovered.mass_t + (tpa.t if controlled_tpa else 0.0),
            _basis(recovered.basis, tpa.basis if controlled_tpa else MEASURED),
        )
        out.add(
            "sdg_msw_collected_kg",
            _kg(tpa.kg + recovered_kg),
            "kg",
            collected.basis,
            "delivered to the TPA + recovered at banks and treatment",
        )
        tpa_note = {
            True: "the TPA meets WaCT basic control (city profile)",
            False: "the TPA does not meet WaCT basic control (city profile)",
            None: "the TPA's WaCT control level is not assessed: counted as uncontrolled",
        }[site.controlled]
        out.add(
            "sdg_msw_controlled_kg",
            _kg(recovered_kg + (tpa.kg if controlled_tpa else Decimal("0"))),
            "kg",
            controlled.basis,
            f"recovery facilities (banks, treatment) + TPA if controlled; {tpa_note}",
        )
    out.add(
        "sdg_msw_recovered_kg",
        recovered_kg,
        "kg",
        recovered.basis,
        "bank intake + treatment inputs net of residue",
    )
    if generated is None or tpa is None:
        why = "MSW generated unknown" if generated is None else "TPA mass unknown"
        for key in rate_keys:
            out.missing(key, "%", why)
        return
    try:
        sdg = sdg_11_6_1_parameters(
            generated=generated,
            collected=collected,
            controlled=controlled,
            recovered=recovered,
        )
    except EnergyModelError as error:
        notes.append(
            "SDG 11.6.1 rates not computed: collected waste exceeds the estimated "
            f"generation ({error.message}); check population and kg/cap/day."
        )
        for key in rate_keys:
            out.missing(key, "%", "collected waste exceeds the estimated generation")
        return
    source = "UN-Habitat Waste Wise Cities Tool: {} / MSW generated"
    out.add(
        rate_keys[0],
        _pct(sdg.collection_rate),
        "%",
        sdg.collection_rate.basis,
        source.format("MSW collected"),
    )
    out.add(
        rate_keys[1],
        _pct(sdg.controlled_rate),
        "%",
        sdg.controlled_rate.basis,
        source.format("MSW managed in controlled facilities"),
    )
    out.add(
        rate_keys[2],
        _pct(sdg.recovery_rate),
        "%",
        sdg.recovery_rate.basis,
        source.format("MSW recovered"),
    )
