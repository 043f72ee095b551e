"""Flask extensions, created unbound; `create_app` binds them with ``init_app``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# One naming convention for every constraint, so SQLite and PostgreSQL get the same names
# and Alembic batch migrations can find (and drop) them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's constraint naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


#: The largest primary key: ids are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1

#: What services accept: a plain session, or Flask-SQLAlchemy's scoped ``db.session``.
SessionLike = Session | scoped_session[Any]


def dialect_insert(session: SessionLike, table: sa.Table) -> Any:
    """``INSERT`` on ``table`` in the session's dialect (PostgreSQL or SQLite), whose
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` both dialects understand."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignoring_conflicts(session: SessionLike, table: sa.Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on ``table`` in the session's dialect.

    A row whose unique key exists is skipped instead of raising, so a replayed or
    concurrently inserted row never aborts the transaction and needs no savepoint
    (pysqlite opens no transaction before the first write, so releasing a first
    savepoint there would commit behind the caller's back).
    """
    return dialect_insert(session, table).on_conflict_do_nothing()


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone support, so values are stored as
    naive UTC and given ``tzinfo=UTC`` again when loaded. Naive input is refused: a naive
    datetime is ambiguous and is the classic source of off-by-seven-hours bugs in WIT.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: Any, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
