"""A shop assistant corrects an address from a phone: the Edit link on the Addresses & contacts
step, the small pre-filled form, Save back to the step."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e


def test_assistant_corrects_a_street_on_a_phone(phone_page, app, live_server, make_customer, shoot):
    from core.services import customers, record

    customer_id = make_customer(first_name="Mirela", last_name="Kowalczyk")
    with app.app_context():
        record.add_address(customers.get(customer_id), {
            "line1": "1 Hihg Street", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"})
    page = phone_page
    sign_in(page, live_server)

    page.goto(f"{live_server}/customers/{customer_id}/edit?step=addresses")
    page.click("#addresses .record-item a:text('Edit')")
    expect(page.locator("#line1")).to_have_value("1 Hihg Street")
    page.fill("#line1", "1 High Street")
    page.fill("#postal_code", "12345")
    page.click("#part-form button[type=submit]")
    expect(page.locator("[data-field=postal_code] .field-error")).to_be_visible()
    shoot(page, "09-phone-edit-address-error")
    page.fill("#postal_code", "SW1A 1AA")
    page.click("#part-form button[type=submit]")

    expect(page.locator("#addresses .record-item")).to_contain_text("1 High Street")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "10-phone-address-corrected")
