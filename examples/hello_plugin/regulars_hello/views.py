"""The plugin's screens: a menu page, the overview's Hello tab and the Say hello action.

While the plugin is disabled the host answers 404 on every URL here and hides the menu item."""

from flask import abort, flash, redirect, render_template
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from core.sdk import NotFound, customer_url, get_customer, record_activity
from regulars_hello import services


def _customer_or_404(customer_id):
    try:
        return get_customer(customer_id)
    except NotFound:
        abort(404)


class HelloView(BaseView):
    route_base = "/hello"
    default_view = "list"
    # Each permission shows up in the roles screen as "<permission> on HelloView".
    base_permissions = ["can_list", "can_tab", "can_say"]

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        return self.render_template("hello/list.html", total=services.count(),
                                    greetings=services.latest(), customer_url=customer_url)

    @expose("/customers/<int:customer_id>/tab")
    @has_access
    def tab(self, customer_id):
        # A tab is a fragment that the overview loads into place, not a whole page.
        customer = _customer_or_404(customer_id)
        return render_template("hello/tab.html", customer=customer,
                               greeting=services.greeting_of(customer))

    @expose("/customers/<int:customer_id>/say", methods=["POST"])
    @has_access
    def say(self, customer_id):
        customer = _customer_or_404(customer_id)
        greeting = services.greeting_of(customer) or _("Hello, %(name)s!",
                                                       name=customer.display_name)
        # No transaction is open in a view, so record_activity commits on its own, as the
        # signed-in user.
        record_activity(customer, "note", _("Said hello"), greeting, source="hello")
        flash(greeting, "info")
        return redirect(customer_url(customer))
