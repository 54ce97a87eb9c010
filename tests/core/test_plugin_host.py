"""The plugin host at start-up and when it calls hooks: what stops Regulars from starting, what
skips one plugin (and says why), and how a failing plugin is kept away from the user's work.

Each test builds throwaway plugins: a module with ``PLUGIN = PluginInfo(...)`` and hook functions.
"""

from __future__ import annotations

import logging
import re
import textwrap
import types

import pytest
from sqlalchemy import func, select

from core.errors import StartupError, ValidationError
from core.plugins import PluginHost
from core.sdk import FormField, PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"


def throwaway_plugin(name, hooks=None, module_name=None, **info):
    """A plugin module as an entry point would give it: PLUGIN plus ``hooks`` ({hook: function})."""
    module = types.ModuleType(module_name or f"throwaway_{name}")
    info.setdefault("version", "1.0")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), **info)
    for hook_name, function in (hooks or {}).items():
        setattr(module, hook_name, hookimpl(function))
    return module


def started_host(*plugins, **config) -> PluginHost:
    host = PluginHost(config)
    host.discover(plugins)
    return host


def answering(host, hook_name) -> list[str]:
    """The plugins whose implementation of ``hook_name`` runs when the core calls it."""
    return [impl.plugin_name for impl in host.caller(hook_name).get_hookimpls()]


def signed_in_admin(app):
    from core.cli import ensure_user

    with app.app_context():
        ensure_user("admin", PASSWORD, "admin@example.com", "Shop", "Admin", "Admin")
    client = app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    return client


def count(app, model) -> int:
    from core.db import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar()


def raise_runtime_error(customer):
    raise RuntimeError("the stamp printer is out of ink")


# -- what stops start-up ---------------------------------------------------------------------


def test_two_plugins_with_one_name_stop_start_up_naming_both(make_app):
    first = throwaway_plugin("stamps", module_name="acme_stamps")
    second = throwaway_plugin("stamps", module_name="other_stamps")

    with pytest.raises(StartupError) as refused:
        make_app(extra_plugins=[first, second])

    assert "'stamps'" in str(refused.value)
    assert "acme_stamps" in str(refused.value) and "other_stamps" in str(refused.value)


def test_a_third_party_plugin_named_like_an_installed_one_stops_start_up(make_app):
    impostor = throwaway_plugin("hello", module_name="impostor_hello")

    with pytest.raises(StartupError) as refused:
        make_app(extra_plugins=[impostor])

    assert "regulars-hello" in str(refused.value) and "impostor_hello" in str(refused.value)


def test_plugins_requiring_each_other_in_a_cycle_stop_start_up_naming_the_cycle(make_app):
    chicken = throwaway_plugin("chicken", requires=["egg"])
    egg = throwaway_plugin("egg", requires=["chicken"])

    with pytest.raises(StartupError) as refused:
        make_app(extra_plugins=[chicken, egg])

    assert "chicken -> egg -> chicken" in str(refused.value)


# -- what skips one plugin -------------------------------------------------------------------


def test_plugin_whose_required_plugin_is_missing_is_skipped_with_the_reason():
    host = started_host(throwaway_plugin("stamps", requires=["loyalty_cards"]))

    assert host.plugins["stamps"].error == "requires plugin 'loyalty_cards', which is not installed"
    assert not host.is_active("stamps")


def test_skipped_plugin_hooks_are_never_called():
    host = started_host(throwaway_plugin("stamps", requires=["loyalty_cards"],
                                         hooks={"customer_summary": lambda customer: "stamps"}))

    assert "stamps" not in answering(host, "customer_summary")


def test_plugin_whose_required_plugin_was_skipped_is_skipped_too():
    broken = throwaway_plugin("cards", core_version=">=9")
    dependent = throwaway_plugin("stamps", requires=["cards"])

    host = started_host(broken, dependent)

    assert host.plugins["stamps"].error == "requires plugin 'cards', which could not be loaded"


def test_plugin_for_another_core_version_is_skipped_with_the_reason():
    host = started_host(throwaway_plugin("stamps", core_version=">=2,<3"))

    assert host.plugins["stamps"].error == "needs Regulars >=2,<3, this is 1.0.0"
    assert host.pm.get_plugin("stamps") is None


def test_plugin_with_a_malformed_core_version_is_skipped_with_the_reason():
    host = started_host(throwaway_plugin("stamps", core_version="one or two"))

    assert host.plugins["stamps"].error == "core_version 'one or two' is not a version range"


def test_plugin_missing_a_required_setting_is_skipped_naming_the_setting():
    host = started_host(throwaway_plugin("sms", required_settings=["api_key"]))

    assert host.plugins["sms"].error == "missing required settings: api_key"


def test_plugin_whose_required_setting_is_configured_loads():
    host = started_host(throwaway_plugin("sms", required_settings=["api_key"]),
                        PLUGIN_SMS_API_KEY="k-123")

    assert host.plugins["sms"].error == ""
    assert host.is_active("sms")


def test_hook_implementation_with_a_typo_in_its_name_skips_its_plugin():
    host = started_host(throwaway_plugin("stamps", hooks={
        "customer_tab": lambda customer: None,  # customer_tabs, misspelt
    }))

    assert host.plugins["stamps"].error == (
        "implements 'customer_tab', which is not a Regulars hook; did you mean 'customer_tabs'?")
    assert host.pm.get_plugin("stamps") is None


def test_a_misspelt_hook_name_is_reported_with_the_hook_meant():
    host = started_host(throwaway_plugin("stamps", hooks={
        "customer_badge": lambda customer: None,  # customer_badges, misspelt
    }))

    assert host.plugins["stamps"].error.endswith("; did you mean 'customer_badges'?")


def test_a_hook_name_like_no_hook_at_all_gets_no_suggestion():
    host = started_host(throwaway_plugin("stamps", hooks={
        "print_loyalty_card_on_paper": lambda: None,
    }))

    assert host.plugins["stamps"].error == (
        "implements 'print_loyalty_card_on_paper', which is not a Regulars hook")


def test_hook_implementation_taking_an_argument_the_hook_lacks_skips_its_plugin():
    host = started_host(throwaway_plugin("stamps", hooks={
        "customer_badges": lambda customer, shop: None,
    }))

    error = host.plugins["stamps"].error
    assert error.startswith("invalid hook implementation:")
    assert "shop" in error
    assert host.pm.get_plugin("stamps") is None


def test_plugin_requiring_a_plugin_with_a_bad_hook_implementation_is_skipped_too():
    bad = throwaway_plugin("cards", hooks={"customer_badges": lambda customer, shop: None})
    dependent = throwaway_plugin("stamps", requires=["cards"],
                                 hooks={"customer_summary": lambda customer: "stamps"})

    host = started_host(bad, dependent)

    assert host.plugins["stamps"].error == "requires plugin 'cards', which could not be loaded"
    assert "stamps" not in answering(host, "customer_summary")


def test_plugin_failing_to_register_its_views_is_skipped_and_its_hooks_not_called(make_app):
    def register_views(appbuilder):
        raise RuntimeError("no such template folder")

    plugin = throwaway_plugin("stamps", hooks={"register_views": register_views,
                                               "customer_summary": lambda customer: "stamps"})

    app = make_app(extra_plugins=[plugin])

    host = app.extensions["regulars.plugins"]
    assert host.plugins["stamps"].error == "failed in register_views: no such template folder"
    assert "stamps" not in answering(host, "customer_summary")


def test_view_a_plugin_registered_before_failing_answers_404(make_app):
    from flask_appbuilder import BaseView, expose

    class StampCardView(BaseView):
        route_base = "/stamp-cards"

        @expose("/")
        def list(self):
            return "stamp cards"

    def register_views(appbuilder):
        appbuilder.add_view_no_menu(StampCardView)
        raise RuntimeError("no such template folder")

    stamps = throwaway_plugin("stamps", hooks={"register_views": register_views})

    app = make_app(extra_plugins=[stamps])

    assert app.test_client().get("/stamp-cards/").status_code == 404


def test_plugin_table_named_like_another_plugins_table_is_refused(make_app, tmp_path, monkeypatch):
    # A real distribution on sys.path: the host notices the collision while importing it.
    (tmp_path / "usurper_plugin.py").write_text(textwrap.dedent("""
        from sqlalchemy import Column, Integer
        from core.sdk import Model, PluginInfo

        PLUGIN = PluginInfo(name="usurper", label="Usurper", version="1.0")

        class Greeting(Model):
            __tablename__ = "hello_greeting"
            customer_id = Column(Integer, primary_key=True)
    """))
    dist_info = tmp_path / "regulars_usurper-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: regulars-usurper\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[regulars.plugins]\nusurper = usurper_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    app = make_app()

    host = app.extensions["regulars.plugins"]
    assert "hello_greeting" in host.plugins["usurper"].error
    assert "collides" in host.plugins["usurper"].error
    assert host.is_active("hello")


# -- after-commit hooks: a failing plugin never fails the user's work ---------------------------


@pytest.fixture
def shop_with_a_failing_plugin(make_app):
    """An app where plugin "printer" fails in customer_created and "welcome" records each call."""
    welcomed = []
    printer = throwaway_plugin("printer", hooks={"customer_created": raise_runtime_error})
    welcome = throwaway_plugin("welcome", hooks={
        "customer_created": lambda customer: welcomed.append(customer.email)})

    def make(order=("printer", "welcome")):
        plugins = {"printer": printer, "welcome": welcome}
        return make_app(extra_plugins=[plugins[name] for name in order]), welcomed

    return make


NEW_CUSTOMER = {"first_name": "Sam", "last_name": "Smith", "email": "sam@example.com"}


def test_customer_is_created_although_a_plugin_fails_after_the_commit(shop_with_a_failing_plugin):
    from core.models import Customer
    from core.services import customers

    app, _ = shop_with_a_failing_plugin()

    with app.app_context():
        customers.create(dict(NEW_CUSTOMER))

    assert count(app, Customer) == 1


@pytest.mark.parametrize("order", [("printer", "welcome"), ("welcome", "printer")])
def test_other_plugins_still_hear_of_the_new_customer_when_one_fails(shop_with_a_failing_plugin,
                                                                     order):
    from core.services import customers

    app, welcomed = shop_with_a_failing_plugin(order)

    with app.app_context():
        customers.create(dict(NEW_CUSTOMER))

    assert welcomed == ["sam@example.com"]


def test_plugin_failing_after_the_commit_is_logged_with_its_name(shop_with_a_failing_plugin,
                                                                caplog):
    from core.services import customers

    app, _ = shop_with_a_failing_plugin()

    with caplog.at_level(logging.ERROR, logger="core.plugins"), app.app_context():
        customers.create(dict(NEW_CUSTOMER))

    assert "Plugin printer failed in customer_created" in caplog.text
    assert "out of ink" in caplog.text


def test_admin_creating_a_customer_is_not_told_of_a_failing_plugin(shop_with_a_failing_plugin):
    app, _ = shop_with_a_failing_plugin()
    client = signed_in_admin(app)

    response = client.post("/customers/add", data={**NEW_CUSTOMER, "kind": "individual",
                                                   "status": "active"})

    assert response.status_code == 302
    assert re.fullmatch(r"/customers/\d+", response.headers["Location"])


# -- in-transaction hooks: a plugin may refuse the save ----------------------------------------


def test_plugin_refusing_the_form_save_leaves_nothing_written(make_app):
    from core.models import Customer
    from regulars_hello.models import Greeting
    from wtforms import StringField

    def refuse(customer, data):
        raise ValidationError({"stamp_card": "That stamp card belongs to another customer."})

    stamps = throwaway_plugin("stamps", hooks={
        "customer_form_fields": lambda kind: FormField("stamp_card", StringField("Card")),
        "customer_form_saved": refuse,
    })
    app = make_app(extra_plugins=[stamps])
    client = signed_in_admin(app)

    response = client.post("/customers/add", data={
        **NEW_CUSTOMER, "kind": "individual", "status": "active", "stamp_card": "S-1",
        "hello_greeting": "Morning, Sam!"})

    assert response.status_code == 200
    assert "That stamp card belongs to another customer." in response.get_data(as_text=True)
    assert count(app, Customer) == 0
    assert count(app, Greeting) == 0


# -- the Plugins page ------------------------------------------------------------------------


def plugin_row(html: str, name: str) -> str:
    match = re.search(rf'<tr id="plugin-{name}".*?</tr>', html, re.S)
    assert match, f"no row for plugin {name}"
    return " ".join(match.group(0).split())


def test_plugins_page_lists_each_plugin_with_version_description_requires_and_hooks(make_app):
    stamps = throwaway_plugin("stamps", version="2.3.1", description="Stamp cards for coffee.",
                              requires=["hello"],
                              hooks={"customer_badges": lambda customer: None})
    client = signed_in_admin(make_app(extra_plugins=[stamps]))

    html = client.get("/plugins/").get_data(as_text=True)

    row = plugin_row(html, "stamps")
    assert "2.3.1" in row
    assert "Stamp cards for coffee." in row
    assert '<td class="hide-phone">hello</td>' in row
    assert "customer_badges" in row


def test_plugins_page_lists_the_installed_third_party_plugin(admin_client):
    html = admin_client.get("/plugins/").get_data(as_text=True)

    row = plugin_row(html, "hello")
    assert "regulars-hello" in row and "1.0.0" in row
    assert "customer_fields" in row and "register_jobs" in row


def test_plugins_page_shows_why_a_plugin_is_skipped(make_app):
    stamps = throwaway_plugin("stamps", core_version=">=7")
    client = signed_in_admin(make_app(extra_plugins=[stamps]))

    html = client.get("/plugins/").get_data(as_text=True)

    assert "needs Regulars &gt;=7, this is 1.0.0" in plugin_row(html, "stamps")
