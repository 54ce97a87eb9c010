"""The whole record over the API, as a web shop or till developer uses it: the new fields on
create and update, the record parts in GET, identity only masked, and the nested addresses and
contacts endpoints with 422 bodies naming each bad field."""

from __future__ import annotations

import pytest

from core.models import Address, AuditEntry, Contact, Customer

ADDRESS = {"kind": "shipping", "line1": "1 High Street", "city": "London",
           "postal_code": "SW1A 1AA", "country": "GB", "latitude": "51.5", "longitude": "-0.14"}


def client_with_token(app, token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def api(app, api_token):
    return client_with_token(app, api_token("Admin"))


@pytest.fixture
def gold_segment(app):
    from core.services import record

    with app.app_context():
        return record.save_segment({"name": "Gold club", "discount_percent": "12.5",
                                    "price_level": "wholesale"}).id


def test_web_shop_creates_a_customer_with_the_whole_record(api, gold_segment):
    response = api.post("/api/v1/customers/", json={
        "first_name": "Maya", "email": "maya@example.com", "date_of_birth": "1990-05-17",
        "language": "fr", "currency": "EUR", "go_green": True, "segment_id": gold_segment,
        "tags": ["Wine club", "VIP"], "national_id": "AB123456C"})

    body = response.get_json()["result"]
    assert response.status_code == 201
    assert (body["date_of_birth"], body["language"], body["go_green"]) == ("1990-05-17", "fr", True)
    assert sorted(body["tags"]) == ["VIP", "Wine club"]
    assert body["segment"] == {"id": gold_segment, "name": "Gold club", "discount_percent": "12.50",
                               "price_level": "wholesale"}


def test_api_never_returns_an_identity_number_in_clear(api, make_customer):
    customer_id = make_customer(national_id="AB123456C", driver_licence="MORGA753116SM9IJ")

    body = api.get(f"/api/v1/customers/{customer_id}").get_json()["result"]

    assert "AB123456C" not in str(body) and "MORGA753116SM9IJ" not in str(body)
    assert body["national_id"].endswith("456C")


def test_api_refuses_bad_record_fields_with_422_naming_each(api, count_rows):
    response = api.post("/api/v1/customers/", json={
        "first_name": "Maya", "email": "maya@example.com", "tax_country": "DE",
        "tax_id": "DE000", "payment_terms": 45, "segment_id": 9999, "contact_sms": "yes"})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"tax_id", "payment_terms", "segment_id",
                                                  "contact_sms"}
    assert count_rows(Customer) == 0


def test_bad_tags_leave_the_new_customer_unsaved(api, count_rows):
    response = api.post("/api/v1/customers/", json={
        "first_name": "Maya", "email": "maya@example.com", "tags": "x" * 61})

    assert response.status_code == 422
    assert "tags" in response.get_json()["errors"]
    assert count_rows(Customer) == 0


def test_update_replaces_the_tags_and_sets_a_reseller(api, make_customer):
    reseller_id, customer_id = make_customer(), make_customer()

    response = api.put(f"/api/v1/customers/{customer_id}", json={
        "tags": ["Trade"], "reseller_id": reseller_id})

    body = response.get_json()["result"]
    assert (body["tags"], body["reseller_id"]) == (["Trade"], reseller_id)


def test_update_refuses_a_customer_as_their_own_reseller(api, make_customer):
    customer_id = make_customer()

    response = api.put(f"/api/v1/customers/{customer_id}", json={"reseller_id": customer_id})

    assert response.status_code == 422
    assert "reseller_id" in response.get_json()["errors"]


# -- nested addresses and contacts -----------------------------------------------------------


def test_address_is_added_listed_and_deleted(api, make_customer, count_rows):
    customer_id = make_customer()

    created = api.post(f"/api/v1/customers/{customer_id}/addresses", json=ADDRESS)
    listed = api.get(f"/api/v1/customers/{customer_id}/addresses").get_json()["result"]
    deleted = api.delete(f"/api/v1/customers/{customer_id}/addresses/{created.get_json()['id']}")

    assert created.status_code == 201
    assert listed[0]["is_default"] is True and listed[0]["latitude"] == "51.500000"
    assert deleted.status_code == 200
    assert count_rows(Address) == 0


def test_bad_address_answers_422_with_each_field(api, make_customer, count_rows):
    customer_id = make_customer()

    response = api.post(f"/api/v1/customers/{customer_id}/addresses", json={
        **ADDRESS, "country": "ZZ", "latitude": 123, "line1": ""})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"country", "latitude", "line1"}
    assert count_rows(Address) == 0


def test_contact_is_added_to_the_customer(api, make_customer, count_rows):
    customer_id = make_customer()

    response = api.post(f"/api/v1/customers/{customer_id}/contacts", json={
        "name": "Ines Ruiz", "email": "ines@example.com", "is_billing": True})

    assert response.status_code == 201
    assert response.get_json()["result"]["is_billing"] is True
    assert count_rows(Contact) == 1


def test_contact_of_another_customer_cannot_be_deleted_through_this_one(api, make_customer,
                                                                        count_rows):
    owner, other = make_customer(), make_customer()
    contact_id = api.post(f"/api/v1/customers/{owner}/contacts",
                          json={"name": "Ines"}).get_json()["id"]

    response = api.delete(f"/api/v1/customers/{other}/contacts/{contact_id}")

    assert response.status_code == 404
    assert count_rows(Contact) == 1


def test_unknown_customer_addresses_are_not_found(api):
    assert api.get("/api/v1/customers/999999/addresses").status_code == 404


def test_readonly_token_cannot_add_an_address(app, api_token, make_customer, count_rows):
    customer_id = make_customer()
    before = count_rows(AuditEntry)

    response = client_with_token(app, api_token("ReadOnly")).post(
        f"/api/v1/customers/{customer_id}/addresses", json=ADDRESS)

    assert response.status_code == 403
    assert (count_rows(Address), count_rows(AuditEntry)) == (0, before)


def test_readonly_token_reads_addresses(app, api_token, make_customer):
    customer_id = make_customer()

    response = client_with_token(app, api_token("ReadOnly")).get(
        f"/api/v1/customers/{customer_id}/addresses")

    assert response.status_code == 200
