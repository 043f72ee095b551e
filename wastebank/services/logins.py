"""Services of logging in: the login throttle, browser sessions and API tokens.

**Throttle.** Every attempt is counted *before* its password is checked, by one atomic
``INSERT … ON CONFLICT DO UPDATE SET attempts = attempts + 1 … RETURNING`` per counter,
and the adapter commits the count before the (deliberately slow) password hash. So
parallel attempts in any number of workers each get their own number, none is lost, and
the ones over the limit are refused without a hash. Each attempt counts twice:

* for its username from its source address: ``max_failures`` per window. A correct
  password forgets these failures. Someone typing wrong passwords for a user locks that
  user out from *their own* address only, never from everywhere;
* for its source address over every username: ``max_failures_per_address`` per window,
  against trying one common password on many usernames (password spraying). A correct
  login gives its count back.

The first attempt over a limit locks its counter for ``window_s`` seconds: every attempt
is refused with the time left (HTTP 429, ``Retry-After``) and still counted. An admin
lifts a lock with :func:`unlock_logins` (``flask users unlock``, the users page).

**Sessions and tokens.** A browser login is a :class:`UserSession` row whose random key
is in the signed cookie; a bearer token is an :class:`ApiToken` row. Only SHA-256s of
the keys are stored. Logging out revokes the one; a password change, a reset or a
deactivation revokes every session and token of the user (:func:`end_user_sessions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from wastebank.access import Action, Actor, require
from wastebank.exceptions import (
    AuthenticationFailed,
    InvalidValue,
    TokenExpired,
    TooManyAttempts,
)
from wastebank.extensions import SessionLike, UTCDateTime, dialect_insert
from wastebank.models import ApiToken, LoginThrottle, User, UserSession, utcnow

#: The ``username`` of an address's own counter (every username tried from it). A login
#: key is never empty: an empty username is counted on the address only.
ADDRESS_COUNTER = ""
#: The longest source address kept (an IPv6 address with a zone fits).
_ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class LoginPolicy:
    """How many login attempts a username and an address get per window."""

    #: attempts for one username from one address
    max_failures: int = 5
    #: attempts from one address over every username
    max_failures_per_address: int = 20
    window_s: int = 15 * 60


def login_key(username: str) -> str:
    """The form of a username that logins look up and count (trimmed, lower case)."""
    return username.strip().lower()[:80]


def _address_key(address: str) -> str:
    return address.strip()[:_ADDRESS_LENGTH] or "unknown"


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# -- the throttle ----------------------------------------------------------------------
def count_login_attempt(
    session: SessionLike,
    *,
    username: str,
    address: str,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> None:
    """Count one login attempt for ``username`` from ``address`` and for the address.

    The adapter commits right after, before it checks the password, so that concurrent
    attempts see each other's counts.

    :raises TooManyAttempts: either counter is locked; the attempt is counted all the
        same (the adapter commits on this error too).
    """
    now = now or utcnow()
    address = _address_key(address)
    key = login_key(username)
    counters = [(ADDRESS_COUNTER, policy.max_failures_per_address)]
    if key:
        counters.append((key, policy.max_failures))
    ends = [
        end
        for name, limit in counters
        if (end := _count(session, address, name, limit, policy.window_s, now))
    ]
    if ends:
        wait_s = max(int((max(ends) - now).total_seconds()) + 1, 1)
        raise TooManyAttempts(
            f"Too many failed logins; try again in {wait_s} seconds.",
            retry_after_s=wait_s,
        )


def _count(
    session: SessionLike,
    address: str,
    username: str,
    limit: int,
    window_s: int,
    now: dt.datetime,
) -> dt.datetime | None:
    """Add one attempt to a counter; the end of its lock, or None while under ``limit``."""
    table = LoginThrottle.__table__
    window = dt.timedelta(seconds=window_s)
    this = sa.and_(table.c.address == address, table.c.username == username)
    # A counter whose window has passed unlocked, or whose lock is over, starts again.
    session.execute(
        table.delete().where(
            this,
            sa.or_(
                sa.and_(
                    table.c.locked_until.is_(None),
                    table.c.window_started_at <= now - window,
                ),
                table.c.locked_until <= now,
            ),
        )
    )
    lock_end = sa.literal(now + window, UTCDateTime())
    upsert = (
        dialect_insert(session, table)
        .values(
            address=address,
            username=username,
            attempts=1,
            window_started_at=now,
            locked_until=now + window if limit < 1 else None,
        )
        .on_conflict_do_update(
            index_elements=[table.c.address, table.c.username],
            # Both dialects read the row's old values on the right-hand sides.
            set_={
                "attempts": table.c.attempts + 1,
                "locked_until": sa.case(
                    (
                        sa.and_(
                            table.c.locked_until.is_(None),
                            table.c.attempts + 1 > limit,
                        ),
                        lock_end,
                    ),
                    else_=table.c.locked_until,
                ),
            },
        )
        .returning(table.c.locked_until)
    )
    locked_until: dt.datetime | None = session.execute(upsert).scalar_one()
    return locked_until


def forget_login_failures(session: SessionLike, *, username: str, address: str) -> None:
    """After a correct password: forget the username's failures from the address and
    give back the attempt counted on the address (it was no guess)."""
    table = LoginThrottle.__table__
    address = _address_key(address)
    session.execute(
        table.delete().where(
            table.c.address == address, table.c.username == login_key(username)
        )
    )
    session.execute(
        table.update()
        .where(
            table.c.address == address,
            table.c.username == ADDRESS_COUNTER,
            table.c.attempts > 0,
        )
        .values(attempts=table.c.attempts - 1)
    )


def unlock_logins(
    session: SessionLike,
    actor: Actor,
    *,
    username: str | None = None,
    address: str | None = None,
) -> int:
    """Lift login locks: a username's (from every address), an address's (its own and
    every username's from it), or one username's from one address.

    :returns: how many counters were removed.
    :raises InvalidValue: neither a username nor an address was given.
    """
    require(actor, Action.USERS_WRITE)
    if not username and not address:
        raise InvalidValue("Give a username, an address or both.", field="username")
    table = LoginThrottle.__table__
    conditions = []
    if username:
        conditions.append(table.c.username == login_key(username))
    if address:
        conditions.append(table.c.address == _address_key(address))
    result = session.execute(table.delete().where(*conditions))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def active_login_locks(
    session: SessionLike, actor: Actor, *, now: dt.datetime | None = None
) -> list[LoginThrottle]:
    """The counters locked now, the address-wide ones first, then by username."""
    require(actor, Action.USERS_WRITE)
    now = now or utcnow()
    return list(
        session.scalars(
            sa.select(LoginThrottle)
            .where(LoginThrottle.locked_until > now)
            .order_by(LoginThrottle.username, LoginThrottle.address)
        )
    )


# -- passwords -------------------------------------------------------------------------
@cache
def dummy_password_hash(method: str) -> str:
    """A hash made with ``method`` that no password matches, checked when the username
    is unknown: the check then costs what a wrong password costs, and the answer's
    timing does not tell which usernames exist."""
    return generate_password_hash(secrets.token_urlsafe(24), method=method)


def check_credentials(
    session: SessionLike,
    *,
    username: str,
    password: str,
    hash_method: str,
    now: dt.datetime | None = None,
) -> User:
    """The active user with this username and password; records the login time.

    Exactly one password hash is checked whatever the outcome (the dummy one for an
    unknown username), made with ``hash_method`` as new passwords are.

    :raises AuthenticationFailed: unknown user, inactive user or wrong password (one
        message for all three).
    """
    key = login_key(username)
    user = session.scalar(sa.select(User).where(User.username == key)) if key else None
    stored = (
        user.password_hash if user is not None else dummy_password_hash(hash_method)
    )
    valid = check_password_hash(stored, password)
    if user is None or not user.active or not valid:
        raise AuthenticationFailed("Wrong username or password.")
    user.last_login_at = now or utcnow()
    session.flush()
    return user


# -- bearer tokens ---------------------------------------------------------------------
def issue_token(
    session: SessionLike, user: User, *, ttl_s: int, now: dt.datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a bearer token for ``user`` valid for ``ttl_s`` seconds.

    :returns: the raw token (shown once, never stored) and its database row.
    """
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        token_hash=_hash_key(raw),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=ttl_s),
    )
    session.add(token)
    session.flush()
    return raw, token


def _token(session: SessionLike, raw: str) -> ApiToken | None:
    return session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == _hash_key(raw))
        .options(selectinload(ApiToken.user))
    )


def user_for_token(
    session: SessionLike, raw: str, *, now: dt.datetime | None = None
) -> User:
    """The active user a bearer token belongs to.

    :raises TokenExpired: the token is past its expiry.
    :raises AuthenticationFailed: unknown or revoked token, or an inactive user.
    """
    now = now or utcnow()
    token = _token(session, raw)
    if token is None or token.revoked_at is not None or not token.user.active:
        raise AuthenticationFailed("The access token is not valid.")
    if token.expires_at <= now:
        raise TokenExpired("The access token has expired; request a new one.")
    return token.user


def revoke_token(
    session: SessionLike, raw: str, *, now: dt.datetime | None = None
) -> None:
    """End a bearer token (logging out of the API); unknown tokens are ignored."""
    token = _token(session, raw)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()


# -- browser sessions ------------------------------------------------------------------
def start_session(
    session: SessionLike, user: User, *, lifetime_s: int, now: dt.datetime | None = None
) -> str:
    """Record a browser login of ``user`` that lasts at most ``lifetime_s`` seconds.

    :returns: the random key for the signed session cookie (only its hash is stored).
    """
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user=user,
            key_hash=_hash_key(raw),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=lifetime_s),
        )
    )
    session.flush()
    return raw


def user_for_session(
    session: SessionLike, raw: str, *, user_id: int, now: dt.datetime | None = None
) -> User | None:
    """The user of a live browser session: not logged out, not expired, of ``user_id``
    (the id Flask-Login keeps beside the key), and active; else None."""
    now = now or utcnow()
    row = session.scalar(
        sa.select(UserSession)
        .where(UserSession.key_hash == _hash_key(raw))
        .options(selectinload(UserSession.user))
    )
    if (
        row is None
        or row.user_id != user_id
        or row.revoked_at is not None
        or row.expires_at <= now
        or not row.user.active
    ):
        return None
    return row.user


def end_session(
    session: SessionLike, raw: str, *, now: dt.datetime | None = None
) -> None:
    """End a browser session (logging out); an unknown key is ignored."""
    session.execute(
        sa.update(UserSession)
        .where(UserSession.key_hash == _hash_key(raw), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def end_user_sessions(
    session: SessionLike,
    user: User,
    *,
    keep_token: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """End every browser session and bearer token of ``user`` (a password change, a
    reset, a deactivation).

    :param keep_token: a raw bearer token to leave working: the one that changed the
        password through the API.
    """
    now = now or utcnow()
    session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    tokens = sa.update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
    )
    if keep_token is not None:
        tokens = tokens.where(ApiToken.token_hash != _hash_key(keep_token))
    session.execute(
        tokens.values(revoked_at=now).execution_options(synchronize_session=False)
    )
