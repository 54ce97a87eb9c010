"""Who may put a customer in a static group and take them out again. One rule, wherever it is
done: the customer's Groups tab, the group's page, or the API. Admin, Manager and Cashier (who
sorts customers into groups while serving them at the till) may; Accounts and ReadOnly may not.
Creating, renaming and deleting groups stays a manager's."""

from __future__ import annotations

import pytest

ROLES = ["Admin", "Manager", "Cashier", "Accounts", "ReadOnly"]
MAY_CHANGE_MEMBERSHIP = {"Admin", "Manager", "Cashier"}


@pytest.fixture
def membership(app):
    """``membership(group_id)``: the ids of the group's members now."""
    from core.services import groups

    def members(group_id):
        with app.app_context():
            return sorted(c.id for c in groups.get(group_id).customers)

    return members


def add_and_remove(surface, role, client_for, api_token, app, customer_id, group_id):
    """Ask to add the customer to the group, then to remove them, the way ``surface`` does."""
    if surface == "api":
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(role)}"
        yield client.post(f"/api/v1/groups/{group_id}/members",
                          json={"customer_ids": [customer_id]})
        yield client.delete(f"/api/v1/groups/{group_id}/members/{customer_id}")
    elif surface == "customer page":
        client = client_for(role)
        yield client.post(f"/customers/{customer_id}/groups", data={"group_id": str(group_id)})
        yield client.post(f"/customers/{customer_id}/groups/{group_id}/remove")
    else:
        client = client_for(role)
        yield client.post(f"/groups/{group_id}/members", data={"customer_id": str(customer_id)})
        yield client.post(f"/groups/{group_id}/members/{customer_id}/remove")


@pytest.mark.parametrize("surface", ["api", "customer page", "group page"])
@pytest.mark.parametrize("role", ROLES)
def test_the_same_roles_may_change_group_membership_everywhere(
        app, client_for, api_token, make_customer, make_group, membership, role, surface):
    customer_id, group_id = make_customer(), make_group("Newsletter")
    steps = add_and_remove(surface, role, client_for, api_token, app, customer_id, group_id)

    added = next(steps)
    after_adding = membership(group_id)
    removed_response = next(steps)
    after_removing = membership(group_id)

    if role in MAY_CHANGE_MEMBERSHIP:
        assert after_adding == [customer_id], added.get_data(as_text=True)[:300]
        assert after_removing == []
    else:
        assert added.status_code in (302, 403) and after_adding == []
        assert removed_response.status_code in (302, 403)


def test_a_cashier_finds_and_removes_members_on_a_groups_page_but_cannot_edit_it(
        client_for, make_customer, make_group, page):
    member = make_customer(first_name="Ida")
    make_customer(first_name="Alex")
    group_id = make_group("Newsletter", members=[member])

    doc = page(client_for("Cashier").get(f"/groups/{group_id}?q=alex"))

    assert doc.find("form", action=f"/groups/{group_id}/members") is not None
    assert doc.find("form", action=f"/groups/{group_id}/members/{member}/remove") is not None
    assert doc.find("a", href=f"/groups/{group_id}/edit") is None
