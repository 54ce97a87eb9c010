"""The example third-party plugin, examples/hello_plugin, installed with pip as a shop would:
what it adds to the customer form, the overview and the menu, and that its table is its own."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select, text

NEW_CUSTOMER = {"kind": "individual", "status": "active", "first_name": "Sam",
                "last_name": "Smith", "email": "sam@example.com"}


def stored_greeting(app, customer_id):
    from core.db import db
    from regulars_hello.models import Greeting

    with app.app_context():
        return db.session.execute(
            select(Greeting.text).where(Greeting.customer_id == customer_id)).scalar()


def edit_form(app, customer_id, greeting):
    """What the edit form posts back: the customer's fields as they are, and ``greeting``."""
    from core.services import customers

    with app.app_context():
        customer = customers.get(customer_id)
        return {**NEW_CUSTOMER, "number": customer.number, "hello_greeting": greeting}


@pytest.fixture
def customer_id(app):
    """A customer whose preferred greeting is "Morning, Sam!"."""
    from core.services import customers

    with app.app_context():
        data = {k: NEW_CUSTOMER[k] for k in ("first_name", "last_name", "email")}
        return customers.create(data, extra={"hello_greeting": "Morning, Sam!"}).id


# -- the customer form -----------------------------------------------------------------------


def test_create_customer_form_offers_a_preferred_greeting(admin_client):
    page = admin_client.get("/customers/add").get_data(as_text=True)

    assert 'name="hello_greeting"' in page
    assert "Preferred greeting" in page


def test_preferred_greeting_is_saved_with_a_new_customer(app, admin_client):
    response = admin_client.post("/customers/add",
                                 data={**NEW_CUSTOMER, "hello_greeting": "Morning, Sam!"})

    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert stored_greeting(app, customer_id) == "Morning, Sam!"


def test_edit_form_shows_the_stored_greeting(admin_client, customer_id):
    page = admin_client.get(f"/customers/{customer_id}/edit").get_data(as_text=True)

    assert 'value="Morning, Sam!"' in page


def test_changing_the_greeting_on_the_edit_form_stores_the_new_one(app, admin_client, customer_id):
    response = admin_client.post(f"/customers/{customer_id}/edit",
                                 data=edit_form(app, customer_id, "Evening, Sam."))

    assert response.status_code == 302
    assert stored_greeting(app, customer_id) == "Evening, Sam."


def test_emptying_the_greeting_on_the_edit_form_removes_it(app, admin_client, customer_id):
    response = admin_client.post(f"/customers/{customer_id}/edit",
                                 data=edit_form(app, customer_id, ""))

    assert response.status_code == 302
    assert stored_greeting(app, customer_id) is None


def test_overlong_greeting_is_refused_beside_the_field_and_nothing_is_saved(app, admin_client,
                                                                            customer_id):
    response = admin_client.post(f"/customers/{customer_id}/edit",
                                 data=edit_form(app, customer_id, "Hi" * 31))

    assert response.status_code == 200
    assert "longer than 60 characters" in response.get_data(as_text=True)
    assert stored_greeting(app, customer_id) == "Morning, Sam!"


# -- the customer overview -------------------------------------------------------------------


def test_overview_offers_a_hello_tab_loaded_from_its_own_url(admin_client, customer_id):
    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert f'data-url="/hello/customers/{customer_id}/tab"' in page


def test_hello_tab_shows_the_greeting_as_a_fragment(admin_client, customer_id):
    tab = admin_client.get(f"/hello/customers/{customer_id}/tab").get_data(as_text=True)

    assert "Morning, Sam!" in tab
    assert "<html" not in tab


def test_overview_shows_the_greeting_as_a_badge(admin_client, customer_id):
    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert 'title="Preferred greeting">Morning, Sam!</span>' in page


def test_say_hello_action_greets_the_customer_the_way_they_like(admin_client, customer_id):
    page = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'action="/hello/customers/{customer_id}/say"' in page

    response = admin_client.post(f"/hello/customers/{customer_id}/say", follow_redirects=True)

    assert "Morning, Sam!" in response.get_data(as_text=True)


def test_say_hello_writes_it_on_the_timeline_as_the_signed_in_user(app, admin_client,
                                                                  customer_id, users):
    from core.db import db
    from core.models import Activity

    response = admin_client.post(f"/hello/customers/{customer_id}/say")

    assert response.status_code == 302
    with app.app_context():  # a fresh session: what the action committed
        saved = [(a.kind, a.subject, a.body, a.source, a.actor_fk) for a in db.session.execute(
            select(Activity).where(Activity.customer_id == customer_id)).scalars()]
    assert saved == [("note", "Said hello", "Morning, Sam!", "hello", users["Admin"])]
    tab = admin_client.get(f"/customers/{customer_id}/tabs/activity").get_data(as_text=True)
    assert "Said hello" in tab and "via hello" in tab


def test_readonly_user_sees_the_hello_tab_but_not_the_say_hello_action(client_for, customer_id):
    readonly = client_for("ReadOnly")

    page = readonly.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert 'data-tab="hello"' in page
    assert "/say" not in page
    assert readonly.post(f"/hello/customers/{customer_id}/say").status_code == 403


# -- the menu page ---------------------------------------------------------------------------


def test_greetings_page_counts_the_customers_with_a_greeting(admin_client, customer_id,
                                                             make_customer):
    make_customer()  # one without a greeting

    page = html.unescape(admin_client.get("/hello/").get_data(as_text=True))

    assert "1 customers have a greeting." in page
    assert "Morning, Sam!" in page


# -- its own table ---------------------------------------------------------------------------


def test_hello_migration_creates_exactly_the_table_its_model_describes(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Model, db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, Model.metadata)
                       if "hello_greeting" in repr(d)]

    assert differences == []


def test_greeting_goes_when_its_customer_goes(app, customer_id):
    from core.db import db

    with app.app_context():
        db.session.execute(text("DELETE FROM customer WHERE id = :id"), {"id": customer_id})
        db.session.commit()

    assert stored_greeting(app, customer_id) is None
