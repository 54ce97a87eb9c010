"""WTForms for the core's screens. Validation of meaning (unique number, valid phone) happens
in the services; these forms only read what was typed and show the services' errors."""

from __future__ import annotations

from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core.errors import ValidationError
from core.models import CustomerStatus, CustomerType


class CustomerForm(DynamicForm):
    kind = SelectField(_l("Type"), choices=[(t.value, t.label) for t in CustomerType],
                       default=CustomerType.individual.value)
    number = StringField(_l("Customer number"), validators=[Optional(), Length(max=32)],
                         description=_l("Leave empty to number the customer automatically."))
    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])
    company_name = StringField(_l("Company name"), validators=[Length(max=200)])
    email = StringField(_l("Email"), validators=[Length(max=254)],
                        render_kw={"type": "email", "autocomplete": "off"})
    phone = StringField(_l("Phone"), validators=[Length(max=40)], render_kw={"type": "tel"})
    status = SelectField(_l("Status"), choices=[(s.value, s.label) for s in CustomerStatus],
                         default=CustomerStatus.active.value)

    CORE_FIELDS = ("kind", "number", "first_name", "last_name", "company_name", "email", "phone",
                   "status")
    SECTIONS = {"Basic": ["kind", "number", "first_name", "last_name", "company_name"],
                "Contact": ["email", "phone"], "Status": ["status"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email.flags.required = True

    def core_data(self) -> dict:
        # A field the browser did not send reads as None; to the service that is an empty field.
        return {name: "" if self[name].data is None else self[name].data
                for name in self.CORE_FIELDS if name in self}

    def extra_data(self) -> dict:
        return {name: f.data for name, f in self._fields.items()
                if name not in self.CORE_FIELDS and name != "csrf_token"}


class GroupForm(DynamicForm):
    name = StringField(_l("Name"), validators=[Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])

    def core_data(self) -> dict:
        return {"name": self.name.data or "", "description": self.description.data or ""}


def form_with_plugin_fields(base, plugin_fields):
    """A subclass of ``base`` with the plugins' fields added (built per request, since the
    enabled plugins can change at any time)."""
    attrs = {ff.name: ff.field for ff in plugin_fields if ff.name not in base.CORE_FIELDS}
    cls = type(base.__name__, (base,), attrs)
    sections = {k: list(v) for k, v in base.SECTIONS.items()}
    for ff in plugin_fields:
        if ff.name in attrs:  # a plugin cannot replace a core field
            sections.setdefault(str(ff.section), []).append(ff.name)
    cls.SECTIONS = sections
    return cls


def show_errors(form, error: ValidationError) -> None:
    """Put a service's errors beside the form's fields; '_' and unknown names go on top."""
    for name, message in error.errors.items():
        if name in form._fields and name != "csrf_token":
            form[name].errors = list(form[name].errors or []) + [message]
        else:
            form.form_errors.append(message)
    form._errors = None
