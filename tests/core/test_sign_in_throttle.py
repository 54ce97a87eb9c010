"""Guessing passwords is slowed down for good: after five failed sign-ins for an account, from
wherever they come, each further attempt must wait twice as long as the last (up to a quarter
of an hour) and is refused without its password being looked at; one address trying many
accounts is slowed the same way. The login form and the API count together, and the counts
live in the database, so every web worker sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.models import SignInFailures

PASSWORD = "correct horse battery staple"
SHOP = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


@pytest.fixture
def throttled_app(make_app, users):
    return make_app(LOGIN_THROTTLE=True)


def api_login(app, username="admin", password="guess", address=SHOP, **headers):
    return app.test_client().post(
        "/api/v1/security/login", json={"username": username, "password": password,
                                        "provider": "db"},
        environ_base={"REMOTE_ADDR": address}, headers=headers)


def form_login(app, username="admin", password="guess", address=SHOP):
    """The login form's answer, with the page it sends the browser to."""
    return app.test_client().post("/login/", data={"username": username, "password": password},
                                  environ_base={"REMOTE_ADDR": address}, follow_redirects=True)


def fail(app, times, username="admin", address=SHOP):
    answers = [api_login(app, username, address=address).status_code for _ in range(times)]
    assert answers == [401] * times, answers


@pytest.fixture
def time_passes(throttled_app):
    """``time_passes(seconds)``: every failure counted so far happened that much earlier."""

    def move(seconds):
        with throttled_app.app_context():
            for row in db.session.execute(select(SignInFailures)).scalars():
                row.last_failure_at -= timedelta(seconds=seconds)
            db.session.commit()

    return move


@pytest.fixture
def failed_logins_seen_by_fab(throttled_app, users):
    """How many failed logins FAB has recorded on the admin (it counts each password it checks)."""

    def count():
        with throttled_app.app_context():
            sm = throttled_app.appbuilder.sm
            return sm.get_user_by_id(users["Admin"]).fail_login_count or 0

    return count


# -- one account ----------------------------------------------------------------------------


def test_the_sixth_wrong_password_is_refused_even_from_another_address(throttled_app):
    fail(throttled_app, 5, address=SHOP)

    response = api_login(throttled_app, address=ELSEWHERE)

    assert response.status_code == 429


def test_the_right_password_is_refused_unchecked_while_the_account_waits(
        throttled_app, failed_logins_seen_by_fab):
    fail(throttled_app, 5)

    response = api_login(throttled_app, password=PASSWORD)

    assert response.status_code == 429
    assert "access_token" not in response.get_json()
    assert failed_logins_seen_by_fab() == 5  # the refused attempt never reached the password


def test_a_refused_api_login_says_when_to_try_again(throttled_app):
    fail(throttled_app, 5)

    response = api_login(throttled_app)

    assert 1 <= int(response.headers["Retry-After"]) <= 2
    assert response.get_json()["message"].startswith("Too many failed sign-ins. Try again in")


def test_each_further_failure_doubles_the_wait(throttled_app, time_passes):
    waits = []
    fail(throttled_app, 5)
    for _ in range(3):
        waits.append(int(api_login(throttled_app).headers["Retry-After"]))
        time_passes(waits[-1])
        fail(throttled_app, 1)

    assert waits == [2, 4, 8]


def test_the_wait_never_grows_past_a_quarter_of_an_hour(throttled_app, users):
    with throttled_app.app_context():
        db.session.add(SignInFailures(scope="account", key=f"user:{users['Admin']}",
                                      failures=40, last_failure_at=utcnow()))
        db.session.commit()

    response = api_login(throttled_app, address=ELSEWHERE)

    assert int(response.headers["Retry-After"]) == 15 * 60


def test_guesses_sent_all_at_once_get_no_more_password_checks(throttled_app, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import flask_appbuilder.security.manager as fab_manager

    checked = []
    real_check = fab_manager.check_password_hash

    def counting_check(stored, given):
        checked.append(given)
        return real_check(stored, given)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting_check)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: api_login(throttled_app).status_code, range(16)))

    assert checked.count("guess") == 5
    assert 500 not in answers


def test_the_login_form_says_how_long_to_wait(throttled_app, users):
    with throttled_app.app_context():
        # Twelve failures: 256 seconds' wait, of which 16 have passed.
        db.session.add(SignInFailures(scope="account", key=f"user:{users['Admin']}",
                                      failures=12, last_failure_at=utcnow() - timedelta(seconds=16)))
        db.session.commit()

    response = form_login(throttled_app, password=PASSWORD)

    assert "Too many failed sign-ins. Try again in 4 minutes." in response.get_data(as_text=True)
    assert response.request.path == "/login/"  # not signed in


def test_after_the_wait_the_right_password_works(throttled_app, time_passes):
    fail(throttled_app, 5)
    assert api_login(throttled_app, password=PASSWORD).status_code == 429

    time_passes(2)

    assert api_login(throttled_app, password=PASSWORD).status_code == 200


def test_the_login_form_and_the_api_count_together(throttled_app):
    for _ in range(3):
        assert "Invalid login" in form_login(throttled_app).get_data(as_text=True)
    fail(throttled_app, 2)

    assert api_login(throttled_app).status_code == 429
    assert "Too many failed sign-ins" in form_login(throttled_app).get_data(as_text=True)


def test_a_successful_sign_in_starts_the_account_afresh(throttled_app):
    fail(throttled_app, 4)
    assert api_login(throttled_app, password=PASSWORD).status_code == 200

    fail(throttled_app, 5)  # five more tries, each checked; then the wait begins again
    assert api_login(throttled_app).status_code == 429


def test_a_user_tried_by_name_and_by_email_address_has_one_count(throttled_app):
    fail(throttled_app, 3, username="admin")
    fail(throttled_app, 2, username="admin@example.com")

    assert api_login(throttled_app, username="ADMIN").status_code == 429


def test_a_name_nobody_has_is_throttled_alike(throttled_app):
    fail(throttled_app, 5, username="nobody")

    assert api_login(throttled_app, username="nobody").status_code == 429


# -- one address ----------------------------------------------------------------------------


@pytest.fixture
def strict_app(make_app, users):
    return make_app(LOGIN_THROTTLE=True, LOGIN_THROTTLE_ADDRESS_FAILURES=3)


def test_one_address_guessing_many_accounts_is_slowed_down(strict_app):
    for username in ("admin", "manager", "cashier"):
        fail(strict_app, 1, username=username, address=SHOP)

    assert api_login(strict_app, username="accounts", address=SHOP).status_code == 429
    assert api_login(strict_app, username="accounts", address=ELSEWHERE).status_code == 401


def test_a_forwarded_for_header_does_not_make_an_address_look_like_many(strict_app):
    for n, username in enumerate(("admin", "manager", "cashier")):
        assert api_login(strict_app, username, address=SHOP,
                         **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code == 401

    response = api_login(strict_app, "accounts", address=SHOP, **{"X-Forwarded-For": "192.0.2.99"})

    assert response.status_code == 429


def test_a_good_password_does_not_let_an_address_go_on_guessing(strict_app):
    fail(strict_app, 1, username="manager")
    fail(strict_app, 1, username="cashier")
    assert api_login(strict_app, "admin", PASSWORD).status_code == 200
    fail(strict_app, 1, username="readonly")

    assert api_login(strict_app, username="accounts").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_counts_apart(make_app, users):
    app = make_app(LOGIN_THROTTLE=True, LOGIN_THROTTLE_ADDRESS_FAILURES=3, TRUSTED_PROXIES=1)
    proxy = "10.0.0.1"
    for username in ("admin", "manager", "cashier"):
        api_login(app, username, address=proxy, **{"X-Forwarded-For": SHOP})

    assert api_login(app, "accounts", address=proxy, **{"X-Forwarded-For": SHOP}).status_code == 429
    assert api_login(app, "accounts", address=proxy,
                     **{"X-Forwarded-For": ELSEWHERE}).status_code == 401


# -- housekeeping and switches ---------------------------------------------------------------


def test_an_hour_without_failures_forgets_the_count(throttled_app, time_passes):
    from core.services import sign_in_throttle

    fail(throttled_app, 5)
    time_passes(61 * 60)

    with throttled_app.app_context():
        assert sign_in_throttle.forget_old() == 2  # the account's count and the address's
    fail(throttled_app, 5)


def test_the_throttle_is_off_when_the_setting_says_so(app, users):
    answers = {api_login(app).status_code for _ in range(7)}

    assert answers == {401}
