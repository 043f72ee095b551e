"""Services of user accounts: creating them, passwords, deactivation.

Every password set here meets :func:`wastebank.passwords.password_problem` (length,
common lists, username). Changing or resetting a password and deactivating a user end
every browser session and bearer token of the user, and each is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from wastebank import passwords
from wastebank.access import BANK_ROLES, Action, Actor, Role, require
from wastebank.exceptions import (
    DuplicateUsername,
    InvalidReference,
    InvalidValue,
    SelfDeactivation,
    UserNotFound,
    WeakPassword,
    WrongPassword,
)
from wastebank.extensions import SessionLike
from wastebank.models import Bank, User, utcnow
from wastebank.services.core import actor_for, audit, get_city
from wastebank.services.logins import end_user_sessions, login_key, unlock_logins


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules for new passwords and how they are hashed (from the configuration)."""

    min_length: int = passwords.DEFAULT_MIN_LENGTH
    #: a werkzeug method: ``scrypt`` (its default) in production
    hash_method: str = "scrypt"


def check_new_password(
    password: str, *, username: str, policy: PasswordPolicy, field: str = "password"
) -> None:
    """Refuse a new password that breaks the rules (nothing is hashed or counted).

    :raises WeakPassword: on ``field``, with the rule's message.
    """
    problem = passwords.password_problem(
        password, username=username, min_length=policy.min_length
    )
    if problem is not None:
        raise WeakPassword(problem.msgid, problem.params, field=field)


def create_user(
    session: SessionLike,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    bank_code: str | None = None,
    city_code: str | None = None,
    full_name: str | None = None,
    policy: PasswordPolicy | None = None,
) -> User:
    """Create a user. Managers and cashiers need a bank, DLH staff a city.

    A bank user's city is taken from their bank when not given. The password is
    checked last, after the account's other facts.
    """
    require(actor, Action.USERS_WRITE)
    policy = policy or PasswordPolicy()
    username = login_key(username)
    try:
        role_enum = Role(role)
    except ValueError:
        raise InvalidValue(f"Unknown role {role!r}.", field="role") from None
    if not username:
        raise InvalidValue("A username is required.", field="username")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise DuplicateUsername(f"The username {username} is taken.", field="username")
    bank = None
    if bank_code:
        bank = session.scalar(
            sa.select(Bank).where(Bank.code == bank_code.strip().upper())
        )
        if bank is None:
            raise InvalidReference(f"No bank with code {bank_code}.", field="bank")
    if role_enum in BANK_ROLES and bank is None:
        raise InvalidValue(f"A {role} belongs to a bank: give --bank.", field="bank")
    city = get_city(session, city_code) if city_code else (bank.city if bank else None)
    if role_enum is Role.DLH and city is None:
        raise InvalidValue("A dlh user belongs to a city: give --city.", field="city")
    check_new_password(password, username=username, policy=policy)
    user = User(
        username=username,
        full_name=full_name,
        password_hash=generate_password_hash(password, method=policy.hash_method),
        role=role_enum.value,
        bank=bank,
        city=city,
    )
    session.add(user)
    session.flush()
    audit(
        session, actor, "user.create", user, bank_id=user.bank_id, after={"role": role}
    )
    return user


def list_users(session: SessionLike, actor: Actor) -> list[User]:
    """Every user, by username, with their bank and city (admins only)."""
    require(actor, Action.USERS_WRITE)
    return list(
        session.scalars(
            sa.select(User)
            .options(selectinload(User.bank), selectinload(User.city))
            .order_by(User.username)
        )
    )


def get_user(session: SessionLike, actor: Actor, username: str) -> User:
    """The user with ``username`` (admins only).

    :raises UserNotFound: no such user.
    """
    require(actor, Action.USERS_WRITE)
    user = session.scalar(sa.select(User).where(User.username == login_key(username)))
    if user is None:
        raise UserNotFound(f"No user named {username}.")
    return user


def change_password(
    session: SessionLike,
    user: User,
    *,
    current_password: str,
    new_password: str,
    policy: PasswordPolicy,
    keep_token: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A user changes their own password, giving the current one.

    Every session and token of the user ends (but ``keep_token``, the bearer token of
    the request that changed it); the adapter starts a new session for the browser
    that changed it. The adapter counts the attempt on the login throttle first: the
    current password is guessed here as on the login form.

    :raises WeakPassword: the new password breaks the rules (checked first, so a weak
        choice costs no hash and no throttle count).
    :raises WrongPassword: ``current_password`` is not the user's password.
    """
    check_new_password(
        new_password, username=user.username, policy=policy, field="new_password"
    )
    if not check_password_hash(user.password_hash, current_password):
        raise WrongPassword("The current password is wrong.", field="current_password")
    _set_password(session, user, new_password, policy, keep_token=keep_token, now=now)
    audit(session, actor_for(user), "user.password_change", user, bank_id=user.bank_id)


def reset_password(
    session: SessionLike,
    actor: Actor,
    username: str,
    *,
    new_password: str,
    policy: PasswordPolicy,
    now: dt.datetime | None = None,
) -> User:
    """An admin sets a new password for a user who lost theirs.

    The user's sessions and tokens end, and their login locks are lifted.

    :raises UserNotFound: no such user.
    :raises WeakPassword: the new password breaks the rules.
    """
    user = get_user(session, actor, username)
    check_new_password(
        new_password, username=user.username, policy=policy, field="new_password"
    )
    _set_password(session, user, new_password, policy, now=now)
    unlock_logins(session, actor, username=user.username)
    audit(session, actor, "user.password_reset", user, bank_id=user.bank_id)
    return user


def _set_password(
    session: SessionLike,
    user: User,
    password: str,
    policy: PasswordPolicy,
    *,
    keep_token: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    user.password_hash = generate_password_hash(password, method=policy.hash_method)
    session.flush()
    end_user_sessions(session, user, keep_token=keep_token, now=now)


def set_user_active(
    session: SessionLike,
    actor: Actor,
    username: str,
    *,
    active: bool,
    now: dt.datetime | None = None,
) -> User:
    """Deactivate a user (every session and token ends; nothing is deleted) or
    reactivate one (they log in again with their password).

    :raises UserNotFound: no such user.
    :raises SelfDeactivation: an admin tried to deactivate their own account.
    """
    user = get_user(session, actor, username)
    if not active and user.id == actor.user_id:
        raise SelfDeactivation("You cannot deactivate your own account.")
    if user.active == active:
        return user
    user.active = active
    session.flush()
    if not active:
        end_user_sessions(session, user, now=now or utcnow())
    audit(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        user,
        bank_id=user.bank_id,
        before={"active": not active},
        after={"active": active},
    )
    return user
