"""The entry point of the Hello plugin: what it is (``PLUGIN``) and the hooks it implements.

Thin glue only: each hook hands over to the plugin's services, views or jobs."""

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.sdk import (Action, Badge, CustomerField, ListColumn, ListFilter, MergePanel,
                      PluginInfo, Tab, hookimpl)
from regulars_hello import jobs, services
from regulars_hello.models import GREETING_MAX, Greeting
from regulars_hello.views import HelloView

PLUGIN = PluginInfo(
    name="hello",
    label="Hello",
    version="1.0.0",
    description="Greet every regular the way they like to be greeted.",
    core_version=">=1,<2",
    migrations=str(Path(__file__).resolve().parent / "migrations"),
    author="The Regulars contributors",
    # Saying hello is for the till too (a permission not named follows the core's rule).
    grants={"can_say": ["Manager", "Cashier"]},
)


# -- views and jobs --------------------------------------------------------------------------


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(HelloView, "Greetings", label=_l("Greetings"), icon="fa-hand-paper-o")


@hookimpl
def register_jobs(scheduler):
    scheduler.add_job(jobs.count_greetings, "interval", hours=1, id="hello.count_greetings")


# -- the customer record ---------------------------------------------------------------------


@hookimpl
def customer_fields():
    # On the form, in the API, the CSV import and export, the merge screen and erasure.
    return CustomerField(name=services.FIELD, label=_l("Preferred greeting"),
                         column=Greeting.text, max_length=GREETING_MAX, section="Basic",
                         description=_l("How staff greet this customer, e.g. “Morning, Sam!”"))


@hookimpl
def customer_merging(survivor, merged):
    services.move_greeting(survivor, merged)

# -- the customer overview -------------------------------------------------------------------


@hookimpl
def customer_tabs(customer):
    return Tab(key="hello", label=_("Hello"), order=100,
               url=url_for("HelloView.tab", customer_id=customer.id))


@hookimpl
def customer_actions(customer):
    return Action(label=_("Say hello"), url=url_for("HelloView.say", customer_id=customer.id),
                  icon="fa-hand-paper-o", method="post", permission=("can_say", "HelloView"))


@hookimpl
def customer_badges(customer):
    greeting = services.greeting_of(customer)
    if greeting:
        return Badge(label=greeting, style="info", title=_("Preferred greeting"))
    return None


# -- the customer list and the merge screen --------------------------------------------------


@hookimpl
def customer_list_columns():
    return ListColumn(key="hello_greeting", label=_l("Greeting"), values=services.greetings_of)


@hookimpl
def customer_list_filters():
    return ListFilter(key="hello_greeted", label=_l("Greeting"),
                      choices=[("yes", _l("Has a greeting"))], apply=services.greeted)


@hookimpl
def merge_panels(survivor, merged):
    return MergePanel(title=_("Greetings"), rows=[(_("Greeting"), services.greeting_of(survivor),
                                                   services.greeting_of(merged))],
                      text=_("The kept customer's greeting stays; if they have none, the other "
                             "one moves to them."))


# -- privacy ---------------------------------------------------------------------------------


@hookimpl
def customer_export(customer):
    return ("hello", {"greeting": services.greeting_of(customer)})


@hookimpl
def customer_erasing(customer):
    services.set_greeting(customer, None)
