"""A shop assistant's first session, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from core.testing import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, base, username="admin"):
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("h1", has_text="Customers")).to_be_visible()


def test_assistant_creates_finds_and_opens_a_customer_then_fx_tab_goes_with_the_plugin(
        page, live_server, shoot):
    sign_in(page, live_server)
    shoot(page, "01-customers-list")

    page.click("#create-customer")
    page.fill("#first_name", "Mirela")
    page.fill("#last_name", "Kowalczyk")
    page.fill("#email", "Mirela.K@Example.com")
    page.fill("#phone", "020 7946 0958")
    shoot(page, "02-create-customer")
    page.click("#customer-form button[value=close]")
    expect(page.locator(".customer-header h1")).to_contain_text("Mirela Kowalczyk")

    page.goto(live_server + "/customers/")
    page.fill("#q", "kowal")
    expect(page.locator("#customer-results .customer-link")).to_have_count(1)
    expect(page.locator("#customer-results .customer-link")).to_have_text("Mirela Kowalczyk")
    shoot(page, "03-search-as-you-type")
    page.click("#customer-results .customer-link")

    expect(page.locator(".customer-number")).to_have_text(re.compile(r"C-\d{6}"))
    expect(page.locator("#tab-details")).to_contain_text("mirela.k@example.com", ignore_case=True)
    shoot(page, "04-overview")

    page.click("a[data-tab=fxrates]")
    pane = page.locator("#tab-fxrates")
    expect(pane.locator("form")).to_be_visible()
    pane.locator("[name=base]").fill("EUR") if pane.locator("input[name=base]").count() else \
        pane.locator("[name=base]").select_option("EUR")
    pane.locator("[name=quote]").fill("GBP") if pane.locator("input[name=quote]").count() else \
        pane.locator("[name=quote]").select_option("GBP")
    pane.locator("[name=rate]").fill("0.8571")
    pane.locator("[name=valid_from]").fill("2026-01-01")
    pane.locator("button[type=submit]").first.click()
    expect(page.locator("#tab-fxrates")).to_contain_text("0.8571")
    shoot(page, "05-fx-rate-added")
    overview_url = page.url

    page.goto(live_server + "/plugins/")
    page.locator("#plugin-fxrates .plugin-toggle").click()
    expect(page.locator("#plugin-fxrates")).to_have_attribute("data-enabled", "0")
    shoot(page, "06-plugins-fxrates-disabled")

    page.goto(overview_url)
    expect(page.locator("a[data-tab=details]")).to_be_visible()
    expect(page.locator("a[data-tab=fxrates]")).to_have_count(0)
    shoot(page, "07-overview-without-fx-tab")


def test_customer_list_fits_a_phone(phone_page, live_server, shoot, make_customer):
    make_customer(first_name="Ada", last_name="Lovelace")
    sign_in(phone_page, live_server)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    shoot(phone_page, "08-phone-customers")
    assert width <= 390 + 1
