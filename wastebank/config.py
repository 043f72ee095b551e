"""Configuration defaults and the order in which settings are loaded.

Load order (later wins):

1. :class:`DefaultConfig` (safe development defaults: SQLite under ``instance/``).
2. Environment variables prefixed ``WASTEBANK_`` via ``app.config.from_prefixed_env``;
   values are JSON-parsed when they parse (``WASTEBANK_TOKEN_TTL_S=3600`` is an int) and
   ``__`` separates nested keys. ``WASTEBANK_DATABASE_URL`` sets the database.
3. The ``config`` mapping passed to ``create_app`` (tests use it).

The app refuses to start with the development ``SECRET_KEY`` unless ``TESTING`` is on,
and with any ``SECRET_KEY`` shorter than 32 bytes (:mod:`wastebank.security`).
"""

from __future__ import annotations

#: Accepted only when TESTING is on; as long as a real key must be (32 bytes or more).
DEV_SECRET_KEY = "dev-only-insecure-key-never-deploy"  # noqa: S105 - refused outside tests


class DefaultConfig:
    """Defaults suitable for a laptop; production overrides them via the environment."""

    SECRET_KEY = DEV_SECRET_KEY
    # None means "SQLite file in the instance folder", resolved by the factory.
    DATABASE_URL: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Where people reach this installation, e.g. "https://banksampah.ambon.go.id": the
    # base of links printed on receipts (never the request's Host header); https://
    # makes the cookies Secure and sends HSTS. None: http://localhost:5000, with a
    # warning (./script/server sets it from WASTEBANK_HOST and WASTEBANK_PORT).
    PUBLIC_URL: str | None = None

    # Reject request bodies above 1 MiB (a member or a deposit is a few hundred bytes).
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Bearer tokens for the API.
    TOKEN_TTL_S = 12 * 3600
    # A browser login ends this long after it began (or at logout): a working day.
    SESSION_LIFETIME_S = 12 * 3600
    # Login throttling, counted per source address: this many attempts for one
    # username, and this many over all usernames, within the window; then the address
    # waits out the window (see wastebank.services.logins).
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_S = 15 * 60
    # How many reverse proxies in front of the app set X-Forwarded-For (werkzeug's
    # ProxyFix). 0: the TCP peer is the source address and the header is ignored, as
    # anyone can send it.
    TRUSTED_PROXIES = 0
    # werkzeug's default (scrypt). Tests may choose a cheaper method.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash method name
    # The fewest characters of a new password (wastebank.passwords).
    PASSWORD_MIN_LENGTH = 10

    DEFAULT_TIMEZONE = "Asia/Jayapura"

    # Route plans: road distances and times from an OSRM server's table service
    # (e.g. "http://127.0.0.1:5000"); None = straight line x 1.3 at 25 km/h.
    OSRM_URL: str | None = None
    # Member notifications: the gateway hosts a bank may use, e.g.
    # WASTEBANK_NOTIFY_ALLOWED_HOSTS='["api.fonnte.com", "*.wablas.com"]' (or one
    # comma-separated string). Empty: any host whose addresses are all public.
    NOTIFY_ALLOWED_HOSTS: tuple[str, ...] = ()
    OSRM_PROFILE = "driving"
    OSRM_TIMEOUT_S = 30
    # Route plans computed at once by the web server, each in a child process while a
    # server thread waits for it: in all (every worker and host on this database) and
    # per city. Keep the total below the server's threads (./script/server: 2 x 4);
    # beyond the limits a plan is refused with 503 and Retry-After.
    PLAN_MAX_CONCURRENT = 2
    PLAN_MAX_PER_CITY = 1

    # The driver's map: a tile URL template ({z}/{x}/{y}, optionally {s}) and the
    # attribution its licence asks for. OpenStreetMap's own server is for light use
    # (https://operations.osmfoundation.org/policies/tiles/); a city with many trucks
    # points this at its own or a commercial tile server. Without tiles the page is a list.
    MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    MAP_TILE_ATTRIBUTION = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        " contributors"
    )

    # Flask-Babel: Indonesian first, English second.
    LANGUAGES = ("id", "en")
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jayapura"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = (
        None  # a counter page stays open all day; the session bounds it
    )

    # flask-smorest / OpenAPI.
    API_TITLE = "wastebank API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    API_SPEC_OPTIONS = {
        # Every operation needs a bearer token unless it says otherwise (the token route).
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "info": {
            "description": "Waste banks, members, cards, telemetry and routing. "
            "Every error has the same JSON envelope: "
            '{"code", "status", "type", "message", "errors"}.'
        },
    }
