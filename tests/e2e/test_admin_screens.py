"""The admin screens as a new user meets them in a browser: the wizard's step bar follows the
customer's type, and a field's help text stays grey beside its red error."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e

RED = "rgb(169, 68, 66)"
GREY = "rgb(115, 115, 115)"


def colour(locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).color")


def test_help_text_stays_grey_beside_a_red_error(page, live_server, shoot):
    sign_in(page, live_server)
    page.goto(f"{live_server}/customers/add")
    page.fill("#first_name", "Maya")
    page.fill("#email", "maya@example.com")
    page.fill("#phone", "12")
    page.click("#customer-form button[value=stay]")

    phone = page.locator("[data-field=phone]")
    expect(phone.locator(".field-error")).to_be_visible()
    shoot(page, "11-error-beside-help-text")
    assert colour(phone.locator(".field-error")) == RED
    assert colour(phone.locator(".help-block:not(.field-error)")) == GREY


def test_the_step_bar_follows_the_customer_type(page, live_server):
    sign_in(page, live_server)
    page.goto(f"{live_server}/customers/add")
    steps = page.locator(".wizard-steps .wizard-step:visible")

    expect(steps).to_have_text(["1. Basic", "2. Addresses & contacts", "3. Identity",
                                "4. Preferences", "5. Segment & tags"])
    expect(page.locator(".wizard-step.active")).to_have_text("1. Basic")
    page.select_option("#kind", "business")
    expect(steps.nth(1)).to_have_text("2. Business profile")
    expect(steps.nth(2)).to_have_text("3. Addresses & contacts")
    expect(page.locator("#company_name")).to_be_visible()
    page.select_option("#kind", "individual")
    expect(steps.nth(1)).to_have_text("2. Addresses & contacts")
    expect(page.locator("#company_name")).to_be_hidden()
