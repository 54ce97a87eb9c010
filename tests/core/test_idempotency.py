"""A till that lost the answer retries with the same Idempotency-Key: it gets the first answer
back, and the shop never gets a second customer (or group)."""

from __future__ import annotations

import pytest
from core.db import db, write_transaction
from core.models import Customer, CustomerGroup, IdempotencyKey

NEW = {"first_name": "Maya", "last_name": "Okafor", "email": "maya@example.com"}


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    return client


def test_a_retried_create_returns_the_first_customer(api, count_rows):
    first = api.post("/api/v1/customers/", json=NEW, headers={"Idempotency-Key": "till-1-0001"})
    again = api.post("/api/v1/customers/", json=NEW, headers={"Idempotency-Key": "till-1-0001"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count_rows(Customer) == 1


def test_a_retried_quick_add_returns_the_first_customer(app, api_token, count_rows):
    till = app.test_client()
    till.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Cashier')}"
    body = {"first_name": "Sam", "phone": "07400 123456"}

    first = till.post("/api/v1/customers/quick", json=body, headers={"Idempotency-Key": "k1"})
    again = till.post("/api/v1/customers/quick", json=body, headers={"Idempotency-Key": "k1"})

    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count_rows(Customer) == 1


def test_the_same_key_with_a_different_body_is_refused(api, count_rows):
    api.post("/api/v1/customers/", json=NEW, headers={"Idempotency-Key": "k2"})

    response = api.post("/api/v1/customers/", json=dict(NEW, first_name="Other"),
                        headers={"Idempotency-Key": "k2"})

    assert response.status_code == 422
    assert "reused with a different request" in response.get_json()["message"]
    assert count_rows(Customer) == 1


def test_a_duplicate_while_the_first_is_in_flight_is_a_conflict(app, api, count_rows):
    # The first request has claimed the key and not answered yet (as its claim row shows).
    import hashlib

    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username="admin").id

    body = b'{"name": "VIP"}'
    digest = hashlib.sha256()
    for part in (b"POST", b"/api/v1/groups/", body):
        digest.update(part)
        digest.update(b"\x00")
    with app.app_context():
        with write_transaction():
            db.session.add(IdempotencyKey(key="k3", user_id=user_id, method="POST",
                                          path="/api/v1/groups/", request_hash=digest.hexdigest()))

    response = api.post("/api/v1/groups/", data=body, content_type="application/json",
                        headers={"Idempotency-Key": "k3"})

    assert response.status_code == 409
    assert count_rows(CustomerGroup) == 0


def test_a_refused_request_is_replayed_as_refused(api, count_rows):
    bad = dict(NEW, email="not-an-email")

    first = api.post("/api/v1/customers/", json=bad, headers={"Idempotency-Key": "k4"})
    again = api.post("/api/v1/customers/", json=bad, headers={"Idempotency-Key": "k4"})

    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json()
    assert count_rows(Customer) == 0


def test_keys_belong_to_each_user(app, api, api_token, count_rows):
    other = app.test_client()
    other.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Manager')}"

    api.post("/api/v1/customers/", json=NEW, headers={"Idempotency-Key": "shared"})
    response = other.post("/api/v1/customers/", json=dict(NEW, email="x@example.com"),
                          headers={"Idempotency-Key": "shared"})

    assert response.status_code == 201
    assert count_rows(Customer) == 2


def test_without_the_header_every_post_runs(api, count_rows):
    api.post("/api/v1/groups/", json={"name": "A"})
    api.post("/api/v1/groups/", json={"name": "B"})

    assert count_rows(CustomerGroup) == 2
    assert count_rows(IdempotencyKey) == 0


def test_an_overlong_key_is_refused(api, count_rows):
    response = api.post("/api/v1/customers/", json=NEW, headers={"Idempotency-Key": "x" * 201})

    assert response.status_code == 400
    assert count_rows(Customer) == 0


def test_a_retried_erase_returns_the_first_answer(api, make_customer):
    cid = make_customer()

    first = api.post(f"/api/v1/customers/{cid}/erase", headers={"Idempotency-Key": "e1"})
    again = api.post(f"/api/v1/customers/{cid}/erase", headers={"Idempotency-Key": "e1"})

    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
