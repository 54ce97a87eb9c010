"""Switching FX rates off hides it at once and keeps its data; switching it on brings it back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.services.plugins import set_enabled


@pytest.fixture
def switch(app):
    def set_to(enabled: bool):
        with app.app_context():
            set_enabled("fxrates", enabled)

    return set_to


def test_a_disabled_plugins_rates_are_kept_for_when_it_comes_back(app, switch, make_customer,
                                                                  make_rate, rate_row):
    customer_id = make_customer()
    shop_rate = make_rate(rate="1.1675")
    customer_rate = make_rate(customer_id=customer_id, rate="1.18")

    switch(False)
    switch(True)

    assert rate_row(shop_rate)["rate"] == Decimal("1.1675")
    assert rate_row(customer_rate)["customer_id"] == customer_id


def test_the_tab_disappears_while_the_plugin_is_off(admin_client, switch, make_customer):
    customer_id = make_customer()

    switch(False)

    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert 'data-tab="fxrates"' not in page


def test_the_info_box_forgets_rates_while_the_plugin_is_off(admin_client, switch, make_customer,
                                                            make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id)

    switch(False)

    assert "Custom FX rates" not in admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)


def test_the_menu_item_disappears_while_the_plugin_is_off(admin_client, switch):
    switch(False)

    assert 'href="/fxrates/"' not in admin_client.get("/customers/").get_data(as_text=True)


def test_the_plugins_pages_answer_404_while_it_is_off(admin_client, switch, make_customer,
                                                      make_rate):
    customer_id = make_customer()
    rate_id = make_rate()

    switch(False)

    for url in ("/fxrates/", "/fxrates/add", f"/fxrates/{rate_id}/edit",
                f"/fxrates/customers/{customer_id}/tab", "/api/v1/fxrates/",
                "/api/v1/fxrates/rate?base=GBP&quote=EUR"):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.post("/fxrates/add", data={}).status_code == 404


def test_nobody_is_answered_a_rate_while_the_plugin_is_off(app, switch, make_rate):
    from core.sdk import plugin_host

    make_rate()

    switch(False)

    with app.app_context():
        answer = plugin_host().hook.fx_rate(base="GBP", quote="EUR", on=date(2026, 2, 1),
                                            customer=None)
    assert answer is None


def test_everything_comes_back_when_the_plugin_is_switched_on_again(admin_client, switch,
                                                                    make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id, rate="1.18")

    switch(False)
    switch(True)

    assert 'data-tab="fxrates"' in admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "1.18" in admin_client.get(f"/fxrates/customers/{customer_id}/tab").get_data(as_text=True)


def test_another_worker_process_hides_it_too_without_a_restart(app, admin_client, make_app,
                                                              switch):
    other_worker = make_app()
    other_client = other_worker.test_client()
    other_client.post("/login/", data={"username": "admin",
                                       "password": "correct horse battery staple"})
    assert other_client.get("/fxrates/").status_code == 200

    switch(False)

    assert other_client.get("/fxrates/").status_code == 404
