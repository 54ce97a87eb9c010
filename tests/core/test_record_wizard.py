"""The Create / Edit Customer wizard as staff use it: step by step, each step saved, the Details
tab showing the whole record, identity numbers masked and revealed only with permission."""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from core.models import Address, AuditEntry, Contact, Customer

BASIC = {"kind": "individual", "first_name": "Maya", "last_name": "Okafor",
         "email": "maya.okafor@example.com", "phone": "", "number": "", "status": "active",
         "date_of_birth": "1990-05-17"}
ADDRESS = {"address_kind": "billing", "address_line1": "1 High Street", "address_city": "London",
           "address_postal_code": "SW1A 1AA", "address_country": "GB"}


def edit_url(customer_id, step):
    return f"/customers/{customer_id}/edit?step={step}"


def stored(app, customer_id, read):
    from core.services import customers

    with app.app_context():
        return read(customers.get(customer_id))


# -- stepping through ------------------------------------------------------------------------


def test_saving_the_first_step_creates_the_customer_and_opens_the_next_step(admin_client, count_rows):
    response = admin_client.post("/customers/add?step=basic", data={
        **BASIC, "kind": "business", "company_name": "Okafor Ltd", "go": "next"})

    assert response.status_code == 302
    assert re.fullmatch(r"/customers/\d+/edit\?step=business", response.headers["Location"])
    assert count_rows(Customer) == 1


def test_an_individual_saved_with_save_and_continue_skips_the_business_profile(admin_client):
    response = admin_client.post("/customers/add?step=basic", data={**BASIC, "go": "next"})

    assert re.fullmatch(r"/customers/\d+/edit\?step=addresses", response.headers["Location"])


def test_a_customer_made_a_business_on_the_first_step_goes_on_to_the_business_profile(
        admin_client, make_customer):
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "basic"), data={
        **BASIC, "number": "C-000001", "kind": "business", "company_name": "Okafor Ltd",
        "go": "next"})

    assert response.headers["Location"].endswith(edit_url(customer_id, "business"))


def visible_steps(doc):
    """The step bar as it reads on screen: [(text, highlighted)] of the steps not hidden."""
    return [(li.text.replace(" . ", ". "), "active" in li.classes)
            for li in doc.find_all("li", cls="wizard-step") if "hidden" not in li.attrs]


def test_an_individuals_step_bar_numbers_the_steps_shown_and_highlights_the_current_one(
        admin_client, make_customer, page):
    customer_id = make_customer()

    doc = page(admin_client.get(edit_url(customer_id, "addresses")))

    assert visible_steps(doc) == [("1. Basic", False), ("2. Addresses & contacts", True),
                                  ("3. Identity", False), ("4. Preferences", False),
                                  ("5. Segment & tags", False)]


def test_an_individual_sent_to_the_business_step_gets_the_first_step(admin_client, make_customer,
                                                                     page):
    customer_id = make_customer()

    doc = page(admin_client.get(edit_url(customer_id, "business")))

    assert [text for text, highlighted in visible_steps(doc) if highlighted] == ["1. Basic"]
    assert doc.find("input", id="tax_id") is None


def test_a_business_step_bar_has_the_business_profile_second(admin_client, make_customer, page):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    doc = page(admin_client.get(edit_url(customer_id, "business")))

    assert visible_steps(doc)[:3] == [("1. Basic", False), ("2. Business profile", True),
                                      ("3. Addresses & contacts", False)]


def test_the_wizard_page_has_no_inline_script(admin_client, make_customer, page):
    customer_id = make_customer(national_id="AB123456C")

    doc = page(admin_client.get(edit_url(customer_id, "identity")))

    assert [s for s in doc.find_all("script") if not s.attrs.get("src")] == []


def test_first_step_keeps_the_date_of_birth(app, admin_client):
    response = admin_client.post("/customers/add?step=basic", data={**BASIC, "go": "stay"})

    customer_id = int(re.search(r"/customers/(\d+)/", response.headers["Location"]).group(1))
    assert stored(app, customer_id, lambda c: c.date_of_birth.isoformat()) == "1990-05-17"


def test_the_wizard_shows_every_step(admin_client, make_customer, page):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    doc = page(admin_client.get(edit_url(customer_id, "basic")))

    steps = [li.attrs["data-step"] for li in doc.find_all("li", cls="wizard-step")]
    assert steps == ["basic", "business", "addresses", "identity", "preferences", "segment"]


def test_business_step_saves_the_profile(app, admin_client, make_customer):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    response = admin_client.post(edit_url(customer_id, "business"), data={
        "company_name": "Okafor Ltd", "tax_country": "DE", "tax_id": "DE136695976",
        "registration_number": "HRB 1234", "business_type": "llc", "industry": "Retail",
        "payment_terms": "30", "go": "next"})

    assert response.headers["Location"].endswith(edit_url(customer_id, "addresses"))
    assert stored(app, customer_id, lambda c: (c.tax_id, c.payment_terms, c.business_type)) == (
        "136695976", 30, "llc")


def test_a_wrong_vat_number_is_shown_beside_its_field(admin_client, make_customer, page,
                                                      errors_beside):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    response = admin_client.post(edit_url(customer_id, "business"), data={
        "company_name": "Okafor Ltd", "tax_country": "DE", "tax_id": "DE136695977"})

    assert response.status_code == 200
    assert errors_beside(page(response), "tax_id") == [
        "This is not a valid tax ID / VAT number for Germany."]


def test_addresses_step_adds_an_address_and_a_contact(app, admin_client, make_customer, count_rows):
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "addresses"), data={
        **ADDRESS, "person_name": "Ines Ruiz", "person_role": "Accounts", "person_is_billing": "y",
        "go": "stay"})

    assert response.status_code == 302
    assert (count_rows(Address), count_rows(Contact)) == (1, 1)
    assert stored(app, customer_id, lambda c: c.contacts[0].is_billing) is True


def test_a_bad_postal_code_saves_neither_address_nor_contact(admin_client, make_customer, count_rows,
                                                             page, errors_beside):
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "addresses"), data={
        **ADDRESS, "address_postal_code": "12345", "person_name": "Ines Ruiz"})

    assert errors_beside(page(response), "address_postal_code")
    assert (count_rows(Address), count_rows(Contact)) == (0, 0)


def test_an_empty_addresses_step_saves_nothing_and_complains_of_nothing(admin_client, make_customer,
                                                                        count_rows):
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "addresses"), data={
        "address_kind": "billing", "address_country": "", "go": "next"})

    assert response.status_code == 302
    assert count_rows(Address) == 0


def test_basic_step_adds_another_phone(app, admin_client, make_customer):
    customer_id = make_customer()

    admin_client.post(edit_url(customer_id, "basic"), data={
        **BASIC, "number": "C-000001", "newphone_label": "work", "newphone_number": "020 7946 0958"})

    assert stored(app, customer_id, lambda c: [(p.label, p.e164) for p in c.phones]) == [
        ("work", "+442079460958")]


def test_preferences_step_saves_unticked_boxes_as_no(app, admin_client, make_customer):
    customer_id = make_customer()

    admin_client.post(edit_url(customer_id, "preferences"), data={
        "language": "fr", "currency": "EUR", "contact_sms": "y", "go_green": "y"})

    assert stored(app, customer_id, lambda c: (c.language, c.currency, c.contact_email,
                                               c.contact_sms, c.go_green)) == (
        "fr", "EUR", False, True, True)


def test_segment_step_sets_segment_tags_and_reseller_by_number(app, admin_client, make_customer):
    reseller_id = make_customer(number="TRADE-1")
    customer_id = make_customer()
    from core.services import record

    with app.app_context():
        segment_id = record.save_segment({"name": "Gold club", "discount_percent": "7.5"}).id

    admin_client.post(edit_url(customer_id, "segment"), data={
        "segment_id": str(segment_id), "tags": "Wine club, vip", "reseller_id": "TRADE-1"})

    assert stored(app, customer_id, lambda c: (c.segment_id, {t.name for t in c.tags},
                                               c.reseller_id)) == (
        segment_id, {"vip", "Wine club"}, reseller_id)


def test_unknown_reseller_number_is_refused_beside_the_field(admin_client, make_customer, page,
                                                             errors_beside):
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "segment"), data={"reseller_id": "NOPE"})

    assert errors_beside(page(response), "reseller_id") == ["No such customer."]


def test_identity_step_leaves_a_number_as_it_was_when_left_empty(app, admin_client, make_customer):
    customer_id = make_customer(national_id="AB123456C")

    admin_client.post(edit_url(customer_id, "identity"), data={
        "driver_licence": "MORGA753116SM9IJ", "national_id": ""})

    assert stored(app, customer_id, lambda c: (c.driver_licence, c.national_id)) == (
        "MORGA753116SM9IJ", "AB123456C")


def test_identity_step_never_shows_the_clear_number(admin_client, make_customer):
    customer_id = make_customer(national_id="AB123456C")

    body = admin_client.get(edit_url(customer_id, "identity")).get_data(as_text=True)

    assert "AB123456C" not in body
    assert "•••••456C" in body


# -- plugins' fields -------------------------------------------------------------------------


def test_plugin_field_appears_in_the_step_it_asks_for(admin_client, make_customer):
    customer_id = make_customer()

    basic = admin_client.get(edit_url(customer_id, "basic")).get_data(as_text=True)
    other = admin_client.get(edit_url(customer_id, "preferences")).get_data(as_text=True)

    assert 'name="hello_greeting"' in basic
    assert 'name="hello_greeting"' not in other


def test_plugin_field_without_a_matching_step_gets_a_more_step(make_app, make_customer, page):
    from wtforms import StringField

    from core.sdk import FormField
    from tests.core.test_plugin_host import signed_in_admin, throwaway_plugin

    stamps = throwaway_plugin("stamps", hooks={
        "customer_form_fields": lambda kind: FormField("stamp_card", StringField("Card"), "Loyalty"),
    })
    app = make_app(extra_plugins=[stamps])
    client = signed_in_admin(app)
    response = client.post("/customers/add?step=basic", data={**BASIC, "go": "stay"})
    customer_id = int(re.search(r"/customers/(\d+)/", response.headers["Location"]).group(1))

    doc = page(client.get(edit_url(customer_id, "more")))

    assert doc.find("input", id="stamp_card") is not None
    assert "more" in [li.attrs["data-step"] for li in doc.find_all("li", cls="wizard-step")]


def test_plugin_field_is_saved_from_its_step(app, admin_client, make_customer):
    from regulars_hello.models import Greeting

    from core.db import db

    customer_id = make_customer()

    admin_client.post(edit_url(customer_id, "basic"), data={
        **BASIC, "number": "C-000001", "hello_greeting": "Hi Maya"})

    with app.app_context():
        assert db.session.execute(select(Greeting.text).where(
            Greeting.customer_id == customer_id)).scalar() == "Hi Maya"


# -- hostile input ---------------------------------------------------------------------------


def test_script_in_a_name_is_shown_as_text_on_the_details_tab(admin_client, make_customer):
    customer_id = make_customer(first_name="<script>alert(1)</script>")
    admin_client.post(edit_url(customer_id, "addresses"), data={
        **ADDRESS, "address_line1": "<b>1</b> High St", "person_name": "<img src=x onerror=alert(1)>"})

    body = admin_client.get(f"/customers/{customer_id}/tabs/details").get_data(as_text=True)

    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body and "<b>1</b>" not in body


def test_very_long_and_control_character_input_is_refused_or_cleaned(
        app, admin_client, make_customer, page, errors_beside):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    response = admin_client.post(edit_url(customer_id, "business"), data={
        "industry": "x" * 5000, "registration_number": "HRB\x00\x07 1"})

    assert response.status_code == 200
    assert errors_beside(page(response), "industry")
    assert stored(app, customer_id, lambda c: c.registration_number) == ""


def test_control_characters_are_stripped_from_a_saved_value(app, admin_client, make_customer):
    customer_id = make_customer(kind="business", company_name="Okafor Ltd")

    admin_client.post(edit_url(customer_id, "business"), data={"registration_number": "HRB\x00\x07 1"})

    assert stored(app, customer_id, lambda c: c.registration_number) == "HRB 1"


# -- the Details tab -------------------------------------------------------------------------


def test_details_tab_shows_the_whole_record_with_identity_masked(app, admin_client, make_customer,
                                                                 page):
    customer_id = make_customer(national_id="AB123456C", language="fr", currency="EUR")
    admin_client.post(edit_url(customer_id, "addresses"), data={**ADDRESS, "person_name": "Ines"})

    doc = page(admin_client.get(f"/customers/{customer_id}/tabs/details"))

    assert "AB123456C" not in doc.text and "456C" in doc.text
    assert "1 High Street" in doc.find(cls="customer-addresses").text
    assert "Ines" in doc.find(cls="customer-contacts").text
    assert "French" in doc.find(cls="customer-preferences").text


def test_details_tab_shows_the_segment_with_its_discount(app, admin_client, make_customer, page):
    from core.services import customers, record

    customer_id = make_customer()
    with app.app_context():
        segment = record.save_segment({"name": "Gold club", "discount_percent": "12.5",
                                       "price_level": "wholesale"})
        customers.update(customers.get(customer_id), {"segment_id": segment.id})

    doc = page(admin_client.get(f"/customers/{customer_id}/tabs/details"))

    assert doc.find(cls="customer-segment").text == "Gold club — 12.50% discount, price level wholesale"


# -- reveal: a permission, and every reveal audited ------------------------------------------


def test_manager_reveals_an_identity_number_and_the_reveal_is_audited(app, client_for, make_customer):
    customer_id = make_customer(national_id="AB123456C")

    response = client_for("Manager").post(f"/customers/{customer_id}/reveal/national_id")

    assert response.get_json()["value"] == "AB123456C"
    from core.db import db

    with app.app_context():
        row = db.session.execute(select(AuditEntry).where(AuditEntry.action == "reveal")).scalar_one()
        assert (row.field, row.old_value, row.new_value) == ("national_id", None, None)


@pytest.mark.parametrize("role", ["ReadOnly", "Cashier", "Accounts"])
def test_staff_without_the_reveal_permission_get_403_and_nothing_is_audited(
        app, client_for, make_customer, count_rows, role):
    customer_id = make_customer(national_id="AB123456C")
    before = count_rows(AuditEntry)

    response = client_for(role).post(f"/customers/{customer_id}/reveal/national_id")

    assert response.status_code == 403
    assert "AB123456C" not in response.get_data(as_text=True)
    assert count_rows(AuditEntry) == before


def test_details_tab_offers_reveal_only_to_those_allowed(client_for, make_customer, page):
    customer_id = make_customer(national_id="AB123456C")

    manager = page(client_for("Manager").get(f"/customers/{customer_id}/tabs/details"))
    cashier = page(client_for("Cashier").get(f"/customers/{customer_id}/tabs/details"))

    assert manager.find(cls="reveal-button") is not None
    assert cashier.find(cls="reveal-button") is None


# -- ReadOnly ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/customers/{c}/edit?step=addresses", "/customers/{c}/addresses/{a}/delete",
    "/customers/{c}/addresses/{a}/default", "/segments/add",
])
def test_readonly_forced_post_on_the_record_is_refused(app, client_for, make_customer, count_rows,
                                                       path):
    from core.services import customers, record

    customer_id = make_customer()
    with app.app_context():
        address = record.add_address(customers.get(customer_id), {
            "line1": "1 High St", "city": "London", "country": "GB"})
        address_id = address.id
    before = count_rows(AuditEntry)

    response = client_for("ReadOnly").post(path.format(c=customer_id, a=address_id), data={
        **ADDRESS, "name": "Gold club"})

    assert response.status_code in (302, 403)
    assert count_rows(Address) == 1
    assert count_rows(AuditEntry) == before


def test_readonly_sees_segments_without_add_or_edit(client_for, page):
    doc = page(client_for("ReadOnly").get("/segments/"))

    assert doc.find("table", cls="table-segments") is not None
    assert doc.find("a", id="add-segment") is None
    assert doc.find("form", method="post") is None


# -- segments screen ---------------------------------------------------------------------------


def test_admin_adds_a_segment_with_a_discount(admin_client, page):
    admin_client.post("/segments/add", data={"name": "Gold club", "discount_percent": "12.5",
                                              "price_level": "gold", "position": "5"})

    assert "Gold club" in page(admin_client.get("/segments/")).find("table").text


def test_deleting_a_segment_first_says_how_many_customers_are_in_it(
        app, admin_client, make_customer, page):
    from core.services import record

    with app.app_context():
        segment_id = record.save_segment({"name": "Gold club", "discount_percent": "5"}).id
    make_customer(segment_id=segment_id)
    make_customer(segment_id=segment_id)
    listed = page(admin_client.get("/segments/"))

    confirm = page(admin_client.get(listed.find("a", cls="delete-segment").attrs["href"]))

    assert "2 customers are in this segment." in confirm.find(cls="segment-delete-warning").text
    assert confirm.find("form", id="segment-delete-form") is not None
    with app.app_context():
        assert record.get_segment(segment_id).name == "Gold club"


def test_a_delete_post_without_the_confirmation_only_asks(app, admin_client, page):
    from core.services import record

    with app.app_context():
        segment_id = record.save_segment({"name": "Gold club", "discount_percent": "5"}).id

    response = admin_client.post(f"/segments/{segment_id}/delete")

    assert page(response).find("form", id="segment-delete-form") is not None
    with app.app_context():
        assert record.get_segment(segment_id).name == "Gold club"


def test_a_confirmed_segment_deletion_shows_on_its_customers_history(
        app, admin_client, make_customer, page):
    from core.services import record

    with app.app_context():
        segment_id = record.save_segment({"name": "Gold club", "discount_percent": "5"}).id
    customer_id = make_customer(segment_id=segment_id)

    response = admin_client.post(f"/segments/{segment_id}/delete", data={"confirm": "yes"})

    assert response.status_code == 302
    newest = page(admin_client.get(f"/customers/{customer_id}/tabs/history")).find(
        "li", cls="history-change")
    assert newest.find("th").text == "Segment"
    assert (newest.find("td", cls="history-old").text,
            newest.find("td", cls="history-new").text) == ("Gold club", "—")
    assert newest.find(cls="history-actor").text == "Admin User"


def test_segment_discount_over_100_is_refused_beside_the_field(admin_client, page, errors_beside):
    response = admin_client.post("/segments/add", data={"name": "Gold club",
                                                         "discount_percent": "150"})

    assert errors_beside(page(response), "discount_percent") == ["Enter a percentage from 0 to 100."]


# -- key rotation ----------------------------------------------------------------------------


def test_rotating_keys_keeps_every_identity_number_readable_with_the_new_key_alone(make_app):
    from core.db import db
    from core.services import customers, record

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with make_app(ENCRYPTION_KEYS=[old]).app_context():
        customer_id = customers.create({"first_name": "Ann", "email": "ann@example.com",
                                        "national_id": "AB123456C"}).id
        token_before = db.session.execute(text("SELECT national_id FROM customer")).scalar()

    with make_app(ENCRYPTION_KEYS=[new, old]).app_context():
        assert record.rotate_keys() == 1

    with make_app(ENCRYPTION_KEYS=[new]).app_context():
        assert customers.get(customer_id).national_id == "AB123456C"
        assert db.session.execute(text("SELECT national_id FROM customer")).scalar() != token_before


def test_keys_rotate_command_reports_what_it_re_encrypted(make_app):
    from core.services import customers

    key = Fernet.generate_key().decode()
    app = make_app(ENCRYPTION_KEYS=[key])
    with app.app_context():
        customers.create({"first_name": "Ann", "email": "ann@example.com",
                          "driver_licence": "MORGA753116SM9IJ"})

    result = app.test_cli_runner().invoke(args=["regulars", "keys", "rotate"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 value(s)" in result.output


def test_a_typed_reseller_number_is_never_read_as_a_record_id(app, admin_client, make_customer,
                                                              page, errors_beside):
    first_id = make_customer()
    customer_id = make_customer()

    response = admin_client.post(edit_url(customer_id, "segment"), data={"reseller_id": str(first_id)})

    assert errors_beside(page(response), "reseller_id") == ["No such customer."]
    assert stored(app, customer_id, lambda c: c.reseller_id) is None
