"""What the shop may save as an exchange rate: the rules every screen and the API share."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.sdk import ValidationError, get_customer
from plugins.fxrates import services


def rate_data(**fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.1675", "valid_from": "2026-01-01"}
    data.update(fields)
    return data


def refused(data, customer=None) -> dict:
    with pytest.raises(ValidationError) as caught:
        services.create(data, customer=customer)
    return caught.value.errors


def test_a_valid_rate_is_stored_as_an_exact_decimal(ctx):
    rate = services.create(rate_data(rate="1.1675", valid_to="2026-03-31"))

    stored = services.get(rate.id)
    assert stored.rate == Decimal("1.1675")
    assert isinstance(stored.rate, Decimal)
    assert (stored.valid_from, stored.valid_to) == (date(2026, 1, 1), date(2026, 3, 31))


@pytest.mark.parametrize("typed", ["abc", "1,2.3", "", "   "])
def test_a_rate_that_is_not_a_number_is_refused(ctx, typed):
    assert "rate" in refused(rate_data(rate=typed))


@pytest.mark.parametrize("typed", ["NaN", "nan", "Infinity", "-Infinity", "sNaN"])
def test_not_a_number_and_infinity_are_refused(ctx, typed):
    assert "number" in refused(rate_data(rate=typed))["rate"]


def test_an_absurdly_large_rate_is_refused(ctx):
    assert "less than" in refused(rate_data(rate="1e400"))["rate"]


@pytest.mark.parametrize("typed", ["0", "0.000", "-1.2", "-0"])
def test_a_rate_must_be_more_than_zero(ctx, typed):
    assert refused(rate_data(rate=typed))["rate"] == "The rate must be more than zero."


def test_a_rate_with_more_decimals_than_can_be_kept_is_refused(ctx):
    assert "decimal places" in refused(rate_data(rate="1.12345678901"))["rate"]


def test_a_rate_with_nineteen_digits_is_kept_exactly(ctx):
    rate = services.create(rate_data(quote="IDR", rate="123456789.1234567891"))

    assert services.get(rate.id).rate == Decimal("123456789.1234567891")


def test_the_largest_rate_allowed_is_kept_exactly(ctx):
    rate = services.create(rate_data(quote="IRR", rate="899999999.9999999999"))

    assert services.get(rate.id).rate == Decimal("899999999.9999999999")


@pytest.mark.parametrize("typed", ["900000000", "1234567890.1234567891"])
def test_a_rate_beyond_what_every_database_keeps_exactly_is_refused(ctx, typed):
    assert refused(rate_data(quote="IRR", rate=typed))["rate"] == \
        "The rate must be less than 900,000,000."


def test_a_float_is_never_taken_as_a_rate(ctx):
    assert "rate" in refused(rate_data(rate=1.1675))


@pytest.mark.parametrize("code", ["EURO", "XYZ", "eu", "12"])
def test_currencies_must_be_iso_4217_codes(ctx, code):
    errors = refused(rate_data(base=code))
    assert "ISO 4217" in errors["base"]


def test_currency_codes_are_read_in_any_case(ctx):
    rate = services.create(rate_data(base=" gbp", quote="usd "))

    assert (rate.base, rate.quote) == ("GBP", "USD")


def test_both_currencies_are_required(ctx):
    errors = refused(rate_data(base="", quote=None))

    assert set(errors) >= {"base", "quote"}


def test_a_currency_cannot_be_converted_into_itself(ctx):
    assert "other than" in refused(rate_data(base="EUR", quote="eur"))["quote"]


def test_the_first_day_is_required(ctx):
    assert "first day" in refused(rate_data(valid_from=""))["valid_from"]


def test_an_impossible_date_is_refused(ctx):
    assert "2026-01-31" in refused(rate_data(valid_from="2026-02-30"))["valid_from"]


def test_the_last_day_cannot_come_before_the_first(ctx):
    errors = refused(rate_data(valid_from="2026-03-01", valid_to="2026-02-28"))

    assert errors == {"valid_to": "The last day cannot be before the first day."}


def test_a_one_day_rate_is_allowed(ctx):
    rate = services.create(rate_data(valid_from="2026-03-01", valid_to="2026-03-01"))

    assert rate.valid_from == rate.valid_to


def test_every_problem_is_reported_at_once(ctx):
    errors = refused({"base": "XYZ", "quote": "", "rate": "abc", "valid_from": "soon"})

    assert set(errors) == {"base", "quote", "rate", "valid_from"}


def test_editing_a_rate_checks_the_same_rules(ctx):
    rate = services.create(rate_data())

    with pytest.raises(ValidationError) as caught:
        services.update(rate, {"rate": "-3"})

    assert "rate" in caught.value.errors
    assert services.get(rate.id).rate == Decimal("1.1675")


def test_editing_changes_only_the_fields_given(ctx):
    rate = services.create(rate_data())

    services.update(rate, {"rate": "1.2", "valid_to": "2026-12-31"})

    stored = services.get(rate.id)
    assert (stored.base, stored.quote, stored.rate) == ("GBP", "EUR", Decimal("1.2"))
    assert stored.valid_to == date(2026, 12, 31)


def test_deleting_a_rate_removes_it(ctx):
    rate = services.create(rate_data())

    services.delete(rate)

    assert services.shop_rates() == []


def test_a_customers_rates_go_when_the_customer_is_deleted(ctx, make_customer):
    import sqlalchemy as sa

    from core.sdk import db

    customer = get_customer(make_customer())
    services.create(rate_data(), customer=customer)

    db.session.delete(customer)
    db.session.commit()

    assert db.session.execute(
        sa.select(sa.func.count()).select_from(services.ExchangeRate)).scalar() == 0
