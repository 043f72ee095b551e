"""``flask --app wsgi ...`` commands: cities, banks, users and the demo city."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from wastebank import services
from wastebank.access import SYSTEM, Role
from wastebank.exceptions import WasteBankError
from wastebank.extensions import db
from wastebank.fields import Name
from wastebank.models import Bank
from wastebank.schemas import BankCreateSchema, BankSchema

cities_cli = AppGroup("cities", help="Cities and their DLH.")
banks_cli = AppGroup("banks", help="Waste banks (units and induk).")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="The demo city (Ambon).")


def _fail(error: Exception) -> None:
    db.session.rollback()
    click.echo(f"Error: {error}", err=True)
    sys.exit(1)


def _check_names(**names: str | None) -> None:
    """Refuse names with invisible or text-direction characters, as the API does."""
    field = Name(allow_none=True)
    for option, value in names.items():
        try:
            field.deserialize(value)
        except ValidationError as error:
            _fail(
                Exception(f"--{option.replace('_', '-')}: {' '.join(error.messages)}")
            )


@cities_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--timezone", default="Asia/Jayapura", show_default=True)
@click.option("--province")
@click.option("--dlh-name", help="Name of the city's environment agency.")
def create_city(
    code: str, name: str, timezone: str, province: str | None, dlh_name: str | None
) -> None:
    """Create a city with code CODE (e.g. AMB)."""
    _check_names(name=name, dlh_name=dlh_name)
    try:
        city = services.create_city(
            db.session,
            code=code,
            name=name,
            timezone=timezone,
            province=province,
            dlh_name=dlh_name,
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"City {city.code} created.")


@banks_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["unit", "induk"]), required=True)
@click.option("--parent", help="Code of the induk this unit belongs to.")
@click.option("--city", help="Code of the city (see `flask cities create`).")
@click.option("--address")
@click.option("--district", help="The kecamatan, spelled as on the city's bins.")
@click.option("--lat", "latitude", type=float)
@click.option("--lon", "longitude", type=float)
@click.option("--timezone", help="Default: the city's, else Asia/Jayapura.")
@click.option("--opening-days", default="", help="Comma-separated, e.g. sat,sun.")
def create_bank(code: str, **options: Any) -> None:
    """Create a bank with code CODE."""
    raw = {"code": code, **{k: v for k, v in options.items() if v is not None}}
    raw["opening_days"] = [d for d in raw.pop("opening_days", "").split(",") if d]
    try:
        args = BankCreateSchema(as_form=True).load(raw)
        bank = services.create_bank(
            db.session,
            SYSTEM,
            code=args["code"],
            name=args["name"],
            kind=args["kind"],
            parent_code=args["parent"],
            city_code=args["city"],
            address=args["address"],
            latitude=args["latitude"],
            longitude=args["longitude"],
            timezone=args["timezone"],
            opening_days=args["opening_days"],
            district=args["district"],
        )
    except ValidationError as error:
        _fail(Exception(json.dumps(error.messages)))
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(json.dumps(BankSchema().dump(bank)))


@banks_cli.command("list")
def list_banks() -> None:
    """Print every bank as JSON lines."""
    for bank in services.list_banks(db.session, SYSTEM):
        click.echo(json.dumps(BankSchema().dump(bank)))


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--bank", "bank_code", help="Bank code (manager, cashier).")
@click.option(
    "--city", "city_code", help="City code (dlh; others default to their bank's)."
)
@click.option("--name", "full_name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
def create_user(
    username: str,
    role: str,
    bank_code: str | None,
    city_code: str | None,
    full_name: str | None,
    password_stdin: bool,
) -> None:
    """Create a user; the password is prompted for (or read with --password-stdin)."""
    _check_names(name=full_name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            db.session,
            SYSTEM,
            username=username,
            password=password,
            role=role,
            bank_code=bank_code,
            city_code=city_code,
            full_name=full_name,
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"User {user.username} ({user.role}) created.")


@demo_cli.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database has banks already."
)
def load_demo(if_empty: bool) -> None:
    """Load the demo city of Ambon and print the demo logins."""
    from wastebank import demo

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(Bank)):
        click.echo("The database has data already; the demo city was not loaded again.")
    else:
        try:
            demo.load(
                db.session, password_method=current_app.config["PASSWORD_HASH_METHOD"]
            )
        except WasteBankError as error:
            _fail(error)
        db.session.commit()
        click.echo("Demo city loaded.")
    click.echo("Demo logins (username / password / role):")
    for username, password, role in demo.demo_logins():
        click.echo(f"  {username:<14} {password:<12} {role}")


groups = [cities_cli, banks_cli, users_cli, demo_cli]
