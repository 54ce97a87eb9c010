"""What plugins add to the customer list (columns, filters) and to the merge screen (panels):
shown with the core's own, one query per page, a bad filter value refused in words, and a
failing plugin isolated so the screen still answers."""

from __future__ import annotations

import types
from urllib.parse import parse_qs, urlsplit

import pytest

from core.sdk import ListColumn, ListFilter, MergePanel, PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"


def throwaway_plugin(name, **hooks):
    """A plugin module as an entry point would give it: PLUGIN plus ``hooks``."""
    module = types.ModuleType(f"throwaway_{name}")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), version="1.0")
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def signed_in_admin(app):
    from core.cli import ensure_user

    with app.app_context():
        ensure_user("admin", PASSWORD, "admin@example.com", "Shop", "Admin", "Admin")
    client = app.test_client()
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code == 302
    return client


def greet(app, customer_id, text):
    """Give the customer a greeting: the Hello example plugin's field."""
    from core.services import customers

    with app.app_context():
        customers.update(customers.get(customer_id), {"hello_greeting": text})


def header_labels(doc):
    return [th.text for th in doc.find("table", cls="table-customers").find("thead").find_all("th")]


def cell(doc, customer_id, col):
    for row in doc.find("table", cls="table-customers").find("tbody").find_all("tr"):
        if row.find("a", href=f"/customers/{customer_id}"):
            found = row.find("td", data_col=col)
            return found.text if found else None
    return None


def listed_ids(doc) -> list[int]:
    table = doc.find("table", cls="table-customers")
    if table is None:
        return []
    return [int(a.attrs["href"].rsplit("/", 1)[1]) for a in table.find_all("a", cls="customer-link")]


# -- columns -----------------------------------------------------------------------------------


def test_list_shows_each_customers_greeting_after_the_core_columns(
        app, admin_client, make_customer, page):
    sam = make_customer(first_name="Sam", last_name="Able")
    kim = make_customer(first_name="Kim", last_name="Baker")
    greet(app, sam, "Morning, Sam!")

    doc = page(admin_client.get("/customers/"))

    assert header_labels(doc)[-2:] == ["Created", "Greeting"]
    assert cell(doc, sam, "p-hello_greeting") == "Morning, Sam!"
    assert cell(doc, kim, "p-hello_greeting") == ""


def test_a_plugins_column_is_hidden_at_phone_width_and_in_the_columns_menu(admin_client,
                                                                          make_customer, page):
    make_customer()

    doc = page(admin_client.get("/customers/"))

    assert "hide-phone" in doc.find("th", data_col="p-hello_greeting").classes
    assert doc.find("input", data_column="p-hello_greeting") is not None


def test_column_values_are_asked_once_per_page_with_the_ids_shown(make_app, page):
    calls = []

    def values(customer_ids):
        calls.append(list(customer_ids))
        return {i: f"#{i}" for i in customer_ids}

    def columns():
        return [ListColumn(key="stamps_late", label="Late", values=values, order=300),
                ListColumn(key="stamps_count", label="Stamps", values=values, order=200)]

    app = make_app(extra_plugins=[throwaway_plugin("stamps", customer_list_columns=columns)])
    client = signed_in_admin(app)
    from core.services import customers

    with app.app_context():
        for n in range(23):
            customers.create({"first_name": "Alex", "last_name": f"Tester{n:02d}",
                              "email": f"alex{n}@example.com"})

    first = page(client.get("/customers/"))
    assert len(calls) == 2  # one call per column for the whole page, never one per row
    assert sorted(calls[0]) == sorted(listed_ids(first)) and len(calls[0]) == 20
    assert header_labels(first)[-3:] == ["Greeting", "Stamps", "Late"]  # sorted by order
    shown = listed_ids(first)[0]
    assert cell(first, shown, "p-stamps_count") == f"#{shown}"

    calls.clear()
    second = page(client.get(first.find("a", rel="next").attrs["href"]))
    assert [sorted(c) for c in calls] == [sorted(listed_ids(second))] * 2
    assert len(listed_ids(second)) == 3


def test_ids_a_column_leaves_out_show_empty(make_app, page):
    def columns():
        return ListColumn(key="stamps_some", label="Some",
                          values=lambda ids: {min(ids): "first", -1: "stranger"})

    app = make_app(extra_plugins=[throwaway_plugin("stamps", customer_list_columns=columns)])
    client = signed_in_admin(app)
    from core.services import customers

    with app.app_context():
        a = customers.create({"first_name": "Ann", "last_name": "A", "email": "a@example.com"}).id
        b = customers.create({"first_name": "Ben", "last_name": "B", "email": "b@example.com"}).id

    doc = page(client.get("/customers/"))

    assert (cell(doc, a, "p-stamps_some"), cell(doc, b, "p-stamps_some")) == ("first", "")


def test_a_column_whose_values_fail_shows_empty_and_the_list_still_answers(make_app, page):
    def broken(customer_ids):
        raise RuntimeError("stamps database is down")

    def columns():
        return ListColumn(key="stamps_count", label="Stamps", values=broken)

    app = make_app(extra_plugins=[throwaway_plugin("stamps", customer_list_columns=columns)])
    client = signed_in_admin(app)
    from core.services import customers

    with app.app_context():
        ann = customers.create({"first_name": "Ann", "last_name": "A", "email": "a@example.com"}).id

    response = client.get("/customers/")

    assert response.status_code == 200
    doc = page(response)
    assert cell(doc, ann, "p-stamps_count") == ""
    assert cell(doc, ann, "p-hello_greeting") == ""  # the other plugin's column still works
    host = app.extensions["regulars.plugins"]
    assert any(p == "stamps" and "stamps database is down" in e for p, _h, e in host.failures)


def test_a_plugin_whose_column_hook_fails_leaves_the_list_working(make_app, page):
    def columns():
        raise RuntimeError("no columns today")

    app = make_app(extra_plugins=[throwaway_plugin("stamps", customer_list_columns=columns)])
    client = signed_in_admin(app)

    response = client.get("/customers/")

    assert response.status_code == 200
    assert "Greeting" in response.get_data(as_text=True)


def test_a_hostile_column_value_is_shown_as_text(app, admin_client, make_customer):
    sam = make_customer()
    greet(app, sam, "<script>alert(1)</script>")

    html = admin_client.get("/customers/").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- filters -----------------------------------------------------------------------------------


def test_greeting_filter_is_offered_beside_the_lists_filters(admin_client, page):
    doc = page(admin_client.get("/customers/"))

    select = doc.find("form", id="customer-search").find("select", id="pf-hello_greeted")
    assert [(o.attrs["value"], o.text) for o in select.find_all("option")] == [
        ("", "Greeting: any"), ("yes", "Has a greeting")]


@pytest.fixture
def greeted_and_not(app, make_customer):
    """25 customers with a greeting and 5 without."""
    greeted = []
    for n in range(25):
        customer_id = make_customer(first_name="Gina", last_name=f"Greeted{n:02d}")
        greet(app, customer_id, f"Hi {n}")
        greeted.append(customer_id)
    plain = [make_customer(first_name="Paul", last_name=f"Plain{n}") for n in range(5)]
    return greeted, plain


def test_greeting_filter_narrows_the_list_and_the_next_link_keeps_it(
        admin_client, greeted_and_not, page):
    greeted, plain = greeted_and_not

    first = page(admin_client.get("/customers/?hello_greeted=yes"))
    next_href = first.find("a", rel="next").attrs["href"]
    second = page(admin_client.get(next_href))

    assert parse_qs(urlsplit(next_href).query)["hello_greeted"] == ["yes"]
    assert sorted(listed_ids(first) + listed_ids(second)) == sorted(greeted)
    assert "25 customers" in first.find("p", cls="result-count").text
    assert "selected" in first.find("select", id="pf-hello_greeted").find(
        "option", value="yes").attrs


def test_greeting_filter_combines_with_the_search_box(admin_client, greeted_and_not, page):
    greeted, plain = greeted_and_not

    assert listed_ids(page(admin_client.get("/customers/?q=Greeted07&hello_greeted=yes"))) == [
        greeted[7]]
    assert listed_ids(page(admin_client.get("/customers/?q=Plain1&hello_greeted=yes"))) == []


def test_csv_export_of_the_filtered_list_keeps_the_greeting_filter(
        app, admin_client, greeted_and_not, page):
    greeted, plain = greeted_and_not
    doc = page(admin_client.get("/customers/?hello_greeted=yes"))
    export_href = doc.find("a", id="export-csv").attrs["href"]

    csv_text = admin_client.get(export_href).get_data(as_text=True)

    assert parse_qs(urlsplit(export_href).query)["hello_greeted"] == ["yes"]
    assert csv_text.count("Greeted") == 25 and "Plain" not in csv_text


def test_an_empty_filtered_list_names_the_plugins_filter(admin_client, make_customer, page):
    make_customer(first_name="Paul", last_name="Plain")

    doc = page(admin_client.get("/customers/?hello_greeted=yes"))

    assert "Greeting: Has a greeting" in doc.find(cls="empty-state").text


@pytest.mark.parametrize("url", ["/customers/?hello_greeted=maybe",
                                 "/customers/?hello_greeted=maybe&partial=1"])
def test_a_value_the_filter_does_not_offer_is_refused_in_words(admin_client, make_customer,
                                                               page, url):
    make_customer()

    response = admin_client.get(url)

    assert response.status_code == 400
    assert "Greeting: choose one of “Has a greeting”." in page(response).find(
        cls="list-refused").text


def test_the_csv_export_refuses_a_value_the_filter_does_not_offer(admin_client):
    response = admin_client.get("/customers/export.csv?hello_greeted=maybe")

    assert response.status_code == 400
    assert "choose one of" in response.get_data(as_text=True)


def test_the_list_api_filters_by_a_plugins_filter_and_refuses_a_bad_value(
        app, api_token, greeted_and_not):
    greeted, plain = greeted_and_not
    client, headers = app.test_client(), {"Authorization": f"Bearer {api_token()}"}

    good = client.get("/api/v1/customers/?hello_greeted=yes&page_size=100", headers=headers)
    bad = client.get("/api/v1/customers/?hello_greeted=maybe", headers=headers)

    assert sorted(c["id"] for c in good.get_json()["result"]) == sorted(greeted)
    assert bad.status_code == 422
    assert "hello_greeted" in bad.get_json()["errors"]


def test_a_filter_whose_apply_fails_is_refused_not_a_server_error(make_app):
    def broken(value):
        raise RuntimeError("no stamps table")

    def filters():
        return ListFilter(key="stamps_full", label="Stamp card",
                          choices=[("full", "Full card")], apply=broken)

    app = make_app(extra_plugins=[throwaway_plugin("stamps", customer_list_filters=filters)])
    client = signed_in_admin(app)

    response = client.get("/customers/?stamps_full=full")

    assert response.status_code == 400
    assert "Stamp card could not be applied" in response.get_data(as_text=True)
    assert client.get("/customers/").status_code == 200


# -- merge panels ------------------------------------------------------------------------------


CARDS: dict[int, str] = {}  # the cards plugin's data: customer id -> card number


def cards_panel(survivor, merged):
    return MergePanel(title="Cards", rows=[("Card", CARDS.get(survivor.id), CARDS.get(merged.id))],
                      text="The kept customer's card stays.")


def cards_plugin(**hooks):
    """A plugin with a merge panel of its data (and, given, more hooks)."""
    return throwaway_plugin("cards", merge_panels=cards_panel, **hooks)


@pytest.fixture
def cards_app(make_app):
    CARDS.clear()
    yield make_app(extra_plugins=[cards_plugin()])
    CARDS.clear()


@pytest.fixture
def pair(cards_app):
    from core.services import customers

    with cards_app.app_context():
        keep = customers.create({"first_name": "Maya", "last_name": "Okafor",
                                 "email": "maya@example.com"}).id
        gone = customers.create({"first_name": "Maia", "last_name": "Okafor",
                                 "email": "maia.o@example.com"}).id
    return keep, gone


def test_merge_screen_shows_a_plugins_panel_escaped(cards_app, pair, page):
    keep, gone = pair
    CARDS.update({keep: "LC-1", gone: "<b>LC-2</b>"})

    response = signed_in_admin(cards_app).get(f"/duplicates/merge/{keep}/{gone}")

    html = response.get_data(as_text=True)
    panel = page(response).find("section", data_plugin="cards")
    assert panel.find("h2").text == "Cards"
    row = panel.find("tbody").find("tr")
    assert [td.text for td in row.find_all("td")] == ["LC-1", "<b>LC-2</b>"]
    assert "&lt;b&gt;LC-2&lt;/b&gt;" in html and "<b>LC-2</b>" not in html
    assert "card stays" in panel.text


def test_merge_panels_are_sorted_by_order(make_app, page):
    def panels(survivor, merged):
        return [MergePanel(title="Late", text="last", order=500),
                MergePanel(title="Early", rows=[("Stamps", 3, None)], order=5)]

    app = make_app(extra_plugins=[throwaway_plugin("stamps", merge_panels=panels),
                                  cards_plugin()])
    client = signed_in_admin(app)
    from core.services import customers

    with app.app_context():
        a = customers.create({"first_name": "Ann", "last_name": "A", "email": "a@example.com"}).id
        b = customers.create({"first_name": "Ben", "last_name": "B", "email": "b@example.com"}).id

    doc = page(client.get(f"/duplicates/merge/{a}/{b}"))

    titles = [s.find("h2").text for s in doc.find_all("section", cls="merge-panel")]
    assert titles == ["Early", "Cards", "Late"]
    early = doc.find_all("section", cls="merge-panel")[0]
    assert [td.text for td in early.find("tbody").find_all("td")] == ["3", "(empty)"]


def test_a_failing_merge_panel_says_so_and_the_merge_still_works(make_app, page):
    def panels(survivor, merged):
        raise RuntimeError("stamps database is down")

    app = make_app(extra_plugins=[throwaway_plugin("stamps", merge_panels=panels),
                                  cards_plugin()])
    client = signed_in_admin(app)
    from core.services import customers

    with app.app_context():
        a = customers.create({"first_name": "Ann", "last_name": "A", "email": "a@example.com"}).id
        b = customers.create({"first_name": "Ben", "last_name": "B", "email": "b@example.com"}).id

    response = client.get(f"/duplicates/merge/{a}/{b}")

    assert response.status_code == 200
    doc = page(response)
    failed = doc.find("section", data_plugin="stamps")
    assert "merge-panel-failed" in failed.classes
    assert "Stamps could not show what the merge does with its data." in failed.text
    assert doc.find("section", data_plugin="cards") is not None  # the other plugin's panel
    merged = client.post(f"/duplicates/merge/{a}/{b}")
    assert merged.status_code == 302
    with app.app_context():
        assert customers.get(b).merged_into_id == a


def test_a_disabled_plugins_panel_is_still_shown_since_its_data_is_merged(cards_app, pair, page):
    from core.services import plugins

    keep, gone = pair
    CARDS[gone] = "LC-2"
    with cards_app.app_context():
        plugins.set_enabled("cards", False)

    doc = page(signed_in_admin(cards_app).get(f"/duplicates/merge/{keep}/{gone}"))

    panel = doc.find("section", data_plugin="cards")
    assert panel is not None and "LC-2" in panel.text
