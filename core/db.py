"""Engine, session, the model base and column types. Dialect-specific code lives here
(and in services/search.py) and nowhere else."""

from __future__ import annotations

import contextlib
import warnings
from contextvars import ContextVar
from datetime import datetime, timezone
from decimal import Context, Decimal, InvalidOperation

from flask_appbuilder import Model as FabModel
from flask_appbuilder.models.sqla.base import SQLA
from sqlalchemy import event, func, literal, text, types
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql import ClauseElement, operators
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.functions import FunctionElement

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
    """Now in UTC, as every time is stored: a naive datetime (no tzinfo). For the shop's own
    time and date, see ``core.sdk.shop_now`` and ``shop_today``."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- exact decimals ------------------------------------------------------------------------
#
# PostgreSQL's NUMERIC is exact; SQLite has no decimal type and keeps NUMERIC values as 8-byte
# floats (exact to 15 significant digits only). So on SQLite a Money or Rate column holds a
# *scaled integer* (the value times 10^scale, a 64-bit INTEGER): exact, and ORDER BY, =, <, >,
# BETWEEN, IN, MIN, MAX, SUM and +/- between two columns of the same type still work in SQL.
# Both databases accept the same range (the narrower of the two), so a shop's data can move
# from one to the other.

_DECIMAL_CONTEXT = Context(prec=60)


class _ExactDecimal(types.TypeDecorator):
    """A fixed-point decimal column: NUMERIC(precision, scale) on PostgreSQL, the value times
    10^scale as a 64-bit INTEGER on SQLite. Decimal in and out; never a float.

    Writing a value it cannot hold exactly raises, rather than rounding silently: TypeError for
    a float (or anything but Decimal, int or a decimal string), ValueError for a value outside
    ``±largest`` or with more decimal places than ``scale``. Those are last guards; a service
    checks what people typed first and answers with a message beside the field.

    In SQL, compare and order by these columns, and use SUM (see ``exact_sum``), MIN, MAX and
    +/- between columns of the same type. Multiplying or dividing would mix scales on SQLite, so
    the column refuses it (TypeError): do that arithmetic in Python, on Decimals. AVG is not
    exact on SQLite either: divide ``exact_sum`` by a count in Python.
    """

    impl = types.Numeric(asdecimal=True)  # replaced per dialect by load_dialect_impl
    cache_ok = True
    precision: int
    scale: int
    largest: Decimal
    label: str

    class comparator_factory(types.TypeDecorator.Comparator, types.Numeric.Comparator):
        """Operators on an exact-decimal column: comparisons and +/- with values or columns of
        the same type; no multiplication, division or mixing with other numeric columns."""

        _REFUSED = frozenset({operators.mul, operators.truediv, operators.floordiv,
                              operators.mod, operators.pow_})

        def _check(self, op, others) -> None:
            kind = type(self.expr.type)
            if op in self._REFUSED:
                raise TypeError(f"{kind.label} columns cannot be multiplied or divided in SQL "
                                "(SQLite stores them as scaled integers): load the Decimals "
                                "and do it in Python.")
            for other in others:
                element = other.__clause_element__() if hasattr(other, "__clause_element__") \
                    else other
                if isinstance(element, ClauseElement) and hasattr(element, "type") \
                        and not isinstance(element.type, (kind, types.NullType)):
                    raise TypeError(f"A {kind.label} column can only be compared with or added "
                                    f"to Decimal values and other {kind.label} columns, not "
                                    f"{element.type!r} (SQLite stores it as a scaled integer).")

        def operate(self, op, *other, **kwargs):
            self._check(op, other)
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op, other, **kwargs):
            self._check(op, (other,))
            return super().reverse_operate(op, other, **kwargs)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(types.BigInteger())
        return dialect.type_descriptor(types.Numeric(self.precision, self.scale, asdecimal=True))

    def checked(self, value) -> Decimal | None:
        """``value`` as the exact Decimal this column will store, or TypeError / ValueError."""
        if value is None:
            return None
        if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int, str)):
            raise TypeError(f"{self.label} must be a Decimal (or an int or a decimal string), "
                            f"not {type(value).__name__}.")
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal number.") from None
        if not number.is_finite():
            raise ValueError(f"{self.label} must be a finite number, not {number}.")
        if abs(number) > self.largest:
            raise ValueError(f"{self.label} {number} is out of range: every database holds "
                             f"at most ±{self.largest:,}.")
        if number != number.quantize(Decimal(1).scaleb(-self.scale), context=_DECIMAL_CONTEXT):
            raise ValueError(f"{self.label} {number} has more than {self.scale} decimal places; "
                             "round it before storing it.")
        return number

    def process_bind_param(self, value, dialect):
        number = self.checked(value)
        if number is None or dialect.name != "sqlite":
            return number
        return int(number.scaleb(self.scale, context=_DECIMAL_CONTEXT))

    def process_literal_param(self, value, dialect):
        return str(self.process_bind_param(value, dialect))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            if not isinstance(value, int):
                # Only a REAL can come back here: an old column not yet migrated, or SQL that
                # mixed this column with a float. Refuse to guess what it meant.
                raise TypeError(f"SQLite returned {value!r} for a {self.label} column, which "
                                "holds scaled integers; run `regulars db upgrade`, and do "
                                "arithmetic other than +/- in Python.")
            value = Decimal(value).scaleb(-self.scale, context=_DECIMAL_CONTEXT)
        return self.shown(Decimal(value))

    def shown(self, number: Decimal) -> Decimal:
        return number


class Money(_ExactDecimal):
    """A decimal amount of money; never a float. NUMERIC(18, 4) on PostgreSQL, the amount in
    ten-thousandths as a 64-bit INTEGER on SQLite. Holds up to ±99,999,999,999,999.9999 on
    every database (NUMERIC(18, 4)'s limit; SQLite alone would reach ±922,337,203,685,477.5807),
    at most 4 decimal places. Read back with exactly 4 decimal places (``Decimal("12.5000")``)."""

    cache_ok = True
    precision, scale = 18, 4
    largest = Decimal("99999999999999.9999")
    label = "Money"

    def shown(self, number: Decimal) -> Decimal:
        return number.quantize(Decimal("0.0001"), context=_DECIMAL_CONTEXT)


class Rate(_ExactDecimal):
    """An exchange rate or other exact ratio; never a float. NUMERIC(20, 10) on PostgreSQL, the
    rate times 10^10 as a 64-bit INTEGER on SQLite. Holds up to ±922,337,203.6854775807 on every
    database (the 64-bit integer's limit; PostgreSQL alone would reach ±9,999,999,999.9999999999),
    at most 10 decimal places. Read back without trailing zeros (``Decimal("1.1675")``)."""

    cache_ok = True
    precision, scale = 20, 10
    largest = Decimal("922337203.6854775807")
    label = "Rate"

    def shown(self, number: Decimal) -> Decimal:
        return number.normalize(context=_DECIMAL_CONTEXT) if number else Decimal(0)


def exact_sum(column):
    """SUM of a Money or Rate column (or expression) as an exact Decimal of the same type, on
    every database; 0 when there are no rows. On SQLite a sum beyond the 64-bit range raises an
    "integer overflow" error rather than rounding. Use it in a select:
    ``select(exact_sum(Invoice.total)).where(...)``."""
    expression = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    if not isinstance(expression.type, _ExactDecimal):
        raise TypeError(f"exact_sum() adds Money or Rate columns, not {expression.type!r}.")
    return func.coalesce(func.sum(expression), literal(0, type_=expression.type),
                         type_=expression.type)


class month_day(FunctionElement):
    """A date column's month and day as one integer, ``month * 100 + day`` (March 7th is 307),
    whatever the year: for birthdays and anniversaries. The SQL is written out the same way
    every time (no bound parameters), so the expression index of migration 0010 serves it."""

    type = types.Integer()
    name = "month_day"
    inherit_cache = True


# SQLite cannot reflect an expression index, and says so each time a tool reads the customer
# table's indexes (an autogenerate comparison, a test); this one is known and expected.
warnings.filterwarnings("ignore", message=r".*expression-based index '?ix_customer_birthday")


@compiles(month_day, "sqlite")
def _month_day_sqlite(element, compiler, **kw):
    return f"CAST(strftime('%m%d', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(month_day, "postgresql")
def _month_day_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    # EXTRACT from a date is IMMUTABLE, so PostgreSQL can index it (to_char is not).
    return f"CAST(EXTRACT(MONTH FROM {column}) * 100 + EXTRACT(DAY FROM {column}) AS INTEGER)"


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


_WRITE_DEPTH = "regulars.write_depth"  # session.info: write_transaction blocks open on it
# session.info: the open transaction has written (a flush, or an insert, update or delete
# statement run through the session), so write_transaction carries it on instead of ending it.
_WRITTEN = "regulars.written"


@event.listens_for(Session, "after_flush")
def _note_flush(session, flush_context):
    session.info[_WRITTEN] = True


@event.listens_for(Session, "do_orm_execute")
def _note_write_statement(state):
    if state.is_insert or state.is_update or state.is_delete or (
            isinstance(state.statement, TextClause)
            and state.statement.text.lstrip()[:6].upper() in _WRITING_WORDS):
        state.session.info[_WRITTEN] = True


_WRITING_WORDS = frozenset({"INSERT", "UPDATE", "DELETE"})


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction):
    if transaction.parent is None:  # committed, rolled back or closed: nothing is open
        session.info.pop(_WRITTEN, None)


def _own_session(session=None):
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    return session


def in_write_transaction(session=None) -> bool:
    """Whether a ``write_transaction`` is open on this session (the request's, by default)."""
    return _own_session(session).info.get(_WRITE_DEPTH, 0) > 0


@contextlib.contextmanager
def write_transaction(session=None, *, savepoint: bool = True):
    """One service call, one transaction: commit on success, roll back on any error.

    Nested use joins the outer transaction: only the outermost block commits, and an error
    that leaves the outermost block rolls everything back. A nested block runs in a SAVEPOINT
    (``savepoint=False``: without one), so when its error is caught inside the outer block,
    its own writes are undone and the outer block's stay, to commit or roll back as a whole.
    The sdk's ``record_activity``, ``send_email`` and ``enqueue`` follow the same rule: inside
    a service's ``write_transaction`` they join it; called where none is open (a view, a
    job, a task) they commit on their own.

    The outermost block carries on the session's open transaction when that transaction has
    written already (objects added, changed or deleted, flushed or not, or an INSERT, UPDATE
    or DELETE run with ``session.execute``): those writes then commit with the block, and an
    error leaving the block rolls them back too, so a view that adds and flushes a row and
    then calls ``record_activity`` writes both or neither. A transaction that has only read
    (the request's reads of the database as it was) is committed first, so the write starts
    fresh. SQL run on ``session.connection()`` directly is not seen: run writes through the
    session, or inside the ``write_transaction`` they belong with.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so a read-then-write cannot be
    overtaken by another writer between its read and its write. On PostgreSQL services take
    row locks or use conditional updates where two tills can race.
    """
    session = _own_session(session)
    depth = session.info.get(_WRITE_DEPTH, 0)
    if depth:
        session.info[_WRITE_DEPTH] = depth + 1
        try:
            if savepoint:
                with session.begin_nested():
                    yield session
            else:
                yield session
        finally:
            session.info[_WRITE_DEPTH] = depth
        return
    written = session.new or session.dirty or session.deleted or session.info.get(_WRITTEN)
    if session.in_transaction() and not written:
        # End the read-only transaction the request may have opened, so ours starts fresh.
        session.commit()
    if not session.in_transaction():
        token = _begin_mode.set("IMMEDIATE")
        try:
            session.connection()
        finally:
            _begin_mode.reset(token)
    session.info[_WRITE_DEPTH] = 1
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITE_DEPTH, None)
    from core import tasks

    tasks.run_committed()  # TASKS_EAGER only: the tasks this transaction enqueued


def relaxed_commit(session) -> None:
    """Let this transaction's commit return before it reaches the disk (PostgreSQL's
    ``synchronous_commit = off`` for this transaction only; SQLite in WAL mode with
    ``synchronous=NORMAL`` already does). Only for bookkeeping whose loss in a crash is
    harmless, such as a task's claim or outcome: a task is run at least once, so a lost claim
    or finish only means it runs again. Never for a customer's or a sale's data."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit = off"))


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
