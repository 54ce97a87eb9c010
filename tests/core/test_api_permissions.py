"""Who may call which customer API: several API classes (the customers API, the till's lookup and
quick add, a customer's addresses and contacts) share the "CustomerApi" permissions, so a role
grants them together. Upgrading keeps those permissions, quietly, and each built-in role keeps
exactly what it could do."""

from __future__ import annotations

import logging

from core.cli import db_group

# What each built-in role holds on the shared "CustomerApi" permission name.
CUSTOMER_API_PERMISSIONS = {
    "Admin": {"can_get", "can_post", "can_put", "can_quick"},
    "Manager": {"can_get", "can_post", "can_put", "can_quick"},
    "Cashier": {"can_get", "can_post", "can_put", "can_quick"},
    "Accounts": {"can_get"},
    "ReadOnly": {"can_get"},
}

CALLS = ["list", "get", "lookup", "list addresses", "create", "update", "quick add",
         "add address", "delete address", "erase"]
READS = {"list", "get", "lookup", "list addresses"}


def call(client, token, name, customer_id):
    """Make the API call called ``name`` as the holder of ``token``; the response."""
    headers = {"Authorization": f"Bearer {token}"}
    base = "/api/v1/customers"
    requests = {
        "list": ("get", f"{base}/", None),
        "get": ("get", f"{base}/{customer_id}", None),
        "lookup": ("get", f"{base}/lookup?q=Ida", None),
        "list addresses": ("get", f"{base}/{customer_id}/addresses", None),
        "create": ("post", f"{base}/", {"first_name": "Eve", "email": "eve@example.com"}),
        "update": ("put", f"{base}/{customer_id}", {"last_name": "Hill"}),
        "quick add": ("post", f"{base}/quick", {"first_name": "Kim", "phone": "07700 900123"}),
        "add address": ("post", f"{base}/{customer_id}/addresses",
                        {"kind": "billing", "line1": "1 High Street", "city": "York",
                         "country": "GB"}),
        "delete address": ("delete", f"{base}/{customer_id}/addresses/424242", None),
        "erase": ("post", f"{base}/{customer_id}/erase", None),
    }
    method, url, body = requests[name]
    return getattr(client, method)(url, json=body, headers=headers)


def allowed_calls(app, api_token, make_customer, role) -> set[str]:
    token = api_token(role)
    client = app.test_client()
    allowed = set()
    for name in CALLS:
        response = call(client, token, name, make_customer(first_name="Ida"))
        assert response.status_code != 500, (name, response.get_json())
        if response.status_code != 403:
            allowed.add(name)
    return allowed


def refused_permission_deletes(records) -> list[str]:
    return [r.getMessage() for r in records if "Refused to delete" in r.getMessage()]


# -- upgrading -------------------------------------------------------------------------------


def test_db_upgrade_keeps_shared_api_permissions_without_a_refusal_in_the_log(app, caplog):
    caplog.set_level(logging.INFO)

    result = app.test_cli_runner().invoke(db_group, ["upgrade"])

    assert result.exit_code == 0, result.output
    assert refused_permission_deletes(caplog.records) == []


def test_each_role_holds_the_same_customer_api_permissions_after_upgrade(app):
    from core.cli import upgrade_all

    with app.app_context():
        upgrade_all()
        sm = app.appbuilder.sm
        held = {role: {pv.permission.name for pv in sm.find_role(role).permissions
                       if pv.view_menu.name == "CustomerApi"}
                for role in CUSTOMER_API_PERMISSIONS}

    assert held == CUSTOMER_API_PERMISSIONS


def test_a_permission_nothing_uses_any_more_leaves_every_role_quietly(app, caplog):
    from core.cli import upgrade_all

    with app.app_context():
        sm = app.appbuilder.sm
        stale = sm.add_permission_view_menu("can_frobnicate", "CustomerApi")
        supervisor = sm.add_role("Till supervisor")
        sm.add_permission_role(supervisor, stale)
        caplog.set_level(logging.INFO)

        upgrade_all()

        assert sm.find_permission_view_menu("can_frobnicate", "CustomerApi") is None
        assert {pv.permission.name for pv in sm.find_role("Till supervisor").permissions} == set()
    assert refused_permission_deletes(caplog.records) == []


def test_a_custom_role_keeps_its_till_permissions_across_upgrades(app):
    from core.cli import upgrade_all

    with app.app_context():
        sm = app.appbuilder.sm
        till = sm.add_role("Till only")
        sm.add_permission_role(till, sm.find_permission_view_menu("can_quick", "CustomerApi"))

        upgrade_all()

        assert [pv.permission.name for pv in sm.find_role("Till only").permissions] == ["can_quick"]


# -- each role's calls -----------------------------------------------------------------------


def test_readonly_may_only_read_customers_over_the_api(app, api_token, make_customer):
    assert allowed_calls(app, api_token, make_customer, "ReadOnly") == READS


def test_accounts_may_only_read_customers_over_the_api(app, api_token, make_customer):
    assert allowed_calls(app, api_token, make_customer, "Accounts") == READS


def test_cashier_may_look_up_quick_add_and_edit_but_not_erase(app, api_token, make_customer):
    assert allowed_calls(app, api_token, make_customer, "Cashier") == set(CALLS) - {"erase"}


def test_manager_may_do_everything_but_erase(app, api_token, make_customer):
    assert allowed_calls(app, api_token, make_customer, "Manager") == set(CALLS) - {"erase"}


def test_the_admin_may_do_everything_erase_included(app, api_token, make_customer):
    assert allowed_calls(app, api_token, make_customer, "Admin") == set(CALLS)
