"""The driver's page (Indonesian first, phone first): today's route as a list and a map.

The page itself is a shell: ``static/js/driver.js`` reads the route from
``GET /api/v1/driver/routes`` and reports with ``POST /api/v1/route-stops/{id}/events``,
both with the login session and the CSRF token in a header (see
:func:`wastebank.auth.authenticate_bearer_or_session`), so the page and other clients
share one adapter and one error envelope. Reports wait in the browser's storage while
the phone has no signal and are sent when it comes back, each under its own
``Idempotency-Key``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required
from marshmallow import ValidationError

from wastebank.access import Role
from wastebank.fields import parse_date

bp = Blueprint("driver", __name__)


@bp.get("/driver")
@login_required
def show_route() -> Any:
    """Today's route of the logged-in driver (drivers only; ``?date=`` another day)."""
    if current_user.role != Role.DRIVER:
        abort(403)
    try:
        day: dt.date | None = parse_date(request.args.get("date", ""))
    except ValidationError:
        day = None  # today in the driver's city, as the API decides
    return render_template(
        "wastebank/driver.html",
        service_date=day.isoformat() if day else "",
        tile_url=current_app.config["MAP_TILE_URL"],
        tile_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
    )
