"""The plugin's pages. Each needs its permission ("can_say on HelloView" on the roles screen);
while the plugin is disabled they answer 404."""

from flask import flash, redirect, render_template
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from core.sdk import customer_url, get_customer, record_activity
from regulars_hello.models import birthdays_today, greeting_of, greetings_of


class HelloView(BaseView):
    route_base = "/hello"
    default_view = "list"
    base_permissions = ["can_list", "can_tab", "can_say"]

    @expose("/")
    @has_access
    def list(self):  # the menu's page: today's birthdays and how to greet them
        customers = birthdays_today()
        return self.render_template("hello/birthdays.html", customers=customers,
                                    greetings=greetings_of([c.id for c in customers]),
                                    customer_url=customer_url)

    @expose("/customers/<int:customer_id>/tab")
    @has_access
    def tab(self, customer_id):  # a fragment the overview loads into the tab, not a page
        customer = get_customer(customer_id)  # no such customer: 404
        return render_template("hello/tab.html", greeting=greeting_of(customer))

    @expose("/customers/<int:customer_id>/say", methods=["POST"])
    @has_access
    def say(self, customer_id):
        customer = get_customer(customer_id)  # no such customer: 404
        greeting = greeting_of(customer) or _("Hello, %(name)s!", name=customer.display_name)
        # No transaction is open in a view, so record_activity commits on its own, as the
        # signed-in user.
        record_activity(customer, "note", _("Said hello"), greeting, source="hello")
        flash(greeting, "info")
        return redirect(customer_url(customer))
