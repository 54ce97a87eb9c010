"""The rules of the whole customer record, as the services keep them: business profile,
preferences, identity, segment and reseller on the customer; phones, addresses, contacts,
tags and segments around it. Every refusal names the field and writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from core.errors import ValidationError
from core.models import Address, AuditEntry, Contact, Customer, CustomerPhone, Segment, Tag


def refused(call, *args, **kwargs) -> dict:
    with pytest.raises(ValidationError) as raised:
        call(*args, **kwargs)
    return raised.value.errors


@pytest.fixture
def customer(ctx, make_customer):
    from core.services import customers

    return customers.get(make_customer())


def update(customer, **fields):
    from core.services import customers

    return customers.update(customer, fields)


def audit_rows(customer_id, entity=None):
    from core.db import db

    stmt = select(AuditEntry).where(AuditEntry.customer_id == customer_id)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    return list(db.session.execute(stmt.order_by(AuditEntry.id)).scalars())


# -- date of birth ---------------------------------------------------------------------------


def test_date_of_birth_is_stored_as_a_date(customer):
    update(customer, date_of_birth="1984-02-29")

    assert customer.date_of_birth == datetime.date(1984, 2, 29)


@pytest.mark.parametrize("value, message", [
    ("1985-02-29", "real date"),
    ("yesterday", "real date"),
    ((datetime.date.today() + datetime.timedelta(days=1)).isoformat(), "future"),
    ("1850-01-01", "after 1900"),
    (19840229, "YYYY-MM-DD"),
], ids=["no such day", "words", "future", "too old", "a number"])
def test_impossible_date_of_birth_is_refused(customer, value, message):
    errors = refused(update, customer, date_of_birth=value)

    assert message in errors["date_of_birth"]
    assert customer.date_of_birth is None


# -- business profile ------------------------------------------------------------------------


def test_vat_number_is_checked_for_its_country_and_stored_compact(customer):
    update(customer, tax_country="de", tax_id="DE 136 695 976")

    assert (customer.tax_country, customer.tax_id) == ("DE", "136695976")


def test_wrong_vat_number_names_the_country(customer):
    errors = refused(update, customer, tax_country="DE", tax_id="DE 136 695 977")

    assert errors["tax_id"] == "This is not a valid tax ID / VAT number for Germany."
    assert customer.tax_id == ""


def test_tax_id_needs_the_country_that_issued_it(customer):
    errors = refused(update, customer, tax_id="136695976")

    assert "country" in errors["tax_country"]


def test_changing_the_tax_country_checks_the_stored_tax_id_again(customer):
    update(customer, tax_country="DE", tax_id="DE136695976")

    errors = refused(update, customer, tax_country="FR")

    assert "France" in errors["tax_id"]


@pytest.mark.parametrize("field, value", [
    ("business_type", "pirate ship"), ("payment_terms", 45), ("payment_terms", "net 30"),
    ("payment_terms", True), ("industry", "x" * 101), ("registration_number", "x" * 61),
])
def test_business_profile_values_outside_the_rules_are_refused(customer, field, value):
    assert field in refused(update, customer, **{field: value})


def test_payment_terms_come_from_the_configured_list(make_app):
    from core.services import customers

    app = make_app(PAYMENT_TERMS=[0, 7, 45])
    with app.app_context():
        created = customers.create({"first_name": "Ann", "email": "ann@example.com",
                                    "payment_terms": "45"})

        assert created.payment_terms == 45
        assert "Net 7" in refused(customers.update, created, {"payment_terms": 30})["payment_terms"]


def test_business_type_is_one_of_the_list(customer):
    update(customer, business_type="sole_trader")

    assert customer.business_type == "sole_trader"


# -- preferences -----------------------------------------------------------------------------


def test_language_is_a_babel_locale_and_currency_an_iso_code(customer):
    update(customer, language="fr-CA", currency="eur")

    assert (customer.language, customer.currency) == ("fr_CA", "EUR")


@pytest.mark.parametrize("field, value", [
    ("language", "klingon"), ("currency", "XXQ"), ("contact_sms", "yes"), ("go_green", 1),
])
def test_unknown_language_currency_or_non_boolean_preference_is_refused(customer, field, value):
    assert field in refused(update, customer, **{field: value})


def test_communication_preferences_are_saved_per_channel(customer):
    update(customer, contact_email=False, contact_sms=True, contact_post=True, go_green=True)

    assert (customer.contact_email, customer.contact_sms, customer.contact_phone,
            customer.contact_post, customer.go_green) == (False, True, True, True, True)


# -- identity --------------------------------------------------------------------------------


def test_identity_numbers_are_encrypted_at_rest(customer):
    from core.db import db

    update(customer, national_id="AB 12 34 56 C")

    raw = db.session.execute(text("SELECT national_id FROM customer WHERE id = :id"),
                             {"id": customer.id}).scalar()
    assert "AB 12 34 56 C" not in raw
    assert customer.national_id == "AB 12 34 56 C"


@pytest.mark.parametrize("value", ["12", "AB<script>", "x" * 31, "AB\u200b1234"])
def test_identity_number_with_wrong_length_or_characters_is_refused(customer, value):
    assert "driver_licence" in refused(update, customer, driver_licence=value)


def test_identity_change_is_audited_masked(customer):
    update(customer, driver_licence="MORGA753116SM9IJ")

    row = [r for r in audit_rows(customer.id) if r.field == "driver_licence"][0]
    assert "MORGA753116SM9IJ" not in (row.new_value or "")
    assert row.new_value.endswith("IJ")


# -- segment and reseller --------------------------------------------------------------------


def test_segment_must_exist(customer):
    assert refused(update, customer, segment_id=99999)["segment_id"] == "Choose a segment from the list."


def test_customer_is_put_in_a_segment(customer):
    from core.services import record

    vip = record.save_segment({"name": "Gold club", "discount_percent": "10", "price_level": "gold"})

    update(customer, segment_id=vip.id)

    assert customer.segment.name == "Gold club"


def test_reseller_is_another_customer(customer, make_customer):
    other = make_customer(first_name="Trade")

    update(customer, reseller_id=other)

    assert customer.reseller_id == other


def test_customer_cannot_be_their_own_reseller(customer):
    assert "own reseller" in refused(update, customer, reseller_id=customer.id)["reseller_id"]


def test_merged_customer_cannot_be_a_reseller(ctx, make_customer):
    from core.db import db
    from core.services import customers

    survivor_id, merged_id, other_id = make_customer(), make_customer(), make_customer()
    merged = customers.get(merged_id)
    merged.merged_into_id = survivor_id
    db.session.commit()
    other = customers.get(other_id)

    assert "merged or erased" in refused(update, other, reseller_id=merged.id)["reseller_id"]


def test_unknown_reseller_is_refused(customer):
    assert refused(update, customer, reseller_id=424242)["reseller_id"] == "No such customer."


# -- phones ----------------------------------------------------------------------------------


def test_another_phone_is_stored_in_e164_with_its_label(customer):
    from core.services import record

    phone = record.add_phone(customer, {"label": "work", "number": "020 7946 0958"})

    assert (phone.label, phone.e164) == ("work", "+442079460958")
    assert [r.entity for r in audit_rows(customer.id, "phone")] == ["phone", "phone"]


def test_a_bad_phone_number_is_refused_and_nothing_stored(customer, count_rows):
    from core.services import record

    assert "number" in refused(record.add_phone, customer, {"label": "work", "number": "12"})
    assert count_rows(CustomerPhone) == 0


def test_making_another_phone_primary_swaps_it_with_the_shown_one(ctx, make_customer):
    from core.services import customers, record

    customer_id = make_customer(phone="020 7946 0958")
    customer = customers.get(customer_id)
    mobile = record.add_phone(customer, {"label": "mobile", "number": "07400 123456"})

    record.make_primary_phone(customer, mobile.id)

    assert customer.phone_e164 == "+447400123456"
    assert [p.e164 for p in customer.phones] == ["+442079460958"]


# -- addresses -------------------------------------------------------------------------------

HOME = {"kind": "billing", "line1": "1 High Street", "city": "London", "postal_code": "sw1a 1aa",
        "country": "gb"}


def test_first_address_of_a_kind_becomes_its_default(customer):
    from core.services import record

    address = record.add_address(customer, HOME)

    assert address.is_default
    assert (address.postal_code, address.country) == ("SW1A 1AA", "GB")


def test_a_new_default_address_unsets_the_old_one(customer):
    from core.services import record

    first = record.add_address(customer, HOME)
    second = record.add_address(customer, {**HOME, "line1": "2 Low Road", "is_default": True})
    shipping = record.add_address(customer, {**HOME, "kind": "shipping"})

    assert (first.is_default, second.is_default, shipping.is_default) == (False, True, True)


def test_deleting_the_default_address_hands_default_to_the_next_of_its_kind(customer):
    from core.services import record

    first = record.add_address(customer, HOME)
    second = record.add_address(customer, {**HOME, "line1": "2 Low Road"})

    record.delete_address(customer, first.id)

    assert second.is_default


@pytest.mark.parametrize("fields, field", [
    ({"country": "XX"}, "country"),
    ({"country": ""}, "country"),
    ({"postal_code": "12345"}, "postal_code"),
    ({"line1": ""}, "line1"),
    ({"kind": "holiday"}, "kind"),
    ({"latitude": "91", "longitude": "0"}, "latitude"),
    ({"latitude": "0", "longitude": "-180.5"}, "longitude"),
    ({"latitude": "north", "longitude": "0"}, "latitude"),
    ({"latitude": "51.5"}, "longitude"),
    ({"line1": "x" * 201}, "line1"),
])
def test_bad_address_is_refused_beside_the_field_and_nothing_stored(
        customer, count_rows, fields, field):
    from core.services import record

    assert field in refused(record.add_address, customer, {**HOME, **fields})
    assert count_rows(Address) == 0


def test_gps_position_is_kept_as_decimal(customer):
    from core.services import record

    address = record.add_address(customer, {**HOME, "latitude": 51.501, "longitude": "-0.1416"})

    assert (address.latitude, address.longitude) == (Decimal("51.501000"), Decimal("-0.141600"))


def test_address_changes_are_audited_as_address_rows(customer):
    from core.services import record

    address = record.add_address(customer, HOME)
    record.update_address(customer, address.id, {**HOME, "city": "Leeds", "postal_code": "LS1 4AP"})

    rows = audit_rows(customer.id, "address")
    assert {r.entity_id for r in rows} == {address.id}
    assert ("city", "London", "Leeds") in [(r.field, r.old_value, r.new_value) for r in rows]


# -- contacts --------------------------------------------------------------------------------


def test_a_billing_contact_is_added_with_normalised_email_and_phone(customer):
    from core.services import record

    contact = record.add_contact(customer, {"name": "Ines Ruiz", "role": "Accounts",
                                            "email": "Ines@Example.com", "phone": "020 7946 0000",
                                            "is_billing": True})

    assert (contact.is_billing, contact.phone_e164) == (True, "+442079460000")
    assert audit_rows(customer.id, "contact")[0].entity_id == contact.id


def test_contact_without_a_name_is_refused(customer, count_rows):
    from core.services import record

    errors = refused(record.add_contact, customer, {"name": "", "email": "x@"})

    assert set(errors) == {"name", "email"}
    assert count_rows(Contact) == 0


# -- tags ------------------------------------------------------------------------------------


def test_tags_are_free_text_and_one_tag_whatever_the_case(customer, make_customer, count_rows):
    from core.services import customers, record

    other_id = make_customer()
    record.set_tags(customer, ["VIP", "vip", "Wine club"])
    record.set_tags(customers.get(other_id), ["Vip"])

    assert [t.name for t in customer.tags] == ["VIP", "Wine club"]
    assert count_rows(Tag) == 2


def test_removing_a_tag_is_audited(customer):
    from core.services import record

    record.set_tags(customer, ["VIP"])
    record.set_tags(customer, [])

    assert [(r.action, r.field) for r in audit_rows(customer.id, "tag")] == [
        ("create", "tag"), ("delete", "tag")]


def test_tag_suggestions_start_with_what_was_typed(customer):
    from core.services import record

    record.set_tags(customer, ["Wine club", "Wholesale", "VIP"])

    assert record.suggest_tags("w") == ["Wholesale", "Wine club"]


def test_tags_must_be_a_list_of_names(customer):
    from core.services import record

    assert "tags" in refused(record.set_tags, customer, [1, 2])


# -- segments --------------------------------------------------------------------------------


@pytest.mark.parametrize("fields, field", [
    ({"discount_percent": "101"}, "discount_percent"),
    ({"discount_percent": "-1"}, "discount_percent"),
    ({"discount_percent": "2.555"}, "discount_percent"),
    ({"discount_percent": "NaN"}, "discount_percent"),
    ({"name": ""}, "name"),
])
def test_segment_with_a_bad_value_is_refused(ctx, count_rows, fields, field):
    from core.services import record

    before = count_rows(Segment)

    assert field in refused(record.save_segment, {"name": "Gold club", "discount_percent": "5",
                                                  **fields})
    assert count_rows(Segment) == before


def test_segment_names_are_unique_whatever_the_case(ctx):
    from core.services import record

    record.save_segment({"name": "Gold club", "discount_percent": "5"})

    assert "already exists" in refused(record.save_segment, {"name": "GOLD CLUB"})["name"]


def test_deleting_a_segment_keeps_its_customers(customer):
    from core.services import record

    vip = record.save_segment({"name": "Gold club", "discount_percent": "12.50"})
    update(customer, segment_id=vip.id)

    record.delete_segment(vip)

    assert customer.segment_id is None


def test_deleting_a_segment_writes_the_change_on_each_of_its_customers(ctx, make_customer):
    from core.services import customers, record

    member_ids, outsider_id = [make_customer(), make_customer()], make_customer()
    members, outsider = [customers.get(i) for i in member_ids], customers.get(outsider_id)
    vip = record.save_segment({"name": "Gold club", "discount_percent": "12.50"})
    for member in members:
        update(member, segment_id=vip.id)
    vip_id, before = vip.id, len(audit_rows(outsider.id))

    assert record.delete_segment(vip) == 2

    for member in members:
        newest = audit_rows(member.id)[-1]
        assert (newest.field, newest.old_value, newest.new_value) == ("segment_id", str(vip_id), None)
        assert member.segment_id is None
    assert len(audit_rows(outsider.id)) == before


def test_a_segment_refused_half_way_through_its_deletion_stays_with_its_customers(
        customer, monkeypatch):
    from core.services import history, record

    vip = record.save_segment({"name": "Gold club", "discount_percent": "12.50"})
    update(customer, segment_id=vip.id)
    vip_id, rows_before = vip.id, len(audit_rows(customer.id))

    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(history, "audit_many", refuse)
    with pytest.raises(RuntimeError):
        record.delete_segment(vip)

    assert customer.segment_id == vip_id
    assert len(audit_rows(customer.id)) == rows_before


# -- one step of the wizard: all or nothing --------------------------------------------------


def test_a_bad_address_in_a_step_leaves_the_customer_unsaved(ctx, count_rows):
    from core.services import record

    errors = refused(record.save_step, None, {"first_name": "Ann", "email": "ann@example.com"},
                     {"address": {**HOME, "country": "XX"}})

    assert "address_country" in errors
    assert (count_rows(Customer), count_rows(Address)) == (0, 0)


def test_a_step_reports_the_customers_and_the_parts_mistakes_together(ctx):
    from core.services import record

    errors = refused(record.save_step, None, {"first_name": "Ann", "email": "ann@"},
                     {"contact": {"name": ""}})

    assert {"email", "person_name"} <= set(errors)
