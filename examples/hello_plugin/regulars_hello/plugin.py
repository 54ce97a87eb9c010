"""Hello: greet every regular the way they like to be greeted. ``PLUGIN`` says what the
plugin is; each ``@hookimpl`` function adds one thing to Regulars."""

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.sdk import (Action, Badge, CustomerField, ListColumn, ListFilter, PluginInfo, Tab,
                      hookimpl, record_activity, write_transaction)
from regulars_hello.models import Greeting, birthdays_today, greeting_of, greetings_of
from regulars_hello.views import HelloView

PLUGIN = PluginInfo(
    name="hello",
    label="Hello",
    version="1.0.0",
    description="Greet every regular the way they like to be greeted.",
    core_version=">=1,<2",
    migrations=str(Path(__file__).resolve().parent / "migrations"),
    author="The Regulars contributors",
    grants={"can_say": ["Manager", "Cashier"]},  # can_tab, can_list: reads, every role has them
)


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(HelloView, "Birthdays", label=_l("Birthdays"), icon="fa-birthday-cake")


@hookimpl
def customer_fields():
    # The core carries the field everywhere: the form, the API, the CSV import and export, the
    # data export, the merge screen (a choice between two values; the merged record's row
    # goes), and erasure (the row goes). Merge, erasure and export reach it while the plugin
    # is disabled too, so the plugin needs no merging, erasing or export hook of its own.
    return CustomerField(name="hello_greeting", label=_l("Preferred greeting"),
                         column=Greeting.text, section="Basic",
                         description=_l("How staff greet this customer, e.g. “Morning, Sam!”"))


@hookimpl
def customer_tabs(customer):
    return Tab(key="hello", label=_("Hello"), permission=("can_tab", "HelloView"),
               url=url_for("HelloView.tab", customer_id=customer.id))


@hookimpl
def customer_actions(customer):
    return Action(label=_("Say hello"), url=url_for("HelloView.say", customer_id=customer.id),
                  icon="fa-hand-paper-o", method="post", permission=("can_say", "HelloView"))


@hookimpl
def customer_badges(customer):
    greeting = greeting_of(customer)
    return Badge(label=greeting, style="info", title=_("Preferred greeting")) if greeting else None


@hookimpl
def customer_list_columns():
    return ListColumn(key="hello_greeting", label=_l("Greeting"), values=greetings_of)


@hookimpl
def customer_list_filters():
    return ListFilter(key="hello_greeted", label=_l("Greeting"),
                      choices=[("yes", _l("Has a greeting"))],
                      apply=lambda value: select(Greeting.customer_id))


def birthday_greetings() -> int:
    """A "Birthday greeting due" task on the timeline of each customer whose birthday it is,
    all in one commit; returns how many."""
    customers = birthdays_today()
    greetings = greetings_of([c.id for c in customers])
    with write_transaction():
        for customer in customers:
            record_activity(customer, "task", _("Birthday greeting due"),
                            greetings.get(customer.id, ""), source="hello")
    return len(customers)


@hookimpl
def register_jobs(scheduler):
    scheduler.add_job(birthday_greetings, "cron", hour=8, id="hello.birthdays")  # shop time
