"""The application factory: the composition root that knows every part."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import Flask, jsonify, request, session
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from wastebank import security
from wastebank.config import DefaultConfig
from wastebank.extensions import (
    MAX_ID,
    babel,
    csrf,
    db,
    login_manager,
    migrate,
)
from wastebank.rest import JSONProvider, api

log = logging.getLogger(__name__)


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route, bounded to the ids a table can hold.

    A larger number in a URL would reach the database driver and fail there
    (SQLite cannot even bind 2**63): a 500. Out of range, the URL matches no route
    and is a plain 404 in the error envelope.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the wastebank Flask application.

    :param config: settings that override the defaults and the ``WASTEBANK_*``
        environment (tests pass a dict here).
    """
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = IdConverter
    app.json = JSONProvider(app)
    _configure(app, config)
    _configure_proxies(app)
    _configure_logging(app)
    security.init_app(app)
    _configure_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    _register_template_helpers(app)
    _register_health(app)
    return app


def _configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("WASTEBANK")
    if config:
        app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL")
        if not url:
            os.makedirs(app.instance_path, exist_ok=True)
            url = "sqlite:///" + os.path.join(app.instance_path, "wastebank.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    security.check_secret_key(app.config)


def _configure_proxies(app: Flask) -> None:
    # Behind TRUSTED_PROXIES reverse proxies, the client is the address they append to
    # X-Forwarded-For; without them the header is anyone's to forge and is ignored (the
    # login throttle counts per source address).
    hops = int(app.config["TRUSTED_PROXIES"] or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=app.config.get("LOG_LEVEL", "INFO"),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work while a cashier
    # writes; busy_timeout makes concurrent writers wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _configure_extensions(app: Flask) -> None:
    from routing import models as routing_models  # noqa: F401 - register tables too
    from telemetry import models as telemetry_models  # noqa: F401 - register tables too
    from wastebank import models  # noqa: F401 - register tables for Alembic autogenerate
    from wastebank.schemas import ErrorSchema

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(
        app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations")
    )
    login_manager.init_app(app)
    login_manager.login_view = "wastebank.login"
    login_manager.login_message = None  # the login page says why by itself
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)


def _select_locale() -> str:
    """Indonesian unless the user chose English, or the browser prefers it."""
    languages = list(current_languages())
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages, default=languages[0]) or "id"


def current_languages() -> tuple[str, ...]:
    from flask import current_app

    return tuple(current_app.config["LANGUAGES"])


def _register_blueprints(app: Flask) -> None:
    from routing import api as routing_api
    from routing import plans_api as routing_plans_api
    from telemetry import api as telemetry_api
    from wastebank import api as wastebank_api
    from wastebank import (
        backoffice_api,
        backoffice_views,
        counter_views,
        dlh_dashboard,
        dlh_views,
        driver_views,
        notifications_api,
        price_views,
        receipt_views,
        reports_api,
        shipment_views,
        users_api,
        users_views,
        views,
    )

    # The REST API authenticates with bearer tokens (and sensors with device keys), never
    # with cookies, so it has no CSRF exposure; the HTML views keep CSRF protection.
    for blueprint in (
        wastebank_api.bp,
        telemetry_api.bp,
        routing_api.bp,
        backoffice_api.bp,
        routing_plans_api.bp,
        reports_api.bp,
        notifications_api.bp,
        users_api.bp,
    ):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(views.bp)
    app.register_blueprint(counter_views.bp)
    app.register_blueprint(receipt_views.bp)
    app.register_blueprint(backoffice_views.bp)
    app.register_blueprint(price_views.bp)
    app.register_blueprint(shipment_views.bp)
    app.register_blueprint(driver_views.bp)
    app.register_blueprint(dlh_views.bp)
    app.register_blueprint(dlh_dashboard.bp)
    app.register_blueprint(users_views.bp)


def _register_error_handlers(app: Flask) -> None:
    from wastebank.errors import register_error_handlers

    register_error_handlers(app)


def _register_cli(app: Flask) -> None:
    from routing.cli import energy_cli, routing_cli
    from telemetry.cli import telemetry_cli
    from wastebank import cli
    from wastebank.notifications_worker import notifications_cli

    for group in [
        *cli.groups,
        telemetry_cli,
        energy_cli,
        routing_cli,
        notifications_cli,
    ]:
        app.cli.add_command(group)


def _register_template_helpers(app: Flask) -> None:
    @app.template_filter("localtime")
    def localtime(value: dt.datetime | None, zone: str | None = None) -> str:
        """A UTC timestamp shown in the bank's or city's zone, in the user's language."""
        if value is None:
            return ""
        tz = ZoneInfo(zone or app.config["DEFAULT_TIMEZONE"])
        text = format_datetime(value, "medium", tzinfo=tz, locale=get_locale())
        return f"{text} {value.astimezone(tz).tzname()}"

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_locale": str(get_locale()), "languages": current_languages()}


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        """Liveness and database check for load balancers and monitoring."""
        try:
            db.session.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            log.exception("Health check: database unreachable")
            db.session.rollback()
            return jsonify({"status": "error", "database": "unreachable"}), 503
        return jsonify({"status": "ok", "database": "ok"})

    csrf.exempt(healthz)
