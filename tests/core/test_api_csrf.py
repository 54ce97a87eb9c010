"""Another site cannot use a signed-in browser to change things through the API: a call that
changes something and rides on the session cookie must carry the page's CSRF token in the
X-CSRFToken header. Calls with an API token (Authorization: Bearer) need none."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry, Customer

PASSWORD = "correct horse battery staple"


@pytest.fixture
def csrf_app(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def browser(csrf_app, page):
    """A signed-in administrator's browser: signed in through the form, with its token."""
    client = csrf_app.test_client()
    token = page(client.get("/login/")).find("input", id="csrf_token").attrs["value"]
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.fixture
def page_token(page):
    """``page_token(client)``: the CSRF token a page of ours hands its scripts."""

    def read(client) -> str:
        meta = page(client.get("/customers/")).find("meta", name="csrf-token")
        assert meta is not None, "the page has no csrf-token meta tag"
        return meta.attrs["content"]

    return read


@pytest.fixture
def shop_state(csrf_app):
    """``shop_state()``: every customer's columns and how many audit rows there are."""

    def state():
        with csrf_app.app_context():
            customers = [tuple(r) for r in db.session.execute(
                select(*Customer.__table__.columns).order_by(Customer.id))]
            audit_rows = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()
            return customers, audit_rows

    return state


def test_an_erase_riding_on_the_session_cookie_without_the_token_is_refused(
        browser, make_customer, shop_state):
    customer_id = make_customer(first_name="Ada")
    before = shop_state()

    response = browser.post(f"/api/v1/customers/{customer_id}/erase")

    assert response.status_code == 403
    assert "X-CSRFToken" in response.get_json()["errors"]
    assert shop_state() == before


def test_another_sites_form_posting_to_the_api_is_refused(browser, make_customer, shop_state):
    customer_id = make_customer(first_name="Ada")
    before = shop_state()

    # What a page on another port auto-submits: a plain form, the browser adding the cookie.
    response = browser.post(f"/api/v1/customers/{customer_id}/erase", data={"x": "1"},
                            headers={"Origin": "http://localhost:8001",
                                     "Referer": "http://localhost:8001/prize.html"})

    assert response.status_code == 403
    assert shop_state() == before


def test_a_wrong_token_is_refused(browser, make_customer, shop_state):
    customer_id = make_customer(first_name="Ada")
    before = shop_state()

    response = browser.post(f"/api/v1/customers/{customer_id}/erase",
                            headers={"X-CSRFToken": "made-up"})

    assert response.status_code == 403
    assert shop_state() == before


def test_an_erase_from_our_own_page_with_its_token_goes_through(
        browser, page_token, make_customer, load_customer):
    customer_id = make_customer(first_name="Ada")

    response = browser.post(f"/api/v1/customers/{customer_id}/erase",
                            headers={"X-CSRFToken": page_token(browser)})

    assert response.status_code == 200
    assert load_customer(customer_id)["erased_at"] is not None


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/v1/customers/", {"first_name": "Eve", "email": "eve@example.com"}),
    ("put", "/api/v1/customers/{id}", {"last_name": "Hill"}),
    ("delete", "/api/v1/customers/{id}/addresses/1", None),
])
def test_every_change_through_the_api_needs_the_token_with_the_cookie(
        browser, make_customer, shop_state, method, path, body):
    customer_id = make_customer(first_name="Ada")
    before = shop_state()

    response = getattr(browser, method)(path.format(id=customer_id), json=body)

    assert response.status_code == 403
    assert shop_state() == before


def test_reading_through_the_api_with_the_cookie_needs_no_token(browser, make_customer):
    customer_id = make_customer(first_name="Ada")

    assert browser.get(f"/api/v1/customers/{customer_id}").status_code == 200


def test_a_bearer_token_call_needs_no_csrf_token(csrf_app, make_customer, load_customer):
    customer_id = make_customer(first_name="Ada")
    client = csrf_app.test_client()
    login = client.post("/api/v1/security/login", json={
        "username": "admin", "password": PASSWORD, "provider": "db"})

    response = client.post(f"/api/v1/customers/{customer_id}/erase",
                           headers={"Authorization": f"Bearer {login.get_json()['access_token']}"})

    assert login.status_code == 200
    assert response.status_code == 200
    assert load_customer(customer_id)["erased_at"] is not None


def test_the_api_pages_try_it_out_sends_the_token(browser, page):
    swagger = page(browser.get("/swagger/v1"))
    scripts = [browser.get(s.attrs["src"]).get_data(as_text=True)
               for s in swagger.find_all("script") if s.attrs.get("src", "").startswith("/static/")]

    assert swagger.find("meta", name="csrf-token") is not None
    assert any("X-CSRFToken" in script for script in scripts)

