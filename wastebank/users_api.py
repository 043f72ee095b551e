"""JSON API of logins, passwords and user accounts under ``/api/v1``.

``/auth/*`` is for every user: a token for a username and password (throttled per
source address, see :mod:`wastebank.services.logins`), logging the token out, and
changing one's own password. ``/users`` is for admins: list, deactivate or reactivate,
and reset a password.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask.views import MethodView

from wastebank import services
from wastebank.auth import (
    api_actor,
    authenticate_bearer,
    bearer_token,
    check_login,
    password_policy,
    throttled,
)
from wastebank.extensions import db
from wastebank.rest import Blueprint
from wastebank.schemas import TokenRequestSchema, TokenSchema
from wastebank.users_schemas import (
    PasswordChangeSchema,
    PasswordResetSchema,
    UserSchema,
    UserUpdateSchema,
)

bp = Blueprint(
    "users_api",
    __name__,
    url_prefix="/api/v1",
    description="Logins, passwords and user accounts.",
)

_PUBLIC_ENDPOINTS = {"users_api.create_token"}


@bp.before_request
def _require_token() -> None:
    if request.endpoint not in _PUBLIC_ENDPOINTS:
        authenticate_bearer()


# -- logins ----------------------------------------------------------------------------
@bp.route("/auth/token", methods=["POST"])
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema)
@bp.alt_response(401, description="Wrong username or password")
@bp.alt_response(
    429,
    description="Too many login attempts from this address, for this username or "
    "for all; see Retry-After",
)
@bp.doc(security=[])
def create_token(args: dict[str, Any]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    user = check_login(args["username"], args["password"])
    raw, token = services.issue_token(
        db.session, user, ttl_s=current_app.config["TOKEN_TTL_S"]
    )
    db.session.commit()
    return {"access_token": raw, "token_type": "Bearer", "expires_at": token.expires_at}


@bp.route("/auth/logout", methods=["POST"])
@bp.response(204)
def revoke_token() -> None:
    """End the bearer token of this request; it answers 401 from now on."""
    raw = bearer_token()
    if raw is not None:
        services.revoke_token(db.session, raw)
        db.session.commit()


@bp.route("/auth/password", methods=["POST"])
@bp.arguments(PasswordChangeSchema)
@bp.response(204)
@bp.alt_response(
    422, description="weak_password (new_password) or wrong_password (current_password)"
)
@bp.alt_response(429, description="Too many wrong current passwords; see Retry-After")
def change_password(args: dict[str, Any]) -> None:
    """Change your own password. Every other session and token of yours ends; the
    token of this request keeps working. Wrong current passwords count as failed
    logins."""
    user = g.user
    policy = password_policy()
    # A weak new password is refused before the throttle counts anything.
    services.check_new_password(
        args["new_password"],
        username=user.username,
        policy=policy,
        field="new_password",
    )
    throttled(
        user.username,
        lambda: services.change_password(
            db.session,
            user,
            current_password=args["current_password"],
            new_password=args["new_password"],
            policy=policy,
            keep_token=bearer_token(),
        ),
    )
    db.session.commit()


# -- user accounts (admins) ------------------------------------------------------------
@bp.route("/users")
class Users(MethodView):
    @bp.response(200, UserSchema(many=True))
    def get(self) -> Any:
        """Every user account, by username (admin)."""
        return services.list_users(db.session, api_actor())


@bp.route("/users/<string:username>")
class UserByName(MethodView):
    @bp.response(200, UserSchema)
    def get(self, username: str) -> Any:
        """One user account (admin)."""
        return services.get_user(db.session, api_actor(), username)

    @bp.arguments(UserUpdateSchema)
    @bp.response(200, UserSchema)
    @bp.alt_response(409, description="self_deactivation: your own account")
    def patch(self, args: dict[str, Any], username: str) -> Any:
        """Deactivate (every session and token of the user ends) or reactivate a user
        (admin). Audited."""
        user = services.set_user_active(
            db.session, api_actor(), username, active=args["active"]
        )
        db.session.commit()
        return user


@bp.route("/users/<string:username>/password", methods=["POST"])
@bp.arguments(PasswordResetSchema)
@bp.response(204)
@bp.alt_response(422, description="weak_password")
def reset_password(args: dict[str, Any], username: str) -> None:
    """Set a new password for a user (admin): their sessions and tokens end and their
    login locks are lifted. Audited."""
    services.reset_password(
        db.session,
        api_actor(),
        username,
        new_password=args["new_password"],
        policy=password_policy(),
    )
    db.session.commit()
