"""``PluginInfo.grants``: which built-in roles get a permission of a plugin's views when the
database is upgraded. The Hello example grants its "Say hello" action (``can_say`` on
HelloView) to the Manager and the Cashier; ReadOnly keeps to reading."""

from __future__ import annotations

import types

import pytest

from core.sdk import PluginInfo


@pytest.fixture
def sam(make_customer):
    return make_customer()


def offers_say_hello(client, customer_id) -> bool:
    page = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    return f"/hello/customers/{customer_id}/say" in page


@pytest.mark.parametrize("role", ["Cashier", "Manager", "Admin"])
def test_the_roles_the_plugin_grants_see_and_use_the_action(client_for, sam, role):
    client = client_for(role)

    assert offers_say_hello(client, sam)
    response = client.post(f"/hello/customers/{sam}/say")
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["ReadOnly", "Accounts"])
def test_a_role_the_plugin_does_not_grant_neither_sees_nor_uses_it(client_for, sam, role):
    client = client_for(role)

    assert not offers_say_hello(client, sam)
    assert client.post(f"/hello/customers/{sam}/say").status_code == 403


def test_permissions_the_plugin_does_not_name_follow_the_core_rule(client_for, sam):
    readonly = client_for("ReadOnly")

    assert readonly.get(f"/hello/customers/{sam}/tab").status_code == 200  # can_tab: a read


def test_a_grant_for_one_view_wins_and_gives_exactly_the_roles_listed(make_app, monkeypatch,
                                                                      users):
    from core.cli import upgrade_all
    from regulars_hello.plugin import PLUGIN

    monkeypatch.setattr(PLUGIN, "grants", {"can_say": ["Manager", "Cashier"],
                                           "HelloView.can_say": ["ReadOnly"]})
    app = make_app()
    with app.app_context():
        upgrade_all()

    assert held(app, "ReadOnly", "can_say", "HelloView")
    assert not held(app, "Cashier", "can_say", "HelloView")
    assert not held(app, "Manager", "can_say", "HelloView")
    assert held(app, "Admin", "can_say", "HelloView")


def held(app, role_name, permission, view) -> bool:
    with app.app_context():
        role = app.appbuilder.sm.find_role(role_name)
        return any(pv.permission.name == permission and pv.view_menu.name == view
                   for pv in role.permissions)


def throwaway_plugin(name, **info):
    module = types.ModuleType(f"throwaway_{name}")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), version="1.0", **info)
    return module


def started_host(*plugins):
    from core.plugins import PluginHost

    host = PluginHost({})
    host.discover(plugins)
    return host


def test_an_unknown_role_skips_the_plugin_at_start_up_with_the_role_meant():
    host = started_host(throwaway_plugin("stamps", grants={"can_stamp": ["Cashiers"]}))

    assert host.plugins["stamps"].error == (
        "grants 'can_stamp' to 'Cashiers', which is not a built-in role (did you mean "
        "'Cashier'?); the built-in roles are Admin, Manager, Cashier, Accounts, ReadOnly")
    assert host.pm.get_plugin("stamps") is None


def test_a_grants_key_that_is_no_permission_skips_the_plugin():
    host = started_host(throwaway_plugin("stamps", grants={"stamp": ["Cashier"]}))

    assert "grants key 'stamp' is not a permission" in host.plugins["stamps"].error


def test_a_role_given_as_a_string_instead_of_a_list_skips_the_plugin():
    host = started_host(throwaway_plugin("stamps", grants={"can_stamp": "Cashier"}))

    assert "must be a list of role names" in host.plugins["stamps"].error


# -- enabling keeps what an administrator changed -----------------------------------------------


def take_off(app, role_name, permission, view) -> None:
    """What an administrator does on the Roles screen: take one permission off a role."""
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(role_name)
        pvm = sm.find_permission_view_menu(permission, view)
        assert pvm in role.permissions, (role_name, permission, view)
        sm.del_permission_role(role, pvm)


@pytest.fixture
def hello_waiting(app, users, unmigrate):
    """Hello pip-installed and enabled but never upgraded; the app returned is a process
    started after that."""
    unmigrate(app, "hello")
    return app


def test_upgrade_now_keeps_an_admins_changes_to_the_built_in_roles(hello_waiting, make_app):
    from core.services import plugins

    take_off(hello_waiting, "Manager", "can_delete", "GroupView")
    take_off(hello_waiting, "Cashier", "can_say", "HelloView")
    app = make_app()
    assert not app.extensions["regulars.plugins"].is_active("hello")

    with app.app_context():
        plugins.set_enabled("hello", True)  # "Upgrade now" on the Plugins page

    assert app.extensions["regulars.plugins"].is_active("hello")
    assert not held(app, "Manager", "can_delete", "GroupView")  # the admin's change stays
    assert held(app, "Manager", "can_edit", "GroupView")
    assert held(app, "Cashier", "can_say", "HelloView")  # the plugin's own grant is written
    assert held(app, "Manager", "can_say", "HelloView")
    assert not held(app, "ReadOnly", "can_say", "HelloView")


def test_enabling_a_plugin_keeps_an_admins_changes_to_the_built_in_roles(hello_waiting, make_app):
    from core.services import plugins

    app = make_app()
    with app.app_context():
        plugins.set_enabled("hello", False)
    take_off(app, "Cashier", "can_add", "CustomerView")

    with app.app_context():
        plugins.set_enabled("hello", True)

    assert app.extensions["regulars.plugins"].is_active("hello")
    assert not held(app, "Cashier", "can_add", "CustomerView")
    assert held(app, "Cashier", "can_say", "HelloView")
