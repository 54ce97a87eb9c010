"""The ``fx_rate`` hook: what billing (or any plugin) is told when it asks for a rate."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from core.sdk import get_customer, plugin_host


def ask(base, quote, on, customer=None):
    return plugin_host().hook.fx_rate(base=base, quote=quote, on=on, customer=customer)


def test_the_shops_rate_answers_when_the_customer_has_none(ctx, make_customer, make_rate):
    make_rate(rate="1.1675")
    customer = get_customer(make_customer())

    assert ask("GBP", "EUR", date(2026, 2, 1), customer) == Decimal("1.1675")


def test_a_customers_own_rate_comes_before_the_shops(ctx, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(rate="1.1675")
    make_rate(customer_id=customer_id, rate="1.18")

    assert ask("GBP", "EUR", date(2026, 2, 1), get_customer(customer_id)) == Decimal("1.18")


def test_another_customers_rate_is_never_used(ctx, make_customer, make_rate):
    make_rate(customer_id=make_customer(), rate="1.18")
    make_rate(rate="1.1675")

    assert ask("GBP", "EUR", date(2026, 2, 1), get_customer(make_customer())) == Decimal("1.1675")


def test_without_a_customer_the_shops_rate_answers(ctx, make_customer, make_rate):
    make_rate(customer_id=make_customer(), rate="1.18")
    make_rate(rate="1.1675")

    assert ask("GBP", "EUR", date(2026, 2, 1)) == Decimal("1.1675")


def test_the_rate_valid_on_the_day_answers(ctx, make_rate):
    make_rate(rate="1.159", valid_from="2025-01-01", valid_to="2025-12-31")
    make_rate(rate="1.1675", valid_from="2026-01-01")

    assert ask("GBP", "EUR", date(2025, 12, 31)) == Decimal("1.159")
    assert ask("GBP", "EUR", date(2026, 1, 1)) == Decimal("1.1675")


def test_a_customers_rate_outside_its_period_falls_back_to_the_shops(ctx, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(rate="1.1675")
    make_rate(customer_id=customer_id, rate="1.18", valid_from="2026-01-01",
              valid_to="2026-01-31")

    assert ask("GBP", "EUR", date(2026, 2, 1), get_customer(customer_id)) == Decimal("1.1675")


def test_only_the_opposite_pair_is_answered_inverted(ctx, make_rate):
    make_rate(base="GBP", quote="JPY", rate="190.25")

    answer = ask("JPY", "GBP", date(2026, 2, 1))

    assert answer == Decimal("0.0052562418")
    assert isinstance(answer, Decimal)


def test_the_pair_as_stored_wins_over_the_inverted_opposite(ctx, make_rate):
    make_rate(base="GBP", quote="EUR", rate="1.25")
    make_rate(base="EUR", quote="GBP", rate="0.85")

    assert ask("EUR", "GBP", date(2026, 2, 1)) == Decimal("0.85")


def test_a_customers_opposite_pair_comes_before_the_shops_rate(ctx, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(base="EUR", quote="GBP", rate="0.85")
    make_rate(customer_id=customer_id, base="GBP", quote="EUR", rate="1.25")

    assert ask("EUR", "GBP", date(2026, 2, 1), get_customer(customer_id)) == Decimal("0.8")


def test_no_rate_answers_none(ctx, make_rate):
    make_rate(base="GBP", quote="EUR", valid_from="2026-01-01")

    assert ask("GBP", "USD", date(2026, 2, 1)) is None
    assert ask("GBP", "EUR", date(2025, 12, 31)) is None


def test_a_currency_converts_into_itself_at_one(ctx):
    assert ask("EUR", "eur", date(2026, 2, 1)) == Decimal(1)


def test_a_moment_in_time_is_read_as_its_day(ctx, make_rate):
    make_rate(rate="1.1675", valid_from="2026-01-01", valid_to="2026-01-31")

    assert ask("GBP", "EUR", datetime(2026, 1, 31, 23, 59)) == Decimal("1.1675")
