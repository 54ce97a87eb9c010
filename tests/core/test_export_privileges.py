"""Taking personal data out of the shop is a privileged act: only managers and the administrator
export (one customer's full data, or the customer list as a file), every export is written to
the audit trail, and identity numbers leave in clear only for someone allowed to reveal them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry

ROLES = ["Admin", "Manager", "Cashier", "Accounts", "ReadOnly"]
EXPORTERS = {"Admin", "Manager"}
NATIONAL_ID = "AB123456C"
LICENCE = "MORGA753116SM9IJ"


@pytest.fixture
def customer_with_ids(make_customer):
    return make_customer(first_name="Ada", national_id=NATIONAL_ID, driver_licence=LICENCE)


@pytest.fixture
def exports_of(app):
    """``exports_of(customer_id)``: the audit rows of that customer's exports, oldest first."""

    def rows(customer_id):
        with app.app_context():
            return [(r.actor_fk, r.field) for r in db.session.execute(
                select(AuditEntry).where(AuditEntry.customer_id == customer_id,
                                         AuditEntry.action == "export")
                .order_by(AuditEntry.id)).scalars()]

    return rows


def screen_export(client, customer_id):
    return client.get(f"/customers/{customer_id}/export.json")


def api_export(app, token, customer_id):
    return app.test_client().get(f"/api/v1/customers/{customer_id}/export",
                                 headers={"Authorization": f"Bearer {token}"})


def exported_record(response) -> dict:
    if response.mimetype == "application/json" and "result" in (response.get_json() or {}):
        return response.get_json()["result"]["customer"]
    return json.loads(response.get_data(as_text=True))["customer"]


def take_permission(app, role_name, permission, view):
    with app.app_context():
        sm = app.appbuilder.sm
        sm.del_permission_role(sm.find_role(role_name),
                               sm.find_permission_view_menu(permission, view))


# -- who may export -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_the_admin_download_a_customers_data_on_the_screen(
        client_for, customer_with_ids, role):
    response = screen_export(client_for(role), customer_with_ids)

    assert response.status_code == (200 if role in EXPORTERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_the_admin_export_a_customer_over_the_api(
        app, api_token, customer_with_ids, role):
    response = api_export(app, api_token(role), customer_with_ids)

    assert response.status_code == (200 if role in EXPORTERS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_the_admin_download_the_customer_list(client_for, make_customer, role):
    make_customer(first_name="Ada")

    response = client_for(role).get("/customers/export.csv")

    assert response.status_code == (200 if role in EXPORTERS else 403)


@pytest.mark.parametrize("role", ["Cashier", "Accounts", "ReadOnly"])
def test_roles_that_may_not_export_see_no_export_button(client_for, customer_with_ids, page, role):
    client = client_for(role)

    overview = page(client.get(f"/customers/{customer_with_ids}"))
    customer_list = page(client.get("/customers/"))

    assert overview.find("a", href=f"/customers/{customer_with_ids}/export.json") is None
    assert not [a for a in customer_list.find_all("a")
                if a.attrs.get("href", "").startswith("/customers/export.csv")]


# -- identity numbers -----------------------------------------------------------------------


def test_a_manager_who_may_reveal_gets_identity_numbers_in_clear(client_for, customer_with_ids):
    record = exported_record(screen_export(client_for("Manager"), customer_with_ids))

    assert (record["national_id"], record["driver_licence"]) == (NATIONAL_ID, LICENCE)


def test_an_exporter_who_may_not_reveal_gets_identity_numbers_masked_on_the_screen(
        app, client_for, customer_with_ids):
    take_permission(app, "Manager", "can_reveal", "CustomerView")

    body = screen_export(client_for("Manager"), customer_with_ids).get_data(as_text=True)
    record = json.loads(body)["customer"]

    assert record["national_id"].endswith("456C") and record["driver_licence"].endswith("9IJ")
    assert NATIONAL_ID not in body and LICENCE not in body


def test_an_exporter_who_may_not_reveal_gets_identity_numbers_masked_over_the_api(
        app, api_token, customer_with_ids):
    take_permission(app, "Manager", "can_reveal", "CustomerView")

    response = api_export(app, api_token("Manager"), customer_with_ids)
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    assert NATIONAL_ID not in body and LICENCE not in body
    assert exported_record(response)["national_id"].endswith("456C")


# -- the audit trail ------------------------------------------------------------------------


def test_each_export_on_the_screen_is_audited_with_who_and_which_customer(
        client_for, users, customer_with_ids, exports_of):
    client = client_for("Manager")

    screen_export(client, customer_with_ids)
    screen_export(client, customer_with_ids)

    changes = exports_of(customer_with_ids)
    assert {actor for actor, _field in changes} == {users["Manager"]}
    # Each export names the identity numbers that went out in clear, as a reveal does.
    assert sorted(field for _actor, field in changes) == sorted(
        ["driver_licence", "national_id"] * 2)


def test_each_export_over_the_api_is_audited(app, api_token, users, customer_with_ids, exports_of):
    api_export(app, api_token("Admin"), customer_with_ids)

    assert {actor for actor, _field in exports_of(customer_with_ids)} == {users["Admin"]}


def test_a_masked_export_is_audited_without_naming_identity_numbers(
        app, client_for, users, customer_with_ids, exports_of):
    take_permission(app, "Manager", "can_reveal", "CustomerView")

    screen_export(client_for("Manager"), customer_with_ids)

    assert exports_of(customer_with_ids) == [(users["Manager"], None)]


def test_a_refused_export_writes_nothing_to_the_trail(client_for, customer_with_ids, exports_of):
    response = screen_export(client_for("Cashier"), customer_with_ids)

    assert response.status_code == 403
    assert exports_of(customer_with_ids) == []


def test_the_history_tab_shows_the_export(client_for, customer_with_ids, page):
    client = client_for("Manager")
    screen_export(client, customer_with_ids)

    tab = page(client.get(f"/customers/{customer_with_ids}/tabs/history"))

    assert "Exported personal data" in [e.text for e in tab.find_all(cls="history-action")]


def test_downloading_the_customer_list_is_audited_with_its_filter(app, client_for, users,
                                                                  make_customer):
    make_customer(first_name="Ada", status="inactive")

    client_for("Manager").get("/customers/export.csv?status=inactive").get_data()

    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(
            AuditEntry.entity == "customer_list")).scalars().all()
        assert [(r.action, r.actor_fk, r.new_value) for r in rows] == [
            ("export", users["Manager"], "status=inactive")]


def test_the_command_line_export_is_audited_too(app, make_customer, tmp_path):
    from core.cli import customers_export

    make_customer(first_name="Ada")

    app.test_cli_runner().invoke(customers_export, [str(tmp_path / "out.csv"), "--status", "active"])

    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(
            AuditEntry.entity == "customer_list")).scalars().all()
        assert [(r.action, r.actor_fk, r.new_value) for r in rows] == [
            ("export", None, "status=active")]
