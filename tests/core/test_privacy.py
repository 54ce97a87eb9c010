"""A customer asks to be forgotten: an administrator erases their personal data for good; the
record, its number and a scrubbed history stay, as the books require."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import ValidationError
from core.models import Activity, Address, AuditEntry, Customer, CustomerPhone, Note
from core.services import customers, notes, privacy, record


@pytest.fixture
def full_customer(ctx, make_customer):
    """A customer with a phone, an address, a note, a tag, a greeting and an audit trail."""
    cid = make_customer(first_name="Ada", last_name="Lovelace", email="ada@example.com",
                        phone="+44 20 7946 0958")
    customer = customers.get(cid)
    customers.update(customer, {"last_name": "King"})
    record.add_phone(customer, {"label": "work", "number": "+44 20 7946 0959"})
    record.add_address(customer, {"kind": "billing", "line1": "1 Analytical St", "city": "London",
                                  "postal_code": "N1 9GU", "country": "GB"})
    record.set_tags(customer, ["VIP"])
    notes.add(customer, "Prefers the Difference Engine")
    customers.update(customer, {"hello_greeting": "Morning, Ada!"})  # the Hello plugin's field
    return customer


def test_erasing_clears_every_personal_field_and_keeps_the_number(full_customer):
    number = full_customer.number

    privacy.erase(full_customer)

    c = db.session.get(Customer, full_customer.id)
    assert c.number == number
    assert (c.first_name, c.last_name, c.email, c.phone) == ("", privacy.ERASED_NAME, None, None)
    assert c.status == "inactive" and c.erased_at is not None


def test_erasing_deletes_phones_addresses_notes_and_tags(full_customer, count_rows):
    privacy.erase(full_customer)

    assert count_rows(CustomerPhone) == count_rows(Address) == count_rows(Note) == 0
    assert db.session.get(Customer, full_customer.id).tags == []


def test_erasing_clears_the_text_of_activity_but_keeps_the_dated_rows(full_customer):
    privacy.erase(full_customer)

    rows = db.session.execute(select(Activity.subject, Activity.body)).all()
    assert rows and all(subject == body == "" for subject, body in rows)


def test_the_audit_trail_keeps_what_changed_but_not_the_erased_values(full_customer):
    privacy.erase(full_customer)

    values = db.session.execute(select(AuditEntry.old_value, AuditEntry.new_value)).all()
    text = " ".join(v for row in values for v in row if v)
    assert "Lovelace" not in text and "King" not in text and "ada@example.com" not in text
    assert "7946" not in text and "Analytical" not in text
    erased_fields = set(db.session.execute(select(AuditEntry.field)
                                           .where(AuditEntry.action == "erase")).scalars())
    assert {"first_name", "last_name", "email", "phone", "phones", "addresses"} <= erased_fields


def test_erasing_clears_the_plugins_personal_fields(full_customer):
    from regulars_hello.models import Greeting

    assert db.session.get(Greeting, full_customer.id) is not None

    privacy.erase(full_customer)

    db.session.expire_all()
    assert db.session.get(Greeting, full_customer.id) is None


def test_an_erased_customer_cannot_be_erased_again(full_customer):
    privacy.erase(full_customer)

    with pytest.raises(ValidationError):
        privacy.erase(full_customer)


def test_an_erased_customer_cannot_be_edited(full_customer):
    privacy.erase(full_customer)

    with pytest.raises(ValidationError):
        customers.update(full_customer, {"first_name": "Ada"})
    assert db.session.get(Customer, full_customer.id).first_name == ""


def test_an_erased_customer_cannot_be_reactivated(full_customer):
    privacy.erase(full_customer)

    with pytest.raises(ValidationError):
        customers.set_status(full_customer, True)


def test_a_plugin_that_refuses_leaves_everything_as_it_was(full_customer, app):
    from core.sdk import hookimpl

    class Refuser:
        @hookimpl
        def customer_erasing(self, customer):
            raise ValidationError({"_": "Open invoices must be settled first."})

    pm = app.extensions["regulars.plugins"].pm
    pm.register(Refuser(), name="refuser")
    app.extensions["regulars.plugins"]._callers.clear()
    try:
        with pytest.raises(ValidationError):
            privacy.erase(full_customer)
    finally:
        pm.unregister(name="refuser")
        app.extensions["regulars.plugins"]._callers.clear()

    c = db.session.get(Customer, full_customer.id)
    assert (c.last_name, c.erased_at) == ("King", None)
    assert db.session.execute(select(func.count()).select_from(CustomerPhone)).scalar() == 1


def test_the_screen_refuses_without_the_typed_customer_number(client_for, make_customer, page,
                                                              load_customer):
    cid = make_customer(first_name="Ada")

    response = client_for("Admin").post(f"/customers/{cid}/erase", data={"confirm_number": "nope"})

    assert response.status_code == 200
    assert "Type the customer number" in page(response).find(cls="erase-error").text
    assert load_customer(cid)["erased_at"] is None


def test_an_admin_erases_after_typing_the_customer_number(app, client_for, make_customer, load_customer):
    cid = make_customer(first_name="Ada")
    number = load_customer(cid)["number"]

    response = client_for("Admin").post(f"/customers/{cid}/erase", data={"confirm_number": number})

    assert response.status_code == 302
    assert load_customer(cid)["erased_at"] is not None


@pytest.mark.parametrize("role", ["Manager", "Cashier", "ReadOnly"])
def test_only_an_admin_may_erase(client_for, make_customer, load_customer, role):
    cid = make_customer(first_name="Ada")
    number = load_customer(cid)["number"]

    response = client_for(role).post(f"/customers/{cid}/erase", data={"confirm_number": number})

    assert response.status_code in (302, 403)
    assert load_customer(cid)["erased_at"] is None


def test_the_api_erases_and_a_second_call_is_a_conflict(app, api_token, make_customer):
    cid = make_customer(first_name="Ada")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"

    first = client.post(f"/api/v1/customers/{cid}/erase")
    second = client.post(f"/api/v1/customers/{cid}/erase")

    assert first.status_code == 200 and first.get_json()["result"]["email"] is None
    assert second.status_code == 409


def test_a_manager_token_cannot_erase_over_the_api(app, api_token, make_customer, load_customer):
    cid = make_customer(first_name="Ada")

    response = app.test_client().post(f"/api/v1/customers/{cid}/erase",
                                      headers={"Authorization": f"Bearer {api_token('Manager')}"})

    assert response.status_code == 403
    assert load_customer(cid)["erased_at"] is None


def test_erasing_one_customer_leaves_anothers_history_alone(ctx, make_customer):
    keep = make_customer(first_name="Bob", last_name="Stays")
    gone = make_customer(first_name="Ada")

    privacy.erase(customers.get(gone))

    values = db.session.execute(select(AuditEntry.new_value).where(AuditEntry.customer_id == keep)).scalars()
    assert "Stays" in list(values)


# -- the overview of an erased customer ------------------------------------------------------


@pytest.fixture
def erased_id(app, make_customer):
    cid = make_customer(first_name="Ada")
    with app.app_context():
        privacy.erase(customers.get(cid))
    return cid


def test_an_erased_customers_overview_offers_no_edit_or_reactivate(client_for, erased_id, page):
    doc = page(client_for("Admin").get(f"/customers/{erased_id}"))

    actions = doc.find(cls="quick-actions")
    assert actions.find("a", href=f"/customers/{erased_id}/edit") is None
    assert actions.find("form", action=f"/customers/{erased_id}/status") is None
    assert "Reactivate" not in actions.text and "Erase personal data" not in actions.text


def test_an_erased_customers_overview_says_it_was_erased(client_for, erased_id, page):
    doc = page(client_for("Admin").get(f"/customers/{erased_id}"))

    assert "personal data was erased" in doc.find(cls="erased-banner").text
    assert doc.find(cls="inactive-banner") is None
    assert doc.find(cls="customer-status").text == "Erased"


def test_opening_the_edit_form_of_an_erased_customer_goes_back_to_the_overview(
        client_for, erased_id, page):
    client = client_for("Admin")

    response = client.get(f"/customers/{erased_id}/edit?step=basic")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{erased_id}")
    assert "can no longer be changed" in page(client.get(response.headers["Location"])).find(
        cls="alert-warning").text
