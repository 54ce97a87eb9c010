"""Plugins talk to each other through hooks of their own: one plugin declares hookspecs with
``addhooks(pm)`` and ``pm.add_hookspecs``, another implements them (and ``requires`` the first),
and a call reaches the implementer only while both are active (the sales -> loyalty pattern of
docs/plugins.md)."""

from __future__ import annotations

import types

import pytest

from core.sdk import PluginInfo, ValidationError, hookimpl, hookspec, plugin_host


def sales_plugin():
    """A plugin declaring ``demo_sale_recorded(sale)`` for others, in a hookspecs module of its own."""
    specs = types.ModuleType("demo_sales_hookspecs")

    def demo_sale_recorded(sale):
        """A sale was recorded and committed."""

    specs.demo_sale_recorded = hookspec(demo_sale_recorded)

    module = types.ModuleType("demo_sales_plugin")
    module.PLUGIN = PluginInfo(name="demo_sales", label="Sales", version="1.0")

    def addhooks(pm):
        pm.add_hookspecs(specs)

    module.addhooks = hookimpl(addhooks)
    return module


def loyalty_plugin(earned, requires=("demo_sales",), fail=False):
    """A plugin implementing ``demo_sale_recorded``: notes the points in ``earned``."""
    module = types.ModuleType("demo_loyalty_plugin")
    module.PLUGIN = PluginInfo(name="demo_loyalty", label="Loyalty", version="1.0",
                               requires=list(requires))

    def demo_sale_recorded(sale):
        if fail:
            raise RuntimeError("the points printer is out of paper")
        earned.append(sale["total"] // 10)
        return sale["total"] // 10

    module.demo_sale_recorded = hookimpl(demo_sale_recorded)
    return module


@pytest.fixture
def earned():
    return []


def record_sale(app, total):
    """What the sales plugin does after its sale committed: tell the plugins that listen."""
    with app.app_context():
        plugin_host().notify("demo_sale_recorded", sale={"id": 1, "total": total})


def test_a_plugins_own_hook_reaches_the_plugin_that_implements_it(make_app, earned):
    app = make_app(extra_plugins=[sales_plugin(), loyalty_plugin(earned)])

    record_sale(app, 120)
    with app.app_context():
        answers = plugin_host().hook.demo_sale_recorded(sale={"id": 2, "total": 50})
        collected = plugin_host().collect("demo_sale_recorded", sale={"id": 3, "total": 30})

    assert earned == [12, 5, 3]
    assert answers == [5]
    assert collected == [3]


def test_the_implementer_may_load_before_the_plugin_that_declares_the_hook(make_app, earned):
    app = make_app(extra_plugins=[loyalty_plugin(earned), sales_plugin()])

    record_sale(app, 120)

    assert earned == [12]


def test_the_hook_reaches_the_implementer_only_while_it_is_enabled(make_app, earned,
                                                                    disable_plugin,
                                                                    enable_plugin):
    app = make_app(extra_plugins=[sales_plugin(), loyalty_plugin(earned)])

    disable_plugin("demo_loyalty", app)
    record_sale(app, 120)
    assert earned == []

    enable_plugin("demo_loyalty", app)
    record_sale(app, 70)
    assert earned == [7]


def test_the_declaring_plugin_stays_on_while_its_implementer_is_on(make_app, earned,
                                                                   disable_plugin,
                                                                   enable_plugin):
    app = make_app(extra_plugins=[sales_plugin(), loyalty_plugin(earned)])

    with pytest.raises(ValidationError):
        disable_plugin("demo_sales", app)

    disable_plugin("demo_loyalty", app)
    disable_plugin("demo_sales", app)
    with pytest.raises(ValidationError):
        enable_plugin("demo_loyalty", app)  # it requires demo_sales, which is off
    record_sale(app, 120)
    assert earned == []


def test_an_implementer_requiring_a_missing_plugin_is_skipped_with_the_reason(make_app, earned):
    app = make_app(extra_plugins=[loyalty_plugin(earned)])

    with app.app_context():
        host = plugin_host()
        reason = host.inactive_reason("demo_loyalty")

    assert reason == "requires plugin 'demo_sales', which is not installed"


def test_an_implementer_of_a_hook_nobody_declares_is_skipped_with_the_reason(make_app, earned):
    app = make_app(extra_plugins=[loyalty_plugin(earned, requires=())])

    with app.app_context():
        reason = plugin_host().inactive_reason("demo_loyalty")

    assert reason.startswith("implements 'demo_sale_recorded', which is not a Regulars hook")


def test_notify_isolates_an_implementer_that_fails(make_app, earned):
    app = make_app(extra_plugins=[sales_plugin(), loyalty_plugin(earned, fail=True)])

    record_sale(app, 120)  # does not raise

    with app.app_context():
        failures = plugin_host().failures
    assert [(plugin, hook) for plugin, hook, _error in failures] == [
        ("demo_loyalty", "demo_sale_recorded")]
