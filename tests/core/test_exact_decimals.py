"""Money and Rate columns keep every digit on SQLite and PostgreSQL alike: what a plugin author
(billing, fxrates) stores is what comes back, sorted, compared and summed in SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import Money, Rate, db, exact_sum

# A table of the test's own, outside the models' metadata, so it never shows up in the schema
# comparisons of the migration tests.
metadata = sa.MetaData()
ledger = sa.Table(
    "test_exact_ledger", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", Money, nullable=True),
    sa.Column("rate", Rate, nullable=True),
    sa.Column("quantity", sa.Integer, nullable=True),
)

LARGEST_MONEY = Decimal("99999999999999.9999")
LARGEST_RATE = Decimal("922337203.6854775807")


@pytest.fixture
def table(ctx):
    metadata.create_all(db.engine)
    yield ledger
    db.session.remove()
    metadata.drop_all(db.engine)


def write(**values) -> int:
    with db.engine.begin() as conn:
        return conn.execute(ledger.insert().values(**values)).inserted_primary_key[0]


def read(column, row_id):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(column).where(ledger.c.id == row_id)).scalar_one()


def rows(*columns, where=None, order_by=None):
    query = sa.select(*columns)
    if where is not None:
        query = query.where(where)
    if order_by is not None:
        query = query.order_by(order_by)
    with db.engine.connect() as conn:
        return conn.execute(query).all()


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [
    "0", "0.0001", "-0.0001", "19.99", "1234567890123.4567",
    str(LARGEST_MONEY), str(-LARGEST_MONEY)])
def test_an_amount_of_money_comes_back_exactly(table, amount):
    row_id = write(amount=Decimal(amount))

    assert read(ledger.c.amount, row_id) == Decimal(amount)


def test_money_comes_back_as_a_decimal_with_four_places(table):
    row_id = write(amount=Decimal("12.5"))

    stored = read(ledger.c.amount, row_id)

    assert isinstance(stored, Decimal) and str(stored) == "12.5000"


@pytest.mark.parametrize("rate", [
    "0.0000000001", "1.1675", "123456789.1234567891", "1234567.8901234567",
    str(LARGEST_RATE), str(-LARGEST_RATE)])
def test_a_rate_comes_back_exactly(table, rate):
    row_id = write(rate=Decimal(rate))

    assert read(ledger.c.rate, row_id) == Decimal(rate)


def test_a_rate_comes_back_as_a_decimal_without_trailing_zeros(table):
    row_id = write(rate=Decimal("190.2500000000"))

    stored = read(ledger.c.rate, row_id)

    assert isinstance(stored, Decimal) and str(stored) == "190.25"


def test_a_whole_number_or_a_decimal_string_is_taken_as_it_is(table):
    row_id = write(amount=42, rate="1.1675")

    assert (read(ledger.c.amount, row_id), read(ledger.c.rate, row_id)) == (
        Decimal("42"), Decimal("1.1675"))


def test_an_empty_value_stays_empty(table):
    row_id = write(amount=None, rate=None)

    assert (read(ledger.c.amount, row_id), read(ledger.c.rate, row_id)) == (None, None)


@pytest.mark.sqlite_only
def test_sqlite_keeps_money_and_rates_as_scaled_integers(table):
    row_id = write(amount=Decimal("19.99"), rate=Decimal("1.1675"))

    with db.engine.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT amount, typeof(amount), rate, typeof(rate) FROM test_exact_ledger "
            "WHERE id = :id"), {"id": row_id}).one()

    assert tuple(stored) == (199900, "integer", 11675000000, "integer")


# -- what is refused -----------------------------------------------------------------------


@pytest.mark.parametrize("column", ["amount", "rate"])
def test_a_float_is_refused(table, column):
    with pytest.raises(sa.exc.StatementError) as caught:
        write(**{column: 19.99})

    assert isinstance(caught.value.orig, TypeError)
    assert "not float" in str(caught.value.orig)
    assert rows(ledger.c.id) == []


@pytest.mark.parametrize("column, value", [("amount", "0.00001"), ("amount", "19.99999"),
                                           ("rate", "1.12345678901")])
def test_more_decimal_places_than_the_column_keeps_are_refused_not_rounded(table, column, value):
    with pytest.raises(sa.exc.StatementError) as caught:
        write(**{column: Decimal(value)})

    assert isinstance(caught.value.orig, ValueError)
    assert "decimal places" in str(caught.value.orig)
    assert rows(ledger.c.id) == []


def test_trailing_zeros_beyond_the_scale_are_not_extra_decimal_places(table):
    row_id = write(amount=Decimal("19.990000000"))

    assert read(ledger.c.amount, row_id) == Decimal("19.99")


@pytest.mark.parametrize("column, value", [
    ("amount", LARGEST_MONEY + Decimal("0.0001")), ("amount", -LARGEST_MONEY - 1),
    ("rate", LARGEST_RATE + Decimal("0.0000000001")), ("rate", Decimal("1234567890.1234567891")),
    ("amount", Decimal("1E+400"))])
def test_a_value_out_of_range_is_refused(table, column, value):
    with pytest.raises(sa.exc.StatementError) as caught:
        write(**{column: value})

    assert isinstance(caught.value.orig, ValueError)
    assert "out of range" in str(caught.value.orig)
    assert rows(ledger.c.id) == []


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "twelve", True])
def test_what_is_not_a_number_is_refused(table, value):
    with pytest.raises(sa.exc.StatementError):
        write(amount=value)

    assert rows(ledger.c.id) == []


# -- in SQL --------------------------------------------------------------------------------


def test_rates_sort_in_numeric_order(table):
    for rate in ("10", "9.9999999999", "-2", "0.0000000001", "922337203"):
        write(rate=Decimal(rate))

    ordered = [r for (r,) in rows(ledger.c.rate, order_by=ledger.c.rate)]

    assert ordered == [Decimal(r) for r in ("-2", "0.0000000001", "9.9999999999", "10",
                                            "922337203")]


def test_a_comparison_with_a_decimal_is_made_in_sql(table):
    for rate in ("1.4999999999", "1.5", "1.5000000001"):
        write(rate=Decimal(rate))

    above = rows(ledger.c.rate, where=ledger.c.rate > Decimal("1.5"), order_by=ledger.c.rate)

    assert above == [(Decimal("1.5000000001"),)]


def test_between_and_in_compare_with_decimals(table):
    for amount in ("9.9999", "10", "20.5", "20.5001"):
        write(amount=Decimal(amount))

    between = rows(ledger.c.amount, where=ledger.c.amount.between(10, Decimal("20.5")),
                   order_by=ledger.c.amount)
    listed = rows(ledger.c.amount, where=ledger.c.amount.in_([Decimal("9.9999"), 10]),
                  order_by=ledger.c.amount)

    assert [a for (a,) in between] == [Decimal("10"), Decimal("20.5")]
    assert [a for (a,) in listed] == [Decimal("9.9999"), Decimal("10")]


def test_exact_sum_adds_amounts_without_losing_a_digit(table):
    for amount in ("0.1", "0.2", "99999999999.9999", "-0.0003"):
        write(amount=Decimal(amount))

    [(total,)] = rows(exact_sum(ledger.c.amount))

    assert total == Decimal("100000000000.2996")
    assert isinstance(total, Decimal)


def test_exact_sum_of_no_rows_is_zero(table):
    [(total,)] = rows(exact_sum(ledger.c.amount))

    assert total == Decimal(0) and isinstance(total, Decimal)


def test_exact_sum_adds_within_a_filter(table):
    write(amount=Decimal("5.05"), quantity=1)
    write(amount=Decimal("7.07"), quantity=2)

    [(total,)] = rows(exact_sum(ledger.c.amount), where=ledger.c.quantity == 2)

    assert total == Decimal("7.07")


def test_exact_sum_only_adds_money_or_rates(table):
    with pytest.raises(TypeError):
        exact_sum(ledger.c.quantity)


def test_min_max_and_differences_between_columns_work_in_sql(table):
    write(amount=Decimal("3.3333"), rate=Decimal("0.0000000001"))
    write(amount=Decimal("1.0001"), rate=Decimal("2"))

    [(smallest, largest)] = rows(sa.func.min(ledger.c.amount), sa.func.max(ledger.c.rate))
    [(difference,)] = rows(sa.func.max(ledger.c.amount) - sa.func.min(ledger.c.amount))

    assert (smallest, largest, difference) == (Decimal("1.0001"), Decimal("2"), Decimal("2.3332"))


@pytest.mark.parametrize("expression", [
    lambda: ledger.c.amount * 2,
    lambda: 2 * ledger.c.amount,
    lambda: ledger.c.amount / ledger.c.amount,
    lambda: ledger.c.rate * ledger.c.amount,
], ids=["times a number", "a number times", "divided", "rate times amount"])
def test_multiplying_in_sql_is_refused_because_sqlite_would_mix_scales(table, expression):
    with pytest.raises(TypeError, match="in Python"):
        expression()


@pytest.mark.parametrize("expression", [
    lambda: ledger.c.amount + ledger.c.rate,
    lambda: ledger.c.amount > ledger.c.quantity,
], ids=["money plus rate", "money against an integer column"])
def test_mixing_with_another_kind_of_number_in_sql_is_refused(table, expression):
    with pytest.raises(TypeError, match="scaled integer"):
        expression()


def test_a_literal_rendered_into_sql_is_the_stored_form(table):
    query = sa.select(ledger.c.id).where(ledger.c.rate > Decimal("1.5"))

    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))

    expected = "15000000000" if db.engine.dialect.name == "sqlite" else "1.5"
    assert sql.rstrip().endswith(f"> {expected}")
