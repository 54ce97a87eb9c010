"""``plugin_enabled(name)`` and ``plugin_disabled(name)``: called after the switch commits, on
the Plugins page and by ``regulars plugins``, each plugin on its own; the plugin switched off
hears of it too."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import select

from core.sdk import PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"


def listener(name, heard, fail=False):
    """A plugin noting (event, plugin name, whether the switch was committed) in ``heard``."""
    module = types.ModuleType(f"throwaway_{name}")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), version="1.0")

    def committed_state(switched):
        from core.db import db
        from core.models import PluginState

        with db.engine.connect() as conn:  # what another process would read now
            return conn.execute(select(PluginState.enabled)
                                .where(PluginState.name == switched)).scalar()

    def plugin_enabled(name):
        if fail:
            raise RuntimeError("the listener broke")
        heard.append(("enabled", module.PLUGIN.name, name, committed_state(name)))

    def plugin_disabled(name):
        if fail:
            raise RuntimeError("the listener broke")
        heard.append(("disabled", module.PLUGIN.name, name, committed_state(name)))

    module.plugin_enabled = hookimpl(plugin_enabled)
    module.plugin_disabled = hookimpl(plugin_disabled)
    return module


@pytest.fixture
def heard():
    return []


@pytest.fixture
def shop(make_app, heard):
    return make_app(extra_plugins=[listener("stamps", heard), listener("cards", heard)])


def switch(app, name, enabled):
    from core.services import plugins

    with app.app_context():
        plugins.set_enabled(name, enabled)


def test_disabling_a_plugin_tells_the_active_plugins_after_the_commit(shop, heard):
    switch(shop, "hello", False)

    assert sorted(heard) == [("disabled", "cards", "hello", False),
                             ("disabled", "stamps", "hello", False)]


def test_the_plugin_switched_off_hears_it_too(shop, heard):
    switch(shop, "stamps", False)

    assert sorted(heard) == [("disabled", "cards", "stamps", False),
                             ("disabled", "stamps", "stamps", False)]


def test_enabling_a_plugin_tells_every_active_plugin_the_one_switched_on_included(shop, heard):
    switch(shop, "stamps", False)
    heard.clear()

    switch(shop, "stamps", True)

    assert sorted(heard) == [("enabled", "cards", "stamps", True),
                             ("enabled", "stamps", "stamps", True)]


def test_a_disabled_plugin_does_not_hear_of_others(shop, heard):
    switch(shop, "cards", False)
    heard.clear()

    switch(shop, "hello", False)

    assert heard == [("disabled", "stamps", "hello", False)]


def test_switching_to_the_state_it_has_already_tells_no_one(shop, heard):
    switch(shop, "hello", True)

    assert heard == []


def test_a_plugin_failing_in_the_event_is_isolated(make_app, heard):
    app = make_app(extra_plugins=[listener("broken", heard, fail=True),
                                  listener("stamps", heard)])

    switch(app, "hello", False)

    assert heard == [("disabled", "stamps", "hello", False)]
    host = app.extensions["regulars.plugins"]
    assert ("broken", "plugin_disabled") in [f[:2] for f in host.failures]
    assert not host.is_active("hello")


def test_the_plugins_page_and_the_cli_send_the_events(shop, heard, users):
    client = shop.test_client()
    client.post("/login/", data={"username": "admin", "password": PASSWORD})

    client.post("/plugins/hello/toggle", data={"enabled": "0"})
    result = shop.test_cli_runner().invoke(args=["regulars", "plugins", "enable", "hello"])

    assert result.exit_code == 0, result.output
    assert sorted(heard) == [("disabled", "cards", "hello", False),
                             ("disabled", "stamps", "hello", False),
                             ("enabled", "cards", "hello", True),
                             ("enabled", "stamps", "hello", True)]


def test_upgrade_now_tells_the_plugins_when_it_makes_an_enabled_plugin_active(app, make_app,
                                                                           heard, unmigrate):
    unmigrate(app, "hello")  # hello installed and enabled, its migrations not run yet
    shop = make_app(extra_plugins=[listener("stamps", heard), listener("cards", heard)])
    assert not shop.extensions["regulars.plugins"].is_active("hello")

    switch(shop, "hello", True)  # "Upgrade now"

    assert shop.extensions["regulars.plugins"].is_active("hello")
    assert sorted(heard) == [("enabled", "cards", "hello", True),
                             ("enabled", "stamps", "hello", True)]
