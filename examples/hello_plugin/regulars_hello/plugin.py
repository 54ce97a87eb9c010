"""The entry point of the Hello plugin: what it is (``PLUGIN``) and the hooks it implements.

Thin glue only: each hook hands over to the plugin's services, views or jobs."""

from pathlib import Path

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from core.sdk import Action, Badge, FormField, PluginInfo, Tab, hookimpl
from regulars_hello import jobs, services
from regulars_hello.models import GREETING_MAX
from regulars_hello.views import HelloView

PLUGIN = PluginInfo(
    name="hello",
    label="Hello",
    version="1.0.0",
    description="Greet every regular the way they like to be greeted.",
    core_version=">=1,<2",
    migrations=str(Path(__file__).resolve().parent / "migrations"),
    author="The Regulars contributors",
)


# -- views and jobs --------------------------------------------------------------------------


@hookimpl
def register_views(appbuilder):
    appbuilder.add_view(HelloView, "Greetings", label=_l("Greetings"), icon="fa-hand-paper-o")


@hookimpl
def register_jobs(scheduler):
    scheduler.add_job(jobs.count_greetings, "interval", hours=1, id="hello.count_greetings")


# -- the customer form -----------------------------------------------------------------------


@hookimpl
def customer_form_fields(kind):
    return FormField(
        name=services.FIELD,
        field=StringField(_l("Preferred greeting"),
                          validators=[Optional(), Length(max=GREETING_MAX)],
                          description=_l("How staff greet this customer, e.g. “Morning, Sam!”")),
        section="Basic",
    )


@hookimpl
def customer_form_initial(customer):
    return {services.FIELD: services.greeting_of(customer)}


@hookimpl
def customer_form_saved(customer, data):
    if services.FIELD in data:  # absent when the save came from somewhere without our field
        services.set_greeting(customer, data[services.FIELD])



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


# -- privacy ---------------------------------------------------------------------------------


@hookimpl
def customer_export(customer):
    return ("hello", {"greeting": services.greeting_of(customer)})


@hookimpl
def customer_erasing(customer):
    services.set_greeting(customer, None)
