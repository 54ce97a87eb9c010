"""The REST API under /api/v1/fxrates/: what an integration sees, including its mistakes."""

from __future__ import annotations

import pytest

URL = "/api/v1/fxrates/"


@pytest.fixture
def api(app, api_token):
    """A client that sends the Admin's token with every request."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('Admin')}"}

    class Api:
        def get(self, url, **kw):
            return client.get(url, headers=headers, **kw)

        def post(self, url, **kw):
            return client.post(url, headers=headers, **kw)

        def put(self, url, **kw):
            return client.put(url, headers=headers, **kw)

        def delete(self, url, **kw):
            return client.delete(url, headers=headers, **kw)

    return Api()


def rate_body(**fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.1675", "valid_from": "2026-01-01"}
    data.update(fields)
    return data


def test_an_integration_lists_the_shops_rates(api, make_customer, make_rate):
    make_rate(quote="JPY", rate="190.25")
    make_rate(customer_id=make_customer(), quote="USD")

    body = api.get(URL).get_json()

    assert body["count"] == 1
    [rate] = body["result"]
    assert rate["base"] == "GBP" and rate["quote"] == "JPY"
    assert rate["rate"] == "190.25"
    assert rate["customer_id"] is None and rate["valid_to"] is None


def test_an_integration_lists_one_customers_rates(api, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id, quote="USD", rate="1.285")
    make_rate()

    body = api.get(f"{URL}?customer_id={customer_id}").get_json()

    assert [(r["quote"], r["rate"], r["customer_id"]) for r in body["result"]] == [
        ("USD", "1.285", customer_id)]


def test_an_integration_adds_a_shop_rate(api):
    response = api.post(URL, json=rate_body(valid_to="2026-06-30"))

    assert response.status_code == 201
    result = response.get_json()["result"]
    assert result["rate"] == "1.1675"
    assert result["valid_to"] == "2026-06-30"
    assert api.get(f"{URL}{result['id']}").status_code == 200


def test_an_integration_adds_a_rate_for_a_customer(api, make_customer):
    customer_id = make_customer()

    response = api.post(URL, json=rate_body(customer_id=customer_id))

    assert response.status_code == 201
    assert response.get_json()["result"]["customer_id"] == customer_id


def test_a_rate_sent_as_a_json_number_keeps_every_digit(api):
    response = api.post(URL, data='{"base": "GBP", "quote": "SEK", "rate": 13.6400000001, '
                                  '"valid_from": "2026-01-01"}',
                        content_type="application/json")

    assert response.status_code == 201
    assert response.get_json()["result"]["rate"] == "13.6400000001"


def test_an_integration_changes_a_rate(api, make_rate):
    rate_id = make_rate()

    response = api.put(f"{URL}{rate_id}", json={"rate": "1.17", "valid_to": "2026-12-31"})

    assert response.status_code == 200
    result = response.get_json()["result"]
    assert (result["rate"], result["valid_to"], result["quote"]) == ("1.17", "2026-12-31", "EUR")


def test_an_integration_deletes_a_rate(api, make_rate):
    rate_id = make_rate()

    response = api.delete(f"{URL}{rate_id}")

    assert response.status_code == 200
    assert api.get(f"{URL}{rate_id}").status_code == 404


def test_an_integration_asks_which_rate_applies_to_a_customer(api, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(base="EUR", quote="GBP", rate="0.85")
    make_rate(customer_id=customer_id, base="EUR", quote="GBP", rate="0.84")

    body = api.get(f"{URL}rate?base=EUR&quote=GBP&on=2026-01-31&customer_id={customer_id}"
                   ).get_json()

    assert body["rate"] == "0.84"
    assert (body["base"], body["quote"], body["on"]) == ("EUR", "GBP", "2026-01-31")


def test_the_rate_answer_is_plain_digits_for_an_inverted_pair(api, make_rate):
    make_rate(base="GBP", quote="JPY", rate="200")

    body = api.get(f"{URL}rate?base=JPY&quote=GBP&on=2026-01-31").get_json()

    assert body["rate"] == "0.005"


def test_asking_for_a_rate_nobody_has_answers_404_json(api):
    response = api.get(f"{URL}rate?base=EUR&quote=GBP&on=2026-01-31")

    assert response.status_code == 404
    assert "No EUR → GBP rate" in response.get_json()["message"]


def test_asking_with_bad_currencies_and_date_answers_422_naming_each(api):
    response = api.get(f"{URL}rate?base=EURO&quote=&on=31/01/2026&customer_id=x")

    assert response.status_code == 422
    body = response.get_json()
    assert set(body["errors"]) == {"base", "quote", "on", "customer_id"}
    assert body["message"]


def test_asking_for_an_unknown_customers_rate_answers_404(api):
    response = api.get(f"{URL}rate?base=EUR&quote=GBP&customer_id=999999")

    assert response.status_code == 404
    assert response.get_json()["message"]


@pytest.mark.parametrize("rate, words", [
    ("abc", "number"), ("1e400", "less than"), ("NaN", "number"), ("-2", "more than zero"),
    ("0", "more than zero"), (None, "Enter the rate"), (True, "number"),
])
def test_a_bad_rate_answers_422_beside_the_rate(api, rate, words):
    response = api.post(URL, json=rate_body(rate=rate))

    assert response.status_code == 422
    assert words in response.get_json()["errors"]["rate"]


def test_a_json_nan_answers_422_not_500(api):
    response = api.post(URL, data='{"base": "GBP", "quote": "EUR", "rate": NaN, '
                                  '"valid_from": "2026-01-01"}', content_type="application/json")

    assert response.status_code == 422
    assert "rate" in response.get_json()["errors"]


def test_an_overlapping_rate_answers_422_naming_the_clash(api, make_rate):
    make_rate(valid_from="2026-01-01", valid_to="2026-03-31")

    response = api.post(URL, json=rate_body(valid_from="2026-03-31"))

    assert response.status_code == 422
    assert "Mar 31, 2026" in response.get_json()["errors"]["valid_from"]


def test_a_rate_for_an_unknown_customer_answers_422(api):
    response = api.post(URL, json=rate_body(customer_id=999999))

    assert response.status_code == 422
    assert "customer_id" in response.get_json()["errors"]


def test_a_body_that_is_not_json_answers_400(api):
    response = api.post(URL, data="base=GBP", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "_" in response.get_json()["errors"]


def test_a_body_that_is_broken_json_answers_400(api):
    response = api.post(URL, data="{'base': ", content_type="application/json")

    assert response.status_code == 400


def test_a_json_list_instead_of_an_object_answers_400(api):
    assert api.post(URL, json=[rate_body()]).status_code == 400


def test_an_unknown_rate_answers_404_json(api):
    for response in (api.get(f"{URL}424242"), api.put(f"{URL}424242", json={"rate": "1"}),
                     api.delete(f"{URL}424242"), api.get(f"{URL}99999999999999")):
        assert response.status_code == 404
        assert response.get_json()["message"]


def test_an_unknown_customers_list_answers_404(api):
    assert api.get(f"{URL}?customer_id=999999").status_code == 404


def test_a_refused_change_answers_422_and_keeps_the_rate(api, make_rate, rate_row):
    rate_id = make_rate(rate="1.1675")

    response = api.put(f"{URL}{rate_id}", json={"valid_to": "2025-01-01"})

    assert response.status_code == 422
    assert "valid_to" in response.get_json()["errors"]
    assert rate_row(rate_id)["valid_to"] is None


def test_the_browser_session_may_use_the_api(admin_client, make_rate):
    make_rate()

    assert admin_client.get(URL).status_code == 200


def test_without_a_login_the_api_answers_401(app):
    assert app.test_client().get(URL).status_code == 401
