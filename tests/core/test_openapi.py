"""The OpenAPI description at /api/v1/_openapi, as an integrator reads it to write a client: it
lists the paths this shop actually serves, and every answer an endpoint can give."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    return client


def description(api) -> dict:
    response = api.get("/api/v1/_openapi")
    assert response.status_code == 200
    return response.get_json()


def test_a_disabled_plugins_paths_are_not_described(app, api):
    from core.services import plugins

    with app.app_context():
        plugins.set_enabled("fxrates", False)

    paths = description(api)["paths"]

    assert not [p for p in paths if p.startswith("/api/v1/fxrates")]
    assert "/api/v1/customers/" in paths


@pytest.fixture
def one_of_each(api, make_customer, make_group):
    """A record behind every id an endpoint's path can name."""
    customer_id = make_customer()
    address = api.post(f"/api/v1/customers/{customer_id}/addresses", json={
        "line1": "1 High Street", "city": "London", "postal_code": "SW1A 1AA", "country": "GB"})
    rate = api.post("/api/v1/fxrates/", json={"base": "GBP", "quote": "EUR", "rate": "1.17",
                                              "valid_from": "2024-01-01"})
    return {"customers": customer_id, "groups": make_group(), "fxrates": rate.get_json()["id"],
            "item_id": address.get_json()["id"], "part": "addresses"}


def _concrete(url: str, ids: dict) -> str:
    resource = url.split("/")[3] if url.count("/") > 3 else ""
    url = url.replace("{pk}", str(ids.get(resource, 1)))
    url = url.replace("{customer_id}", str(ids["customers"]))
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), url)


def test_every_answer_to_a_body_that_is_not_an_object_is_described(api, one_of_each):
    spec = description(api)
    undescribed = {}

    for url, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            response = api.open(_concrete(url, one_of_each), method=method.upper(), data="[]",
                                content_type="application/json")
            if str(response.status_code) not in operation["responses"]:
                undescribed[f"{method.upper()} {url}"] = response.status_code

    assert undescribed == {}
