"""Menus of plugins that share a category: the category is shown while any of its items is,
whichever plugin happened to create it."""

from __future__ import annotations

import types

import pytest
from flask_appbuilder import BaseView, expose, has_access

from core.sdk import PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"
CATEGORY = "Rewards"


def menu_plugin(name):
    """A plugin adding one page, /<name>/, under the shared "Rewards" menu."""

    class Page(BaseView):
        route_base = f"/{name}"
        class_permission_name = f"{name.title()}View"
        default_view = "index"

        @expose("/")
        @has_access
        def index(self):
            return name

    Page.__name__ = f"{name.title()}View"

    def register_views(appbuilder):
        appbuilder.add_view(Page, name.title(), category=CATEGORY)

    module = types.ModuleType(f"throwaway_{name}")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), version="1.0")
    module.register_views = hookimpl(register_views)
    return module


@pytest.fixture
def shop(make_app):
    """An app with the "stamps" plugin, then "vouchers", both under Rewards; an admin signed in."""
    from core.cli import ensure_user, upgrade_all

    app = make_app(extra_plugins=[menu_plugin("stamps"), menu_plugin("vouchers")])
    with app.app_context():
        upgrade_all()  # the throwaway pages' permissions, given to the Admin role
        ensure_user("admin", PASSWORD, "admin@example.com", "Shop", "Admin", "Admin")
    client = app.test_client()
    assert client.post("/login/", data={"username": "admin", "password": PASSWORD}).status_code == 302
    return client


def switch(client, name, enabled):
    response = client.post(f"/plugins/{name}/toggle", data={"enabled": "1" if enabled else "0"})
    assert response.status_code == 302


def menu(client) -> dict:
    """What the navbar shows: is the Rewards category there, and which of its pages."""
    html = client.get("/customers/").get_data(as_text=True)
    return {"category": f"{CATEGORY}<b class=\"caret\">" in html,
            "pages": {name for name in ("stamps", "vouchers") if f'href="/{name}/"' in html}}


def test_both_plugins_items_show_under_the_shared_category(shop):
    assert menu(shop) == {"category": True, "pages": {"stamps", "vouchers"}}


@pytest.mark.parametrize("disabled, kept", [("stamps", "vouchers"), ("vouchers", "stamps")])
def test_disabling_either_plugin_keeps_the_others_items_and_the_category(shop, disabled, kept):
    # One of the two created the category, the other joined it: both ways round.
    switch(shop, disabled, False)

    assert menu(shop) == {"category": True, "pages": {kept}}


def test_the_category_disappears_when_no_plugin_with_items_in_it_is_active(shop):
    switch(shop, "stamps", False)
    switch(shop, "vouchers", False)

    assert menu(shop) == {"category": False, "pages": set()}


def test_the_category_comes_back_with_any_of_its_plugins(shop):
    switch(shop, "stamps", False)
    switch(shop, "vouchers", False)

    switch(shop, "vouchers", True)

    assert menu(shop) == {"category": True, "pages": {"vouchers"}}
