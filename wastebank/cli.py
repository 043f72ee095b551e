"""``flask --app wsgi ...`` commands: cities, banks, users, categories, the demo city."""

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
from wastebank.auth import password_policy
from wastebank.exceptions import WasteBankError
from wastebank.extensions import db
from wastebank.fields import Name
from wastebank.models import Bank
from wastebank.schemas import BankCreateSchema, BankSchema, CategorySchema

cities_cli = AppGroup("cities", help="Cities and their DLH.")
banks_cli = AppGroup("banks", help="Waste banks (units and induk).")
users_cli = AppGroup("users", help="User accounts.")
categories_cli = AppGroup(
    "categories", help="The waste catalogue every city shares, and price ceilings."
)
demo_cli = AppGroup("demo", help="The demo city (Ambon).")


_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


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
@_PASSWORD_STDIN
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
    password = _read_password(password_stdin)
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
            policy=password_policy(),
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"User {user.username} ({user.role}) created.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_cli.command("reset-password")
@click.argument("username")
@_PASSWORD_STDIN
def reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password for USERNAME: their sessions and tokens end, and their login
    locks are lifted."""
    password = _read_password(password_stdin)
    try:
        services.reset_password(
            db.session,
            SYSTEM,
            username,
            new_password=password,
            policy=password_policy(),
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"New password set for {username}; their sessions were ended.")


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_user(username: str) -> None:
    """Deactivate USERNAME: they cannot log in, and every session and token ends."""
    try:
        user = services.set_user_active(db.session, SYSTEM, username, active=False)
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"User {user.username} deactivated; their sessions were ended.")


@users_cli.command("activate")
@click.argument("username")
def activate_user(username: str) -> None:
    """Reactivate USERNAME (they log in with their password)."""
    try:
        user = services.set_user_active(db.session, SYSTEM, username, active=True)
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"User {user.username} activated.")


@users_cli.command("unlock")
@click.argument("username", required=False)
@click.option(
    "--address",
    help="Only from this source address; without USERNAME, the address's own lock "
    "(every username from it).",
)
def unlock_logins(username: str | None, address: str | None) -> None:
    """Lift the login locks of USERNAME (from every address) and/or of an address."""
    try:
        removed = services.unlock_logins(
            db.session, SYSTEM, username=username, address=address
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{removed} login counter(s) removed.")


@categories_cli.command("list")
def list_categories() -> None:
    """Print every active category, with its price ceiling, as JSON lines."""
    for category in services.list_categories(db.session):
        click.echo(json.dumps(CategorySchema().dump(category)))


@categories_cli.command("set-max-price")
@click.argument("code")
@click.argument("max_price_rp", type=click.IntRange(min=1, max=10**12))
def set_max_price(code: str, max_price_rp: int) -> None:
    """Set the ceiling on the price per unit of category CODE, in whole rupiah."""
    try:
        category = services.set_max_price(
            db.session, SYSTEM, code, max_price_rp=max_price_rp
        )
    except WasteBankError as error:
        _fail(error)
    db.session.commit()
    click.echo(json.dumps(CategorySchema().dump(category)))


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


groups = [cities_cli, banks_cli, users_cli, categories_cli, demo_cli]
