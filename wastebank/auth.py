"""Authentication adapters: bearer tokens for the API, session cookies for the web UI."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from wastebank import services
from wastebank.access import Actor
from wastebank.exceptions import AuthenticationFailed
from wastebank.extensions import db, login_manager
from wastebank.models import User


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def authenticate_bearer() -> None:
    """``before_request`` hook of API blueprints: require ``Authorization: Bearer``.

    Sets ``g.user`` and ``g.actor``; raises :class:`AuthenticationFailed` (401 envelope)
    when the header is missing or the token is unknown, revoked or expired.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise AuthenticationFailed(
            "This endpoint needs an access token (Authorization: Bearer)."
        )
    user = services.user_for_token(db.session, raw.strip())
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
        window_s=current_app.config["LOGIN_FAILURE_WINDOW_S"],
    )
