"""Signing in and out is kept on the server: signing out, a password change and an
administrator's "Sign out everywhere" end sign-ins that a copied cookie or an old API token
would otherwise keep alive; and a signed-in request pays for one query before its handler,
with roles, permissions and plugin state cached per worker yet seen changed at once by all.

Two app instances on one database stand for two worker processes."""

from __future__ import annotations

import pytest
from sqlalchemy import event

PASSWORD = "correct horse battery staple"  # the conftest's users fixture signs them up with it
NEW_PASSWORD = "a whole new horse battery"
LOOKUP = "/api/v1/customers/lookup?q=alex"
FAILING_LOOKUP = "/api/v1/customers/lookup?q="  # 422 before any search runs


def sign_in(app, username, password=PASSWORD, user_agent="Till browser"):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password},
                           headers={"User-Agent": user_agent})
    assert response.status_code == 302
    assert "/login/" not in response.headers["Location"]
    return client


def signed_in(client) -> bool:
    return client.get("/customers/").status_code == 200


def token_for(app, username, password=PASSWORD) -> str:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def lookup_status(app, token) -> int:
    return app.test_client().get(LOOKUP, headers={"Authorization": f"Bearer {token}"}).status_code


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def change_own_password(client):
    response = client.post("/resetmypassword/form", data={
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302


# -- signing out ------------------------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_after_logout(app, users):
    browser = sign_in(app, "cashier")
    copy = copy_of_cookie(app, browser)
    assert signed_in(copy)

    browser.get("/logout/")

    assert not signed_in(copy)


def test_signing_out_in_one_browser_leaves_the_others_signed_in(app, users):
    till, office = sign_in(app, "cashier"), sign_in(app, "cashier")

    till.get("/logout/")

    assert signed_in(office)


# -- password changes -------------------------------------------------------------------------


def test_after_changing_their_password_the_old_api_token_is_refused(app, users, make_customer):
    make_customer()
    browser = sign_in(app, "cashier")
    old_token = token_for(app, "cashier")
    assert lookup_status(app, old_token) == 200

    change_own_password(browser)

    assert lookup_status(app, old_token) == 401
    assert lookup_status(app, token_for(app, "cashier", NEW_PASSWORD)) == 200


def test_after_changing_their_password_another_browser_is_signed_out(app, users):
    till, office = sign_in(app, "cashier"), sign_in(app, "cashier")

    change_own_password(till)

    assert not signed_in(office)


def test_the_browser_that_changed_its_password_stays_signed_in(app, users):
    till = sign_in(app, "cashier")

    change_own_password(till)

    assert signed_in(till)


def test_an_admin_resetting_a_password_signs_that_user_out_everywhere(
        app, users, admin_client, make_customer):
    make_customer()
    till, token = sign_in(app, "cashier"), token_for(app, "cashier")

    response = admin_client.post(f"/resetpassword/form?pk={users['Cashier']}", data={
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})

    assert response.status_code == 302
    assert not signed_in(till)
    assert lookup_status(app, token) == 401
    assert signed_in(admin_client)


def test_a_password_change_leaves_other_users_signed_in(app, users, make_customer):
    make_customer()
    manager, token = sign_in(app, "manager"), token_for(app, "manager")

    change_own_password(sign_in(app, "cashier"))

    assert signed_in(manager)
    assert lookup_status(app, token) == 200


# -- Sign out everywhere ----------------------------------------------------------------------


def test_admin_signs_a_user_out_everywhere(app, users, admin_client, make_customer):
    make_customer()
    till, token = sign_in(app, "cashier"), token_for(app, "cashier")

    response = admin_client.post(f"/users/signout/{users['Cashier']}")

    assert response.status_code == 302
    assert not signed_in(till)
    assert lookup_status(app, token) == 401
    assert signed_in(admin_client)


def test_after_being_signed_out_everywhere_the_user_can_sign_in_again(app, users, admin_client):
    sign_in(app, "cashier")
    admin_client.post(f"/users/signout/{users['Cashier']}")

    assert signed_in(sign_in(app, "cashier"))


def test_the_admin_sees_where_a_user_is_signed_in(app, users, admin_client, page):
    sign_in(app, "cashier", user_agent="Till 3 (Firefox)")

    doc = page(admin_client.get(f"/users/show/{users['Cashier']}"))

    rows = doc.find(id="sign-ins").find_all("tr", cls="sign-in")
    assert [r for r in rows if "Till 3 (Firefox)" in r.text]
    assert doc.find("form", id="sign-out-everywhere") is not None


def test_a_manager_cannot_sign_anyone_out_everywhere(app, users, client_for):
    till = sign_in(app, "cashier")

    response = client_for("Manager").post(f"/users/signout/{users['Cashier']}")

    assert response.status_code == 403
    assert signed_in(till)


def test_sign_out_everywhere_for_no_such_user_is_not_found(admin_client):
    assert admin_client.post("/users/signout/999999").status_code == 404
    assert admin_client.post("/users/signout/x").status_code == 404


@pytest.fixture
def csrf_app(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True)


def csrf_sign_in(app, page, username):
    client = app.test_client()
    token = page(client.get("/login/")).find("input", id="csrf_token").attrs["value"]
    response = client.post("/login/", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    return client


def test_sign_out_everywhere_without_a_csrf_token_is_refused(csrf_app, users, page):
    admin, till = csrf_sign_in(csrf_app, page, "admin"), csrf_sign_in(csrf_app, page, "cashier")

    response = admin.post(f"/users/signout/{users['Cashier']}")

    assert response.status_code == 400
    assert signed_in(till)


def test_the_sign_out_everywhere_button_works_with_its_csrf_token(csrf_app, users, page):
    admin, till = csrf_sign_in(csrf_app, page, "admin"), csrf_sign_in(csrf_app, page, "cashier")
    form = page(admin.get(f"/users/show/{users['Cashier']}")).find("form", id="sign-out-everywhere")
    data = {i.attrs["name"]: i.attrs["value"] for i in form.find_all("input")}

    assert admin.post(form.attrs["action"], data=data).status_code == 302
    assert not signed_in(till)


def test_the_list_shows_when_a_browser_was_last_seen(app, users):
    from datetime import timedelta

    from core.db import db, utcnow
    from core.models import SignInSession

    till = sign_in(app, "cashier")
    long_ago = utcnow() - timedelta(hours=2)
    with app.app_context():
        db.session.query(SignInSession).update({"last_seen_at": long_ago})
        db.session.commit()

    till.get("/customers/")

    with app.app_context():
        assert db.session.query(SignInSession).one().last_seen_at > long_ago


def test_ended_sign_ins_are_forgotten_after_the_days_kept(app, users):
    from datetime import timedelta

    from core.db import db, utcnow
    from core.models import SignInSession
    from core.services import sign_in as sign_ins

    sign_in(app, "cashier").get("/logout/")
    still_signed_in = sign_in(app, "cashier")
    with app.app_context():
        db.session.query(SignInSession).filter(SignInSession.ended_at.isnot(None)).update(
            {"ended_at": utcnow() - timedelta(days=31)})
        db.session.commit()

        assert sign_ins.purge(keep_days=30) == 1
        assert db.session.query(SignInSession).count() == 1
    assert signed_in(still_signed_in)


# -- the cost of a signed-in request ---------------------------------------------------------


@pytest.fixture
def count_queries(app):
    """``with count_queries() as seen:`` — the SQL statements sent meanwhile (transaction
    control such as SQLite's BEGIN left out)."""
    import contextlib

    from core.db import db

    with app.app_context():
        engine = db.engine

    @contextlib.contextmanager
    def counting():
        seen: list[str] = []

        def note(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(
                    ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", note)

    return counting


def test_a_signed_in_api_request_with_a_token_makes_one_query_before_its_handler(
        app, users, count_queries):
    client, headers = app.test_client(), {"Authorization": f"Bearer {token_for(app, 'cashier')}"}
    client.get(FAILING_LOOKUP, headers=headers)  # this worker reads roles once

    with count_queries() as seen:
        response = client.get(FAILING_LOOKUP, headers=headers)

    assert response.status_code == 422
    assert len(seen) <= 1, seen


def test_a_signed_in_api_request_from_the_browser_makes_one_query_before_its_handler(
        app, users, count_queries):
    browser = sign_in(app, "cashier")
    browser.get(FAILING_LOOKUP)

    with count_queries() as seen:
        response = browser.get(FAILING_LOOKUP)

    assert response.status_code == 422
    assert len(seen) <= 1, seen


# -- one worker's change, seen by another on its next request ---------------------------------


@pytest.fixture
def second_worker(make_app, app):
    return make_app()


def test_a_role_change_in_one_worker_is_seen_by_another_on_its_next_request(
        app, second_worker, users, make_customer):
    make_customer()
    token = token_for(app, "cashier")
    assert lookup_status(second_worker, token) == 200  # its cache now holds the Cashier role

    with app.app_context():
        sm = app.appbuilder.sm
        sm.del_permission_role(sm.find_role("Cashier"),
                               sm.find_permission_view_menu("can_get", "CustomerApi"))

    assert lookup_status(second_worker, token) == 403


def test_a_users_new_role_in_one_worker_is_seen_by_another_on_its_next_request(
        app, second_worker, users, make_customer):
    make_customer()
    till = sign_in(second_worker, "readonly")
    assert till.get("/customers/add").status_code == 403

    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.get_user_by_id(users["ReadOnly"])
        user.roles = [sm.find_role("Cashier")]
        sm.update_user(user)

    assert till.get("/customers/add").status_code == 200


def test_a_plugin_disabled_in_one_worker_is_hidden_in_another_on_its_next_request(
        app, second_worker, users):
    admin = sign_in(second_worker, "admin")
    assert admin.get("/hello/").status_code == 200

    with app.app_context():
        from core.services import plugins

        plugins.set_enabled("hello", False)

    assert admin.get("/hello/").status_code == 404
