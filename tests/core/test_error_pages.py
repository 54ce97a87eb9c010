"""A page that is not there, or not for this role: the app's own layout with the menu, a
sentence saying what happened and a way back; the API keeps answering JSON."""

from __future__ import annotations


def menu_links(doc) -> set[str]:
    return {a.attrs.get("href") for a in doc.find_all("a")}


def test_a_mistyped_address_shows_a_page_with_the_menu_and_a_way_back(admin_client, page):
    response = admin_client.get("/customers/no-such-page")

    doc = page(response)
    assert response.status_code == 404
    assert doc.find("h1").text == "Page not found"
    assert doc.find(cls="error-sentence").text
    assert doc.find("a", cls="error-back").attrs["href"] == "/"
    assert "/customers/" in menu_links(doc)


def test_a_customer_that_is_not_there_answers_the_same_page(admin_client, page):
    response = admin_client.get("/customers/999999")

    assert response.status_code == 404
    assert page(response).find(cls="error-page") is not None


def test_a_page_the_role_may_not_open_says_so_inside_the_app(client_for, page):
    response = client_for("Cashier").get("/plugins/")

    doc = page(response)
    assert response.status_code == 403
    assert doc.find("h1").text == "Not allowed"
    assert "ask an administrator" in doc.find(cls="error-sentence").text
    assert "/customers/" in menu_links(doc)
    assert "/plugins/" not in menu_links(doc)


def test_an_unknown_api_address_answers_json(app, api_token):
    client = app.test_client()

    response = client.get("/api/v1/no-such-endpoint",
                          headers={"Authorization": f"Bearer {api_token('Admin')}"})

    assert response.status_code == 404
    assert response.is_json and response.get_json()["message"]


def test_an_api_customer_that_is_not_there_answers_json(app, api_token):
    response = app.test_client().get("/api/v1/customers/999999",
                                     headers={"Authorization": f"Bearer {api_token('Admin')}"})

    assert response.status_code == 404
    assert response.is_json


def test_a_script_asking_for_json_gets_json(admin_client):
    response = admin_client.get("/customers/no-such-page", headers={"Accept": "application/json"})

    assert response.status_code == 404
    assert response.get_json()["message"]
