"""Static groups, as the shop's manager uses them: create, rename, delete, and gather members
from the group's screen or from a customer's Groups tab."""

from __future__ import annotations

import re

from core.models import Customer, CustomerGroup


def group_form(**fields):
    data = {"name": "Newsletter", "description": "Hear about new stock first."}
    data.update(fields)
    return data


def member_names(doc):
    table = doc.find("table", cls="group-members")
    return [row.find("a").text for row in table.find_all("tr")] if table else []


def test_creating_a_group_opens_its_page(admin_client, count_rows):
    response = admin_client.post("/groups/add", data=group_form())

    assert response.status_code == 302
    assert re.fullmatch(r"/groups/\d+", response.headers["Location"])
    assert count_rows(CustomerGroup) == 1


def test_group_name_that_differs_only_in_case_is_refused_beside_the_name(
        admin_client, make_group, count_rows, page, errors_beside):
    make_group("Newsletter")

    response = admin_client.post("/groups/add", data=group_form(name="NEWSLETTER"))

    assert errors_beside(page(response), "name") == ["A group called NEWSLETTER already exists."]
    assert count_rows(CustomerGroup) == 1


def test_group_name_clash_ignores_case_in_any_alphabet(admin_client, make_group, count_rows):
    make_group("Ärzte")

    admin_client.post("/groups/add", data=group_form(name="ÄRZTE"))

    assert count_rows(CustomerGroup) == 1


def test_group_without_a_name_is_refused_beside_the_name(
        admin_client, count_rows, page, errors_beside):
    response = admin_client.post("/groups/add", data=group_form(name="  "))

    assert errors_beside(page(response), "name") == ["Enter a group name."]
    assert count_rows(CustomerGroup) == 0


def test_group_form_sent_without_a_name_asks_for_one(admin_client, page, errors_beside):
    response = admin_client.post("/groups/add", data={"description": "Hear about new stock."})

    assert errors_beside(page(response), "name") == ["Enter a group name."]


def test_group_list_shows_each_group_with_its_member_count(
        admin_client, make_customer, make_group, page):
    make_group("Newsletter", members=[make_customer(), make_customer()])
    make_group("Trade")

    rows = page(admin_client.get("/groups/")).find("tbody").find_all("tr")

    assert [(r.find("a").text, r.find_all("td")[-1].text) for r in rows] == [
        ("Newsletter", "2"), ("Trade", "0")]


def test_renaming_a_group_keeps_its_members(admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/groups/{group_id}/edit", data=group_form(name="Friends of the shop"))

    assert load_customer(customer_id)["groups"] == ["Friends of the shop"]


def test_a_group_may_be_saved_again_under_its_own_name(admin_client, make_group, page):
    group_id = make_group("Newsletter")

    response = admin_client.post(f"/groups/{group_id}/edit",
                                 data=group_form(name="Newsletter", description="Monthly."))

    assert response.status_code == 302


def test_deleting_a_group_keeps_its_members_as_customers(
        admin_client, make_customer, make_group, count_rows, load_customer):
    customer_id = make_customer()
    group_id = make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/groups/{group_id}/delete")

    assert count_rows(CustomerGroup) == 0
    assert count_rows(Customer) == 1
    assert load_customer(customer_id)["groups"] == []


def test_group_page_finds_customers_to_add(admin_client, make_customer, make_group, page):
    make_customer(first_name="Ida", last_name="Berg")
    group_id = make_group("Newsletter")

    doc = page(admin_client.get(f"/groups/{group_id}?q=ida"))

    assert [c.text for c in doc.find_all("label")[1:]] == [
        "Ida Berg C-000001 alex1@example.com"]


def offered(doc) -> list[str]:
    """The names the group page's finder offers to add, in the order shown."""
    return [label.text.split(" C-")[0] for label in doc.find_all("label")
            if label.find("input", type="checkbox") is not None]


def test_group_finder_ranks_like_the_customer_search(admin_client, make_customer, make_group,
                                                     page):
    make_customer(first_name="Ann", last_name="White")
    make_customer(first_name="Bo", last_name="Whitfield")
    group_id = make_group("Newsletter")

    doc = page(admin_client.get(f"/groups/{group_id}?q=whitf"))

    assert offered(doc)[0] == "Bo Whitfield"


def test_group_finder_offers_ten_outsiders_even_when_members_match_best(
        admin_client, make_customer, make_group, page):
    members = [make_customer(first_name="Ida", last_name=f"Aalto{n}") for n in range(10)]
    outsider = make_customer(first_name="Ida", last_name="Berg")
    group_id = make_group("Newsletter", members=members)

    doc = page(admin_client.get(f"/groups/{group_id}?q=ida"))

    assert [i.attrs["value"] for i in doc.find_all("input", type="checkbox")] == [str(outsider)]


def test_group_page_does_not_offer_customers_already_in_it(
        admin_client, make_customer, make_group, page):
    group_id = make_group("Newsletter", members=[make_customer(first_name="Ida")])

    doc = page(admin_client.get(f"/groups/{group_id}?q=ida"))

    assert doc.find("input", type="checkbox") is None


def test_adding_customers_from_the_group_page(admin_client, make_customer, make_group, page):
    ida, tom = make_customer(first_name="Ida"), make_customer(first_name="Tom")
    group_id = make_group("Newsletter")

    admin_client.post(f"/groups/{group_id}/members", data={"customer_id": [str(ida), str(tom)]})

    doc = page(admin_client.get(f"/groups/{group_id}"))
    assert [n.split()[0] for n in member_names(doc)] == ["Ida", "Tom"]


def test_adding_a_member_twice_keeps_one_membership(admin_client, make_customer, make_group, page):
    ida = make_customer(first_name="Ida")
    group_id = make_group("Newsletter", members=[ida])

    admin_client.post(f"/groups/{group_id}/members", data={"customer_id": str(ida)})

    assert len(member_names(page(admin_client.get(f"/groups/{group_id}")))) == 1


def test_nonsense_member_ids_add_nobody(admin_client, make_group, page):
    group_id = make_group("Newsletter")

    response = admin_client.post(f"/groups/{group_id}/members",
                                 data={"customer_id": ["²", "99999999999999999999999", "x"]})

    assert response.status_code == 302
    assert member_names(page(admin_client.get(f"/groups/{group_id}"))) == []


def test_removing_a_member_from_the_group_page(
        admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/groups/{group_id}/members/{customer_id}/remove")

    assert load_customer(customer_id)["groups"] == []


def test_adding_a_customer_to_a_group_from_their_groups_tab(
        admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Newsletter")

    response = admin_client.post(f"/customers/{customer_id}/groups", data={"group_id": group_id})

    assert response.headers["Location"] == f"/customers/{customer_id}?tab=groups"
    assert load_customer(customer_id)["groups"] == ["Newsletter"]


def test_groups_tab_offers_only_groups_the_customer_is_not_in(
        admin_client, make_customer, make_group, page):
    customer_id = make_customer()
    make_group("Newsletter", members=[customer_id])
    make_group("Trade")

    doc = page(admin_client.get(f"/customers/{customer_id}/tabs/groups"))

    assert [o.text for o in doc.find("select", id="group_id").find_all("option")] == ["Trade"]


def test_removing_a_customer_from_a_group_on_their_groups_tab(
        admin_client, make_customer, make_group, load_customer):
    customer_id = make_customer()
    group_id = make_group("Newsletter", members=[customer_id])

    admin_client.post(f"/customers/{customer_id}/groups/{group_id}/remove")

    assert load_customer(customer_id)["groups"] == []


def test_joining_an_unknown_group_adds_nothing(admin_client, make_customer, load_customer):
    customer_id = make_customer()

    response = admin_client.post(f"/customers/{customer_id}/groups",
                                 data={"group_id": "99999999999999999999999"})

    assert response.status_code == 302
    assert load_customer(customer_id)["groups"] == []


def test_customer_list_filters_by_group(admin_client, make_customer, make_group, page):
    make_customer(first_name="Tom")
    group_id = make_group("Newsletter", members=[make_customer(first_name="Ida")])

    doc = page(admin_client.get(f"/customers/?group={group_id}"))

    assert [a.text.split()[0] for a in doc.find_all("a", cls="customer-link")] == ["Ida"]


def test_hostile_group_name_is_shown_as_text(admin_client, make_group):
    make_group("<b>VIP</b>")

    html = admin_client.get("/groups/").get_data(as_text=True)

    assert "<b>VIP</b>" not in html and "&lt;b&gt;VIP&lt;/b&gt;" in html


def test_empty_group_filter_names_the_group(admin_client, make_customer, make_group, page):
    make_customer()
    group_id = make_group("Newsletter")

    doc = page(admin_client.get(f"/customers/?group={group_id}"))

    assert "Newsletter" in doc.find(cls="empty-state").text


def test_customer_list_with_an_impossible_group_filter_shows_everyone(
        admin_client, make_customer, page):
    make_customer(first_name="Ida")

    doc = page(admin_client.get("/customers/?group=99999999999"))

    assert [a.text.split()[0] for a in doc.find_all("a", cls="customer-link")] == ["Ida"]
