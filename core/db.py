"""Engine, session, the model base and column types. Dialect-specific code lives here
(and in services/search.py) and nowhere else."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import datetime, timezone
from decimal import Decimal

from flask_appbuilder import Model as FabModel
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import event, types
from sqlalchemy.engine import Engine
from sqlalchemy.orm import scoped_session

db = SQLA()


class Model(FabModel):
    """Base for every Regulars table, core and plugins alike (one metadata with FAB's security tables)."""

    __abstract__ = True
    # FAB's base sets extend_existing=True, which would let a plugin silently merge its columns
    # into another's table of the same name; we want that collision to fail loudly.
    __table_args__: dict = {}


# The largest value an Integer column holds on every database we run on (PostgreSQL's INTEGER).
MAX_INTEGER = 2**31 - 1


def record_id(value) -> int | None:
    """``value`` (a URL part, form field or JSON value) as a row id, or None when it cannot be
    one: a number the database would refuse to compare is answered "not found", not an error."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_INTEGER else None


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Money(types.TypeDecorator):
    """A decimal amount; never a float. Stored as NUMERIC(18, 4)."""

    impl = types.Numeric(18, 4, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("Money must be a Decimal, not a float")
        return Decimal(value)


class Rate(types.TypeDecorator):
    """An exchange rate or other exact ratio: NUMERIC(20, 10), Decimal in Python."""

    impl = types.Numeric(20, 10, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("Rates must be Decimal, not float")
        return Decimal(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).normalize() if Decimal(value) != 0 else Decimal(0)


def is_sqlite(bind=None) -> bool:
    bind = bind or db.session.get_bind()
    return bind.dialect.name == "sqlite"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # Let SQLAlchemy emit BEGIN itself so that write_transaction() can ask for BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception:  # in-memory databases cannot use WAL
        pass
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_begin_mode: ContextVar[str] = ContextVar("regulars_begin_mode", default="DEFERRED")


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"BEGIN {_begin_mode.get()}")


@contextlib.contextmanager
def write_transaction(session=None):
    """One service call, one transaction: commit on success, roll back on any error.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so a read-then-write cannot be
    overtaken by another writer between its read and its write. On PostgreSQL services take
    row locks or use conditional updates where two tills can race.
    """
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        # End the read-only transaction the request may have opened, so ours starts fresh.
        session.commit()
    if not session.in_transaction():
        token = _begin_mode.set("IMMEDIATE")
        try:
            session.connection()
        finally:
            _begin_mode.reset(token)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def estimated_count(table, exact_below: int = 10_000) -> tuple[int, bool]:
    """A table's size without counting a large table row by row: (count, exact).

    Customers are never deleted, so on SQLite the highest rowid is the count; on PostgreSQL
    the planner's estimate. Below ``exact_below`` rows the count is exact."""
    from sqlalchemy import func, select, text

    session = db.session
    dialect = session.get_bind().dialect.name
    estimate = None
    if dialect == "sqlite":
        estimate = session.execute(text(f'SELECT max(rowid) FROM "{table.name}"')).scalar()
    elif dialect == "postgresql":
        estimate = session.execute(
            text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
            {"t": table.name},
        ).scalar()
    if estimate is not None and estimate >= exact_below:
        return int(estimate), False
    return session.execute(select(func.count()).select_from(table)).scalar() or 0, True
