"""``flask --app wsgi energy ...`` and ``flask --app wsgi routing ...``.

``routing plan`` plans and stores a day's collection routes as ``POST
/api/v1/route-plans`` does (as the system actor) and prints a summary, or the API's
JSON with ``--json``; ``routing trucks`` lists the fleet.

``energy ...``: the waste-to-energy calculators on the command line.

Each command builds the same body as the matching API endpoint, from options or from a
JSON file (``--json body.json``, or ``--json -`` for standard input; options given as
well override the file's keys), loads it with the API's schema, calls the same
function and prints the same JSON. A refused parameter prints the API's error
envelope on standard error and exits with status 1.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import IO, Any, NoReturn
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from marshmallow import Schema, ValidationError

from routing import services as plan_services
from routing.api import estimate_energy, estimate_landfill_methane
from routing.energy import EnergyModelError
from routing.exceptions import RoutingError
from routing.plan_schemas import (
    ReplanCreateSchema,
    RoutePlanCreateSchema,
    RoutePlanSchema,
)
from routing.plans_api import error_body, plan_distance_source
from routing.schemas import (
    ENERGY_PATHWAYS,
    EnergyEstimateRequestSchema,
    EnergyEstimateSchema,
    LandfillMethaneRequestSchema,
    LandfillMethaneSchema,
)
from wastebank.access import SYSTEM
from wastebank.errors import envelope
from wastebank.extensions import MAX_ID, db

energy_cli = AppGroup(
    "energy", help="Waste-to-energy and landfill-methane calculators (print JSON)."
)

_JSON_OPTION = click.option(
    "--json",
    "body_file",
    type=click.File("r"),
    help="A JSON file with the API's request body ('-' reads standard input).",
)


def _fail(status: int, type_: str, message: str, errors: dict[str, Any]) -> NoReturn:
    click.echo(json.dumps(envelope(status, type_, message, errors)), err=True)
    sys.exit(1)


def _read_body(body_file: IO[str] | None) -> dict[str, Any]:
    if body_file is None:
        return {}
    try:
        body = json.load(body_file)
    except json.JSONDecodeError as error:
        _fail(400, "bad_request", f"The JSON body could not be read: {error}.", {})
    if not isinstance(body, dict):
        _fail(400, "bad_request", "The JSON body must be an object.", {})
    return body


def _split(text: str, separator: str, option: str, form: str) -> tuple[str, str]:
    head, found, tail = text.partition(separator)
    if not found or not head or not tail:
        raise click.BadParameter(
            f"{text!r} is not of the form {form}.", param_hint=option
        )
    return head.strip(), tail.strip()


def _json_value(text: str) -> Any:
    """A number, list or object as JSON; anything else as the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _run(schema: Schema, body: dict[str, Any], compute: Any, output: Schema) -> None:
    try:
        result = compute(schema.load(body))
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        _fail(422, "validation_error", "The request has invalid fields.", messages)
    except EnergyModelError as error:
        errors = {error.field: [error.message]} if error.field else {}
        _fail(422, error.code, error.message, errors)
    click.echo(json.dumps(output.dump(result), indent=2))


@energy_cli.command("estimate")
@click.option(
    "--mass-kg",
    "masses",
    multiple=True,
    metavar="COMPONENT=KG",
    help="Wet kg of a component, e.g. food=1000 (repeat for each component).",
)
@click.option(
    "--pathway",
    "pathways",
    multiple=True,
    type=click.Choice(ENERGY_PATHWAYS),
    help="A pathway to estimate (repeat; default all).",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="PATHWAY.NAME=VALUE",
    help="Override a coefficient, e.g. incineration.net_electrical_efficiency=0.25.",
)
@_JSON_OPTION
def estimate(
    masses: Sequence[str],
    pathways: Sequence[str],
    params: Sequence[str],
    body_file: IO[str] | None,
) -> None:
    """Energy and electricity of a waste mass per pathway (as POST /energy/estimate)."""
    body = _read_body(body_file)
    if masses:
        body["mass_kg"] = dict(
            _split(item, "=", "--mass-kg", "COMPONENT=KG") for item in masses
        )
    if pathways:
        body["pathways"] = list(pathways)
    for item in params:
        name, value = _split(item, "=", "--param", "PATHWAY.NAME=VALUE")
        pathway, coefficient = _split(name, ".", "--param", "PATHWAY.NAME=VALUE")
        section = body.setdefault("parameters", {})
        if not isinstance(section, dict):
            raise click.BadParameter("the body's parameters is not an object.")
        section.setdefault(pathway, {})[coefficient] = _json_value(value)
    _run(EnergyEstimateRequestSchema(), body, estimate_energy, EnergyEstimateSchema())


@energy_cli.command("landfill-methane")
@click.option(
    "--deposit",
    "deposits",
    multiple=True,
    metavar="YEAR:COMPONENT=T",
    help="Wet t of a component landfilled in a year, e.g. 2025:food=1000 (repeat).",
)
@click.option("--climate", help="IPCC climate zone, e.g. tropical_wet.")
@click.option("--mcf", type=float, help="Methane correction factor, 0..1.")
@click.option("--docf", type=float, help="DOCf, 0..1 (default 0.5).")
@click.option("--f", "f", type=float, help="CH4 share of landfill gas, 0..1 (0.5).")
@click.option("--ox", type=float, help="Oxidation factor, 0..1 (default 0).")
@click.option("--recovery", type=float, help="Share of CH4 recovered, 0..1 (0).")
@click.option("--reaction-start-month", type=int, help="Annex 3A.1 M, 1..13 (13).")
@click.option("--first-year", type=int, help="First year reported.")
@click.option("--last-year", type=int, help="Last year reported.")
@_JSON_OPTION
def landfill_methane(
    deposits: Sequence[str], body_file: IO[str] | None, **options: Any
) -> None:
    """Landfill CH4 by year, IPCC 2006 FOD (as POST /energy/landfill-methane)."""
    body = _read_body(body_file)
    if deposits:
        by_year: dict[str, dict[str, str]] = {}
        for item in deposits:
            year, rest = _split(item, ":", "--deposit", "YEAR:COMPONENT=T")
            key, mass_t = _split(rest, "=", "--deposit", "YEAR:COMPONENT=T")
            if key in by_year.setdefault(year, {}):
                raise click.BadParameter(
                    f"{key} is given twice for {year}.", param_hint="--deposit"
                )
            by_year[year][key] = mass_t
        body["deposits_t"] = by_year
    body.update({name: value for name, value in options.items() if value is not None})
    _run(
        LandfillMethaneRequestSchema(),
        body,
        estimate_landfill_methane,
        LandfillMethaneSchema(),
    )


# -- route plans ---------------------------------------------------------------------------
routing_cli = AppGroup("routing", help="Collection route plans and the fleet.")


def _routing_failure(error: RoutingError, as_json: bool) -> NoReturn:
    _status, body = error_body(error)
    if as_json:
        click.echo(json.dumps(body), err=True)
    else:
        click.echo(f"Error ({body['type']}): {body['message']}", err=True)
        for field, messages in body["errors"].items():
            click.echo(f"  {field}: {', '.join(map(str, messages))}", err=True)
    db.session.rollback()
    sys.exit(1)


def _codes(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _hhmm(at: dt.datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


def _summary(plan: Any) -> list[str]:
    zone = ZoneInfo(plan.timezone)
    lines = [
        f"Route plan {plan.id}: {plan.city_code} on {plan.service_date.isoformat()} "
        f"({plan.timezone}); {len(plan.routes)} routes, "
        f"{plan.distance_m / 1000:.1f} km, {plan.duration_s / 3600:.1f} truck-hours, "
        f"{plan.collected_kg:,.0f} kg in {_count(plan.trips, 'TPA trip')}, "
        f"Rp {plan.cost_rp:,}"
        + (f"; re-plans plan {plan.replans_id}" if plan.replans_id else ""),
    ]
    for route in plan.routes:
        lines.append(
            f"  {route.truck.code} from "
            + (
                f"{route.start_lat:.5f},{route.start_lon:.5f}"
                if route.start_lat is not None
                else route.depot.code
            )
            + " "
            f"{_hhmm(route.start_at, zone)}-{_hhmm(route.end_at, zone)}: "
            f"{route.distance_m / 1000:.1f} km, {route.collected_kg:,.0f} kg, "
            f"{_count(route.trips, 'TPA trip')}"
            + (
                f", break {_hhmm(route.break_start_at, zone)}"
                if route.break_start_at is not None
                else ""
            )
        )
        for stop in route.stops:
            if stop.bin is not None:
                what = (
                    f"{stop.bin.code:<12} {stop.bin.name} "
                    f"({stop.expected_fill_pct:.0f} %, {stop.demand_kg:,.0f} kg"
                    f"{', optional' if stop.priority == 'optional' else ''})"
                )
            else:
                facility = stop.facility
                what = f"unload at {facility.code} {facility.name}"
            lines.append(
                f"    {stop.seq:>2}. {_hhmm(stop.start_at, zone)} {what}; "
                f"load {stop.load_after_kg:,.0f} kg"
            )
    for skip in plan.left_out:
        lines.append(f"  left out: {skip.bin.code} ({skip.reason})")
    if plan.skipped:
        lines.append(f"  skipped today: {_count(len(plan.skipped), 'bin')}")
    return lines


@routing_cli.command("plan")
@click.option("--city", help="City code (e.g. AMB).", required=True)
@click.option(
    "--date",
    "service_date",
    help="Service day, YYYY-MM-DD (default: tomorrow in the city).",
)
@click.option("--trucks", help="Truck codes, comma-separated (default: all active).")
@click.option("--depots", help="Use the trucks of these depots (comma-separated).")
@click.option("--facility", help="Facility code to unload at (default: the TPA).")
@click.option("--threshold", type=float, help="Must-collect fill level, % (all bins).")
@click.option("--time-limit", type=float, help="Search budget, seconds (default 5).")
@click.option("--seed", type=int, help="Search seed (default 0).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as the API's JSON."
)
def plan_routes(
    city: str,
    service_date: str | None,
    trucks: str | None,
    depots: str | None,
    facility: str | None,
    threshold: float | None,
    time_limit: float | None,
    seed: int | None,
    as_json: bool,
) -> None:
    """Plan and store a day's collection routes (as POST /api/v1/route-plans)."""
    if service_date is None:
        try:
            zone = ZoneInfo(plan_services.city_timezone(db.session, city))
        except RoutingError as error:
            _routing_failure(error, as_json)
        service_date = (dt.datetime.now(zone).date() + dt.timedelta(days=1)).isoformat()
    body: dict[str, Any] = {"city": city, "date": service_date}
    optional = {
        "trucks": _codes(trucks),
        "depots": _codes(depots),
        "facility": facility,
        "threshold_pct": threshold,
        "time_limit_s": time_limit,
        "seed": seed,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    args = _load(RoutePlanCreateSchema(), body)
    try:
        plan = plan_services.create_route_plan(
            db.session, SYSTEM, **args, distance_source=plan_distance_source()
        )
    except RoutingError as error:
        _routing_failure(error, as_json)
    _commit_and_print(plan.id, as_json)


def _load(schema: Schema, body: dict[str, Any]) -> dict[str, Any]:
    """The request as the API's schema reads it; exits with its envelope if invalid."""
    try:
        return dict(schema.load(body))
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        _fail(422, "validation_error", "The request has invalid fields.", messages)


def _commit_and_print(plan_id: int, as_json: bool) -> None:
    db.session.commit()
    plan = plan_services.get_route_plan(db.session, SYSTEM, plan_id)
    if as_json:
        click.echo(json.dumps(RoutePlanSchema().dump(plan), indent=2))
    else:
        click.echo("\n".join(_summary(plan)))


@routing_cli.command("replan")
@click.argument("plan_id", type=click.IntRange(1, MAX_ID))
@click.option("--trucks", help="Truck codes, comma-separated (default: the plan's).")
@click.option("--time-limit", type=float, help="Search budget, seconds (default 3).")
@click.option("--seed", type=int, help="Search seed (default 0).")
@click.option(
    "--add-full-bins",
    is_flag=True,
    help="Also plan the city's bins that must be collected now and are on no route "
    "dispatched today.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as the API's JSON."
)
def replan_routes(
    plan_id: int,
    trucks: str | None,
    time_limit: float | None,
    seed: int | None,
    add_full_bins: bool,
    as_json: bool,
) -> None:
    """Plan the rest of today's dispatched plan from where the trucks are (as POST
    /api/v1/route-plans/{id}/replan); dispatch the new plan to hand the day over."""
    optional = {
        "trucks": _codes(trucks),
        "time_limit_s": time_limit,
        "seed": seed,
        "add_full_bins": add_full_bins or None,
    }
    args = _load(
        ReplanCreateSchema(), {k: v for k, v in optional.items() if v is not None}
    )
    try:
        plan = plan_services.replan_route_plan(
            db.session, SYSTEM, plan_id, **args, distance_source=plan_distance_source()
        )
    except RoutingError as error:
        _routing_failure(error, as_json)
    _commit_and_print(plan.id, as_json)


@routing_cli.command("trucks")
@click.option("--city", help="Only this city's trucks.")
def list_trucks(city: str | None) -> None:
    """List the registered trucks."""
    for truck in plan_services.list_trucks(db.session, SYSTEM, city=city):
        click.echo(
            f"{truck.code:<12} {truck.city_code:<4} {truck.kind:<10} "
            f"{truck.capacity_kg:>9,.0f} kg {truck.capacity_m3:>6} m3  "
            f"{plan_services.format_time_of_day(truck.shift_start_s)}-"
            f"{plan_services.format_time_of_day(truck.shift_end_s)}  "
            f"depot {truck.depot.code}{'' if truck.active else '  (inactive)'}"
        )
