""""Today" is the shop's date (core.sdk.shop_today, shop_now): stored times are UTC, the shop's
time zone is BABEL_DEFAULT_TIMEZONE, and a daily job asks for the shop's today, which a shop
far from UTC reaches hours before (or after) UTC does."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import sdk, shop_time

KIRITIMATI = "Pacific/Kiritimati"  # UTC+14: the first to reach a new day
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11: among the last


@pytest.fixture
def clock(monkeypatch):
    """``clock(datetime)``: set what UTC time it is now (naive, as stored)."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(shop_time, "utcnow", lambda: moment)

    return at


@pytest.fixture
def shop(make_app):
    def in_zone(zone):
        app = make_app(BABEL_DEFAULT_TIMEZONE=zone)
        context = app.app_context()
        context.push()
        opened.append(context)
        return app

    opened = []
    yield in_zone
    for context in reversed(opened):
        context.pop()


@pytest.mark.parametrize("zone, utc_now, today", [
    (KIRITIMATI, datetime(2025, 3, 10, 9, 59, 59), date(2025, 3, 10)),  # 23:59:59 local
    (KIRITIMATI, datetime(2025, 3, 10, 10, 0, 0), date(2025, 3, 11)),  # midnight local
    (PAGO_PAGO, datetime(2025, 3, 11, 10, 59, 59), date(2025, 3, 10)),  # 23:59:59 local
    (PAGO_PAGO, datetime(2025, 3, 11, 11, 0, 0), date(2025, 3, 11)),
    ("UTC", datetime(2025, 3, 10, 23, 59, 59), date(2025, 3, 10)),
])
def test_today_is_the_shops_date_around_its_midnight(shop, clock, zone, utc_now, today):
    shop(zone)
    clock(utc_now)

    assert sdk.shop_today() == today
    assert sdk.shop_now().date() == today
    assert sdk.shop_now().utcoffset() == sdk.to_shop_time(utc_now).utcoffset()


def test_shop_now_is_aware_and_in_the_shops_zone(shop, clock):
    shop(KIRITIMATI)
    clock(datetime(2025, 3, 10, 10, 30))

    now = sdk.shop_now()

    assert (now.year, now.month, now.day, now.hour, now.minute) == (2025, 3, 11, 0, 30)
    assert now.utcoffset() == timedelta(hours=14)


def test_the_shop_is_on_utc_unless_configured(app, clock):
    clock(datetime(2025, 3, 10, 23, 59))
    with app.app_context():
        assert sdk.shop_today() == date(2025, 3, 10)
        assert sdk.shop_now().utcoffset() == timedelta(0)


def test_a_stored_time_read_in_the_shops_zone(shop):
    shop(PAGO_PAGO)

    local = sdk.to_shop_time(datetime(2025, 3, 11, 3, 0))  # stored: naive UTC

    assert (local.day, local.hour) == (10, 16)


def test_a_shop_day_as_stored_times_even_when_the_clocks_change(shop):
    shop("America/New_York")

    start, end = sdk.shop_day_bounds(date(2025, 3, 9))  # the clocks go forward: 23 hours

    assert start == datetime(2025, 3, 9, 5, 0)
    assert end == datetime(2025, 3, 10, 4, 0)


def test_a_daily_birthday_job_finds_the_birthdays_of_the_shops_today(shop, clock):
    from core.services import customers

    shop(KIRITIMATI)
    born_on_the_11th = customers.create({"first_name": "Ana", "email": "ana@example.com",
                                         "date_of_birth": date(1990, 3, 11)}).id
    customers.create({"first_name": "Ben", "email": "ben@example.com",
                      "date_of_birth": date(1990, 3, 10)})

    def todays_birthdays():
        today = sdk.shop_today()
        return [c.id for c in sdk.find_customers(birthday_between=(today, today))]

    clock(datetime(2025, 3, 10, 10, 0))  # 00:00 on the 11th in the shop, still the 10th in UTC
    assert todays_birthdays() == [born_on_the_11th]


def test_the_schedulers_cron_hours_are_the_shops(shop):
    from core import scheduler

    app = shop(KIRITIMATI)

    jobs = scheduler.build(app).get_jobs()

    assert jobs and {str(job.trigger.timezone) for job in jobs} == {KIRITIMATI}


def test_a_time_zone_that_does_not_exist_is_a_clear_error(shop):
    shop("Mars/Olympus_Mons")

    with pytest.raises(ValueError, match="BABEL_DEFAULT_TIMEZONE = 'Mars/Olympus_Mons' is not"):
        sdk.shop_today()


def test_a_naive_time_means_utc_and_a_shops_wall_clock_time_says_so_by_name(shop):
    from datetime import timezone

    shop(PAGO_PAGO)  # UTC-11

    # Every function that takes a naive datetime reads it as UTC, as utcnow() gives it...
    assert sdk.to_shop_time(datetime(2025, 3, 11, 3, 0)).hour == 16
    assert not hasattr(shop_time, "to_utc")
    # ...except the one whose name says the time is the shop's.
    assert shop_time.shop_local_to_utc(datetime(2025, 3, 10, 16, 0)) == datetime(2025, 3, 11, 3)
    aware = datetime(2025, 3, 11, 3, 0, tzinfo=timezone.utc)
    assert shop_time.shop_local_to_utc(aware) == datetime(2025, 3, 11, 3, 0)


def test_find_customers_reads_a_naive_since_as_utc_in_any_shop(shop, make_customer):
    from datetime import timezone

    from core.db import db
    from core.models import Customer

    shop(PAGO_PAGO)
    customer_id = make_customer()
    db.session.get(Customer, customer_id).created_at = datetime(2025, 3, 11, 3, 0)  # UTC
    db.session.commit()

    def found(since):
        return [c.id for c in sdk.find_customers(created_since=since)]

    assert found(datetime(2025, 3, 11, 3, 0)) == [customer_id]
    assert found(datetime(2025, 3, 11, 3, 1)) == []
    assert found(datetime(2025, 3, 11, 3, 1, tzinfo=timezone.utc)) == []
    assert found(datetime(2025, 3, 10, 16, 0, tzinfo=sdk.shop_now().tzinfo)) == [customer_id]
