"""Authentication adapters: bearer tokens for the API, session cookies for the web UI.

A browser login is checked on the server on every request: the signed cookie carries a
random session key (``session["sid"]``) whose record must be live (not logged out, not
expired, its user active), so a copied cookie stops working at logout. Password checks
go through :func:`throttled`, which counts the attempt and commits the count before the
hash is checked (see :mod:`wastebank.services.logins`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from wastebank import services
from wastebank.access import Actor
from wastebank.exceptions import AuthenticationFailed, TooManyAttempts
from wastebank.extensions import db, login_manager
from wastebank.models import User

T = TypeVar("T")

#: The key of the browser session's record in Flask's signed session.
SESSION_KEY = "sid"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, str) or not user_id.isdigit():
        return None
    return services.user_for_session(db.session, raw, user_id=int(user_id))


def client_address() -> str:
    """The source address of the request: the TCP peer, or what the trusted proxies
    say when ``TRUSTED_PROXIES`` is set (werkzeug's ProxyFix rewrites it)."""
    return request.remote_addr or ""


def bearer_token() -> str | None:
    """The raw token of an ``Authorization: Bearer`` header, if there is one."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return raw.strip()


def authenticate_bearer() -> None:
    """``before_request`` hook of API blueprints: require ``Authorization: Bearer``.

    Sets ``g.user`` and ``g.actor``; raises :class:`AuthenticationFailed` (401 envelope)
    when the header is missing or the token is unknown, revoked or expired.
    """
    raw = bearer_token()
    if raw is None:
        raise AuthenticationFailed(
            "This endpoint needs an access token (Authorization: Bearer)."
        )
    user = services.user_for_token(db.session, raw)
    g.user = user
    g.actor = services.actor_for(user)


def authenticate_bearer_or_session() -> None:
    """``before_request`` hook for the few API routes a web page calls (the driver's page).

    Without an ``Authorization`` header, a logged-in browser session is accepted, and
    every request other than GET/HEAD must carry the session's CSRF token in the
    ``X-CSRFToken`` header: the cookie alone is sent by any site, the header only by
    our own pages. Errors stay the API's envelope (401 ``authentication_failed``, 400
    ``csrf_error``). With a header, or without a session, this is
    :func:`authenticate_bearer`.
    """
    if "Authorization" in request.headers or not current_user.is_authenticated:
        authenticate_bearer()
        return
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    g.user = current_user._get_current_object()
    g.actor = services.actor_for(g.user)


def api_actor() -> Actor:
    """The actor of the current API request (set by :func:`authenticate_bearer`)."""
    actor: Actor = g.actor
    return actor


def ui_actor() -> Actor:
    """The actor of the current logged-in browser session."""
    return services.actor_for(current_user)


def login_policy() -> services.LoginPolicy:
    """The throttling policy from the configuration."""
    return services.LoginPolicy(
        max_failures=current_app.config["LOGIN_MAX_FAILURES"],
        max_failures_per_address=current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window_s=current_app.config["LOGIN_FAILURE_WINDOW_S"],
    )


def password_policy() -> services.PasswordPolicy:
    """The rules for new passwords and their hash method, from the configuration."""
    return services.PasswordPolicy(
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
    )


def throttled(username: str, check: Callable[[], T]) -> T:
    """Run ``check`` (which checks a password of ``username``) behind the login throttle.

    The attempt is counted and **committed** first, so that every worker sees it before
    the slow hash; when ``check`` returns, the username's failures from this address are
    forgotten (the caller commits). Whatever ``check`` raises propagates, the attempt
    staying counted.

    :raises TooManyAttempts: this address has used up its attempts for the username or
        for all usernames; ``check`` does not run.
    """
    address = client_address()
    try:
        services.count_login_attempt(
            db.session, username=username, address=address, policy=login_policy()
        )
    except TooManyAttempts:
        db.session.commit()  # a refused attempt counts too
        raise
    db.session.commit()
    result = check()
    services.forget_login_failures(db.session, username=username, address=address)
    return result


def check_login(username: str, password: str) -> User:
    """The user with this username and password, through the throttle (the login form
    and the token route). The caller commits.

    :raises TooManyAttempts: see :func:`throttled`.
    :raises AuthenticationFailed: unknown user, inactive user or wrong password.
    """
    return throttled(
        username,
        lambda: services.check_credentials(
            db.session,
            username=username,
            password=password,
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        ),
    )


def start_browser_session(user: User) -> None:
    """Log ``user`` in on this browser with a fresh session (no fixation) and its
    server-side record; commits."""
    session.clear()
    raw = services.start_session(
        db.session, user, lifetime_s=current_app.config["SESSION_LIFETIME_S"]
    )
    db.session.commit()
    session[SESSION_KEY] = raw
    login_user(user)


def end_browser_session() -> None:
    """Log this browser out and end its session on the server; commits."""
    raw = session.pop(SESSION_KEY, None)
    if isinstance(raw, str):
        services.end_session(db.session, raw)
        db.session.commit()
    logout_user()
