"""``flask --app wsgi energy ...``: the waste-to-energy calculators on the command line.

Each command builds the same body as the matching API endpoint, from options or from a
JSON file (``--json body.json``, or ``--json -`` for standard input; options given as
well override the file's keys), loads it with the API's schema, calls the same
function and prints the same JSON. A refused parameter prints the API's error
envelope on standard error and exits with status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import IO, Any, NoReturn

import click
from flask.cli import AppGroup
from marshmallow import Schema, ValidationError

from routing.api import estimate_energy, estimate_landfill_methane
from routing.energy import EnergyModelError
from routing.schemas import (
    ENERGY_PATHWAYS,
    EnergyEstimateRequestSchema,
    EnergyEstimateSchema,
    LandfillMethaneRequestSchema,
    LandfillMethaneSchema,
)
from wastebank.errors import envelope

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
