"""Where signing in goes: the page asked for (?next=) or the index, without the framework's
"Invalid redirect detected" warning on every sign-in; a next page on another site is still
refused (and that one is worth the warning)."""

from __future__ import annotations

import logging

import pytest

PASSWORD = "correct horse battery staple"
WARNING = "Invalid redirect detected"


@pytest.fixture
def sign_in(app, users, caplog):
    caplog.set_level(logging.WARNING)

    def post(query="", password=PASSWORD):
        return app.test_client().post(f"/login/{query}",
                                      data={"username": "admin", "password": password})

    return post


def test_a_plain_sign_in_goes_to_the_index_without_a_warning(sign_in, caplog):
    response = sign_in()

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert WARNING not in caplog.text


def test_a_sign_in_goes_on_to_the_page_asked_for_without_a_warning(sign_in, caplog):
    response = sign_in("?next=/customers/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/customers/"
    assert WARNING not in caplog.text


def test_a_page_asked_for_by_full_address_on_this_site_is_kept(sign_in, caplog):
    response = sign_in("?next=http://localhost/customers/")

    assert response.headers["Location"] == "http://localhost/customers/"
    assert WARNING not in caplog.text


def test_a_protected_page_sends_to_sign_in_and_back_to_it(app, users, caplog):
    caplog.set_level(logging.WARNING)
    client = app.test_client()
    to_login = client.get("/customers/")
    assert to_login.status_code == 302 and "/login/" in to_login.headers["Location"]

    response = client.post(to_login.headers["Location"],
                           data={"username": "admin", "password": PASSWORD})

    assert response.headers["Location"].endswith("/customers/")
    assert WARNING not in caplog.text


@pytest.mark.parametrize("elsewhere", ["https://evil.example/phish", "//evil.example/",
                                       "javascript:alert(1)"])
def test_a_next_page_on_another_site_is_refused(sign_in, caplog, elsewhere):
    from urllib.parse import quote

    response = sign_in(f"?next={quote(elsewhere, safe='')}")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert WARNING in caplog.text


def test_a_wrong_password_comes_back_to_the_form_still_going_on_to_the_page(sign_in, caplog):
    response = sign_in("?next=/customers/", password="wrong")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/customers/"
    assert WARNING not in caplog.text


def test_a_wrong_password_without_a_next_page_comes_back_to_the_plain_form(sign_in, caplog):
    response = sign_in(password="wrong")

    assert response.headers["Location"] == "/login/"
    assert WARNING not in caplog.text


def test_an_already_signed_in_user_visiting_the_form_goes_on(admin_client, caplog):
    caplog.set_level(logging.WARNING)

    assert admin_client.get("/login/").headers["Location"] == "/"
    assert admin_client.get("/login/?next=/customers/").headers["Location"] == "/customers/"
    assert WARNING not in caplog.text
