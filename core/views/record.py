"""The Create / Edit Customer wizard, the record's small actions (phones, addresses, contacts,
reveal an identity number, tag suggestions) and the Segments screen."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Callable, NamedTuple

import babel
import pycountry
from babel import localedata
from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from core.errors import NotFound, ValidationError
from core.models import CustomerStatus, CustomerType
from core.services import customers as customer_service
from core.services import plugin_fields as plugin_field_service
from core.services import record as record_service
from core.services.duplicates import LikelyDuplicates
from core.services.normalize import fold
from core.views.common import allowed, host, language_name
from core.views.forms import show_errors

STEPS = (
    ("basic", _l("Basic")),
    ("business", _l("Business profile")),
    ("addresses", _l("Addresses & contacts")),
    ("identity", _l("Identity")),
    ("preferences", _l("Preferences")),
    ("segment", _l("Segment & tags")),
    ("more", _l("More")),
)
STEP_FIELDS = {
    "basic": ("kind", "number", "first_name", "last_name", "company_name", "email", "phone",
              "newphone_label", "newphone_number", "date_of_birth", "status"),
    "business": ("company_name", "tax_country", "tax_id", "registration_number", "business_type",
                 "industry", "payment_terms"),
    "addresses": ("address_kind", "address_is_default", "address_line1", "address_line2",
                  "address_city", "address_region", "address_postal_code", "address_country",
                  "address_latitude", "address_longitude", "person_name", "person_role",
                  "person_email", "person_phone", "person_is_billing"),
    "identity": ("driver_licence", "national_id"),
    "preferences": ("language", "currency", "contact_email", "contact_sms", "contact_phone",
                    "contact_post", "go_green"),
    "segment": ("segment_id", "tags", "reseller_id"),
    "more": (),
}
PART_FIELDS = {"phone": ("newphone_", ("label", "number")),
               "address": ("address_", record_service.ADDRESS_FIELDS),
               "contact": ("person_", record_service.CONTACT_FIELDS)}
# Parts whose only filled fields are these were not really filled in (a default kind or label).
PART_DEFAULTS = {"label", "kind", "is_default", "is_billing"}


@functools.lru_cache(maxsize=8)
def _languages(display: str) -> list[tuple[str, str]]:
    names = {}
    for code in localedata.locale_identifiers():
        if "_" in code:
            continue
        name = babel.Locale.parse(code).get_display_name(display)
        if name:
            names[code] = name[:1].upper() + name[1:]
    return sorted(names.items(), key=lambda item: fold(item[1]))


@functools.lru_cache(maxsize=1)
def _currencies() -> list[tuple[str, str]]:
    return [(c.alpha_3, f"{c.alpha_3} — {c.name}") for c in sorted(pycountry.currencies,
                                                                   key=lambda c: c.alpha_3)]


@functools.lru_cache(maxsize=1)
def _countries() -> list[tuple[str, str]]:
    return [(c.alpha_2, c.name) for c in sorted(pycountry.countries, key=lambda c: fold(c.name))]


def _none(label):
    return [("", str(label))]


def _core_fields() -> dict:
    """Every field of the wizard as an unbound WTForms field, built per request (the lists of
    segments and payment terms may change)."""
    text = {"validators": [Optional()]}
    return {
        "kind": SelectField(_l("Type"), choices=[(t.value, t.label) for t in CustomerType],
                            default=CustomerType.individual.value, validate_choice=False),
        "number": StringField(_l("Customer number"), validators=[Optional(), Length(max=32)],
                              description=_l("Leave empty to number the customer automatically.")),
        "first_name": StringField(_l("First name"), validators=[Length(max=100)]),
        "last_name": StringField(_l("Last name"), validators=[Length(max=100)]),
        "company_name": StringField(_l("Company (legal) name"), validators=[Length(max=200)]),
        "email": StringField(_l("Email"), validators=[Length(max=254)],
                             render_kw={"type": "email", "autocomplete": "off"}),
        "phone": StringField(_l("Phone"), validators=[Length(max=40)], render_kw={"type": "tel"},
                             description=_l("The number shown first; add more below.")),
        "newphone_label": SelectField(_l("Another phone: label"), validate_choice=False,
                                      choices=list(record_service.PHONE_LABELS.items())),
        "newphone_number": StringField(_l("Another phone: number"), validators=[Length(max=40)],
                                       render_kw={"type": "tel"}),
        "date_of_birth": StringField(_l("Date of birth"), render_kw={"type": "date"}, **text),
        "status": SelectField(_l("Status"), choices=[(s.value, s.label) for s in CustomerStatus],
                              default=CustomerStatus.active.value, validate_choice=False),
        "tax_country": SelectField(_l("Tax country"), validate_choice=False,
                                   choices=_none(_l("—")) + _countries()),
        "tax_id": StringField(_l("Tax ID / VAT number"), validators=[Length(max=40)]),
        "registration_number": StringField(_l("Registration number"), validators=[Length(max=60)]),
        "business_type": SelectField(_l("Business type"), validate_choice=False,
                                     choices=_none(_l("—")) + list(customer_service.BUSINESS_TYPES.items())),
        "industry": StringField(_l("Industry"), validators=[Length(max=100)]),
        "payment_terms": SelectField(_l("Payment terms"), validate_choice=False, choices=_none(_l("—")) + [
            (str(d), _("Net %(days)d", days=d)) for d in current_app.config["PAYMENT_TERMS"]]),
        **{"address_" + name: field for name, field in _address_fields().items()},
        **{"person_" + name: field for name, field in _contact_fields().items()},
        "driver_licence": StringField(_l("Driver's licence number"), validators=[Length(max=30)],
                                      render_kw={"autocomplete": "off"},
                                      description=_l("Stored encrypted. Leave empty to keep the stored number.")),
        "national_id": StringField(_l("ID / SSN"), validators=[Length(max=30)],
                                   render_kw={"autocomplete": "off"},
                                   description=_l("Stored encrypted. Leave empty to keep the stored number.")),
        "language": SelectField(_l("Language"), validate_choice=False,
                                choices=_none(_l("—")) + _languages(str(get_locale() or "en"))),
        "currency": SelectField(_l("Currency"), validate_choice=False,
                                choices=_none(_l("—")) + _currencies()),
        "contact_email": BooleanField(_l("May be contacted by email")),
        "contact_sms": BooleanField(_l("May be contacted by SMS")),
        "contact_phone": BooleanField(_l("May be contacted by phone")),
        "contact_post": BooleanField(_l("May be contacted by post")),
        "go_green": BooleanField(_l("Go Green: email receipts instead of paper")),
        "segment_id": SelectField(_l("Segment"), validate_choice=False, choices=_none(_l("—")) + [
            (str(s.id), s.name) for s in record_service.all_segments()]),
        "tags": StringField(_l("Tags"), validators=[Length(max=2000)],
                            description=_l("Separate tags with commas."),
                            render_kw={"list": "tag-suggestions", "autocomplete": "off"}),
        "reseller_id": StringField(_l("Reseller (customer number)"), validators=[Length(max=32)]),
    }


def _address_fields() -> dict:
    """An address's fields, named as the service names them (the wizard adds "address_")."""
    return {
        "kind": SelectField(_l("Address kind"), validate_choice=False,
                            choices=list(record_service.ADDRESS_KINDS.items())),
        "is_default": BooleanField(_l("Default address of its kind")),
        "line1": StringField(_l("Street and number"), validators=[Length(max=200)]),
        "line2": StringField(_l("Address line 2"), validators=[Length(max=200)]),
        "city": StringField(_l("Town or city"), validators=[Length(max=100)]),
        "region": StringField(_l("State / region"), validators=[Length(max=100)]),
        "postal_code": StringField(_l("Postal code"), validators=[Length(max=20)]),
        "country": SelectField(_l("Country"), validate_choice=False,
                               choices=_none(_l("—")) + _countries()),
        "latitude": StringField(_l("Latitude (optional)"), validators=[Length(max=20)],
                                render_kw={"inputmode": "decimal"}),
        "longitude": StringField(_l("Longitude (optional)"), validators=[Length(max=20)],
                                 render_kw={"inputmode": "decimal"}),
    }


def _contact_fields() -> dict:
    """A contact's fields, named as the service names them (the wizard adds "person_")."""
    return {
        "name": StringField(_l("Contact name"), validators=[Length(max=200)]),
        "role": StringField(_l("Role"), validators=[Length(max=100)]),
        "email": StringField(_l("Contact email"), validators=[Length(max=254)],
                             render_kw={"type": "email"}),
        "phone": StringField(_l("Contact phone"), validators=[Length(max=40)],
                             render_kw={"type": "tel"}),
        "is_billing": BooleanField(_l("Billing contact")),
    }


def _phone_fields() -> dict:
    """One of the other phones: its label and number."""
    return {
        "label": SelectField(_l("Label"), validate_choice=False,
                             choices=list(record_service.PHONE_LABELS.items())),
        "number": StringField(_l("Phone number"), validators=[Length(max=40)],
                              render_kw={"type": "tel"}),
    }


def _step_of(section) -> str:
    """The step a plugin's field asks for by its section ("Basic", "preferences"...), else "more"."""
    wanted = fold(str(section))
    for key, label in STEPS:
        if wanted in (key, fold(str(label))):
            return key
    return "more"


# Steps that only some types of customer go through.
STEPS_FOR_TYPE = {"business": {CustomerType.business.value}}


def steps_apply(key: str, customer_type: str) -> bool:
    """Whether a customer of ``customer_type`` goes through the wizard's step ``key``."""
    return customer_type in STEPS_FOR_TYPE.get(key, {customer_type})


class Wizard:
    """One request's wizard: which steps exist, the form of the step shown, and what a
    submitted form means to the services. ``customer_type`` is the type of the customer being
    edited (individuals have no business profile step)."""

    def __init__(self, kind: str, step: str | None,
                 customer_type: str = CustomerType.individual.value):
        from core.declarations import FormField

        # The plugins' CustomerFields (built from their type), then their own form fields.
        self.plugin_fields = [
            FormField(f.name, plugin_field_service.form_field(f), f.spec.section)
            for f in plugin_field_service.fields()] + host().collect("customer_form_fields",
                                                                     kind=kind)
        self.plugin_steps = {}
        for ff in self.plugin_fields:
            self.plugin_steps.setdefault(_step_of(ff.section), []).append(ff)
        self.steps = [(k, label) for k, label in STEPS if k != "more" or self.plugin_steps.get("more")]
        self.customer_type = customer_type
        keys = [k for k, _label in self.steps]
        # Without a step (a script, an older client) the form is the whole record at once.
        self.whole = step is None
        self.step = step if step in self.keys_for(customer_type) else "basic"
        shown = keys if self.whole else [self.step]
        core = _core_fields()
        self.sections = []
        attrs = {}
        for key in shown:
            names = [n for n in STEP_FIELDS[key] if n not in attrs]
            attrs.update({n: core[n] for n in names})
            for ff in self.plugin_steps.get(key, []):
                if ff.name not in core and ff.name not in attrs:
                    attrs[ff.name] = ff.field
                    names.append(ff.name)
            self.sections.append((key, dict(self.steps)[key], names))
        self.plugin_names = {ff.name for ff in self.plugin_fields if ff.name in attrs}
        self.form_class = type("CustomerWizardForm", (DynamicForm,), attrs)

    def keys_for(self, customer_type: str) -> list[str]:
        """The steps a customer of this type goes through, in order."""
        return [k for k, _label in self.steps if steps_apply(k, customer_type)]

    def next_step(self, customer_type: str | None = None) -> str | None:
        """The step after the one shown, for a customer of ``customer_type`` (default: the
        type being edited; after a save, the type just saved)."""
        keys = self.keys_for(customer_type or self.customer_type)
        if self.step not in keys:
            return keys[0] if keys else None
        i = keys.index(self.step)
        return keys[i + 1] if i + 1 < len(keys) else None

    def bar(self) -> list[tuple[str, str, int | None]]:
        """The step bar: (key, label, number) for every step, numbered 1..n over the steps the
        customer's type goes through; the others have no number and are hidden (the page's
        script shows them when the Type field changes)."""
        numbers = {k: n for n, k in enumerate(self.keys_for(self.customer_type), start=1)}
        return [(k, label, numbers.get(k)) for k, label in self.steps]

    def _sent(self, form, name) -> bool:
        # In a step every checkbox is on screen (unticked = not sent); in the whole form only
        # what was sent is meant.
        return name in request.form or (not self.whole and form[name].type == "BooleanField")

    def core_data(self, form) -> dict:
        data = {}
        for name in customer_service.EDITABLE:
            if name not in form or not self._sent(form, name):
                continue
            value = form[name].data
            data[name] = "" if value is None else value
        for name in ("driver_licence", "national_id"):
            if data.get(name) == "":  # an empty identity field keeps the stored number
                data.pop(name)
        if data.get("reseller_id"):
            reseller = customer_service.get_by_number(data["reseller_id"].strip())
            # Staff type the reseller's customer number; one not on file is no customer (0).
            data["reseller_id"] = reseller.id if reseller is not None else 0
        return data

    def parts(self, form) -> dict:
        parts = {}
        for part, (prefix, fields) in PART_FIELDS.items():
            values = {f: form[prefix + f].data for f in fields
                      if prefix + f in form and self._sent(form, prefix + f)}
            if any(v not in (None, "", False) for f, v in values.items() if f not in PART_DEFAULTS):
                parts[part] = {f: ("" if v is None else v) for f, v in values.items()}
        if "tags" in form and self._sent(form, "tags"):
            parts["tags"] = form.tags.data or ""
        return parts

    def extra_data(self, form) -> dict | None:
        names = [n for n in self.plugin_names if self._sent(form, n)]
        return {n: form[n].data for n in names} if self.plugin_names else None


def initial_values(customer) -> dict:
    """What the wizard shows for a stored customer (identity numbers never prefilled)."""
    values = {name: getattr(customer, name) for name in customer_service.EDITABLE
              if name not in ("driver_licence", "national_id")}
    values["date_of_birth"] = customer.date_of_birth.isoformat() if customer.date_of_birth else ""
    values["payment_terms"] = "" if customer.payment_terms is None else str(customer.payment_terms)
    values["segment_id"] = "" if customer.segment_id is None else str(customer.segment_id)
    values["reseller_id"] = customer.reseller.number if customer.reseller else ""
    values["tags"] = ", ".join(t.name for t in customer.tags)
    for name, value in plugin_field_service.read(customer).items():
        values[name] = _shown(value) if isinstance(value, Decimal) else value
    for extra in host().collect("customer_form_initial", customer=customer):
        values.update(extra)
    return values


def run_wizard(view, customer):
    """Show or save one step of the wizard for ``customer`` (None: Create Customer)."""
    if customer is not None:
        try:
            customer_service.refuse_if_erased(customer)
        except ValidationError as exc:
            flash(" ".join(str(m) for m in exc.errors.values()), "warning")
            return redirect(url_for("CustomerView.overview", customer_id=customer.id))
    kind = "edit" if customer is not None else "add"
    step = request.args.get("step")
    if request.method == "GET":
        step = "basic" if customer is None else (step or "basic")
    stored_type = customer.kind if customer is not None else CustomerType.individual.value
    wizard = Wizard(kind, step, stored_type)
    if request.method == "POST":
        form = wizard.form_class()
    else:
        form = wizard.form_class(data=initial_values(customer) if customer is not None else None)
    if "kind" in form and form.kind.data in {t.value for t in CustomerType}:
        wizard.customer_type = form.kind.data  # the type as the form now reads
    likely_duplicates = []
    if form.validate_on_submit():
        try:
            saved = record_service.save_step(
                customer, wizard.core_data(form), wizard.parts(form), actor=current_user,
                extra=wizard.extra_data(form),
                check_duplicates=customer is None and request.form.get("confirm_duplicate") != "1")
        except ValidationError as exc:
            show_errors(form, exc)
        except LikelyDuplicates as exc:
            likely_duplicates = exc.matches  # shown above the form with "Create anyway"
        else:
            if customer is None:
                flash(_("Customer %(name)s created as %(number)s.", name=saved.display_name,
                        number=saved.number), "success")
            else:
                flash(_("Changes to %(name)s saved.", name=saved.display_name), "success")
            following = wizard.next_step(saved.kind)
            go = request.form.get("go")
            if go == "next" and following:
                return redirect(url_for("CustomerView.edit", customer_id=saved.id, step=following))
            if go == "stay":
                return redirect(url_for("CustomerView.edit", customer_id=saved.id, step=wizard.step))
            return redirect(url_for("CustomerView.overview", customer_id=saved.id))
    return view.render_template(
        "regulars/customers/wizard.html", form=form, wizard=wizard, customer=customer,
        title=_("Edit Customer") if customer is not None else _("Create Customer"),
        masked=record_service.masked_identity(customer) if customer is not None else {},
        can_reveal=customer is not None and allowed("can_reveal", "CustomerView"),
        phone_labels=record_service.PHONE_LABELS, address_kinds=record_service.ADDRESS_KINDS,
        likely_duplicates=likely_duplicates,
    )


def details_context(customer) -> dict:
    """What the Details tab shows beyond the customer's own columns."""
    return {
        "masked": record_service.masked_identity(customer),
        "can_reveal": allowed("can_reveal", "CustomerView"),
        "phone_labels": record_service.PHONE_LABELS,
        "address_kinds": record_service.ADDRESS_KINDS,
        "business_types": customer_service.BUSINESS_TYPES,
        "language_name": language_name(customer.language),
        "identity_labels": record_service.IDENTITY_FIELDS,
    }


class PartEdit(NamedTuple):
    """How the wizard corrects one kind of part of the record on its own small form."""

    title: str
    fields: Callable[[], dict]
    rows: Callable
    update: Callable
    step: str
    saved: str


PART_EDITS = {
    "phone": PartEdit(_l("Edit phone"), _phone_fields, lambda c: c.phones,
                      record_service.update_phone, "basic", _l("Phone number saved.")),
    "address": PartEdit(_l("Edit address"), _address_fields, lambda c: c.addresses,
                        record_service.update_address, "addresses", _l("Address saved.")),
    "contact": PartEdit(_l("Edit contact"), _contact_fields, lambda c: c.contacts,
                        record_service.update_contact, "addresses", _l("Contact saved.")),
}


def _shown(value) -> object:
    """A stored value as its form field shows it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # 51.500000 is stored; 51.5 is what was typed.
        return format(value.normalize(), "f")
    return value


class CustomerRecordViews:
    """The record's small actions, mixed into CustomerView so they share its permissions."""

    def _edit_part(self, customer_id, kind: str, part_id):
        """Show one phone, address or contact pre-filled, or save it and go back to its step."""
        customer = self._customer(customer_id)
        edit = PART_EDITS[kind]
        row = next((r for r in edit.rows(customer) if r.id == part_id), None)
        if row is None:
            abort(404)
        fields = edit.fields()
        form_class = type(f"Edit{kind.title()}Form", (DynamicForm,), fields)
        if request.method == "POST":
            form = form_class()
        else:
            form = form_class(data={name: _shown(getattr(row, name)) for name in fields})
        if form.validate_on_submit():
            data = {name: "" if form[name].data is None else form[name].data for name in fields}
            try:
                edit.update(customer, part_id, data, actor=current_user)
            except NotFound:
                abort(404)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(str(edit.saved), "success")
                return self._back(customer, edit.step)
        return self.render_template(
            "regulars/customers/part_form.html", form=form, names=list(fields), customer=customer,
            title=edit.title, back=url_for("CustomerView.edit", customer_id=customer.id,
                                           step=edit.step))

    @expose("/<int:customer_id>/phones/<int:phone_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit_phone(self, customer_id, phone_id):
        return self._edit_part(customer_id, "phone", phone_id)

    @expose("/<int:customer_id>/addresses/<int:address_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit_address(self, customer_id, address_id):
        return self._edit_part(customer_id, "address", address_id)

    @expose("/<int:customer_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit_contact(self, customer_id, contact_id):
        return self._edit_part(customer_id, "contact", contact_id)

    def _customer(self, customer_id):
        try:
            return customer_service.get(customer_id)
        except NotFound:
            abort(404)

    def _back(self, customer, step):
        return redirect(url_for("CustomerView.edit", customer_id=customer.id, step=step))

    def _record_action(self, customer_id, step, action, done):
        customer = self._customer(customer_id)
        try:
            action(customer)
        except NotFound:
            abort(404)
        except ValidationError as exc:
            flash(" ".join(exc.errors.values()), "danger")
        else:
            flash(done, "success")
        return self._back(customer, step)

    @expose("/<int:customer_id>/phones/<int:phone_id>/delete", methods=["POST"])
    @has_access
    @permission_name("edit")
    def delete_phone(self, customer_id, phone_id):
        return self._record_action(customer_id, "basic", lambda c: record_service.delete_phone(
            c, phone_id, actor=current_user), _("Phone number removed."))

    @expose("/<int:customer_id>/phones/<int:phone_id>/primary", methods=["POST"])
    @has_access
    @permission_name("edit")
    def primary_phone(self, customer_id, phone_id):
        return self._record_action(customer_id, "basic", lambda c: record_service.make_primary_phone(
            c, phone_id, actor=current_user), _("Primary phone changed."))

    @expose("/<int:customer_id>/addresses/<int:address_id>/delete", methods=["POST"])
    @has_access
    @permission_name("edit")
    def delete_address(self, customer_id, address_id):
        return self._record_action(customer_id, "addresses", lambda c: record_service.delete_address(
            c, address_id, actor=current_user), _("Address removed."))

    @expose("/<int:customer_id>/addresses/<int:address_id>/default", methods=["POST"])
    @has_access
    @permission_name("edit")
    def default_address(self, customer_id, address_id):
        return self._record_action(
            customer_id, "addresses",
            lambda c: record_service.make_default_address(c, address_id, actor=current_user),
            _("Default address changed."))

    @expose("/<int:customer_id>/contacts/<int:contact_id>/delete", methods=["POST"])
    @has_access
    @permission_name("edit")
    def delete_contact(self, customer_id, contact_id):
        return self._record_action(customer_id, "addresses", lambda c: record_service.delete_contact(
            c, contact_id, actor=current_user), _("Contact removed."))

    @expose("/<int:customer_id>/reveal/<field>", methods=["POST"])
    @has_access
    @permission_name("reveal")
    def reveal(self, customer_id, field):
        customer = self._customer(customer_id)
        try:
            value = record_service.reveal(customer, field, actor=current_user)
        except ValidationError as exc:
            return jsonify(message=str(_("Some fields are not valid.")), errors=exc.errors), 422
        return jsonify(field=field, value=value)

    @expose("/tags/suggest")
    @has_access
    @permission_name("list")
    def suggest_tags(self):
        return jsonify(result=record_service.suggest_tags(request.args.get("q", "")[:60]))


class SegmentView(BaseView):
    """Segments (Regular, VIP, Wholesale...): name, discount percentage, price level."""

    route_base = "/segments"
    default_view = "list"
    class_permission_name = "SegmentView"
    base_permissions = ["can_list", "can_add", "can_edit", "can_delete"]

    def _segment(self, segment_id):
        try:
            return record_service.get_segment(segment_id)
        except NotFound:
            abort(404)

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        return self.render_template("regulars/segments/list.html",
                                    segments=record_service.all_segments(),
                                    can_edit=allowed("can_edit", "SegmentView"),
                                    can_add=allowed("can_add", "SegmentView"),
                                    can_delete=allowed("can_delete", "SegmentView"))

    def _form(self, segment):
        values = request.form if request.method == "POST" else {
            "name": segment.name if segment else "",
            "discount_percent": str(segment.discount_percent) if segment else "0",
            "price_level": segment.price_level if segment else "retail",
            "position": str(segment.position) if segment else "0"}
        errors = {}
        if request.method == "POST":
            data = {k: request.form.get(k, "") for k in ("name", "discount_percent", "price_level",
                                                         "position")}
            try:
                saved = record_service.save_segment(data, segment)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Segment %(name)s saved.", name=saved.name), "success")
                return redirect(url_for("SegmentView.list"))
        return self.render_template("regulars/segments/form.html", segment=segment,
                                    values=values, errors=errors)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self):
        return self._form(None)

    @expose("/<int:segment_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, segment_id):
        return self._form(self._segment(segment_id))

    @expose("/<int:segment_id>/delete", methods=["GET", "POST"])
    @has_access
    @permission_name("delete")
    def delete(self, segment_id):
        """Ask first (how many customers are in it), then delete on the confirmed POST."""
        segment = self._segment(segment_id)
        if request.method == "POST" and request.form.get("confirm") == "yes":
            name = segment.name
            moved = record_service.delete_segment(segment, actor=current_user)
            flash(ngettext("Segment %(name)s deleted; %(num)d customer now has no segment.",
                           "Segment %(name)s deleted; %(num)d customers now have no segment.",
                           moved, name=name) if moved else
                  _("Segment %(name)s deleted.", name=name), "success")
            return redirect(url_for("SegmentView.list"))
        return self.render_template("regulars/segments/delete.html", segment=segment,
                                    used=record_service.segment_customer_count(segment))
