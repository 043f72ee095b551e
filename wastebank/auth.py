"""Authentication adapters: bearer tokens for the API, session cookies for the web UI."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user

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
