"""Finding customers: the search box, its ranking and its index, on SQLite and PostgreSQL."""

from __future__ import annotations

import types

import pytest


@pytest.fixture
def find(app):
    """``find(q, **filters)``: the display names the search ranks for ``q``, best first."""

    def search(q, limit=50, **conditions):
        from core.models import Customer
        from core.services import search as search_service

        with app.app_context():
            conds = [getattr(Customer, k) == v for k, v in conditions.items()]
            ids = search_service.ranked_ids(q, conds, limit)
            from core.db import db

            names = {c.id: c.display_name for c in db.session.query(Customer).filter(Customer.id.in_(ids))}
            return [names[i] for i in ids]

    return search


def listed_names(doc):
    return [a.text for a in doc.find_all("a", cls="customer-link")]


# -- ranking ---------------------------------------------------------------------------------


def test_exact_email_ranks_before_names_that_merely_contain_it(make_customer, find):
    make_customer(first_name="Anna", last_name="Smithson", email="smith.family@example.com")
    make_customer(first_name="Bob", last_name="Smith", email="bob@example.com")

    assert find("smith.family@example.com")[0] == "Anna Smithson"


def test_exact_customer_number_comes_first(make_customer, find):
    make_customer(first_name="Vic", last_name="Trade", number="TRADE-1")
    make_customer(first_name="Tim", last_name="Trade-1son", number="X-9")

    assert find("trade-1")[0] == "Vic Trade"


def test_names_starting_with_the_text_rank_before_names_containing_it(make_customer, find):
    make_customer(first_name="Olivia", last_name="Hammersmith")
    make_customer(first_name="Olivia", last_name="Smith")

    assert find("smi") == ["Olivia Smith", "Olivia Hammersmith"]


def test_accents_and_case_are_ignored(make_customer, find):
    make_customer(first_name="Zoë", last_name="Ångström")

    assert find("ZOE ANGSTROM") == ["Zoë Ångström"]
    assert find("ångst") == ["Zoë Ångström"]


@pytest.mark.parametrize("q", ["maria garcia", "garcia maria", "garc"])
def test_names_are_found_in_either_order(make_customer, find, q):
    make_customer(first_name="María", last_name="García")

    assert find(q) == ["María García"]


def test_company_name_is_found_by_a_word_inside_it(make_customer, find):
    make_customer(kind="business", company_name="The Okafor Bakery Ltd", first_name="", last_name="")

    assert find("bakery") == ["The Okafor Bakery Ltd"]


@pytest.mark.parametrize("q", ["+44 7400 123456", "07400 123456", "(07400) 123-456", "447400123456",
                               "7400123456"])
def test_phone_is_found_in_any_format(make_customer, find, q):
    make_customer(first_name="Pia", last_name="Phone", phone="+447400123456")
    make_customer(first_name="Other", last_name="Person", phone="+447400999888")

    assert find(q) == ["Pia Phone"]


def test_four_trailing_digits_find_the_customer(make_customer, find):
    make_customer(first_name="Pia", last_name="Phone", phone="+447400123456")
    make_customer(first_name="Other", last_name="Person", phone="+447400999888")

    assert find("3456") == ["Pia Phone"]


def test_a_phone_ending_with_the_digits_comes_first_however_many_have_them_inside(
        make_customer, find):
    for n in range(3):  # more than the list holds have "5555" in the middle of their phone
        make_customer(first_name="Mia", last_name="Middle", phone=f"+44740055550{n}")
    make_customer(first_name="Pia", last_name="Phone", phone="+447400125555")

    assert find("5555", limit=2)[0] == "Pia Phone"


def test_a_misspelt_surname_still_finds_the_customer(make_customer, find):
    make_customer(first_name="Olivia", last_name="Smith")
    make_customer(first_name="Harry", last_name="Jones")

    assert find("Smtih") == ["Olivia Smith"]


def test_a_misspelt_name_costs_a_few_statements_however_many_names_share_its_letter(
        app, make_customer):
    from sqlalchemy import event

    from core.db import db
    from core.services import search

    for last_name in ("Sanders", "Scott", "Shaw", "Simpson", "Smart", "Stone", "Sutton", "Swift"):
        make_customer(first_name="Sam", last_name=last_name)
    smith = make_customer(first_name="Olivia", last_name="Smith")
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.startswith(("SELECT", "WITH")):  # not SQLite's BEGIN
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            found = search.ranked_ids("Smtih")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)

    assert found == [smith] and len(statements) <= 5


def test_a_tag_finds_its_customers(app, make_customer, find):
    from core.services import customers, record

    tagged = make_customer(first_name="Tess", last_name="Tagged")
    make_customer(first_name="Ned", last_name="Plain")
    with app.app_context():
        record.set_tags(customers.get(tagged), ["Wholesale buyer"])

    assert find("wholesale") == ["Tess Tagged"]


def test_a_plugins_search_provider_finds_customers_too(make_app):
    from core.sdk import PluginInfo, SearchProvider, hookimpl

    cards = {}
    module = types.ModuleType("regulars_cards_test")
    module.PLUGIN = PluginInfo(name="cards_test", label="Cards", version="1.0")

    @hookimpl
    def search_providers():
        return SearchProvider(label="Loyalty card", lookup=lambda q, limit: [
            cid for card, cid in cards.items() if card == q])

    module.search_providers = search_providers
    app = make_app(extra_plugins=[module])
    with app.app_context():
        from core.services import customers, search

        carded = customers.create({"first_name": "Carla", "last_name": "Card",
                                   "email": "carla@example.com"})
        customers.create({"first_name": "Nora", "last_name": "Nocard", "email": "nora@example.com"})
        cards["LC-998877"] = carded.id

        assert search.ranked_ids("LC-998877") == [carded.id]


# -- the index stays in step -----------------------------------------------------------------


def test_a_new_customer_is_found_at_once(make_customer, find):
    make_customer(first_name="Nina", last_name="Newton")

    assert find("newt") == ["Nina Newton"]


def test_a_renamed_customer_is_found_by_the_new_name_only(app, make_customer, find):
    from core.services import customers

    customer_id = make_customer(first_name="Rita", last_name="Oldname")
    with app.app_context():
        customers.update(customers.get(customer_id), {"last_name": "Newname"})

    assert (find("oldname"), find("newname")) == ([], ["Rita Newname"])


def test_a_second_phone_finds_the_customer_by_its_last_digits_and_exactly(app, make_customer, find):
    from core.services import customers, record

    customer_id = make_customer(first_name="Sam", last_name="Second", phone="+447400111111")
    with app.app_context():
        record.add_phone(customers.get(customer_id), {"label": "work", "number": "+44 20 7946 0958"})

    assert (find("0958"), find("020 7946 0958")) == (["Sam Second"], ["Sam Second"])


def test_a_removed_tag_no_longer_finds_the_customer(app, make_customer, find):
    from core.services import customers, record

    customer_id = make_customer(first_name="Tess", last_name="Tagged")
    with app.app_context():
        record.set_tags(customers.get(customer_id), ["Gardener"])
    with app.app_context():
        record.set_tags(customers.get(customer_id), [])

    assert find("gardener") == []


def test_reindex_command_rebuilds_a_lost_index(app, make_customer, find):
    from sqlalchemy import delete

    from core.db import db
    from core.models import CustomerSearch

    make_customer(first_name="Rhea", last_name="Reindexed")
    with app.app_context():
        db.session.execute(delete(CustomerSearch))
        db.session.commit()
    assert find("eindex") == []

    result = app.test_cli_runner().invoke(args=["regulars", "search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "Indexed 1 customer" in result.output
    assert find("eindex") == ["Rhea Reindexed"]


# -- the list --------------------------------------------------------------------------------


def test_search_as_you_type_answers_the_rows_alone(admin_client, make_customer, page):
    make_customer(first_name="Olivia", last_name="Smith")
    make_customer(first_name="Harry", last_name="Jones")

    response = admin_client.get("/customers/?q=smi&partial=1")

    html = response.get_data(as_text=True)
    assert "<html" not in html and listed_names(page(response)) == ["Olivia Smith"]


def test_rows_refreshed_as_one_types_say_which_segment_hides_the_customers(
        app, admin_client, make_customer):
    from core.db import db
    from core.models import Segment

    make_customer(first_name="Paul", last_name="Smith")
    with app.app_context():
        segment_id = db.session.query(Segment).filter_by(name="VIP").one().id

    html = admin_client.get(f"/customers/?q=smith&segment={segment_id}&partial=1").get_data(
        as_text=True)

    assert "No customers match" in html and "segment: VIP" in html


def test_list_shows_active_customers_unless_asked(admin_client, make_customer, page):
    make_customer(first_name="Ida", last_name="Idle", status="inactive")
    make_customer(first_name="Amy", last_name="Active")

    default = listed_names(page(admin_client.get("/customers/")))
    every = listed_names(page(admin_client.get("/customers/?status=all")))

    assert (default, sorted(every)) == (["Amy Active"], ["Amy Active", "Ida Idle"])


def test_empty_list_says_inactive_customers_match_and_links_to_them(admin_client, make_customer, page):
    make_customer(first_name="Ida", last_name="Idle", status="inactive")
    make_customer(first_name="Ira", last_name="Idle", status="inactive")
    make_customer(first_name="Amy", last_name="Active")

    doc = page(admin_client.get("/customers/?q=idle"))

    hint = doc.find(cls="hidden-by-status")
    assert "2 inactive customers match" in hint.text
    assert "status=inactive" in hint.find("a").attrs["href"]


def test_created_between_filter_keeps_customers_of_those_days(app, admin_client, make_customer, page):
    import datetime

    from core.db import db
    from core.models import Customer

    old = make_customer(first_name="Olga", last_name="Old")
    make_customer(first_name="Nell", last_name="New")
    with app.app_context():
        db.session.get(Customer, old).created_at = datetime.datetime(2020, 5, 17, 23, 30)
        db.session.commit()

    doc = page(admin_client.get("/customers/?created_from=2020-05-01&created_to=2020-05-17"))

    assert listed_names(doc) == ["Olga Old"]


def test_segment_and_type_filters_combine_with_search(app, admin_client, make_customer, page):
    from core.db import db
    from core.models import Customer, Segment

    vip = make_customer(first_name="Vera", last_name="Smith")
    make_customer(first_name="Paul", last_name="Smith")
    with app.app_context():
        segment = db.session.query(Segment).filter_by(name="VIP").one()
        db.session.get(Customer, vip).segment_id = segment.id
        db.session.commit()
        segment_id = segment.id

    doc = page(admin_client.get(f"/customers/?q=smith&segment={segment_id}&kind=individual"))

    assert listed_names(doc) == ["Vera Smith"]


def test_tag_filter_shows_only_tagged_customers(app, admin_client, make_customer, page):
    from core.services import customers, record

    tagged = make_customer(first_name="Tess", last_name="Tagged")
    make_customer(first_name="Ned", last_name="Plain")
    with app.app_context():
        record.set_tags(customers.get(tagged), ["Trade"])

    doc = page(admin_client.get("/customers/?tag=trade"))

    assert listed_names(doc) == ["Tess Tagged"]


def test_columns_can_be_sorted_by_clicking_their_heading(admin_client, make_customer, page):
    make_customer(first_name="Bea", last_name="Alpha", number="N-2")
    make_customer(first_name="Abe", last_name="Zulu", number="N-1")

    doc = page(admin_client.get("/customers/?sort=number"))

    assert listed_names(doc) == ["Abe Zulu", "Bea Alpha"]


# -- CSV export ------------------------------------------------------------------------------


def test_export_holds_the_current_filter_only(admin_client, make_customer):
    make_customer(first_name="Olivia", last_name="Smith", email="olivia@example.com")
    make_customer(first_name="Harry", last_name="Jones", email="harry@example.com")

    response = admin_client.get("/customers/export.csv?q=smith")

    body = response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert "olivia@example.com" in body and "harry@example.com" not in body


def test_export_neutralises_spreadsheet_formulas(admin_client, make_customer):
    make_customer(first_name="=HYPERLINK(\"http://evil\")", last_name="@SUM(A1)")

    body = admin_client.get("/customers/export.csv").get_data(as_text=True)

    assert "'=HYPERLINK" in body and "'@SUM(A1)" in body
    assert ",=HYPERLINK" not in body and ",@SUM" not in body


def test_a_role_without_export_permission_cannot_export(app, client_for):
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("Accounts")
        perm = sm.find_permission_view_menu("can_export", "CustomerView")
        sm.del_permission_role(role, perm)

    response = client_for("Accounts").get("/customers/export.csv")

    assert response.status_code in (302, 403)


# -- the till's lookup -----------------------------------------------------------------------


def test_cashier_looks_up_a_customer_by_phone_with_segment_terms(app, make_customer, api_token):
    from core.db import db
    from core.models import Customer, Segment

    customer_id = make_customer(first_name="Pia", last_name="Phone", phone="+447400123456")
    with app.app_context():
        db.session.get(Customer, customer_id).segment_id = db.session.query(Segment).filter_by(
            name="VIP").one().id
        db.session.commit()
    client = app.test_client()

    response = client.get("/api/v1/customers/lookup?q=07400 123456",
                          headers={"Authorization": f"Bearer {api_token('Cashier')}"})

    assert response.status_code == 200
    [found] = response.get_json()["result"]
    assert (found["id"], found["display_name"], found["segment"]) == (
        customer_id, "Pia Phone", {"name": "VIP", "discount_percent": "10.00", "price_level": "retail"})


def test_lookup_never_offers_an_inactive_customer(app, make_customer, api_token):
    make_customer(first_name="Ida", last_name="Idle", email="ida@example.com", status="inactive")
    client = app.test_client()

    response = client.get("/api/v1/customers/lookup?q=ida@example.com",
                          headers={"Authorization": f"Bearer {api_token('Cashier')}"})

    assert response.get_json()["result"] == []


def test_lookup_without_text_says_what_to_type(app, api_token):
    response = app.test_client().get("/api/v1/customers/lookup?q=",
                                     headers={"Authorization": f"Bearer {api_token('Cashier')}"})

    assert response.status_code == 422 and "q" in response.get_json()["errors"]


def test_lookup_ranks_by_name_like_the_search_box(app, make_customer, api_token):
    make_customer(first_name="Olivia", last_name="Hammersmith")
    make_customer(first_name="Olivia", last_name="Smith")

    response = app.test_client().get("/api/v1/customers/lookup?q=smi&limit=5",
                                     headers={"Authorization": f"Bearer {api_token('Cashier')}"})

    assert [c["display_name"] for c in response.get_json()["result"]] == [
        "Olivia Smith", "Olivia Hammersmith"]
