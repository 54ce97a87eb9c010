"""Screens: the shop's rates (menu "FX rates") and a customer's agreed rates (the overview's
"FX rates" tab). Each handler parses, calls a service, and renders or redirects."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import Length

from core.sdk import NotFound, ValidationError, customer_url
from plugins.fxrates import services


SHOP_RATES = "FxRatesView"
CUSTOMER_RATES = "FxCustomerRatesView"


class RateForm(DynamicForm):
    """Reads what was typed; the meaning (valid code, positive rate, no overlap) is checked by
    the services, whose messages appear beside these fields."""

    base = SelectField(_l("From currency"), validate_choice=False)
    quote = SelectField(_l("To currency"), validate_choice=False)
    rate = StringField(_l("Rate"), validators=[Length(max=40)],
                       render_kw={"inputmode": "decimal", "autocomplete": "off",
                                  "placeholder": "1.1675"},
                       description=_l("What one unit of the first currency is worth in the second."))
    valid_from = StringField(_l("Valid from"), render_kw={"type": "date"})
    valid_to = StringField(_l("Valid until"), render_kw={"type": "date"},
                           description=_l("Leave empty while the rate holds until further notice."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a currency…"))] + services.currency_choices()
        self.base.choices = choices
        self.quote.choices = choices
        for name in ("base", "quote", "rate", "valid_from"):
            self[name].flags.required = True

    def values(self) -> dict:
        return {name: self[name].data for name in services.FIELDS}


def _new_form() -> RateForm:
    if request.method == "POST":
        return RateForm()
    return RateForm(data={"base": current_app.config.get("DEFAULT_CURRENCY", ""),
                          "valid_from": date.today().isoformat()})


def _edit_form(rate) -> RateForm:
    if request.method == "POST":
        return RateForm()
    return RateForm(data={"base": rate.base, "quote": rate.quote,
                          "rate": services.rate_text(rate.rate),
                          "valid_from": rate.valid_from.isoformat(),
                          "valid_to": rate.valid_to.isoformat() if rate.valid_to else ""})


def _show_errors(form: RateForm, error: ValidationError) -> None:
    """Put a service's messages beside the fields they name; others go above the form."""
    for name, message in error.errors.items():
        if name in services.FIELDS:
            form[name].errors = list(form[name].errors or []) + [message]
        else:
            form.form_errors.append(message)
    form._errors = None  # WTForms caches form.errors; let it see the messages just added


def _submitted(form: RateForm) -> bool:
    """True when a POST passed the form's own checks; an expired CSRF token becomes a message
    above the form rather than a silent failure."""
    if form.validate_on_submit():
        return True
    if request.method == "POST" and "csrf_token" in form.errors:
        form.form_errors.append(_("This form has expired. Please send it again."))
    return False


def _allowed(permission: str, view: str) -> bool:
    return current_app.appbuilder.sm.has_access(permission, view)


def _listing(rates, endpoint: str, **url_args) -> list[dict]:
    """Rows for a rates table: the rate, its text, period, status today, and its own URLs."""
    today = date.today()
    return [{"rate": r, "value": services.rate_text(r.rate), "period": services.period_text(r),
             "status": services.status_on(r, today),
             "edit_url": url_for(f"{endpoint}.edit", rate_id=r.id, **url_args),
             "delete_url": url_for(f"{endpoint}.delete", rate_id=r.id, **url_args)}
            for r in rates]


class FxRatesView(BaseView):
    """The shop's own exchange rates."""

    route_base = "/fxrates"
    default_view = "list"
    class_permission_name = SHOP_RATES
    base_permissions = ["can_list", "can_add", "can_edit", "can_delete"]

    def _shop_rate_or_404(self, rate_id):
        try:
            rate = services.get(rate_id)
        except NotFound:
            abort(404)
        if not rate.is_shop_rate:
            abort(404)
        return rate

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        return self.render_template(
            "fxrates/list.html", rates=_listing(services.shop_rates(), "FxRatesView"),
            can_add=_allowed("can_add", SHOP_RATES),
            can_edit=_allowed("can_edit", SHOP_RATES),
            can_delete=_allowed("can_delete", SHOP_RATES),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self):
        form = _new_form()
        if _submitted(form):
            try:
                rate = services.create(form.values(), actor=current_user)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                flash(_("%(base)s → %(quote)s rate of %(rate)s added.", base=rate.base,
                        quote=rate.quote, rate=services.rate_text(rate.rate)), "success")
                return redirect(url_for("FxRatesView.list"))
        return self.render_template("fxrates/form.html", form=form, title=_("Add a shop rate"),
                                    cancel_url=url_for("FxRatesView.list"))

    @expose("/<int:rate_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, rate_id):
        rate = self._shop_rate_or_404(rate_id)
        form = _edit_form(rate)
        if _submitted(form):
            try:
                services.update(rate, form.values(), actor=current_user)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                flash(_("%(base)s → %(quote)s rate saved.", base=rate.base, quote=rate.quote),
                      "success")
                return redirect(url_for("FxRatesView.list"))
        return self.render_template("fxrates/form.html", form=form, title=_("Edit shop rate"),
                                    cancel_url=url_for("FxRatesView.list"))

    @expose("/<int:rate_id>/delete", methods=["POST"])
    @has_access
    @permission_name("delete")
    def delete(self, rate_id):
        rate = self._shop_rate_or_404(rate_id)
        pair = {"base": rate.base, "quote": rate.quote}
        services.delete(rate)
        flash(_("%(base)s → %(quote)s rate deleted.", **pair), "success")
        return redirect(url_for("FxRatesView.list"))


class CustomerFxRatesView(BaseView):
    """Rates agreed with one customer: the overview's tab, and the pages its buttons lead to."""

    route_base = "/fxrates/customers"
    # Permission names starting with "Fx" reach the Accounts role (core/security.py).
    class_permission_name = CUSTOMER_RATES
    base_permissions = ["can_tab", "can_add", "can_edit", "can_delete"]

    @staticmethod
    def _customer_or_404(customer_id):
        try:
            return services.find_customer(customer_id)
        except NotFound:
            abort(404)

    def _rate_or_404(self, customer, rate_id):
        try:
            rate = services.get(rate_id)
        except NotFound:
            abort(404)
        if rate.customer_id != customer.id:
            abort(404)
        return rate

    @staticmethod
    def _back_to_tab(customer):
        return redirect(customer_url(customer) + "?tab=fxrates")

    def _form_page(self, customer, form, title):
        return self.render_template("fxrates/form.html", form=form, title=title, customer=customer,
                                    cancel_url=customer_url(customer) + "?tab=fxrates")

    @expose("/<int:customer_id>/tab")
    @has_access
    @permission_name("tab")
    def tab(self, customer_id):
        customer = self._customer_or_404(customer_id)
        can_add = _allowed("can_add", CUSTOMER_RATES)
        return render_template(
            "fxrates/tab.html", customer=customer,
            rates=_listing(services.customer_rates(customer), "CustomerFxRatesView",
                           customer_id=customer.id),
            form=_new_form() if can_add else None, can_add=can_add,
            can_edit=_allowed("can_edit", CUSTOMER_RATES),
            can_delete=_allowed("can_delete", CUSTOMER_RATES),
        )

    @expose("/<int:customer_id>/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self, customer_id):
        customer = self._customer_or_404(customer_id)
        form = _new_form()
        if _submitted(form):
            try:
                rate = services.create(form.values(), customer=customer, actor=current_user)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                flash(_("%(base)s → %(quote)s rate of %(rate)s added for %(name)s.",
                        base=rate.base, quote=rate.quote, rate=services.rate_text(rate.rate),
                        name=customer.display_name), "success")
                return self._back_to_tab(customer)
        return self._form_page(customer, form, _("Add an FX rate for %(name)s",
                                                 name=customer.display_name))

    @expose("/<int:customer_id>/<int:rate_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, customer_id, rate_id):
        customer = self._customer_or_404(customer_id)
        rate = self._rate_or_404(customer, rate_id)
        form = _edit_form(rate)
        if _submitted(form):
            try:
                services.update(rate, form.values(), actor=current_user)
            except ValidationError as exc:
                _show_errors(form, exc)
            else:
                flash(_("%(base)s → %(quote)s rate saved for %(name)s.", base=rate.base,
                        quote=rate.quote, name=customer.display_name), "success")
                return self._back_to_tab(customer)
        return self._form_page(customer, form, _("Edit FX rate for %(name)s",
                                                 name=customer.display_name))

    @expose("/<int:customer_id>/<int:rate_id>/delete", methods=["POST"])
    @has_access
    @permission_name("delete")
    def delete(self, customer_id, rate_id):
        customer = self._customer_or_404(customer_id)
        rate = self._rate_or_404(customer, rate_id)
        pair = {"base": rate.base, "quote": rate.quote}
        services.delete(rate)
        flash(_("%(base)s → %(quote)s rate deleted for %(name)s.", name=customer.display_name,
                **pair), "success")
        return self._back_to_tab(customer)
