"""HTTP hardening: the secret key, the installation's public URL and security headers.

The factory calls :func:`check_secret_key` when it has read the configuration, then
:func:`init_app`, which settles the public URL and adds headers to every answer:

- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy`` and ``X-Frame-Options: DENY``
  on every answer (pages, API, static files, errors, ``/healthz``);
- a Content-Security-Policy: pages may run only scripts and styles from this server
  (``script-src 'self'``: no inline script, no ``on…=`` handler, no ``javascript:`` URL)
  and show images from this server, ``data:``/``blob:`` URLs and the map's tile server;
  other answers (JSON, images, downloads) get ``default-src 'none'``, so a document
  opened from them runs nothing. A view that sets its own policy keeps it;
- ``Cache-Control: no-store`` on every answer except static files, so no browser or proxy
  keeps a page or API answer with members' NIK, phones or balances. A view that sets its
  own ``Cache-Control`` keeps it (drivers' photos are ``private``, for a day);
- ``Strict-Transport-Security`` when the public URL is ``https://``.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, request

from wastebank.config import DEV_SECRET_KEY

log = logging.getLogger(__name__)

#: Shortest accepted ``SECRET_KEY``: 32 bytes, the size of the HMAC-SHA256 key it feeds.
MIN_SECRET_KEY_BYTES = 32
#: What a public URL is when ``WASTEBANK_PUBLIC_URL`` is unset: ``flask run``'s address.
DEFAULT_PUBLIC_URL = "http://localhost:5000"
#: One year; without ``includeSubDomains``, as a city's other hosts may not have HTTPS.
HSTS = "max-age=31536000"
#: Sent with every answer. Same-origin requests carry the full URL; a cross-origin one
#: (map tiles: OpenStreetMap's tile policy asks browsers to send a Referer) only the
#: origin, so no path or query string ever leaves the installation.
REFERRER_POLICY = "strict-origin-when-cross-origin"
#: For answers that are not pages.
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")


def check_secret_key(config: dict[str, Any]) -> None:
    """Refuse the development key outside testing, and any key under 32 bytes.

    :raises RuntimeError: with a sentence that says how to make a good key.
    """
    how = (
        "Set WASTEBANK_SECRET_KEY to a random value of at least "
        f"{MIN_SECRET_KEY_BYTES} bytes, e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(48))' "
        "(./script/server keeps one in instance/secret_key)."
    )
    key = config.get("SECRET_KEY")
    if key == DEV_SECRET_KEY and not config.get("TESTING"):
        raise RuntimeError(f"Refusing to start with the development SECRET_KEY. {how}")
    if not isinstance(key, str | bytes):
        # WASTEBANK_* values are JSON-parsed: an all-digit key arrives as a number.
        raise RuntimeError(f"SECRET_KEY must be a string. {how}")
    length = len(key.encode() if isinstance(key, str) else key)
    if length < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"Refusing to start: SECRET_KEY is {length} bytes long, "
            f"shorter than {MIN_SECRET_KEY_BYTES}. {how}"
        )


def normalize_public_url(url: str) -> str:
    """``https://bank.example/`` -> ``https://bank.example``: checked, no trailing slash.

    :raises RuntimeError: when it is not an http(s) URL with a host, or carries a user,
        a query or a fragment.
    """
    parts = urlsplit(str(url).strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or not _HOST.match(parts.netloc)
        or parts.query
        or parts.fragment
    ):
        raise RuntimeError(
            f"WASTEBANK_PUBLIC_URL must be the installation's address, such as "
            f"https://banksampah.ambon.go.id (got {url!r})."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def configure_public_url(app: Flask) -> None:
    """Settle ``PUBLIC_URL`` and what follows from it (Secure cookies, URL scheme).

    Unset, it is :data:`DEFAULT_PUBLIC_URL` (``http://localhost`` in tests, the test
    client's host), with a warning outside testing: the verification links printed on
    receipts would point there.
    """
    configured = app.config.get("PUBLIC_URL")
    if not configured:
        configured = "http://localhost" if app.testing else DEFAULT_PUBLIC_URL
        if not app.testing:
            log.warning(
                "WASTEBANK_PUBLIC_URL is not set: receipts' verification links point "
                "at %s and cookies are sent without Secure. Set it to the address "
                "people use, e.g. https://banksampah.example.go.id.",
                configured,
            )
    url = normalize_public_url(configured)
    app.config["PUBLIC_URL"] = url
    scheme = urlsplit(url).scheme
    app.config["PREFERRED_URL_SCHEME"] = scheme
    if scheme == "https":
        # Over HTTPS the session (and a remember-me cookie) never travels in clear.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def public_url_for(endpoint: str, *, anchor: str | None = None, **values: Any) -> str:
    """An absolute link to ``endpoint`` at the installation's public URL.

    Unlike ``url_for(..., _external=True)`` it never uses the request's ``Host`` header,
    which a client chooses (``Host: evil.example`` must not end up on a printed receipt).

    :param anchor: a fragment (``#…``): browsers keep it and never send it to a server.
    """
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    url = adapter.build(endpoint, values, force_external=True)
    if anchor:
        url += "#" + quote(anchor, safe="")
    return url


def _tile_source(tile_url: str | None) -> str | None:
    """The CSP source of the map's tile server: its origin, ``{s}`` as ``*``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return None  # on this server: 'self'
    netloc = parts.netloc.rsplit("@", 1)[-1]
    labels = netloc.split(".")
    if labels[0].startswith("{") and labels[0].endswith("}"):
        labels[0] = "*"  # {s}.tile.example.org: CSP allows a wildcard as first label
    host = ".".join(labels)
    if parts.scheme not in ("http", "https") or not _HOST.match(host.lstrip("*.")):
        raise RuntimeError(
            "WASTEBANK_MAP_TILE_URL must be an http(s) URL template whose host has "
            "{s} at most as its first label, such as "
            f"https://{{s}}.tile.example.org/{{z}}/{{x}}/{{y}}.png (got {tile_url!r})."
        )
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str | None) -> str:
    """The pages' policy; ``tile_url`` is the map's tile URL template (or None).

    ``style-src 'self'``: styles come from our stylesheets; scripts set element styles
    through the DOM (Leaflet, Chart.js, Swagger UI), which a policy does not restrict.
    """
    images = ["'self'", "data:", "blob:"]  # QR codes as data: URIs, photo previews
    tiles = _tile_source(tile_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in directives.items()
    )


def init_app(app: Flask) -> None:
    """Settle the public URL and add the security headers to every answer of ``app``."""
    configure_public_url(app)
    page_policy = content_security_policy(app.config.get("MAP_TILE_URL"))
    hsts = app.config["PUBLIC_URL"].startswith("https://")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        headers.setdefault(
            "X-Frame-Options", "DENY"
        )  # browsers without frame-ancestors
        headers.setdefault(
            "Content-Security-Policy",
            page_policy if response.mimetype == "text/html" else NON_PAGE_POLICY,
        )
        if hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
