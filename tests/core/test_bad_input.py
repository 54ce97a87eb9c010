"""Requests no person types but a broken till, a script or an attacker sends: bodies too large,
JSON too deep, bytes that are not UTF-8, a login without its provider, list actions that do not
exist, invisible characters that make a name read differently. Each gets a clear 4xx (or is
cleaned), never a 500, and nothing is half saved."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from core.models import Customer

PASSWORD = "correct horse battery staple"
NOT_UNICODE = "not valid text"


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    return client


def customer_form(**fields) -> dict:
    data = {"kind": "individual", "number": "", "first_name": "Maya", "last_name": "Okafor",
            "company_name": "", "email": "maya.okafor@example.com", "phone": "",
            "status": "active"}
    data.update(fields)
    return data


# -- size and shape -------------------------------------------------------------------------


def test_a_json_body_over_the_size_limit_is_refused_with_413_in_json(make_app, users, count_rows):
    app = make_app(MAX_CONTENT_LENGTH=2_000)
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": "admin", "password": PASSWORD}).get_json()["access_token"]

    response = client.post("/api/v1/customers/", headers={"Authorization": f"Bearer {token}"},
                           json={"first_name": "Maya", "last_name": "x" * 5_000,
                                 "email": "maya@example.com"})

    assert response.status_code == 413
    assert response.is_json and response.get_json()["message"]
    with app.app_context():
        assert count_rows(Customer) == 0


def test_json_nested_too_deeply_for_the_api_login_is_a_bad_request(app, users):
    response = app.test_client().post("/api/v1/security/login", data="[" * 50_000 + "]" * 50_000,
                                      content_type="application/json")

    assert response.status_code == 400
    assert response.is_json


def test_api_login_without_a_provider_signs_in_with_the_shops_own(app, users):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": "cashier", "password": PASSWORD})

    assert response.status_code == 200
    assert response.get_json()["access_token"]


def test_api_login_with_a_wrong_password_and_no_provider_is_refused_with_401(app, users):
    response = app.test_client().post("/api/v1/security/login",
                                      json={"username": "cashier", "password": "guess"})

    assert response.status_code == 401


# -- text that is not Unicode -----------------------------------------------------------------


def test_json_bytes_that_are_not_utf8_are_refused_naming_the_field(api, count_rows):
    body = b'{"first_name": "Ma\xffya", "last_name": "Okafor", "email": "maya@example.com"}'

    response = api.post("/api/v1/customers/", data=body, content_type="application/json")

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["first_name"]
    assert count_rows(Customer) == 0


def test_every_field_that_is_not_unicode_is_named_by_its_path(api):
    # The last name's emoji is a surrogate *pair*: good text.
    body = ('{"first_name": "\\ud800", "tags": ["VIP", "\\udfff"], '
            '"last_name": "Okafor \\ud83c\\udf3b", "email": "maya@example.com"}')

    response = api.post("/api/v1/customers/", data=body, content_type="application/json")

    assert response.status_code == 422
    assert sorted(response.get_json()["errors"]) == ["first_name", "tags.1"]


def test_a_form_field_whose_bytes_are_not_utf8_is_refused_and_nothing_saved(
        admin_client, count_rows):
    body = urlencode(customer_form(first_name="PLACEHOLDER")).replace("PLACEHOLDER", "Ma%FFya")

    response = admin_client.post("/customers/add", data=body,
                                 content_type="application/x-www-form-urlencoded")

    assert response.status_code == 422
    assert "first_name" in response.get_data(as_text=True)
    assert count_rows(Customer) == 0


def test_a_form_sent_as_raw_bytes_that_are_not_utf8_is_refused(admin_client, count_rows):
    body = urlencode(customer_form(first_name="PLACEHOLDER")).encode().replace(
        b"PLACEHOLDER", b"Ma\xffya")

    response = admin_client.post("/customers/add", data=body,
                                 content_type="application/x-www-form-urlencoded")

    assert response.status_code == 422
    assert count_rows(Customer) == 0


# -- FAB's list actions ---------------------------------------------------------------------


def test_an_action_the_user_list_does_not_have_is_a_bad_request(admin_client, users):
    response = admin_client.post("/users/action_post",
                                 data={"action": "no_such_action", "rowid": str(users["Cashier"])})

    assert response.status_code == 400


def test_an_action_on_a_row_that_no_longer_exists_is_not_found(admin_client):
    response = admin_client.post("/roles/action_post",
                                 data={"action": "copyrole", "rowid": "999999"})

    assert response.status_code == 404


def test_an_action_on_a_row_id_that_is_not_a_number_is_not_found(admin_client):
    response = admin_client.post("/roles/action_post", data={"action": "copyrole", "rowid": "x1"})

    assert response.status_code == 404


def test_an_action_post_says_nothing_about_rows_to_someone_not_signed_in(app, users):
    response = app.test_client().post("/roles/action_post",
                                      data={"action": "copyrole", "rowid": "999999"})

    assert response.status_code == 302  # to sign in, as for any other page; not 404


# -- invisible characters in names and numbers ------------------------------------------------

# Right-to-left override, first-strong isolate, pop isolate, and a C1 control (CSI).
INVISIBLE = "\u202e\u2068\u2069\x9b"


def test_bidirectional_overrides_and_c1_controls_are_taken_out_of_names_sent_to_the_api(
        api, load_customer):
    response = api.post("/api/v1/customers/", json={
        "first_name": f"Ma{INVISIBLE}ya", "last_name": f"\u202dOkafor\u202c",
        "email": "maya@example.com", "number": f"VIP-{INVISIBLE}7"})

    stored = load_customer(response.get_json()["id"])
    assert (stored["first_name"], stored["last_name"], stored["number"]) == (
        "Maya", "Okafor", "VIP-7")


def test_bidirectional_overrides_are_taken_out_of_names_typed_in_the_form(
        admin_client, load_customer):
    response = admin_client.post("/customers/add", data=customer_form(
        first_name="\u202eayaM", company_name="", number="C-\u2066042\u2069"))

    customer_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    stored = load_customer(customer_id)
    assert (stored["first_name"], stored["number"]) == ("ayaM", "C-042")
