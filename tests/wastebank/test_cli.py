"""`flask --app wsgi ...` commands, through Flask's CLI runner."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from routing.models import RoutePlan, RouteStopEvent
from routing.services import list_driver_routes
from telemetry.models import Bin
from wastebank import demo_dispatch, services
from wastebank.models import Bank, Member, User


def test_create_city_bank_and_users(runner: FlaskCliRunner, db: Session) -> None:
    assert (
        runner.invoke(
            args=["cities", "create", "AMB", "--name", "Kota Ambon"]
        ).exit_code
        == 0
    )
    induk = runner.invoke(
        args=[
            "banks",
            "create",
            "BSI01",
            "--name",
            "Induk",
            "--kind",
            "induk",
            "--city",
            "AMB",
            "--district",
            "Sirimau",
        ]
    )
    assert induk.exit_code == 0, induk.output
    assert json.loads(induk.output)["timezone"] == "Asia/Jayapura"
    assert json.loads(induk.output)["district"] == "Sirimau"
    unit = runner.invoke(
        args=[
            "banks",
            "create",
            "BSU01",
            "--name",
            "Unit",
            "--kind",
            "unit",
            "--parent",
            "BSI01",
            "--opening-days",
            "sat,sun",
        ]
    )
    assert unit.exit_code == 0, unit.output
    assert json.loads(unit.output)["parent"] == "BSI01"
    assert json.loads(unit.output)["district"] is None  # not inherited from the induk
    assert json.loads(unit.output)["opening_days"] == ["sat", "sun"]
    created = runner.invoke(
        args=[
            "users",
            "create",
            "kasir1",
            "--role",
            "cashier",
            "--bank",
            "BSU01",
            "--password-stdin",
        ],
        input="rahasia-sekali\n",
    )
    assert created.exit_code == 0, created.output
    user = db.scalar(sa.select(User).where(User.username == "kasir1"))
    assert user is not None and user.bank.code == "BSU01" and user.city.code == "AMB"
    assert (
        services.check_credentials(
            db,
            username="kasir1",
            password="rahasia-sekali",
            hash_method="pbkdf2:sha256:1000",
        ).id
        == user.id
    )


def test_password_prompt_asks_twice(runner: FlaskCliRunner, db: Session) -> None:
    result = runner.invoke(
        args=["users", "create", "root2", "--role", "admin"],
        input="panjang-sekali\npanjang-sekali\n",
    )
    assert result.exit_code == 0, result.output
    assert db.scalar(sa.select(User.role).where(User.username == "root2")) == "admin"


def test_domain_errors_exit_non_zero_with_the_message(
    runner: FlaskCliRunner, db: Session
) -> None:
    bad_parent = runner.invoke(
        args=[
            "banks",
            "create",
            "BSU01",
            "--name",
            "U",
            "--kind",
            "unit",
            "--parent",
            "NOPE",
        ]
    )
    assert bad_parent.exit_code == 1
    assert "No bank with code NOPE" in bad_parent.output
    no_bank = runner.invoke(
        args=["users", "create", "k", "--role", "cashier", "--password-stdin"],
        input="abcdefgh\n",
    )
    assert no_bank.exit_code == 1
    assert "belongs to a bank" in no_bank.output
    bad_code = runner.invoke(
        args=["banks", "create", "BAD CODE!", "--name", "U", "--kind", "unit"]
    )
    assert bad_code.exit_code == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Bank)) == 0


def test_demo_load_builds_ambon_once(runner: FlaskCliRunner, db: Session) -> None:
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "kasir.bsu01" in result.output and "sampah123" in result.output
    # The demo's known password is set past the password rules, for demo users only.
    demo_user = services.check_credentials(
        db, username="kasir.bsu01", password="sampah123", hash_method="scrypt"
    )
    assert demo_user.role == "cashier"
    banks = db.scalar(sa.select(sa.func.count()).select_from(Bank))
    members = db.scalar(sa.select(sa.func.count()).select_from(Member))
    assert banks == 7 and members > 50
    # Each demo bank is in a kecamatan; Ambon's are spelled as on the demo bins.
    districts = dict(db.execute(sa.select(Bank.code, Bank.district)).all())
    assert {districts["BSI02"], districts["BSU21"]} == {"Magersari", "Prajurit Kulon"}
    ambon = {d for code, d in districts.items() if code not in ("BSI02", "BSU21")}
    assert None not in ambon
    assert ambon <= set(db.scalars(sa.select(Bin.district)))
    roles = set(db.scalars(sa.select(User.role)))
    assert roles == {"admin", "dlh", "manager", "cashier", "driver"}
    # Today's plan of Ambon, dispatched to the demo drivers, with the first reports.
    assert "sopir.2" in result.output
    today = dt.datetime.now(ZoneInfo("Asia/Jayapura")).date()
    plan = db.scalars(sa.select(RoutePlan)).one()
    assert (plan.service_date, plan.status) == (today, "dispatched")
    # How many routes today's plan needs depends on the hour (levels grow until the
    # shift starts); each goes to the next demo driver, the busiest to sopir.1.
    assert 1 <= len(plan.routes) <= len(demo_dispatch.DRIVERS)
    drivers = sorted(route.driver_username or "" for route in plan.routes)
    assert drivers == list(demo_dispatch.DRIVERS[: len(plan.routes)])
    sopir = services.actor_for(
        db.scalars(sa.select(User).where(User.username == "sopir.1")).one()
    )
    (route,) = list_driver_routes(db, sopir)
    bins = [stop for stop in route.stops if stop.kind == "stop"]
    reported = [("collected", None), ("skipped", "blocked")][: len(bins)]
    events = db.scalars(sa.select(RouteStopEvent).order_by(RouteStopEvent.id)).all()
    assert [(e.stop_id, e.kind, e.reason) for e in events] == [
        (stop.id, kind, reason)
        for stop, (kind, reason) in zip(bins, reported, strict=False)
    ]
    assert [stop.state for stop in bins][:2] == ["collected", "skipped"][: len(bins)]
    assert bins[0].bin is not None and bins[0].bin.last_collected_at is not None
    # Reported after the bin's last demo reading: it shows empty, with no full alert.
    assert bins[0].bin.fill_pct == 0
    assert bins[0].bin.open_alerts == []

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0
    assert "not loaded again" in again.output
    assert db.scalar(sa.select(sa.func.count()).select_from(Member)) == members
    assert db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(RouteStopEvent)) == len(
        events
    )
