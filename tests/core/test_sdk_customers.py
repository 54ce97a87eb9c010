"""Finding customers from a plugin (core.sdk.find_customers, count_customers, iter_customers):
the filters a plugin needs, merged and erased records hidden unless asked for, birthdays by
month and day whatever the year, batches by keyset, and every bad argument named."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from core import sdk
from core.db import db
from core.errors import ValidationError


@pytest.fixture
def born(make_customer):
    """``born("1990-03-07", **fields)``: a customer with that date of birth; returns the id."""

    def make(day, **fields):
        return make_customer(date_of_birth=day, **fields)

    return make


def ids(customers) -> list[int]:
    return [c.id for c in customers]


def test_find_customers_by_id_leaves_out_the_ids_no_one_has(ctx, make_customer):
    first, second = make_customer(), make_customer()

    assert ids(sdk.find_customers([second, first, 999_999])) == [first, second]


def test_an_empty_list_of_ids_finds_no_one(ctx, make_customer):
    make_customer()

    assert sdk.find_customers([]) == []
    assert sdk.count_customers([]) == 0


def test_only_active_customers_by_default_inactive_or_both_when_asked(ctx, make_customer):
    from core.services import customers

    active, resting = make_customer(), make_customer()
    customers.set_status(customers.get(resting), False)

    assert ids(sdk.find_customers()) == [active]
    assert ids(sdk.find_customers(status="inactive")) == [resting]
    assert ids(sdk.find_customers(status=None)) == [active, resting]


def test_merged_and_erased_records_are_hidden_unless_asked_for(ctx, make_customer):
    from core.services import customers, merge, privacy

    survivor, merged, erased = make_customer(), make_customer(), make_customer()
    merge.merge(customers.get(survivor), customers.get(merged))
    privacy.erase(customers.get(erased))

    assert ids(sdk.find_customers(status=None)) == [survivor]
    assert ids(sdk.find_customers(status=None, include_merged=True)) == [survivor, merged]
    assert ids(sdk.find_customers(status=None, include_erased=True)) == [survivor, erased]
    assert ids(sdk.find_customers([merged], status=None)) == []
    assert sdk.count_customers(status=None, include_merged=True, include_erased=True) == 3


def test_birthday_window_matches_month_and_day_whatever_the_year(ctx, born):
    in_window = [born("1990-03-07"), born("1961-03-09"), born("2001-03-12")]
    born("1990-03-06")
    born("1990-03-13")
    born("1975-07-08")
    born(None)

    found = sdk.find_customers(birthday_between=(date(2025, 3, 7), date(2025, 3, 12)))

    assert ids(found) == in_window


def test_birthday_window_over_the_new_year(ctx, born):
    new_years_eve, new_years_day, third = born("1980-12-31"), born("1999-01-01"), born("1970-01-03")
    born("1980-12-27")
    born("1980-01-04")
    born("1980-06-30")

    found = sdk.find_customers(birthday_between=(date(2025, 12, 28), date(2026, 1, 3)))

    assert ids(found) == [new_years_eve, new_years_day, third]


def test_a_leap_day_birthday_is_on_february_28th_in_a_year_without_one(ctx, born):
    leap_day = born("2000-02-29")
    twenty_eighth = born("1990-02-28")
    born("1990-03-01")

    assert ids(sdk.find_customers(birthday_between=(date(2025, 2, 28), date(2025, 2, 28)))) \
        == [leap_day, twenty_eighth]
    assert ids(sdk.find_customers(birthday_between=(date(2024, 2, 28), date(2024, 2, 28)))) \
        == [twenty_eighth]
    assert ids(sdk.find_customers(birthday_between=(date(2024, 2, 29), date(2024, 2, 29)))) \
        == [leap_day]


def test_a_birthday_window_of_a_year_or_more_finds_everyone_with_a_date_of_birth(ctx, born):
    everyone = [born("1990-01-01"), born("1990-06-15"), born("1990-12-31")]
    born(None)

    found = sdk.find_customers(birthday_between=(date(2025, 5, 1), date(2026, 4, 30)))

    assert ids(found) == everyone


def test_born_between_with_an_open_end(ctx, born):
    old, middle = born("1950-05-05"), born("1980-05-05")
    born("2000-05-05")

    assert ids(sdk.find_customers(born_between=(date(1979, 1, 1), date(1999, 12, 31)))) == [middle]
    assert ids(sdk.find_customers(born_between=(None, date(1999, 12, 31)))) == [old, middle]


def test_by_segment_and_group_named_or_by_id(ctx, make_customer, make_group):
    from core.models import Segment

    vip = Segment(name="Gold club")
    db.session.add(vip)
    db.session.commit()
    in_segment = make_customer(segment_id=vip.id)
    in_group = make_customer()
    make_customer()
    group = make_group("Book club", members=[in_group])
    db.session.rollback()  # end this session's read, begun before those were added

    assert ids(sdk.find_customers(segment="Gold club")) == [in_segment]
    assert ids(sdk.find_customers(segment=vip.id)) == [in_segment]
    assert ids(sdk.find_customers(group="Book club")) == [in_group]
    assert ids(sdk.find_customers(group=group)) == [in_group]


def test_created_and_updated_since(ctx, make_customer):
    from core.models import Customer

    old, new = make_customer(), make_customer()
    db.session.get(Customer, old).created_at = datetime(2020, 1, 1, 12)
    db.session.get(Customer, old).updated_at = datetime(2020, 1, 1, 12)
    db.session.commit()

    assert ids(sdk.find_customers(created_since=datetime(2021, 1, 1))) == [new]
    assert ids(sdk.find_customers(created_since=datetime(2020, 1, 1, 11, tzinfo=timezone.utc))) \
        == [old, new]
    assert ids(sdk.find_customers(updated_since=date(2020, 1, 2))) == [new]


def test_order_and_limit(ctx, make_customer):
    first, second, third = (make_customer(last_name=n) for n in ("Cole", "Adams", "Baker"))

    assert ids(sdk.find_customers(order_by="name")) == [second, third, first]
    assert ids(sdk.find_customers(order_by="-id", limit=2)) == [third, second]


def test_count_agrees_with_find(ctx, born):
    for day in ("1990-03-07", "1980-03-08", "1970-09-09"):
        born(day)

    window = (date(2025, 3, 1), date(2025, 3, 31))
    assert sdk.count_customers(birthday_between=window) == 2
    assert sdk.count_customers() == 3


@pytest.mark.parametrize("argument, value", [
    ("status", "gone"),
    ("segment", "No such segment"),
    ("group", 424242),
    ("order_by", "shoe_size"),
    ("birthday_between", (date(2025, 3, 9), date(2025, 3, 1))),
    ("birthday_between", "2025-03-01"),
    ("born_between", (date(1990, 1, 1),)),
    ("created_since", "yesterday"),
    ("ids", ["7"]),
    ("ids", 7),
    ("limit", 0),
    ("include_merged", "yes"),
])
def test_a_filter_value_that_cannot_be_used_is_refused_naming_its_argument(ctx, argument, value):
    with pytest.raises(ValidationError) as refused:
        sdk.find_customers(**{argument: value})

    assert list(refused.value.errors) == [argument]


def after_id(statement, parameters):
    """The value a query compares ``customer.id >`` with."""
    if isinstance(parameters, dict):  # PostgreSQL: %(name)s
        return parameters[re.search(r"customer\.id > %\((\w+)\)s", statement).group(1)]
    return parameters[statement[:statement.index("customer.id >")].count("?")]


def test_iter_customers_yields_batches_by_id_each_one_query_after_the_last_id(ctx, make_customer):
    made = [make_customer() for _ in range(7)]
    queries = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM customer" in statement:
            queries.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        batches = [ids(batch) for batch in sdk.iter_customers(batch_size=3)]
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    assert batches == [made[0:3], made[3:6], made[6:7]]
    assert len(queries) == 3  # the short last batch says there is no more
    assert all("customer.id >" in statement for statement, _ in queries)
    # Each batch starts after the last id of the one before, never at an offset.
    assert [after_id(*query) for query in queries] == [0, made[2], made[5]]


def test_iter_customers_checks_its_filters_before_the_first_batch(ctx):
    with pytest.raises(ValidationError) as refused:
        sdk.iter_customers(segment="Nobody's")

    assert list(refused.value.errors) == ["segment"]
    with pytest.raises(ValidationError) as refused:
        sdk.iter_customers(batch_size=0)
    assert list(refused.value.errors) == ["batch_size"]


def test_the_daily_birthday_query_is_served_by_the_birthday_index(ctx, born):
    from sqlalchemy import select, text

    from core.db import is_sqlite, month_day
    from core.models import Customer

    born("1990-03-07")
    query = select(Customer.id).where(month_day(Customer.date_of_birth).between(307, 307))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if is_sqlite():
        plan = " ".join(str(r[-1]) for r in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(r[0] for r in db.session.execute(text("EXPLAIN " + sql)))

    assert "ix_customer_birthday" in plan


def test_a_wide_list_of_ids_is_no_problem(ctx, make_customer):
    wanted = make_customer()

    found = sdk.find_customers(list(range(wanted, wanted + 40_000)))

    assert ids(found) == [wanted]


def test_created_since_a_date_starts_at_midnight_in_the_shop(make_app):
    from core.models import Customer

    app = make_app(BABEL_DEFAULT_TIMEZONE="America/New_York")
    with app.app_context():
        from core.services import customers

        late = customers.create({"first_name": "Late", "last_name": "Night",
                                 "email": "late@example.com"}).id
        db.session.get(Customer, late).created_at = datetime(2025, 7, 2, 3, 30)  # 23:30 on the 1st
        db.session.commit()

        assert ids(sdk.find_customers(created_since=date(2025, 7, 1))) == [late]
        assert ids(sdk.find_customers(created_since=date(2025, 7, 2))) == []
        assert sdk.count_customers(created_since=date(2025, 7, 1) + timedelta(days=1)) == 0
