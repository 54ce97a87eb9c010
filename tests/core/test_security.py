"""Who may do what, and the shop's protection against the usual attacks: roles, CSRF, login
rate limiting, safe redirects, cookies, and the secret key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.models import Customer, CustomerGroup

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def shop_state(app):
    """``shop_state()``: every customer, group and membership as plain data, to compare."""
    from sqlalchemy import select

    from core.db import db
    from core.models import group_membership

    def state():
        with app.app_context():
            customers = [tuple(row) for row in db.session.execute(
                select(*Customer.__table__.columns).order_by(Customer.id)).all()]
            groups = [tuple(row) for row in db.session.execute(
                select(*CustomerGroup.__table__.columns).order_by(CustomerGroup.id)).all()]
            members = sorted(tuple(row) for row in db.session.execute(
                select(group_membership)).all())
            return customers, groups, members

    return state


def login_with_token(client, page, username, password=PASSWORD, next_url=None):
    """Sign in through the login form as a browser does: read its CSRF token, then post."""
    url = "/login/" + (f"?next={next_url}" if next_url else "")
    form = page(client.get(url))
    token = form.find("input", id="csrf_token")
    data = {"username": username, "password": password}
    if token is not None:
        data["csrf_token"] = token.attrs["value"]
    return client.post(url, data=data)


# -- ReadOnly -------------------------------------------------------------------------------


def test_readonly_sees_the_customer_list_without_a_create_button(client_for, make_customer, page):
    make_customer(first_name="Ida")

    doc = page(client_for("ReadOnly").get("/customers/"))

    assert [a.text.split()[0] for a in doc.find_all("a", cls="customer-link")] == ["Ida"]
    assert doc.find("a", id="create-customer") is None


def test_readonly_sees_the_overview_without_edit_or_deactivate(client_for, make_customer, page):
    customer_id = make_customer(first_name="Ida")

    response = client_for("ReadOnly").get(f"/customers/{customer_id}")

    header = page(response).find(cls="customer-header")
    assert response.status_code == 200 and "Ida" in header.text
    assert header.find("form") is None
    assert header.find("a", href=f"/customers/{customer_id}/edit") is None


def test_readonly_sees_a_customers_groups_without_add_or_remove(
        client_for, make_customer, make_group, page):
    customer_id = make_customer()
    make_group("Newsletter", members=[customer_id])
    make_group("Trade")

    doc = page(client_for("ReadOnly").get(f"/customers/{customer_id}/tabs/groups"))

    assert "Newsletter" in doc.text
    assert doc.find("form") is None


def test_readonly_sees_a_group_without_edit_delete_or_add(
        client_for, make_customer, make_group, page):
    group_id = make_group("Newsletter", members=[make_customer()])

    doc = page(client_for("ReadOnly").get(f"/groups/{group_id}?q=alex"))

    assert doc.find("form", method="post") is None
    assert doc.find("a", href=f"/groups/{group_id}/edit") is None


@pytest.mark.parametrize("path, data", [
    ("/customers/add", {"first_name": "Eve", "email": "eve@example.com"}),
    ("/customers/{customer}/edit", {"first_name": "Eve", "email": "eve@example.com"}),
    ("/customers/{customer}/status", {"active": "0"}),
    ("/customers/{customer}/groups", {"group_id": "{group}"}),
    ("/customers/{customer}/groups/{group}/remove", {}),
    ("/groups/add", {"name": "Eve's friends"}),
    ("/groups/{group}/edit", {"name": "Eve's friends"}),
    ("/groups/{group}/delete", {}),
    ("/groups/{group}/members", {"customer_id": "{customer}"}),
    ("/plugins/core/toggle", {"enabled": "0"}),
])
def test_readonly_forced_post_is_refused_and_changes_nothing(
        client_for, make_customer, make_group, shop_state, path, data):
    ids = {"customer": make_customer()}
    ids["group"] = make_group("Newsletter", members=[ids["customer"]])
    make_group("Trade")
    before = shop_state()

    response = client_for("ReadOnly").post(
        path.format(**ids), data={k: v.format(**ids) for k, v in data.items()})

    assert response.status_code == 403
    assert shop_state() == before


# -- Cashier and Manager --------------------------------------------------------------------


def test_cashier_adds_a_customer_at_the_till(client_for, count_rows):
    response = client_for("Cashier").post("/customers/add", data={
        "kind": "individual", "first_name": "Ida", "email": "ida@example.com"})

    assert response.status_code == 302
    assert count_rows(Customer) == 1


def test_cashier_cannot_open_the_plugins_page(client_for):
    assert client_for("Cashier").get("/plugins/").status_code == 403


def test_cashier_sees_neither_plugins_nor_security_in_the_menu(client_for, page):
    doc = page(client_for("Cashier").get("/customers/"))

    links = {a.attrs.get("href") for a in doc.find_all("a")}
    assert "/customers/" in links
    assert not links & {"/plugins/", "/users/list/", "/roles/list/", "/usergroups/list/"}
    assert "Security" not in doc.text


@pytest.mark.parametrize("path", [
    "/users/list/", "/roles/list/", "/usergroups/list/", "/resetpassword/form?pk=1",
    "/permissions/list/",
])
def test_manager_cannot_touch_users_roles_or_passwords(client_for, path):
    assert client_for("Manager").get(path).status_code == 403


def test_no_role_but_admin_may_reset_another_users_password(client_for, users):
    admin = users["Admin"]

    response = client_for("Manager").post(f"/resetpassword/form?pk={admin}", data={
        "password": "taken over", "conf_password": "taken over"})

    assert response.status_code == 403


def test_admin_manages_user_groups_apart_from_customer_groups(admin_client):
    assert admin_client.get("/usergroups/list/").status_code == 200
    assert admin_client.get("/groups/add").status_code == 200


# -- Security → List Users ------------------------------------------------------------------


def add_user(client, page, username):
    """Open the Add User form (from a bookmark, or a new browser tab) and save it."""
    form = page(client.get("/users/add"))
    cashier = next(o.attrs["value"] for o in form.find("select", id="roles").find_all("option")
                   if o.text == "Cashier")
    return client.post("/users/add", data={
        "first_name": "Jo", "last_name": "Smith", "username": username, "active": "y",
        "email": f"{username}@example.com", "roles": cashier,
        "password": "Correct-Horse-42!", "conf_password": "Correct-Horse-42!"})


def test_adding_a_user_ends_on_the_users_list(admin_client, page):
    response = add_user(admin_client, page, "jsmith")

    assert response.headers["Location"].endswith("/users/list/")


def test_adding_a_user_says_who_was_added_in_words(admin_client, page):
    admin_client.get("/users/list/")

    response = add_user(admin_client, page, "jsmith")

    listed = page(admin_client.get(response.headers["Location"]))
    assert "User jsmith added." in listed.find(cls="alert-success").text
    assert "Added Row" not in listed.text


# -- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app, users):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def csrf_admin(csrf_app, page):
    client = csrf_app.test_client()
    assert login_with_token(client, page, "admin").status_code == 302
    return client


def test_form_post_without_a_csrf_token_is_refused_and_writes_nothing(csrf_admin, count_rows):
    response = csrf_admin.post("/customers/add", data={
        "kind": "individual", "first_name": "Eve", "email": "eve@example.com"})

    assert response.status_code == 400
    assert count_rows(Customer) == 0


def test_button_post_without_a_csrf_token_is_refused(csrf_admin, make_customer, load_customer):
    customer_id = make_customer()

    response = csrf_admin.post(f"/customers/{customer_id}/status", data={"active": "0"})

    assert response.status_code == 400
    assert load_customer(customer_id)["status"] == "active"


def test_create_customer_form_works_with_its_csrf_token(csrf_admin, page, count_rows):
    token = page(csrf_admin.get("/customers/add")).find("input", id="csrf_token").attrs["value"]

    response = csrf_admin.post("/customers/add", data={
        "csrf_token": token, "kind": "individual", "first_name": "Ida",
        "email": "ida@example.com", "status": "active"})

    assert response.status_code == 302
    assert count_rows(Customer) == 1


def test_deactivate_button_works_with_its_csrf_token(
        csrf_admin, make_customer, page, load_customer):
    customer_id = make_customer()
    button = page(csrf_admin.get(f"/customers/{customer_id}")).find(
        "form", action=f"/customers/{customer_id}/status")
    data = {i.attrs["name"]: i.attrs["value"] for i in button.find_all("input")}

    csrf_admin.post(f"/customers/{customer_id}/status", data=data)

    assert load_customer(customer_id)["status"] == "inactive"


# -- signing in -----------------------------------------------------------------------------


def test_login_page_is_never_cached(app):
    response = app.test_client().get("/login/")

    assert "no-store" in response.headers["Cache-Control"]


def test_repeated_failed_logins_are_slowed_down_by_the_default_config(make_app, users, page):
    from config import default

    app = make_app(AUTH_RATE_LIMITED=default.AUTH_RATE_LIMITED,
                   RATELIMIT_ENABLED=default.RATELIMIT_ENABLED)
    client = app.test_client()

    answers = [client.post("/login/", data={"username": "admin", "password": "guess"}).status_code
               for _ in range(12)]

    assert answers[0] == 302 and answers[-1] == 429


def test_repeated_failed_api_logins_are_slowed_down_too(make_app, users):
    from config import default

    app = make_app(AUTH_RATE_LIMITED=default.AUTH_RATE_LIMITED,
                   RATELIMIT_ENABLED=default.RATELIMIT_ENABLED)
    client = app.test_client()

    answers = [client.post("/api/v1/security/login", json={
        "username": "admin", "password": "guess", "provider": "db"}).status_code
        for _ in range(12)]

    assert answers[0] == 401 and answers[-1] == 429


def test_a_login_name_with_a_nul_byte_is_just_a_failed_login(app, users):
    response = app.test_client().post("/login/", data={"username": "ad\x00min",
                                                        "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


def test_login_does_not_send_the_user_to_another_site(app, users, page):
    response = login_with_token(app.test_client(), page, "admin",
                                next_url="https://evil.example/steal")

    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_login_returns_the_user_to_the_page_they_asked_for(app, users, page):
    response = login_with_token(app.test_client(), page, "admin", next_url="/groups/")

    assert response.headers["Location"].endswith("/groups/")


# -- configuration --------------------------------------------------------------------------


def test_production_example_sends_the_session_cookie_only_over_https(make_app, users, monkeypatch):
    monkeypatch.setenv("REGULARS_CONFIG", str(ROOT / "config" / "production.example.py"))
    app = make_app()
    client = app.test_client()

    response = client.post("/login/", data={"username": "admin", "password": PASSWORD},
                           base_url="https://shop.example")

    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("name", ["default.py", "production.example.py"])
def test_no_secret_key_is_committed_in_the_shipped_config(name):
    settings = {}
    exec(compile((ROOT / "config" / name).read_text(), name, "exec"), settings)

    assert settings.get("SECRET_KEY") is None


def test_instance_folder_with_the_generated_key_is_never_committed():
    ignored = (ROOT / ".gitignore").read_text().split()

    assert "instance/" in ignored


def test_a_secret_key_is_generated_once_into_the_instance_folder(make_app, tmp_path):
    first = make_app(SECRET_KEY=None)
    again = make_app(SECRET_KEY=None)

    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32


def test_secret_key_from_the_environment_wins_and_nothing_is_written(
        database_url, tmp_path, monkeypatch):
    from core.app import create_app
    from core.db import db

    monkeypatch.setenv("REGULARS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("REGULARS_SECRET_KEY", "k" * 64)

    app = create_app({"DATABASE_URL": database_url})

    assert app.config["SECRET_KEY"] == "k" * 64
    assert not (tmp_path / "instance" / "secret_key").exists()
    with app.app_context():
        db.engine.dispose()
