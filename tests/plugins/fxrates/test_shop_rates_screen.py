"""The "FX rates" menu: the shop's own rates, listed, added, changed and deleted."""

from __future__ import annotations

import re
from decimal import Decimal


def rate_form(**fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.1675", "valid_from": "2026-01-01",
            "valid_to": ""}
    data.update(fields)
    return data


def field_block(page: str, name: str) -> str:
    match = re.search(r'<div class="form-group[^"]*" data-field="%s">(.*?)</div>' % name, page,
                      re.S)
    assert match, f"no field {name} on the page"
    return match.group(0)


def test_the_menu_leads_to_the_shops_rates(admin_client):
    page = admin_client.get("/customers/").get_data(as_text=True)

    assert 'href="/fxrates/"' in page


def test_the_list_shows_only_the_shops_rates(admin_client, make_customer, make_rate):
    make_rate(quote="JPY", rate="190.25", valid_from="2026-01-01", valid_to="2026-12-31")
    make_rate(customer_id=make_customer(), quote="USD", rate="1.285")

    page = admin_client.get("/fxrates/").get_data(as_text=True)

    assert "1 GBP = <strong>190.25</strong> JPY" in page
    assert "Jan 1, 2026 – Dec 31, 2026" in page
    assert "1.285" not in page


def test_an_empty_list_explains_what_rates_are_for(admin_client):
    page = admin_client.get("/fxrates/").get_data(as_text=True)

    assert "No exchange rates yet" in page


def test_the_add_form_starts_from_the_shops_currency(admin_client):
    page = admin_client.get("/fxrates/add").get_data(as_text=True)

    assert '<option selected value="GBP">' in page
    assert "EUR – Euro" in page


def test_admin_adds_a_shop_rate(admin_client, app):
    response = admin_client.post("/fxrates/add", data=rate_form(quote="USD", rate="1.2710"))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fxrates/")
    assert "1 GBP = <strong>1.271</strong> USD" in admin_client.get("/fxrates/").get_data(as_text=True)


def test_a_refused_shop_rate_shows_each_message_beside_its_field(admin_client):
    page = admin_client.post("/fxrates/add", data=rate_form(base="EUR", quote="EUR", rate="0",
                                                             valid_from="")).get_data(as_text=True)

    assert "other than the one you convert from" in field_block(page, "quote")
    assert "more than zero" in field_block(page, "rate")
    assert "first day" in field_block(page, "valid_from")


def test_a_second_rate_for_the_same_days_is_refused_on_the_screen(admin_client, make_rate):
    make_rate(valid_from="2026-01-01", valid_to="2026-03-31")

    page = admin_client.post("/fxrates/add", data=rate_form(valid_from="2026-02-01")
                             ).get_data(as_text=True)

    assert "Jan 1, 2026 – Mar 31, 2026" in field_block(page, "valid_from")


def test_admin_ends_an_open_rate(admin_client, make_rate, rate_row):
    rate_id = make_rate()

    response = admin_client.post(f"/fxrates/{rate_id}/edit", data=rate_form(valid_to="2026-06-30"))

    assert response.status_code == 302
    assert rate_row(rate_id)["valid_to"].isoformat() == "2026-06-30"


def test_the_edit_form_shows_the_rate_as_typed(admin_client, make_rate):
    rate_id = make_rate(quote="JPY", rate="190.25")

    page = admin_client.get(f"/fxrates/{rate_id}/edit").get_data(as_text=True)

    assert 'value="190.25"' in page


def test_a_refused_edit_keeps_the_rate_unchanged(admin_client, make_rate, rate_row):
    rate_id = make_rate(rate="1.1675")

    page = admin_client.post(f"/fxrates/{rate_id}/edit", data=rate_form(rate="-1")
                             ).get_data(as_text=True)

    assert "more than zero" in field_block(page, "rate")
    assert rate_row(rate_id)["rate"] == Decimal("1.1675")


def test_admin_deletes_a_shop_rate(admin_client, make_rate, rate_row):
    rate_id = make_rate()

    response = admin_client.post(f"/fxrates/{rate_id}/delete")

    assert response.status_code == 302
    assert rate_row(rate_id) is None


def test_a_customers_rate_is_not_edited_from_the_shop_screen(admin_client, make_customer,
                                                             make_rate):
    rate_id = make_rate(customer_id=make_customer())

    assert admin_client.get(f"/fxrates/{rate_id}/edit").status_code == 404


def test_an_unknown_rate_answers_404(admin_client):
    assert admin_client.post("/fxrates/424242/delete").status_code == 404
