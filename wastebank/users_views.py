"""Pages of accounts (Indonesian first): change your password; the admin's users page.

Every user reaches "Ganti kata sandi" from the header. The admin's page lists the users
with their status and login locks, and resets a password, deactivates or reactivates a
user and lifts login locks; each of these is a POST with the form's CSRF token.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from wastebank import services
from wastebank.access import Action, Actor
from wastebank.auth import password_policy, start_browser_session, throttled, ui_actor
from wastebank.exceptions import (
    SelfDeactivation,
    TooManyAttempts,
    WeakPassword,
    WrongPassword,
)
from wastebank.extensions import db
from wastebank.services.logins import ADDRESS_COUNTER
from wastebank.views import too_many_attempts_message

bp = Blueprint("users", __name__)

Errors = dict[str, list[str]]


def _new_password_errors(new: str, repeat: str) -> Errors:
    """What is wrong with a new password typed twice, before anything is checked."""
    if not new:
        return {"new_password": [_("Enter the new password.")]}
    if new != repeat:
        return {"new_password_repeat": [_("The two new passwords are not the same.")]}
    return {}


def _weak_password_errors(error: WeakPassword) -> Errors:
    return {error.field or "new_password": [_(error.msgid, **error.params)]}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change your own password; every other session of yours ends."""
    policy = password_policy()
    page = "wastebank/users/password.html"
    if request.method != "POST":  # GET, and HEAD like it (HEAD is not CSRF-checked)
        return render_template(page, errors={}, min_length=policy.min_length)
    user = current_user._get_current_object()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    errors = _new_password_errors(new, request.form.get("new_password_repeat", ""))
    if not current:
        errors["current_password"] = [_("Enter your current password.")]
    status, headers = 422, {}
    if not errors:
        try:
            services.check_new_password(
                new, username=user.username, policy=policy, field="new_password"
            )
            throttled(
                user.username,
                lambda: services.change_password(
                    db.session,
                    user,
                    current_password=current,
                    new_password=new,
                    policy=policy,
                ),
            )
        except WeakPassword as exc:
            errors = _weak_password_errors(exc)
        except WrongPassword:
            errors = {"current_password": [_("The current password is wrong.")]}
        except TooManyAttempts as exc:
            errors = {"current_password": [too_many_attempts_message(exc)]}
            status, headers = 429, {"Retry-After": str(exc.retry_after_s)}
    if errors:
        db.session.rollback()
        return (
            render_template(page, errors=errors, min_length=policy.min_length),
            status,
            headers,
        )
    db.session.commit()
    start_browser_session(user)  # this browser goes on in a fresh session
    flash(
        _("Your password was changed. You were logged out on every other device."),
        "success",
    )
    return redirect(url_for("wastebank.index"))


# -- the admin's users page -------------------------------------------------------------
def _admin() -> Actor:
    actor = ui_actor()
    if not actor.can(Action.USERS_WRITE):
        abort(403)
    return actor


@bp.get("/users")
@login_required
def list_users() -> Any:
    """Every user with their status, last login and login locks."""
    actor = _admin()
    locks = services.active_login_locks(db.session, actor)
    return render_template(
        "wastebank/users/list.html",
        users=services.list_users(db.session, actor),
        locked_addresses=Counter(
            lock.username for lock in locks if lock.username != ADDRESS_COUNTER
        ),
        address_locks=[lock for lock in locks if lock.username == ADDRESS_COUNTER],
        me=actor.user_id,
    )


@bp.post("/users/<username>/active")
@login_required
def set_user_active(username: str) -> BaseResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) a user."""
    actor = _admin()
    active = request.form.get("active") == "1"
    try:
        user = services.set_user_active(db.session, actor, username, active=active)
    except SelfDeactivation:
        db.session.rollback()
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("users.list_users"))
    db.session.commit()
    if active:
        flash(_("%(name)s can log in again.", name=user.username), "success")
    else:
        flash(
            _(
                "%(name)s was deactivated and logged out everywhere.",
                name=user.username,
            ),
            "success",
        )
    return redirect(url_for("users.list_users"))


@bp.route("/users/<username>/password", methods=["GET", "POST"])
@login_required
def reset_password(username: str) -> Any:
    """Set a new password for a user who lost theirs."""
    actor = _admin()
    user = services.get_user(db.session, actor, username)
    policy = password_policy()
    page = "wastebank/users/reset.html"
    if request.method != "POST":  # GET, and HEAD like it (HEAD is not CSRF-checked)
        return render_template(page, user=user, errors={}, min_length=policy.min_length)
    new = request.form.get("new_password", "")
    errors = _new_password_errors(new, request.form.get("new_password_repeat", ""))
    if not errors:
        try:
            services.reset_password(
                db.session, actor, user.username, new_password=new, policy=policy
            )
        except WeakPassword as exc:
            errors = _weak_password_errors(exc)
    if errors:
        db.session.rollback()
        return render_template(
            page, user=user, errors=errors, min_length=policy.min_length
        ), 422
    db.session.commit()
    flash(
        _(
            "New password set for %(name)s; they were logged out everywhere.",
            name=user.username,
        ),
        "success",
    )
    return redirect(url_for("users.list_users"))


@bp.post("/users/unlock")
@login_required
def unlock_logins() -> BaseResponse:
    """Lift login locks of a username (every address) or of an address."""
    actor = _admin()
    services.unlock_logins(
        db.session,
        actor,
        username=request.form.get("username") or None,
        address=request.form.get("address") or None,
    )
    db.session.commit()
    flash(_("The login lock was lifted."), "success")
    return redirect(url_for("users.list_users"))
