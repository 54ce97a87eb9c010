"""Customers, as the shop assistant meets them: the Create Customer form, the list with its search
and filters, the overview with its tabs, editing, deactivating and reactivating."""

from __future__ import annotations

import re

import pytest

from core.models import Customer


def form(**fields):
    """What the Create Customer form sends for an individual, with ``fields`` changed."""
    data = {"kind": "individual", "number": "", "first_name": "Maya", "last_name": "Okafor",
            "company_name": "", "email": "maya.okafor@example.com", "phone": "",
            "status": "active"}
    data.update(fields)
    return data


def listed_names(doc):
    return [a.text for a in doc.find_all("a", cls="customer-link")]


def listed_numbers(doc):
    table = doc.find("table", cls="table-customers")
    return [row.find("td").text for row in table.find("tbody").find_all("tr")] if table else []


# -- Create Customer ------------------------------------------------------------------------


def test_creating_a_customer_opens_their_overview(admin_client, count_rows):
    response = admin_client.post("/customers/add", data=form())

    assert response.status_code == 302
    assert re.fullmatch(r"/customers/\d+", response.headers["Location"])
    assert count_rows(Customer) == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"email": ""}, "email", "Enter the customer's email address."),
    ({"email": "maya@"}, "email", "Enter a valid email address"),
    ({"phone": "12345"}, "phone", "phone number"),
    ({"kind": "business", "company_name": ""}, "company_name",
     "A business customer needs a company name."),
    ({"first_name": "", "last_name": ""}, "first_name", "Enter a first or last name."),
], ids=["missing email", "bad email", "bad phone", "business without company", "no name"])
def test_form_with_a_mistake_says_so_beside_the_field_and_saves_nothing(
        admin_client, count_rows, page, errors_beside, fields, field, message):
    response = admin_client.post("/customers/add", data=form(**fields))

    assert response.status_code == 200
    assert any(message in error for error in errors_beside(page(response), field))
    assert count_rows(Customer) == 0


def test_taken_customer_number_is_refused_beside_the_number_field(
        admin_client, make_customer, count_rows, page, errors_beside):
    make_customer(number="VIP-7")

    response = admin_client.post("/customers/add", data=form(number="VIP-7"))

    assert errors_beside(page(response), "number") == ["Customer number VIP-7 is already taken."]
    assert count_rows(Customer) == 1


def test_form_keeps_what_was_typed_when_it_shows_a_mistake(admin_client, page):
    response = admin_client.post("/customers/add", data=form(email="maya@", last_name="Ng"))

    assert page(response).find("input", id="last_name").attrs["value"] == "Ng"


def test_new_customer_gets_the_next_number_from_the_pattern(admin_client, load_customer):
    admin_client.post("/customers/add", data=form(first_name="Ann"))
    second = admin_client.post("/customers/add", data=form(first_name="Bob",
                                                           email="bob.okafor@example.com"))

    customer_id = int(second.headers["Location"].rsplit("/", 1)[1])
    assert load_customer(customer_id)["number"] == "C-000002"


def test_the_shop_chooses_its_own_number_pattern(make_app):
    app = make_app(CUSTOMER_NUMBER_PATTERN="K{seq:04d}")
    from core.services import customers

    with app.app_context():
        customer = customers.create(form())

        assert customer.number == "K0001"


def test_a_typed_customer_number_is_kept(admin_client, load_customer):
    response = admin_client.post("/customers/add", data=form(number="TRADE-42"))

    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert load_customer(customer_id)["number"] == "TRADE-42"


def test_generated_numbers_step_over_a_number_typed_earlier(make_customer, load_customer):
    make_customer(number="C-000001")

    second = make_customer()

    assert load_customer(second)["number"] == "C-000002"


def test_a_refused_form_does_not_use_up_a_number(admin_client, load_customer):
    admin_client.post("/customers/add", data=form(email="not-an-email"))

    response = admin_client.post("/customers/add", data=form())

    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert load_customer(customer_id)["number"] == "C-000001"


def test_email_is_stored_lower_cased_beside_the_display_value(make_customer, load_customer):
    customer_id = make_customer(email="  Maya.Okafor@Example.COM ")

    stored = load_customer(customer_id)

    assert (stored["email"], stored["email_normalized"]) == (
        "Maya.Okafor@example.com", "maya.okafor@example.com")


def test_national_phone_number_is_read_in_the_shops_region(make_customer, load_customer):
    customer_id = make_customer(phone="020 7946 0958")

    stored = load_customer(customer_id)

    assert (stored["phone"], stored["phone_e164"]) == ("+44 20 7946 0958", "+442079460958")


def test_default_phone_region_comes_from_config(make_app):
    app = make_app(DEFAULT_PHONE_REGION="US")
    from core.services import customers

    with app.app_context():
        customer = customers.create(form(phone="(201) 555-0123"))

        assert customer.phone_e164 == "+12015550123"


# -- the list -------------------------------------------------------------------------------


def test_list_shows_twenty_customers_a_page_and_the_rest_on_the_next(
        admin_client, make_customer, page):
    for _ in range(23):
        make_customer()

    first = page(admin_client.get("/customers/"))
    second = page(admin_client.get(first.find("a", rel="next").attrs["href"]))

    assert (len(listed_names(first)), len(listed_names(second))) == (20, 3)
    assert set(listed_names(first)).isdisjoint(listed_names(second))
    assert second.find("a", rel="next") is None


def test_previous_link_goes_back_to_the_page_before(admin_client, make_customer, page):
    for _ in range(45):
        make_customer()
    first = page(admin_client.get("/customers/"))
    second = page(admin_client.get(first.find("a", rel="next").attrs["href"]))
    third = page(admin_client.get(second.find("a", rel="next").attrs["href"]))

    back = page(admin_client.get(third.find("a", rel="prev").attrs["href"]))

    assert listed_names(back) == listed_names(second)


def test_a_page_can_be_opened_by_its_number(admin_client, make_customer, page):
    for _ in range(23):
        make_customer()

    doc = page(admin_client.get("/customers/?page=2"))

    assert len(listed_names(doc)) == 3


def test_list_is_sorted_by_last_name(admin_client, make_customer, page):
    for last in ("Young", "Adams", "Moreau"):
        make_customer(first_name="Kim", last_name=last)

    doc = page(admin_client.get("/customers/"))

    assert listed_names(doc) == ["Kim Adams", "Kim Moreau", "Kim Young"]


def test_list_sorts_by_number_newest_first_when_asked(admin_client, make_customer, page):
    for _ in range(3):
        make_customer()

    doc = page(admin_client.get("/customers/?sort=number&dir=desc"))

    assert listed_numbers(doc) == ["C-000003", "C-000002", "C-000001"]


@pytest.mark.parametrize("query", ["Zoë Ångström", "zoe angstrom", "ANGSTROM ZOE", "angs"])
def test_search_finds_a_name_in_either_order_ignoring_accents_and_case(
        admin_client, make_customer, page, query):
    make_customer(first_name="Zoë", last_name="Ångström")
    make_customer(first_name="Zeno", last_name="Berg")

    doc = page(admin_client.get("/customers/", query_string={"q": query}))

    assert listed_names(doc) == ["Zoë Ångström"]


def test_search_finds_a_customer_by_email(admin_client, make_customer, page):
    make_customer(first_name="Ida", email="ida.b@example.com")
    make_customer(first_name="Tom", email="tom@example.com")

    doc = page(admin_client.get("/customers/?q=IDA.B@Example"))

    assert [n.split()[0] for n in listed_names(doc)] == ["Ida"]


@pytest.mark.parametrize("typed", ["(020) 7946-0958", "+44 20 7946 0958", "02079460958"])
def test_search_finds_a_phone_number_typed_another_way(admin_client, make_customer, page, typed):
    make_customer(first_name="Ida", phone="+44 20 7946 0958")
    make_customer(first_name="Tom", phone="+44 20 7946 0000")

    doc = page(admin_client.get("/customers/", query_string={"q": typed}))

    assert [n.split()[0] for n in listed_names(doc)] == ["Ida"]


def test_search_finds_a_customer_by_number(admin_client, make_customer, page):
    make_customer(first_name="Ida", number="TRADE-42")
    make_customer(first_name="Tom")

    doc = page(admin_client.get("/customers/?q=trade-42"))

    assert [n.split()[0] for n in listed_names(doc)] == ["Ida"]


def test_status_filter_shows_only_inactive_customers(admin_client, make_customer, page):
    make_customer(first_name="Ida", status="inactive")
    make_customer(first_name="Tom")

    doc = page(admin_client.get("/customers/?status=inactive"))

    assert [n.split()[0] for n in listed_names(doc)] == ["Ida"]


def test_type_filter_shows_only_businesses(admin_client, make_customer, page):
    make_customer(kind="business", company_name="Okafor Bakery")
    make_customer(first_name="Tom")

    doc = page(admin_client.get("/customers/?kind=business"))

    assert listed_names(doc) == ["Okafor Bakery"]


def test_empty_result_says_which_filter_hides_the_customers(admin_client, make_customer, page):
    make_customer()

    doc = page(admin_client.get("/customers/?q=nobody&status=inactive"))

    empty = doc.find(cls="empty-state").text
    assert "No customers match" in empty and "nobody" in empty and "Inactive" in empty


def test_empty_shop_says_there_are_no_customers_yet(admin_client, page):
    doc = page(admin_client.get("/customers/"))

    assert "No customers yet." in doc.find(cls="empty-state").text


def test_hostile_name_is_shown_as_text_on_the_list(admin_client, make_customer):
    make_customer(first_name="<script>alert(1)</script>")

    html = admin_client.get("/customers/").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_name_is_shown_as_text_on_the_overview(admin_client, make_customer):
    customer_id = make_customer(first_name="<img src=x onerror=alert(1)>")

    html = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_hostile_search_is_echoed_as_text(admin_client):
    response = admin_client.get("/customers/", query_string={"q": "<script>alert(1)</script>"})

    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_very_long_search_answers_normally(admin_client, make_customer):
    make_customer()

    response = admin_client.get("/customers/", query_string={"q": "ä1" * 5000})

    assert response.status_code == 200


@pytest.mark.parametrize("cursor", [
    "WyJ4Il0",  # ["x"]: text where the sort wants a number
    "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0",  # a number larger than any id
    "bm90IGpzb24",  # not JSON
    "%%%",
], ids=["text", "huge number", "not json", "not base64"])
def test_a_tampered_paging_link_answers_normally(admin_client, make_customer, cursor):
    make_customer()

    response = admin_client.get(f"/customers/?sort=created&page=2&after={cursor}")

    assert response.status_code == 200


def test_nonsense_paging_and_sorting_fall_back_to_the_first_page(admin_client, make_customer, page):
    make_customer(first_name="Ida")

    response = admin_client.get("/customers/?page=-3&per_page=abc&sort=drop&dir=sideways")

    assert listed_names(page(response)) == ["Ida Tester1"]


# -- the overview ---------------------------------------------------------------------------


def test_overview_header_shows_number_name_email_status_and_badges(
        admin_client, make_customer, page):
    customer_id = make_customer(kind="business", company_name="Okafor Bakery",
                                email="orders@okafor.example", status="inactive")

    header = page(admin_client.get(f"/customers/{customer_id}")).find(cls="customer-header")

    assert header.find("h1").text == "Okafor Bakery Inactive Business"
    assert header.find(cls="customer-number").text == "C-000001"
    assert "orders@okafor.example" in header.text
    assert header.find(cls="customer-status").text == "Inactive"


def test_overview_loads_details_and_groups_tabs_from_their_own_urls(
        admin_client, make_customer, page):
    customer_id = make_customer()

    tabs = page(admin_client.get(f"/customers/{customer_id}")).find("ul", cls="nav-tabs")

    assert [(a.attrs["data-tab"], a.attrs["data-url"]) for a in tabs.find_all("a")][:2] == [
        ("details", f"/customers/{customer_id}/tabs/details"),
        ("groups", f"/customers/{customer_id}/tabs/groups"),
    ]


def test_details_tab_shows_the_customers_fields(admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya", phone="020 7946 0958")

    details = page(admin_client.get(f"/customers/{customer_id}/tabs/details"))

    assert "Maya" in details.text and "+44 20 7946 0958" in details.text


def test_groups_tab_lists_the_customers_groups(admin_client, make_customer, make_group, page):
    customer_id = make_customer()
    make_group("Newsletter", members=[customer_id])

    groups = page(admin_client.get(f"/customers/{customer_id}/tabs/groups"))

    assert [li.find("a").text for li in groups.find_all("li")] == ["Newsletter"]


def test_overview_of_an_unknown_customer_is_not_found(admin_client):
    assert admin_client.get("/customers/999999").status_code == 404


def test_edit_form_shows_the_stored_values(admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya", phone="020 7946 0958")

    doc = page(admin_client.get(f"/customers/{customer_id}/edit"))

    assert doc.find("input", id="first_name").attrs["value"] == "Maya"
    assert doc.find("input", id="phone").attrs["value"] == "+44 20 7946 0958"


def test_edited_fields_are_saved(admin_client, make_customer, load_customer):
    customer_id = make_customer()
    stored = load_customer(customer_id)

    response = admin_client.post(f"/customers/{customer_id}/edit", data=form(
        number=stored["number"], first_name="Maya", last_name="Ng", email="maya.ng@example.com"))

    assert response.status_code == 302
    after = load_customer(customer_id)
    assert (after["first_name"], after["last_name"], after["email"]) == (
        "Maya", "Ng", "maya.ng@example.com")


def test_edit_with_a_bad_email_keeps_the_stored_customer(
        admin_client, make_customer, load_customer, page, errors_beside):
    customer_id = make_customer(email="maya@example.com")

    response = admin_client.post(f"/customers/{customer_id}/edit",
                                 data=form(number="C-000001", email="maya@"))

    assert errors_beside(page(response), "email")
    assert load_customer(customer_id)["email"] == "maya@example.com"


def test_deactivating_keeps_the_customer_and_their_groups(
        admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer()
    make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/customers/{customer_id}/status", data={"active": "0"})

    stored = load_customer(customer_id)
    assert (stored["status"], stored["groups"]) == ("inactive", ["Newsletter"])


def test_reactivating_brings_the_customer_back_with_their_groups(
        admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer(status="inactive")
    make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/customers/{customer_id}/status", data={"active": "1"})

    stored = load_customer(customer_id)
    assert (stored["status"], stored["groups"]) == ("active", ["Newsletter"])


# -- the service, for code that creates customers without a form ------------------------------


def test_service_names_every_bad_field_at_once(ctx):
    from core.errors import ValidationError
    from core.services import customers

    with pytest.raises(ValidationError) as raised:
        customers.create({"first_name": "Maya", "email": "maya@", "phone": "12"})

    assert set(raised.value.errors) == {"email", "phone"}


def test_service_update_reports_only_what_changed(ctx, make_customer):
    from core.services import customers

    customer = customers.get(make_customer(first_name="Maya", last_name="Ng"))

    changes = customers.update(customer, {"first_name": "Maya", "last_name": "Okafor"})

    assert changes == {"last_name": ("Ng", "Okafor")}


def test_service_refuses_to_empty_a_customer_number(ctx, make_customer):
    from core.errors import ValidationError
    from core.services import customers

    customer = customers.get(make_customer())

    with pytest.raises(ValidationError) as raised:
        customers.update(customer, {"number": ""})

    assert set(raised.value.errors) == {"number"}
