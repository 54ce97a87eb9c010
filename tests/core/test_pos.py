"""At the till: a cashier adds a customer with a name and a phone or an email, is warned when
the customer may already be on file, and a retried request never makes a second customer."""

from __future__ import annotations

import pytest

from core.models import Customer


@pytest.fixture
def till(app, api_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Cashier')}"
    return client


def test_cashier_quick_adds_a_customer_with_a_name_and_a_phone(till, load_customer):
    response = till.post("/api/v1/customers/quick", json={"first_name": "Sam",
                                                          "phone": "07400 123456"})

    assert response.status_code == 201, response.get_json()
    stored = load_customer(response.get_json()["id"])
    assert (stored["first_name"], stored["phone_e164"], stored["email"]) == ("Sam", "+447400123456", None)


def test_quick_add_with_an_email_only_works(till):
    response = till.post("/api/v1/customers/quick", json={"last_name": "Ng", "email": "ng@example.com"})

    assert response.status_code == 201


def test_quick_add_without_phone_or_email_is_refused(till, count_rows):
    response = till.post("/api/v1/customers/quick", json={"first_name": "Sam"})

    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]
    assert count_rows(Customer) == 0


def test_quick_add_refuses_fields_it_does_not_take(till, count_rows):
    response = till.post("/api/v1/customers/quick", json={"first_name": "Sam", "phone": "07400 123456",
                                                          "status": "inactive"})

    assert response.status_code == 422
    assert "status" in response.get_json()["errors"]
    assert count_rows(Customer) == 0


def test_a_likely_duplicate_answers_409_with_the_candidates(till, make_customer, count_rows):
    cid = make_customer(first_name="Sam", last_name="Lee", phone="07400 123456")

    response = till.post("/api/v1/customers/quick", json={"first_name": "Samuel", "phone": "+44 7400 123456"})

    assert response.status_code == 409
    assert [c["id"] for c in response.get_json()["candidates"]] == [cid]
    assert count_rows(Customer) == 1


def test_confirming_the_duplicate_creates_the_customer(till, make_customer, count_rows):
    make_customer(first_name="Sam", last_name="Lee", phone="07400 123456")

    response = till.post("/api/v1/customers/quick", json={"first_name": "Samuel", "phone": "07400 123456",
                                                          "confirm_duplicate": True})

    assert response.status_code == 201
    assert count_rows(Customer) == 2


def test_read_only_user_cannot_quick_add(app, api_token, count_rows):
    response = app.test_client().post("/api/v1/customers/quick",
                                      json={"first_name": "Sam", "phone": "07400 123456"},
                                      headers={"Authorization": f"Bearer {api_token('ReadOnly')}"})

    assert response.status_code == 403
    assert count_rows(Customer) == 0


def test_a_bad_phone_is_named_in_the_answer(till):
    response = till.post("/api/v1/customers/quick", json={"first_name": "Sam", "phone": "12"})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"phone"}
