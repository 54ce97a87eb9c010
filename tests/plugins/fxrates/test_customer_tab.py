"""The "FX rates" tab on the customer overview: a customer's agreed rates, added and removed
from the overview itself."""

from __future__ import annotations

import re
from decimal import Decimal


def rate_form(**fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.18", "valid_from": "2026-01-01",
            "valid_to": ""}
    data.update(fields)
    return data


def field_block(page: str, name: str) -> str:
    """The form-group of one field, with whatever is shown beside it."""
    match = re.search(r'<div class="form-group[^"]*" data-field="%s">(.*?)</div>' % name, page,
                      re.S)
    assert match, f"no field {name} on the page"
    return match.group(0)


def test_the_overview_offers_an_fx_rates_tab(admin_client, make_customer):
    customer_id = make_customer()

    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert 'data-tab="fxrates"' in page
    assert f'data-url="/fxrates/customers/{customer_id}/tab"' in page


def test_the_tab_lists_the_customers_agreed_rates(admin_client, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id, quote="USD", rate="1.2850")
    make_rate(rate="1.3333")  # the shop's, not shown here

    tab = admin_client.get(f"/fxrates/customers/{customer_id}/tab").get_data(as_text=True)

    assert "1 GBP = <strong>1.285</strong> USD" in tab
    assert "1.3333" not in tab
    assert "<html" not in tab  # a fragment for the overview to load in place


def test_the_tab_says_when_the_shops_rates_apply(admin_client, make_customer):
    tab = admin_client.get(f"/fxrates/customers/{make_customer()}/tab").get_data(as_text=True)

    assert "the shop’s rates apply" in tab


def test_the_tab_carries_a_form_with_a_csrf_token(admin_client, make_customer):
    customer_id = make_customer()

    tab = admin_client.get(f"/fxrates/customers/{customer_id}/tab").get_data(as_text=True)

    assert f'action="/fxrates/customers/{customer_id}/add"' in tab
    assert 'name="csrf_token"' in tab


def test_admin_adds_a_rate_from_the_tab_and_returns_to_it(admin_client, make_customer, ctx):
    from plugins.fxrates import services
    from core.sdk import get_customer

    customer_id = make_customer()

    response = admin_client.post(f"/fxrates/customers/{customer_id}/add", data=rate_form())

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}?tab=fxrates")
    [rate] = services.customer_rates(get_customer(customer_id))
    assert (rate.base, rate.quote, rate.rate) == ("GBP", "EUR", Decimal("1.18"))


def test_a_rate_added_from_the_tab_shows_in_the_tab(admin_client, make_customer):
    customer_id = make_customer()
    admin_client.post(f"/fxrates/customers/{customer_id}/add", data=rate_form(rate="1.18"))

    tab = admin_client.get(f"/fxrates/customers/{customer_id}/tab").get_data(as_text=True)

    assert "1 GBP = <strong>1.18</strong> EUR" in tab


def test_a_refused_rate_comes_back_with_the_message_beside_its_field(admin_client, make_customer):
    customer_id = make_customer()

    response = admin_client.post(f"/fxrates/customers/{customer_id}/add",
                                 data=rate_form(rate="abc", valid_to="2025-12-31"))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "has-error" in field_block(page, "rate")
    assert "Enter the rate as a number" in field_block(page, "rate")
    assert "cannot be before the first day" in field_block(page, "valid_to")
    assert 'value="abc"' in page  # what was typed stays
    assert f'href="/customers/{customer_id}?tab=fxrates"' in page  # Cancel goes back


def test_an_overlapping_rate_is_refused_beside_the_first_day(admin_client, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id, valid_from="2026-01-01", valid_to="2026-06-30")

    page = admin_client.post(f"/fxrates/customers/{customer_id}/add",
                             data=rate_form(valid_from="2026-06-01")).get_data(as_text=True)

    assert "already has a GBP → EUR rate" in field_block(page, "valid_from")


def test_admin_deletes_a_customers_rate_from_the_tab(admin_client, make_customer, make_rate,
                                                     rate_row):
    customer_id = make_customer()
    rate_id = make_rate(customer_id=customer_id)

    response = admin_client.post(f"/fxrates/customers/{customer_id}/{rate_id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}?tab=fxrates")
    assert rate_row(rate_id) is None


def test_admin_edits_a_customers_rate(admin_client, make_customer, make_rate, rate_row):
    customer_id = make_customer()
    rate_id = make_rate(customer_id=customer_id, rate="1.18")

    form = admin_client.get(f"/fxrates/customers/{customer_id}/{rate_id}/edit").get_data(as_text=True)
    response = admin_client.post(f"/fxrates/customers/{customer_id}/{rate_id}/edit",
                                 data=rate_form(rate="1.19"))

    assert 'value="1.18"' in form
    assert response.status_code == 302
    assert rate_row(rate_id)["rate"] == Decimal("1.19")


def test_a_rate_cannot_be_reached_through_another_customer(admin_client, make_customer, make_rate,
                                                           rate_row):
    owner, other = make_customer(), make_customer()
    rate_id = make_rate(customer_id=owner)

    response = admin_client.post(f"/fxrates/customers/{other}/{rate_id}/delete")

    assert response.status_code == 404
    assert rate_row(rate_id) is not None


def test_an_unknown_customer_has_no_tab(admin_client):
    assert admin_client.get("/fxrates/customers/999999/tab").status_code == 404
    assert admin_client.get("/fxrates/customers/99999999999999/tab").status_code == 404


def test_the_info_box_counts_custom_rates(admin_client, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id, quote="EUR")
    make_rate(customer_id=customer_id, quote="USD")

    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert re.search(r"<dt>Custom FX rates</dt><dd>2</dd>", page)


def test_the_info_box_says_nothing_about_rates_when_there_are_none(admin_client, make_customer):
    page = admin_client.get(f"/customers/{make_customer()}").get_data(as_text=True)

    assert "Custom FX rates" not in page
