"""CLI tests of ``flask routing plan`` and ``flask routing trucks``."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from routing import services, validate
from routing.models import RoutePlan
from tests.routing.conftest import (
    SERVICE_DATE,
    TIME_LIMIT_S,
    Fleet,
    add_bin,
    offset,
    plan_today_round_the_clock,
)
from wastebank.access import SYSTEM

PLAN = ["routing", "plan", "--city", "AMB", "--date", SERVICE_DATE.isoformat()]
BUDGET = ["--time-limit", str(TIME_LIMIT_S), "--seed", "3"]


def _some_bins(db: Session) -> None:
    add_bin(db, "AMB-01", fill_pct=95, capacity_l=3000)
    add_bin(db, "AMB-02", fill_pct=90, capacity_l=3000, at=offset(0.01, 0.01))
    add_bin(db, "AMB-03", fill_pct=20, rate_pct_per_day=2, at=offset(-0.01, 0.0))
    db.commit()


def test_plan_prints_json_like_the_api_and_stores_the_plan(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    _some_bins(db)

    result = runner.invoke(args=[*PLAN, *BUDGET, "--trucks", "t1", "--json"])

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["city"] == "AMB"
    assert [r["truck"] for r in body["routes"]] == ["T1"]
    assert body["parameters"]["trucks"] == ["T1"]
    assert body["seed"] == 3
    served = {s["bin"] for r in body["routes"] for s in r["stops"] if s["bin"]}
    assert served == {"AMB-01", "AMB-02"}
    plan = services.get_route_plan(db, SYSTEM, body["id"])
    assert plan.created_by_id is None  # the system actor
    assert validate(services.stored_problem(plan), services.stored_solution(plan)) == []


def test_plan_prints_a_readable_summary_in_local_time(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    _some_bins(db)

    result = runner.invoke(args=[*PLAN, *BUDGET])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Route plan ")
    assert f"AMB on {SERVICE_DATE.isoformat()} (Asia/Jayapura)" in lines[0]
    assert any("AMB-01" in line and "TPS AMB-01" in line for line in lines)
    assert any("unload at TPA-TOISAPU" in line for line in lines)
    assert "skipped today: 1 bin\n" in result.output
    # Shifts start at 05:00 WIT; the first visit is shown in WIT, not UTC.
    first_visit = next(line for line in lines if line.strip().startswith("1. "))
    assert first_visit.split()[1] >= "05:00"


def test_plan_fails_with_the_culprit_on_stderr_and_stores_nothing(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    add_bin(db, "AMB-HUGE", fill_pct=100, capacity_l=30_000)
    db.commit()

    result = runner.invoke(args=[*PLAN, *BUDGET])

    assert result.exit_code == 1
    assert "infeasible_problem" in result.output
    assert "AMB-HUGE" in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(RoutePlan)) == 0


def test_plan_refuses_bad_options_with_the_api_envelope(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    result = runner.invoke(args=[*PLAN, "--threshold", "150"])

    assert result.exit_code == 1
    envelope = json.loads(result.output)
    assert envelope["type"] == "validation_error"
    assert "threshold_pct" in envelope["errors"]


def test_trucks_lists_the_fleet(runner: FlaskCliRunner, fleet: Fleet) -> None:
    result = runner.invoke(args=["routing", "trucks", "--city", "AMB"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["T1", "T2"]
    assert "05:00-13:00" in lines[0]
    assert "AMB-POOL" in lines[0]


def test_replan_plans_the_rest_of_today_and_says_what_it_replans(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    _some_bins(db)
    old = plan_today_round_the_clock(db)
    result = runner.invoke(
        args=["routing", "replan", str(old.id), "--time-limit", str(TIME_LIMIT_S)]
    )
    assert result.exit_code == 0, result.output
    new_id = db.scalar(sa.select(RoutePlan.id).where(RoutePlan.replans_id == old.id))
    assert new_id is not None
    assert result.output.startswith(f"Route plan {new_id}: AMB on ")
    assert f"; re-plans plan {old.id}" in result.output.splitlines()[0]
    assert "  T48 from AMB-POOL " in result.output  # nothing reported: at the garage

    as_json = runner.invoke(args=["routing", "replan", str(old.id), "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["replans"] == old.id
    assert json.loads(as_json.output)["parameters"]["add_full_bins"] is False

    adding = runner.invoke(
        args=["routing", "replan", str(old.id), "--add-full-bins", "--json"]
    )
    assert adding.exit_code == 0, adding.output
    assert json.loads(adding.output)["parameters"]["add_full_bins"] is True


def test_replan_refusals_use_the_api_envelope(
    runner: FlaskCliRunner, db: Session, fleet: Fleet
) -> None:
    _some_bins(db)
    plan = services.create_route_plan(
        db, SYSTEM, service_date=SERVICE_DATE, city="AMB", time_limit_s=TIME_LIMIT_S
    )
    db.commit()
    refused = runner.invoke(args=["routing", "replan", str(plan.id), "--json"])
    assert refused.exit_code == 1
    body = json.loads(refused.stderr)
    assert body["type"] == "replan_refused"
    bad = runner.invoke(args=["routing", "replan", str(plan.id), "--time-limit", "0"])
    assert bad.exit_code == 1
    assert "time_limit_s" in bad.stderr
    count = db.scalar(sa.select(sa.func.count()).select_from(RoutePlan))
    assert count == 1
