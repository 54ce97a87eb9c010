"""The REST API under /api/v1, as the developer of a till or a web shop uses it: log in for a
token, find, read, create and change customers and groups, and get a JSON answer naming the
problem whenever a request is wrong."""

from __future__ import annotations

import pytest

from core.models import Customer, CustomerGroup


@pytest.fixture
def api(app, api_token):
    """A client that sends the Admin's bearer token with every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    return client


def new_customer(**fields):
    data = {"first_name": "Maya", "last_name": "Okafor", "email": "maya@example.com"}
    data.update(fields)
    return data


# -- signing in -----------------------------------------------------------------------------


def test_till_lists_customers_with_a_token_from_the_login_endpoint(api, make_customer):
    make_customer(first_name="Ida")

    response = api.get("/api/v1/customers/")

    assert response.status_code == 200
    assert [c["first_name"] for c in response.get_json()["result"]] == ["Ida"]


def test_browser_session_of_a_signed_in_user_works_for_the_api(admin_client, make_customer):
    make_customer()

    response = admin_client.get("/api/v1/customers/")

    assert response.status_code == 200


def test_request_without_credentials_is_refused_with_401(app):
    response = app.test_client().get("/api/v1/customers/")

    assert response.status_code == 401
    assert response.is_json


def test_forged_token_is_refused_with_401(app):
    client = app.test_client()

    response = client.get("/api/v1/customers/", headers={"Authorization": "Bearer not.a.token"})

    assert response.status_code == 401
    assert response.is_json


# -- reading --------------------------------------------------------------------------------


def test_list_filters_by_status_and_type(api, make_customer):
    make_customer(kind="business", company_name="Okafor Bakery", status="inactive")
    make_customer(kind="business", company_name="Berg Tools")
    make_customer(first_name="Ida", status="inactive")

    response = api.get("/api/v1/customers/?status=inactive&kind=business")

    assert [c["display_name"] for c in response.get_json()["result"]] == ["Okafor Bakery"]


def test_list_searches_like_the_screen_does(api, make_customer):
    make_customer(first_name="Zoë", last_name="Ångström")
    make_customer(first_name="Tom")

    response = api.get("/api/v1/customers/?q=angstrom")

    assert [c["last_name"] for c in response.get_json()["result"]] == ["Ångström"]


def test_list_pages_through_customers(api, make_customer):
    for _ in range(5):
        make_customer()

    body = api.get("/api/v1/customers/?page=2&page_size=2").get_json()

    assert ([c["number"] for c in body["result"]], body["page"], body["has_next"]) == (
        ["C-000003", "C-000004"], 2, True)


def test_list_refuses_a_page_size_above_the_limit(api):
    response = api.get("/api/v1/customers/?page_size=1000")

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"page_size"}


@pytest.mark.parametrize("query, field", [
    ("status=asleep", "status"), ("kind=robot", "kind"), ("sort=drop", "sort"),
    ("page=abc", "page"), ("page=0", "page"), ("group=x", "group"),
])
def test_list_names_a_bad_filter(api, query, field):
    response = api.get(f"/api/v1/customers/?{query}")

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}


def test_one_customer_is_read_by_id(api, make_customer):
    customer_id = make_customer(first_name="Ida", phone="020 7946 0958")

    result = api.get(f"/api/v1/customers/{customer_id}").get_json()["result"]

    assert (result["number"], result["first_name"], result["phone_e164"]) == (
        "C-000001", "Ida", "+442079460958")


@pytest.mark.parametrize("customer_id", ["999999", "99999999999999999999999"])
def test_unknown_customer_answers_404_json(api, customer_id):
    response = api.get(f"/api/v1/customers/{customer_id}")

    assert response.status_code == 404
    assert "message" in response.get_json()


def test_unknown_address_under_the_api_answers_404_json(api):
    response = api.get("/api/v1/customers/not-an-id")

    assert response.status_code == 404
    assert "message" in response.get_json()


# -- creating and changing ------------------------------------------------------------------


def test_till_creates_a_customer_and_gets_its_number(api, count_rows):
    response = api.post("/api/v1/customers/", json=new_customer(phone="020 7946 0958"))

    assert response.status_code == 201
    assert (response.get_json()["result"]["number"], count_rows(Customer)) == ("C-000001", 1)


def test_created_customer_remembers_who_created_it(api, users, load_customer):
    response = api.post("/api/v1/customers/", json=new_customer())

    assert load_customer(response.get_json()["id"])["created_by_fk"] == users["Admin"]


def test_update_changes_only_the_fields_sent(api, make_customer, load_customer):
    customer_id = make_customer(first_name="Ida", last_name="Berg")

    response = api.put(f"/api/v1/customers/{customer_id}", json={"last_name": "Lund"})

    assert response.get_json()["changed"] == ["last_name"]
    assert (load_customer(customer_id)["first_name"], load_customer(customer_id)["last_name"]) == (
        "Ida", "Lund")


def test_update_of_an_unknown_customer_answers_404_json(api):
    response = api.put("/api/v1/customers/999999", json={"last_name": "Lund"})

    assert response.status_code == 404
    assert response.is_json


def test_invalid_fields_answer_422_naming_each_one(api, count_rows):
    response = api.post("/api/v1/customers/", json=new_customer(email="maya@", phone="12"))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"email", "phone"}
    assert count_rows(Customer) == 0


def test_unknown_field_is_refused_by_name(api, count_rows):
    response = api.post("/api/v1/customers/", json=new_customer(loyalty_points=100))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"loyalty_points"}
    assert count_rows(Customer) == 0


def test_taken_number_answers_422_naming_the_number(api, make_customer):
    make_customer(number="TRADE-42")

    response = api.post("/api/v1/customers/", json=new_customer(number="TRADE-42"))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"number"}


@pytest.mark.parametrize("value", [42, 4.2, True, None, ["Maya"], {"name": "Maya"}],
                         ids=["integer", "float", "boolean", "null", "list", "object"])
def test_a_value_that_is_not_text_is_refused_by_name(api, count_rows, value):
    response = api.post("/api/v1/customers/", json=new_customer(first_name=value))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"first_name"}
    assert count_rows(Customer) == 0


@pytest.mark.parametrize("value", [42, None, ["active"]], ids=["integer", "null", "list"])
def test_a_status_that_is_not_text_is_refused_on_update(api, make_customer, load_customer, value):
    customer_id = make_customer()

    response = api.put(f"/api/v1/customers/{customer_id}", json={"status": value})

    assert response.status_code == 422
    assert load_customer(customer_id)["status"] == "active"


@pytest.mark.parametrize("body, content_type", [
    ("first_name=Maya", "application/x-www-form-urlencoded"),
    ('{"first_name": "Maya",', "application/json"),
    ('["Maya"]', "application/json"),
    ('"Maya"', "application/json"),
    ("", "application/json"),
], ids=["form data", "broken JSON", "JSON list", "JSON string", "empty"])
def test_a_body_that_is_not_a_json_object_answers_400(api, count_rows, body, content_type):
    response = api.post("/api/v1/customers/", data=body, content_type=content_type)

    assert response.status_code == 400
    assert "message" in response.get_json()
    assert count_rows(Customer) == 0


def test_a_huge_text_value_answers_422_not_a_crash(api):
    response = api.post("/api/v1/customers/", json=new_customer(first_name="M" * 100_000))

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"first_name"}


def test_readonly_user_cannot_create_through_the_api(app, api_token, count_rows):
    client = app.test_client()

    response = client.post("/api/v1/customers/", json=new_customer(),
                           headers={"Authorization": f"Bearer {api_token('ReadOnly')}"})

    assert response.status_code == 403
    assert count_rows(Customer) == 0


# -- groups ---------------------------------------------------------------------------------


def test_groups_are_listed_with_their_member_counts(api, make_customer, make_group):
    make_group("Newsletter", members=[make_customer(), make_customer()])

    result = api.get("/api/v1/groups/").get_json()["result"]

    assert [(g["name"], g["member_count"]) for g in result] == [("Newsletter", 2)]


def test_a_group_is_created_through_the_api(api, count_rows):
    response = api.post("/api/v1/groups/", json={"name": "Trade", "description": "On account."})

    assert response.status_code == 201
    assert count_rows(CustomerGroup) == 1


def test_a_group_name_clash_answers_422_naming_the_name(api, make_group):
    make_group("Trade")

    response = api.post("/api/v1/groups/", json={"name": "trade"})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name"}


@pytest.mark.parametrize("value", [7, None, ["Trade"]], ids=["integer", "null", "list"])
def test_a_group_name_that_is_not_text_is_refused(api, count_rows, value):
    response = api.post("/api/v1/groups/", json={"name": value})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name"}
    assert count_rows(CustomerGroup) == 0


@pytest.mark.parametrize("value", [7, ["x"], {"a": 1}], ids=["integer", "list", "object"])
def test_a_group_description_that_is_not_text_is_refused(api, count_rows, value):
    response = api.post("/api/v1/groups/", json={"name": "Trade", "description": value})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"description"}


def test_control_characters_in_a_group_description_are_dropped_and_lines_kept(api):
    response = api.post("/api/v1/groups/", json={"name": "Trade",
                                                 "description": "On account.\x00\r\nPays monthly."})

    assert response.get_json()["result"]["description"] == "On account.\nPays monthly."


def test_control_characters_in_a_name_are_dropped(api):
    response = api.post("/api/v1/customers/", json=new_customer(first_name="Ma\x00ya\t"))

    assert response.get_json()["result"]["first_name"] == "Maya"


def test_a_group_is_renamed_through_the_api(api, make_group):
    group_id = make_group("Trade")

    response = api.put(f"/api/v1/groups/{group_id}", json={"name": "Trade customers"})

    assert response.get_json()["result"]["name"] == "Trade customers"


def test_members_are_added_to_a_group(api, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Trade")

    response = api.post(f"/api/v1/groups/{group_id}/members", json={"customer_ids": [customer_id]})

    assert response.get_json()["added"] == 1
    assert load_customer(customer_id)["groups"] == ["Trade"]


@pytest.mark.parametrize("ids", [[], "1", [True], ["1"], [99999999999999999999999]],
                         ids=["empty", "text", "boolean", "text id", "huge id"])
def test_bad_member_ids_answer_422(api, make_group, ids):
    group_id = make_group("Trade")

    response = api.post(f"/api/v1/groups/{group_id}/members", json={"customer_ids": ids})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"customer_ids"}


def test_a_member_is_removed_from_a_group(api, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Trade", members=[customer_id])

    api.delete(f"/api/v1/groups/{group_id}/members/{customer_id}")

    assert load_customer(customer_id)["groups"] == []


def test_deleting_a_group_keeps_its_members(api, make_customer, make_group, count_rows):
    group_id = make_group("Trade", members=[make_customer()])

    api.delete(f"/api/v1/groups/{group_id}")

    assert (count_rows(CustomerGroup), count_rows(Customer)) == (0, 1)


def test_unknown_group_answers_404_json(api):
    response = api.get("/api/v1/groups/99999999999999999999999")

    assert response.status_code == 404
    assert response.is_json


# -- the published description --------------------------------------------------------------


def test_openapi_spec_describes_the_customer_endpoints(api):
    response = api.get("/api/v1/_openapi")

    paths = response.get_json()["paths"]
    assert {"/api/v1/customers/", "/api/v1/customers/{pk}", "/api/v1/groups/"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/customers/"])
