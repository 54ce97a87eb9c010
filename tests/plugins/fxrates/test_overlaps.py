"""One pair, one owner, one rate per day: overlapping periods are refused, naming the clash."""

from __future__ import annotations

import pytest

from core.sdk import ValidationError, get_customer
from plugins.fxrates import services


def add(customer=None, **fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.1675", "valid_from": "2026-01-01"}
    data.update(fields)
    return services.create(data, customer=customer)


def overlap_error(customer=None, **fields) -> str:
    with pytest.raises(ValidationError) as caught:
        add(customer, **fields)
    return caught.value.errors["valid_from"]


def test_a_second_shop_rate_for_the_same_days_is_refused_naming_the_clash(ctx):
    add(rate="1.1590", valid_from="2026-01-01", valid_to="2026-03-31")

    message = overlap_error(valid_from="2026-03-01", valid_to="2026-06-30")

    assert "GBP → EUR" in message
    assert "1.159" in message
    assert "Jan 1, 2026" in message and "Mar 31, 2026" in message


def test_a_rate_that_runs_until_further_notice_clashes_with_any_later_rate(ctx):
    add(valid_from="2026-01-01")

    message = overlap_error(valid_from="2030-01-01", valid_to="2030-01-31")

    assert "from Jan 1, 2026" in message


def test_a_new_open_ended_rate_clashes_with_a_later_period(ctx):
    add(valid_from="2026-06-01", valid_to="2026-06-30")

    assert overlap_error(valid_from="2026-01-01")


def test_back_to_back_periods_are_allowed(ctx):
    add(valid_from="2026-01-01", valid_to="2026-03-31")

    add(valid_from="2026-04-01")

    assert len(services.shop_rates()) == 2


def test_other_pairs_do_not_clash(ctx):
    add(quote="EUR")

    add(quote="USD")
    add(base="EUR", quote="GBP")

    assert len(services.shop_rates()) == 3


def test_a_customers_rate_does_not_clash_with_the_shops(ctx, make_customer):
    customer = get_customer(make_customer())
    add()

    add(customer)

    assert len(services.customer_rates(customer)) == 1


def test_two_rates_for_one_customer_on_the_same_days_are_refused(ctx, make_customer):
    customer = get_customer(make_customer())
    add(customer)

    assert "This customer already has" in overlap_error(customer)


def test_two_customers_may_each_have_a_rate_for_the_same_days(ctx, make_customer):
    first_id, second_id = make_customer(), make_customer()
    first, second = get_customer(first_id), get_customer(second_id)
    add(first)

    add(second)

    assert len(services.customer_rates(second)) == 1


def test_editing_a_rate_does_not_clash_with_itself(ctx):
    rate = add(valid_from="2026-01-01", valid_to="2026-03-31")

    services.update(rate, {"valid_to": "2026-04-30"})

    assert services.get(rate.id).valid_to.isoformat() == "2026-04-30"


def test_editing_a_rate_into_another_ones_period_is_refused(ctx):
    add(valid_from="2026-01-01", valid_to="2026-03-31")
    later = add(valid_from="2026-04-01", valid_to="2026-06-30")

    with pytest.raises(ValidationError) as caught:
        services.update(later, {"valid_from": "2026-03-15"})

    assert "Mar 31, 2026" in caught.value.errors["valid_from"]


def test_two_people_saving_the_same_period_at_once_keep_only_one_rate(app, make_app):
    import threading

    second_worker = make_app()
    start = threading.Barrier(2)
    outcomes = []

    def save(worker, value):
        with worker.app_context():
            start.wait()
            try:
                add(rate=value)
                outcomes.append("saved")
            except ValidationError:
                outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(worker, value))
               for worker, value in ((app, "1.16"), (second_worker, "1.17"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refused", "saved"]
    with app.app_context():
        assert len(services.shop_rates()) == 1
