"""The FX rates plugin's entry point: what it is, and the hooks it answers. Thin glue only; the
rules live in services.py."""

from __future__ import annotations

from pathlib import Path

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.sdk import PluginInfo, SummaryItem, Tab, hookimpl
from plugins.fxrates import models  # noqa: F401  (its tables join the metadata when the plugin loads)
from plugins.fxrates import services
from plugins.fxrates.api import FxRatesApi
from plugins.fxrates.views import CUSTOMER_RATES, CustomerFxRatesView, FxRatesView

PLUGIN = PluginInfo(
    name="fxrates",
    label="FX rates",
    version="1.0.0",
    description="The shop's exchange rates and rates agreed with individual customers, "
                "valid over periods; other plugins ask for a rate through the fx_rate hook.",
    migrations=str(Path(__file__).resolve().parent / "migrations"),
)


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(FxRatesView, "FX rates", label=_l("FX rates"), icon="fa-exchange")
    appbuilder.add_view_no_menu(CustomerFxRatesView)


@hookimpl
def register_api(appbuilder):
    appbuilder.add_api(FxRatesApi)


@hookimpl
def customer_tabs(customer):
    count = services.count_customer_rates(customer)
    return Tab(key="fxrates", label=str(_l("FX rates")), order=100,
               url=url_for("CustomerFxRatesView.tab", customer_id=customer.id),
               permission=("can_tab", CUSTOMER_RATES),
               badge=str(count) if count else None)


@hookimpl
def customer_summary(customer):
    count = services.count_customer_rates(customer)
    if count:
        return SummaryItem(label=str(_l("Custom FX rates")), value=str(count), order=100)
    return None


@hookimpl
def fx_rate(base, quote, on, customer):
    return services.rate_on(base, quote, on, customer)


@hookimpl
def customer_merging(survivor, merged):
    services.move_customer_rates(survivor, merged)

@hookimpl
def customer_export(customer):
    return ("fxrates", services.export_customer_rates(customer))


@hookimpl
def customer_erasing(customer):
    # An agreed exchange rate is a commercial term, not personal data: erasure keeps it.
    return None


@hookimpl
def load_demo_data(seed):
    services.add_demo_rates(seed)
