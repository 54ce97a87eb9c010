"""Fields a plugin adds to the customer record (``CustomerField``) flow like the core's own: the
customer API (read, write, 422, OpenAPI), the form, the CSV export and import, the
data-portability export, the merge screen and erasure.

The plugin here, "perks", keeps a loyalty profile in its own table (one row per customer) with
a field of every type, and a nickname through its own get/set functions."""

from __future__ import annotations

import csv
import datetime
import io
import types
from decimal import Decimal

import pytest
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, event,
                        func, select)
from sqlalchemy.orm import declarative_base

from core.db import Money

# Its own metadata: the project's migrations (and their checks) know nothing of this table.
Base = declarative_base()


class Profile(Base):
    __tablename__ = "perks_profile"

    customer_id = Column(Integer, primary_key=True)
    card = Column(String(12), nullable=True)
    visits = Column(Integer, nullable=True)
    credit = Column(Money, nullable=True)
    vip = Column(Boolean, nullable=True)
    since = Column(Date, nullable=True)
    tier = Column(String(10), nullable=True)
    remarks = Column(Text, nullable=True)


class Card(Base):
    """A loyalty card: its number is a field; its points are the plugin's own data."""

    __tablename__ = "loyalty_card"

    customer_id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=True)
    holder = Column(String(40), nullable=False, default="")  # the name printed on the card
    points = Column(Integer, nullable=False, default=0)
    # Columns that fill themselves in keep no row alive.
    issued_at = Column(DateTime, default=datetime.datetime.utcnow)
    changed_at = Column(DateTime, onupdate=datetime.datetime.utcnow)


class Stamp(Base):
    """A stamp on a card: a row of another table pointing at the card's row."""

    __tablename__ = "loyalty_stamp"

    id = Column(Integer, primary_key=True)
    card_id = Column(Integer, ForeignKey("loyalty_card.customer_id"), nullable=False)


NICKNAMES: dict[int, str] = {}


def perks_plugin(required_card: bool = False):
    from core.sdk import CustomerField, PluginInfo, hookimpl

    module = types.ModuleType("regulars_perks_test")
    module.PLUGIN = PluginInfo(name="perks", label="Perks", version="1.0")

    def set_nickname(customer, value):
        if value is None:
            NICKNAMES.pop(customer.id, None)
        else:
            NICKNAMES[customer.id] = value

    @hookimpl
    def customer_fields():
        return [
            CustomerField(name="perks_card", label="Loyalty card", column=Profile.card,
                          section="Basic", required=required_card,
                          description="The number on the card"),
            CustomerField(name="perks_visits", label="Visits", type="integer",
                          column=Profile.visits, personal=False),
            CustomerField(name="perks_credit", label="Store credit", type="decimal",
                          column=Profile.credit, personal=False),
            CustomerField(name="perks_vip", label="VIP", type="boolean", column=Profile.vip),
            CustomerField(name="perks_since", label="Member since", type="date",
                          column=Profile.since),
            CustomerField(name="perks_tier", label="Tier", type="choice", column=Profile.tier,
                          choices=[("gold", "Gold"), ("silver", "Silver")]),
            CustomerField(name="perks_remarks", label="Remarks", type="text",
                          column=Profile.remarks),
            CustomerField(name="perks_nickname", label="Nickname", max_length=20,
                          get=lambda customer: NICKNAMES.get(customer.id), set=set_nickname),
        ]

    module.customer_fields = customer_fields
    return module


@pytest.fixture
def app(make_app):
    """The app of every test here (and of the admin_client, api_token... fixtures): with the
    perks plugin, its table created."""
    from core.db import db

    NICKNAMES.clear()
    app = make_app(extra_plugins=[perks_plugin()])
    with app.app_context():
        Base.metadata.create_all(db.engine)
    return app


@pytest.fixture
def admin(admin_client):
    return admin_client


@pytest.fixture
def api(app, api_token):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    return client


@pytest.fixture
def new_customer(app):
    """``new_customer(**plugin_fields)``: a customer, with these perks fields stored."""
    import itertools

    seq = itertools.count(1)

    def make(**fields):
        from core.services import customers

        n = next(seq)
        with app.app_context():
            return customers.create({"first_name": "Pat", "last_name": f"Perks{n}",
                                     "email": f"pat{n}@example.com", **fields}).id

    return make


def profile(app, customer_id) -> dict | None:
    from core.db import db

    with app.app_context():
        row = db.session.get(Profile, customer_id)
        if row is None:
            return None
        return {c.key: getattr(row, c.key) for c in Profile.__table__.columns}


def profile_rows(app, customer_id=None) -> int:
    from core.db import db

    with app.app_context():
        stmt = select(func.count()).select_from(Profile)
        if customer_id is not None:
            stmt = stmt.where(Profile.customer_id == customer_id)
        return db.session.execute(stmt).scalar()


# -- the API -----------------------------------------------------------------------------------


def test_get_answers_the_plugin_fields_beside_the_core_fields(api, new_customer):
    customer_id = new_customer(perks_card="LC-1001", perks_visits=12, perks_credit="12.5",
                               perks_vip=True, perks_since="2023-04-01", perks_tier="gold",
                               perks_nickname="Patty")

    result = api.get(f"/api/v1/customers/{customer_id}").get_json()["result"]

    assert result["first_name"] == "Pat"
    assert {k: v for k, v in result.items() if k.startswith("perks_")} == {
        "perks_card": "LC-1001", "perks_visits": 12, "perks_credit": "12.5000",
        "perks_vip": True, "perks_since": "2023-04-01", "perks_tier": "gold",
        "perks_remarks": None, "perks_nickname": "Patty"}


def test_put_stores_the_plugin_fields_and_names_them_as_changed(app, api, new_customer):
    customer_id = new_customer()

    response = api.put(f"/api/v1/customers/{customer_id}", json={
        "perks_card": "LC-2002", "perks_credit": Decimal("3.25"), "perks_since": "2024-02-29",
        "perks_nickname": "Pip"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["changed"] == ["perks_card", "perks_credit", "perks_nickname",
                                              "perks_since"]
    stored = profile(app, customer_id)
    assert (stored["card"], stored["credit"], stored["since"]) == (
        "LC-2002", Decimal("3.25"), datetime.date(2024, 2, 29))
    assert NICKNAMES[customer_id] == "Pip"


def test_post_creates_a_customer_with_plugin_fields(app, api):
    response = api.post("/api/v1/customers/", json={
        "first_name": "Nia", "last_name": "New", "email": "nia@example.com",
        "perks_card": "LC-3003", "perks_tier": "silver"})

    assert response.status_code == 201, response.get_json()
    customer_id = response.get_json()["id"]
    assert response.get_json()["result"]["perks_card"] == "LC-3003"
    assert (profile(app, customer_id)["card"], profile(app, customer_id)["tier"]) == (
        "LC-3003", "silver")


@pytest.mark.parametrize("field, value", [
    ("perks_visits", "many"), ("perks_visits", 2**40), ("perks_credit", "12.345678"),
    ("perks_vip", "perhaps"), ("perks_since", "2023-02-30"), ("perks_tier", "platinum"),
    ("perks_card", "X" * 13), ("perks_card", 42), ("perks_nickname", "N" * 21),
])
def test_a_bad_value_answers_422_naming_the_field_and_nothing_is_saved(app, api,
                                                                        new_customer, field,
                                                                        value):
    customer_id = new_customer(perks_card="LC-1")

    response = api.put(f"/api/v1/customers/{customer_id}", json={
        "first_name": "Changed", field: value})

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    after = api.get(f"/api/v1/customers/{customer_id}").get_json()["result"]
    assert (after["first_name"], after["perks_card"]) == ("Pat", "LC-1")


def test_emptying_every_field_of_a_row_deletes_the_row(app, api, new_customer):
    customer_id = new_customer(perks_card="LC-1", perks_visits=3)

    response = api.put(f"/api/v1/customers/{customer_id}",
                       json={"perks_card": "", "perks_visits": None})

    assert response.status_code == 200
    assert profile_rows(app, customer_id) == 0


def test_emptying_one_field_keeps_the_row_of_the_others(app, api, new_customer):
    customer_id = new_customer(perks_card="LC-1", perks_visits=3)

    api.put(f"/api/v1/customers/{customer_id}", json={"perks_card": ""})

    assert (profile(app, customer_id)["card"], profile(app, customer_id)["visits"]) \
        == (None, 3)


def test_a_required_field_is_refused_when_a_new_customer_comes_without_it(make_app, api_token):
    required = make_app(extra_plugins=[perks_plugin(required_card=True)])
    client = required.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"

    response = client.post("/api/v1/customers/", json={
        "first_name": "Nia", "last_name": "New", "email": "nia@example.com"})

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["perks_card"]


def test_the_list_reads_plugin_fields_for_the_whole_page_at_once(app, api, new_customer):
    from core.db import db

    def queries_for_list() -> tuple[int, list]:
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            result = api.get("/api/v1/customers/?page_size=100").get_json()["result"]
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len([s for s in statements if "perks_profile" in s]), result

    for n in range(2):
        new_customer(perks_card=f"LC-{n}")
    few, result = queries_for_list()
    for n in range(2, 8):
        new_customer(perks_card=f"LC-{n}", perks_visits=n)
    many, result = queries_for_list()

    assert sorted(r["perks_card"] for r in result) == [f"LC-{n}" for n in range(8)]
    assert few == many == 1


def test_openapi_describes_each_plugin_field_with_its_json_type(app, api):
    from core.services import plugins

    properties = api.get("/api/v1/_openapi").get_json()[
        "components"]["schemas"]["CustomerRecord"]["properties"]

    assert {name: properties[name].get("type") for name in properties
            if name.startswith("perks_")} == {
        "perks_card": "string", "perks_visits": "integer", "perks_credit": None,
        "perks_vip": "boolean", "perks_since": "string", "perks_tier": "string",
        "perks_remarks": "string", "perks_nickname": "string"}
    assert properties["perks_credit"]["oneOf"] == [{"type": "number"}, {"type": "string"}]
    assert properties["perks_since"]["format"] == "date"
    assert properties["perks_tier"]["enum"] == ["gold", "silver"]
    assert properties["perks_card"]["maxLength"] == 12

    with app.app_context():
        plugins.set_enabled("perks", False)
    properties = api.get("/api/v1/_openapi").get_json()[
        "components"]["schemas"]["CustomerRecord"]["properties"]

    assert not [name for name in properties if name.startswith("perks_")]


def test_a_disabled_plugins_fields_are_neither_answered_nor_accepted(app, api,
                                                                    new_customer):
    from core.services import plugins

    customer_id = new_customer(perks_card="LC-1")
    with app.app_context():
        plugins.set_enabled("perks", False)

    result = api.get(f"/api/v1/customers/{customer_id}").get_json()["result"]
    response = api.put(f"/api/v1/customers/{customer_id}", json={"perks_card": "LC-2"})

    assert "perks_card" not in result
    assert response.status_code == 422
    assert profile(app, customer_id)["card"] == "LC-1"


# -- the form ----------------------------------------------------------------------------------


def test_the_form_shows_each_field_in_its_section_with_its_stored_value(admin, new_customer,
                                                                       page):
    customer_id = new_customer(perks_card="LC-77", perks_visits=7, perks_tier="silver",
                               perks_since="2022-05-06")

    basic = page(admin.get(f"/customers/{customer_id}/edit?step=basic"))
    more = page(admin.get(f"/customers/{customer_id}/edit?step=more"))

    assert basic.find("input", name="perks_card").attrs["value"] == "LC-77"
    assert more.find("input", name="perks_visits").attrs["value"] == "7"
    assert more.find("input", name="perks_since").attrs["value"] == "2022-05-06"
    assert "selected" in more.find("option", value="silver").attrs
    assert "selected" not in more.find("option", value="gold").attrs
    assert more.find("input", name="perks_vip").attrs["type"] == "checkbox"
    assert more.find("textarea", name="perks_remarks") is not None


def test_the_form_saves_the_fields(app, admin, new_customer):
    customer_id = new_customer()

    response = admin.post(f"/customers/{customer_id}/edit?step=more", data={
        "perks_visits": "9", "perks_credit": "4.50", "perks_vip": "y", "perks_tier": "gold",
        "perks_remarks": "Likes the window seat.\nAlways early.", "go": "stay"})

    assert response.status_code == 302
    stored = profile(app, customer_id)
    assert (stored["visits"], stored["credit"], stored["vip"], stored["tier"],
            stored["remarks"]) == (9, Decimal("4.5"), True, "gold",
                                   "Likes the window seat.\nAlways early.")


def test_a_value_the_service_refuses_is_shown_beside_its_field(app, admin, new_customer,
                                                               page, errors_beside):
    customer_id = new_customer(perks_tier="gold")

    response = admin.post(f"/customers/{customer_id}/edit?step=more",
                          data={"perks_tier": "platinum", "perks_visits": "1", "go": "stay"})

    assert response.status_code == 200
    assert errors_beside(page(response), "perks_tier") == [
        "Choose one of: Gold (gold), Silver (silver)."]
    assert profile(app, customer_id)["tier"] == "gold"
    assert profile(app, customer_id)["visits"] is None


def test_a_new_customer_from_the_form_gets_its_field(app, admin):
    response = admin.post("/customers/add", data={
        "kind": "individual", "status": "active", "first_name": "Fay", "last_name": "Form",
        "email": "fay@example.com", "perks_card": "LC-55"})

    customer_id = int(response.headers["Location"].split("/customers/")[1].split("/")[0]
                      .split("?")[0])
    assert profile(app, customer_id)["card"] == "LC-55"


# -- exports -----------------------------------------------------------------------------------


def test_the_csv_export_has_a_column_per_field(app, new_customer):
    from core.services import exporter

    new_customer(perks_card="=LC-9", perks_visits=4, perks_vip=False)
    stream = io.StringIO()
    with app.app_context():
        exporter.write_csv({}, stream)
    header, row = list(csv.reader(io.StringIO(stream.getvalue()[1:])))

    cells = dict(zip(header, row))
    assert (cells["Loyalty card"], cells["Visits"], cells["VIP"], cells["Tier"]) == (
        "'=LC-9", "4", "no", "")


def test_the_data_portability_export_has_the_fields_beside_the_core_ones(app,
                                                                        new_customer):
    from core.services import customers, exporter

    customer_id = new_customer(perks_card="LC-1", perks_credit="2.5", perks_since="2020-01-02")
    with app.app_context():
        record = exporter.customer_data(customers.get(customer_id))["customer"]

    assert (record["first_name"], record["perks_card"], record["perks_credit"],
            record["perks_since"], record["perks_tier"]) == ("Pat", "LC-1", "2.5000",
                                                             "2020-01-02", None)


# -- the import --------------------------------------------------------------------------------


def test_import_maps_columns_named_like_a_field_or_its_label_by_itself(app):
    from core.services import importer

    with app.app_context():
        mapping = importer.guess_mapping(["First name", "Email", "Loyalty card", "perks_visits",
                                          "Member since", "Unrelated"])

    assert mapping == {"First name": "first_name", "Email": "email",
                       "Loyalty card": "perks_card", "perks_visits": "perks_visits",
                       "Member since": "perks_since"}


def test_import_stores_the_fields_and_reports_a_bad_value_on_its_row(app, new_customer):
    from core.db import db
    from core.models import Customer
    from core.services import customers, importer

    existing = new_customer(perks_card="LC-OLD", perks_visits=1)
    with app.app_context():
        number = customers.get(existing).number
    data = ("Customer number,First name,Last name,Email,Loyalty card,Visits,VIP\n"
            f"{number},Pat,Perks1,pat1@example.com,,5,yes\n"
            ",Ines,Import,ines@example.com,LC-NEW,2,no\n"
            ",Bad,Row,bad@example.com,LC-BAD,lots,yes\n").encode()

    with app.app_context():
        result = importer.import_csv(data)
        created = db.session.execute(select(Customer.id).where(
            Customer.email == "ines@example.com")).scalar()
        refused = db.session.execute(select(Customer.id).where(
            Customer.email == "bad@example.com")).scalar()

    assert (result.created, result.updated) == (1, 1)
    assert [(e.row, e.column) for e in result.errors] == [(4, "Visits")]
    assert refused is None
    assert (profile(app, existing)["card"], profile(app, existing)["visits"],
            profile(app, existing)["vip"]) == ("LC-OLD", 5, True)
    assert (profile(app, created)["card"], profile(app, created)["vip"]) == (
        "LC-NEW", False)


def test_import_mapping_screen_offers_the_fields(app):
    from core.services import importer

    with app.app_context():
        groups = dict(importer.mapping_targets())

    assert ("perks_card", "Loyalty card") in groups["Plugin fields"]


# -- merge and erase ---------------------------------------------------------------------------


def test_merge_screen_offers_a_choice_when_the_values_differ(admin, new_customer, page):
    survivor, merged = new_customer(perks_card="LC-KEEP"), new_customer(perks_card="LC-AWAY")

    doc = page(admin.get(f"/duplicates/merge/{survivor}/{merged}"))

    row = doc.find("tr", data_field="perks_card")
    assert row is not None and "merge-differs" in row.classes
    assert [i.attrs["value"] for i in row.find_all("input", name="choice_perks_card")] == [
        "survivor", "merged"]
    assert "LC-AWAY" in row.text


def test_the_chosen_value_ends_on_the_survivor_and_the_merged_row_goes(app, admin,
                                                                      new_customer):
    survivor = new_customer(perks_card="LC-KEEP", perks_visits=3)
    merged = new_customer(perks_card="LC-AWAY", perks_tier="gold", perks_nickname="Twin")

    response = admin.post(f"/duplicates/merge/{survivor}/{merged}",
                          data={"choice_perks_card": "merged"})

    assert response.status_code == 302
    stored = profile(app, survivor)
    assert (stored["card"], stored["visits"], stored["tier"]) == ("LC-AWAY", 3, "gold")
    assert NICKNAMES == {survivor: "Twin"}
    assert profile_rows(app, merged) == 0
    assert profile_rows(app) == 1


def test_merge_carries_a_disabled_plugins_fields_too(app, new_customer):
    from core.services import customers, merge, plugins

    survivor, merged = new_customer(), new_customer(perks_card="LC-AWAY")
    with app.app_context():
        plugins.set_enabled("perks", False)
        merge.merge(customers.get(survivor), customers.get(merged))

    assert profile(app, survivor)["card"] == "LC-AWAY"
    assert profile_rows(app, merged) == 0


def test_erasure_clears_personal_fields_and_keeps_the_others(app, new_customer):
    from core.services import customers, privacy

    customer_id = new_customer(perks_card="LC-1", perks_visits=8, perks_vip=True,
                               perks_nickname="Pip")
    keep = new_customer(perks_card="LC-2")
    with app.app_context():
        privacy.erase(customers.get(customer_id))

    stored = profile(app, customer_id)
    assert (stored["card"], stored["vip"], stored["visits"]) == (None, None, 8)
    assert customer_id not in NICKNAMES
    assert profile(app, keep)["card"] == "LC-2"


def test_erasure_deletes_the_row_when_nothing_but_personal_data_was_in_it(app,
                                                                         new_customer):
    from core.services import customers, plugins, privacy

    customer_id = new_customer(perks_card="LC-1", perks_since="2020-01-01")
    with app.app_context():
        plugins.set_enabled("perks", False)  # a disabled plugin's data goes too
        privacy.erase(customers.get(customer_id))

    assert profile_rows(app, customer_id) == 0


def test_erasure_scrubs_the_fields_values_from_the_audit_trail(app, api, new_customer):
    from core.db import db
    from core.models import AuditEntry
    from core.services import customers, privacy

    customer_id = new_customer()
    api.put(f"/api/v1/customers/{customer_id}", json={"perks_card": "LC-SECRET"})
    with app.app_context():
        privacy.erase(customers.get(customer_id))
        values = db.session.execute(select(AuditEntry.old_value, AuditEntry.new_value).where(
            AuditEntry.customer_id == customer_id, AuditEntry.field == "perks_card")).all()

    assert values and "LC-SECRET" not in str(values)


# -- the example plugin ------------------------------------------------------------------------


def test_hello_greeting_goes_through_the_api(app, api_token, make_customer):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    customer_id = make_customer()

    response = client.put(f"/api/v1/customers/{customer_id}",
                          json={"hello_greeting": "Morning, Sam!"})

    assert response.status_code == 200, response.get_json()
    assert client.get(f"/api/v1/customers/{customer_id}").get_json()["result"][
        "hello_greeting"] == "Morning, Sam!"


def test_the_import_command_maps_a_column_to_a_field_by_hand(app, tmp_path):
    from core.db import db
    from core.models import Customer

    path = tmp_path / "customers.csv"
    path.write_text("First name,Last name,Email,Card no\nCai,Command,cai@example.com,LC-CLI\n")

    result = app.test_cli_runner().invoke(args=["regulars", "customers", "import", str(path),
                                                "--map", "Card no=perks_card"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        customer_id = db.session.execute(select(Customer.id).where(
            Customer.email == "cai@example.com")).scalar()
    assert profile(app, customer_id)["card"] == "LC-CLI"


# -- a row that holds more than the fields ----------------------------------------------------


def loyalty_plugin():
    from core.sdk import CustomerField, PluginInfo, hookimpl

    module = types.ModuleType("regulars_loyalty_test")
    module.PLUGIN = PluginInfo(name="loyalty", label="Loyalty", version="1.0")

    @hookimpl
    def customer_fields():
        return [CustomerField(name="loyalty_number", label="Card number", column=Card.number),
                CustomerField(name="loyalty_holder", label="Name on the card",
                              column=Card.holder)]

    module.customer_fields = customer_fields
    return module


@pytest.fixture
def loyal(app, make_app):
    """An app with the loyalty plugin too (its tables made by ``app``)."""
    return make_app(extra_plugins=[perks_plugin(), loyalty_plugin()])


def card_holder(app, points=0, stamps=0) -> int:
    """A customer with a card numbered LC-1 holding ``points`` and ``stamps``."""
    from core.db import db
    from core.services import customers

    with app.app_context():
        customer_id = customers.create({"first_name": "Lou", "last_name": "Loyal",
                                        "email": "lou@example.com",
                                        "loyalty_number": "LC-1"}).id
        db.session.get(Card, customer_id).points = points
        db.session.add_all(Stamp(card_id=customer_id) for _ in range(stamps))
        db.session.commit()
    return customer_id


def card(app, customer_id):
    from core.db import db

    with app.app_context():
        row = db.session.get(Card, customer_id)
        return None if row is None else (row.number, row.points)


def test_clearing_a_field_keeps_the_row_when_it_holds_other_data(loyal, api_token):
    from core.services import customers

    customer_id = card_holder(loyal, points=120)
    with loyal.app_context():
        customers.update(customers.get(customer_id), {"loyalty_number": ""})

    assert card(loyal, customer_id) == (None, 120)


def test_erasure_clears_the_field_and_keeps_the_plugins_own_data(loyal):
    from core.services import customers, privacy

    customer_id = card_holder(loyal, points=120)
    with loyal.app_context():
        privacy.erase(customers.get(customer_id))

    assert card(loyal, customer_id) == (None, 120)


def test_a_row_other_rows_point_at_is_kept(loyal):
    from core.services import customers

    customer_id = card_holder(loyal, stamps=2)
    with loyal.app_context():
        customers.update(customers.get(customer_id), {"loyalty_number": ""})

    assert card(loyal, customer_id) == (None, 0)


def test_a_row_left_with_nothing_but_its_defaults_goes(loyal):
    from core.services import customers

    customer_id = card_holder(loyal)
    with loyal.app_context():
        customers.update(customers.get(customer_id), {"loyalty_number": ""})

    assert card(loyal, customer_id) is None


def test_a_not_null_text_field_empties_to_nothing_when_the_row_stays(loyal):
    from core.services import customers

    customer_id = card_holder(loyal, points=120)
    with loyal.app_context():
        customers.update(customers.get(customer_id), {"loyalty_holder": "Lou L."})
        customers.update(customers.get(customer_id), {"loyalty_holder": ""})

    from core.db import db

    with loyal.app_context():
        row = db.session.get(Card, customer_id)
        assert (row.holder, row.points) == ("", 120)


def test_a_merge_keeps_the_merged_records_other_data(loyal):
    from core.services import customers, merge

    merged = card_holder(loyal, points=40)
    with loyal.app_context():
        survivor = customers.create({"first_name": "Lou", "last_name": "Loyal",
                                     "email": "lou2@example.com"}).id
        merge.merge(customers.get(survivor), customers.get(merged))

    assert card(loyal, survivor) == ("LC-1", 0)
    assert card(loyal, merged) == (None, 40)  # the plugin's customer_merging moves its points


# -- a plugin's functions that fail -----------------------------------------------------------

FAILING: set[str] = set()
MOODS: dict[int, str] = {}


def flaky_plugin():
    """A plugin whose field functions raise when their name is in FAILING."""
    from core.errors import ValidationError
    from core.sdk import CustomerField, PluginInfo, hookimpl

    module = types.ModuleType("regulars_flaky_test")
    module.PLUGIN = PluginInfo(name="flaky", label="Flaky", version="1.0")

    def broken(what):
        if what in FAILING:
            raise RuntimeError(f"{what} broke")

    def moods():
        broken("choices")
        return [("calm", "Calm"), ("busy", "Busy")]

    def get_mood(customer):
        broken("get")
        return MOODS.get(customer.id)

    def set_mood(customer, value):
        broken("set")
        if "refuse" in FAILING:
            raise ValidationError({"flaky_mood": "Not today."})
        MOODS[customer.id] = value

    @hookimpl
    def customer_fields():
        return [CustomerField(name="flaky_mood", label="Mood", type="choice", choices=moods,
                              get=get_mood, set=set_mood)]

    module.customer_fields = customer_fields
    return module


@pytest.fixture
def flaky(app, make_app, users):
    FAILING.clear()
    MOODS.clear()
    return make_app(extra_plugins=[perks_plugin(), flaky_plugin()])


def clients(app, api_token):
    """(an API client, a signed-in browser) of ``app``, both the admin's."""
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    browser = app.test_client()
    assert browser.post("/login/", data={"username": "admin", "password":
                                         "correct horse battery staple"}).status_code == 302
    return api, browser


def moody_customer(app, mood="calm") -> int:
    from core.services import customers

    with app.app_context():
        return customers.create({"first_name": "Mo", "last_name": "Moody",
                                 "email": "mo@example.com", "perks_card": "LC-MO",
                                 "flaky_mood": mood}).id


def failures(app) -> list[tuple[str, str]]:
    return [f[:2] for f in app.extensions["regulars.plugins"].failures]


def test_a_get_that_raises_leaves_the_field_out_and_everything_still_answers(flaky, api_token):
    from core.services import customers, exporter

    customer_id = moody_customer(flaky)
    api, browser = clients(flaky, api_token)
    FAILING.add("get")

    one = api.get(f"/api/v1/customers/{customer_id}")
    many = api.get("/api/v1/customers/")
    form = browser.get(f"/customers/{customer_id}/edit?step=more")
    stream = io.StringIO()
    with flaky.app_context():
        exporter.write_csv({}, stream)
        record = exporter.customer_data(customers.get(customer_id))["customer"]
        other = customers.create({"first_name": "Mo", "last_name": "Moody",
                                  "email": "mo2@example.com"}).id
    merge_screen = browser.get(f"/duplicates/merge/{customer_id}/{other}")

    assert [r.status_code for r in (one, many, form, merge_screen)] == [200, 200, 200, 200]
    assert "flaky_mood" not in one.get_json()["result"]
    assert one.get_json()["result"]["perks_card"] == "LC-MO"
    assert [r["perks_card"] for r in many.get_json()["result"]] == ["LC-MO"]
    header, row = list(csv.reader(io.StringIO(stream.getvalue()[1:])))
    assert dict(zip(header, row))["Mood"] == ""
    assert "flaky_mood" not in record and record["perks_card"] == "LC-MO"
    assert ("flaky", "CustomerField 'flaky_mood' get") in failures(flaky)


def test_choices_that_raise_leave_the_field_out_of_the_form_and_the_api(flaky, api_token):
    customer_id = moody_customer(flaky)
    api, browser = clients(flaky, api_token)
    FAILING.add("choices")

    one = api.get(f"/api/v1/customers/{customer_id}")
    form = browser.get(f"/customers/{customer_id}/edit?step=more")
    schema = api.get("/api/v1/_openapi")

    assert [r.status_code for r in (one, form, schema)] == [200, 200, 200]
    assert "flaky_mood" not in one.get_json()["result"]
    assert 'name="flaky_mood"' not in form.get_data(as_text=True)
    assert ("flaky", "CustomerField 'flaky_mood' choices") in failures(flaky)


def test_a_set_that_raises_refuses_the_save_naming_the_field(flaky, api_token):
    customer_id = moody_customer(flaky)
    api, _browser = clients(flaky, api_token)
    FAILING.add("set")

    response = api.put(f"/api/v1/customers/{customer_id}",
                       json={"perks_card": "LC-NEW", "flaky_mood": "busy"})

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["flaky_mood"]
    assert profile(flaky, customer_id)["card"] == "LC-MO"  # nothing half-written
    assert MOODS[customer_id] == "calm"
    assert ("flaky", "CustomerField 'flaky_mood' set") in failures(flaky)


def test_a_set_refusing_with_its_own_message_is_passed_on(flaky, api_token):
    customer_id = moody_customer(flaky)
    api, _browser = clients(flaky, api_token)
    FAILING.add("refuse")

    response = api.put(f"/api/v1/customers/{customer_id}", json={"flaky_mood": "busy"})

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"flaky_mood": "Not today."}
    assert failures(flaky) == []


def test_a_merge_is_refused_when_a_field_cannot_be_read(flaky):
    from core.errors import ValidationError
    from core.services import customers, merge

    merged = moody_customer(flaky, mood="busy")
    with flaky.app_context():
        survivor = customers.create({"first_name": "Mo", "last_name": "Moody",
                                     "email": "mo2@example.com"}).id
    FAILING.add("get")

    with flaky.app_context(), pytest.raises(ValidationError) as refused:
        merge.merge(customers.get(survivor), customers.get(merged))

    assert list(refused.value.errors) == ["flaky_mood"]
    with flaky.app_context():
        assert customers.get(merged).merged_into_id is None
    assert MOODS == {merged: "busy"}


# -- yes and no --------------------------------------------------------------------------------


@pytest.mark.parametrize("yes, no", [("ja", "nein"), ("oui", "non"), ("t", "f"), ("on", "off"),
                                     ("Yes", "No"), ("1", "0")])
def test_a_files_yes_and_no_read_the_same_for_a_core_column_and_a_plugin_field(app, yes, no):
    from core.db import db
    from core.models import Customer
    from core.services import importer

    data = ("First name,Last name,Email,Go green,VIP\n"
            f"Yan,Yes,yan@example.com,{yes},{yes}\n"
            f"Nat,No,nat@example.com,{no},{no}\n").encode()

    with app.app_context():
        result = importer.import_csv(data)
        stored = db.session.execute(select(Customer.go_green, Profile.vip).join(
            Profile, Profile.customer_id == Customer.id).order_by(Customer.id)).all()

    assert (result.created, result.errors) == (2, [])
    assert [tuple(row) for row in stored] == [(True, True), (False, False)]
