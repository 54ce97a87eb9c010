"""Fields plugins add to the customer record (``CustomerField`` objects from the
``customer_fields`` hook), carried like the core's own fields: on the add/edit form, in the
customer API (read, write, OpenAPI), the CSV import and export, the data-portability export,
the merge screen and erasure.

A field keeps its value in its plugin's table: either ``column=`` (a mapped attribute of a
model with one row per customer, keyed by its ``customer_id`` column), which this module reads
and writes itself (a row is inserted with the first value and deleted when every field it
holds is emptied), or ``get(customer)``/``set(customer, value)`` functions of the plugin.

Every value goes through ``clean_values`` first: coerced to the field's type (``decimal`` to
``Decimal``, ``date`` to ``datetime.date``...) and checked against ``required``,
``max_length`` and ``choices``; a bad value raises ``ValidationError({name: message})``.
Writing happens inside the caller's transaction and never commits.

Lists read many customers at once (``read_many``): one query per plugin table, whatever the
number of customers."""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from core.db import MAX_INTEGER, db
from core.errors import ValidationError
from core.services.normalize import clean_paragraphs, clean_text

log = logging.getLogger(__name__)

TYPES = ("string", "text", "integer", "decimal", "boolean", "date", "choice")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Names a plugin field cannot take: the customer's own fields and what the API answers besides.
RESERVED = frozenset({
    "id", "number", "kind", "first_name", "last_name", "company_name", "display_name", "email",
    "email_normalized", "phone", "phone_e164", "status", "groups", "created_at", "updated_at",
    "date_of_birth", "tax_id", "tax_country", "registration_number", "business_type",
    "industry", "payment_terms", "driver_licence", "national_id", "language", "currency",
    "contact_email", "contact_sms", "contact_phone", "contact_post", "go_green", "segment_id",
    "segment", "reseller_id", "tags", "phones", "addresses", "contacts", "confirm_duplicate",
    "merged_into_id", "erased_at", "notes",
})
TRUE_WORDS = {"true", "yes", "y", "1", "x", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "off"}
CHUNK = 500


@dataclasses.dataclass(frozen=True, eq=False)
class Field:
    """A plugin's field, checked: the ``CustomerField`` it declared and the plugin it comes from."""

    plugin: str
    spec: Any  # core.sdk.CustomerField

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return str(self.spec.label)

    @property
    def type(self) -> str:
        return self.spec.type

    @property
    def model(self):
        """The plugin's model holding a ``column=`` field (None for get/set fields)."""
        return self.spec.column.class_ if self.spec.column is not None else None

    @property
    def key(self) -> str:
        """The attribute of the model that holds the value."""
        return self.spec.column.key

    @property
    def max_length(self) -> int | None:
        if self.spec.max_length:
            return self.spec.max_length
        if self.spec.column is not None and self.type in ("string", "text"):
            length = getattr(self._column_type(), "length", None)
            return length or None
        return None

    @property
    def choices(self) -> list[tuple[str, str]]:
        choices = self.spec.choices() if callable(self.spec.choices) else self.spec.choices
        return [(str(v), str(label)) for v, label in (choices or ())]

    def _column_type(self):
        columns = getattr(self.spec.column.property, "columns", None) or []
        return columns[0].type if columns else None

    def column_type(self):
        return self._column_type() if self.spec.column is not None else None


# -- which fields ------------------------------------------------------------------------------


def _host():
    return current_app.extensions["regulars.plugins"]


def _caller(include_disabled: bool):
    # include_disabled: every plugin that loaded and whose tables are migrated, enabled or not.
    return _host().caller("customer_fields", include_disabled=include_disabled)


def fields(include_disabled: bool = False) -> list[Field]:
    """The fields of the active plugins (with ``include_disabled``: of every installed plugin
    whose data must still follow merges and erasures), in the order the plugins answered. A
    field that cannot work (a bad name or type, no storage) is logged and left out; so is a
    plugin whose hook raises."""
    from core.sdk import CustomerField

    if not has_app_context():  # no app, no plugins (a file's headers read on their own)
        return []
    host = _host()
    found: list[Field] = []
    taken: set[str] = set()
    for impl in _caller(include_disabled).get_hookimpls():
        plugin = host.pm.get_name(impl.plugin)
        try:
            result = impl.function()
        except Exception as exc:  # isolate the plugin: the form and the API still answer
            log.exception("Plugin %s failed in customer_fields", plugin)
            host.failures.append((plugin, "customer_fields", repr(exc)))
            continue
        for spec in result if isinstance(result, (list, tuple)) else [result]:
            if spec is None:
                continue
            problem = _problem(spec, taken) if isinstance(spec, CustomerField) else \
                f"customer_fields returned {spec!r}, not a CustomerField"
            if problem:
                log.warning("Plugin %s: %s; the field is left out", plugin, problem)
                continue
            taken.add(spec.name)
            found.append(Field(plugin, spec))
    return found


def _problem(spec, taken: set[str]) -> str:
    name = spec.name
    if not isinstance(name, str) or not NAME.match(name):
        return f"field name {name!r} must be lower-case letters, digits and _"
    if name in RESERVED:
        return f"field {name!r} is named like a field of the core"
    if name in taken:
        return f"field {name!r} is declared twice"
    if spec.type not in TYPES:
        return f"field {name!r} has type {spec.type!r}, not one of {', '.join(TYPES)}"
    if spec.type == "choice" and not spec.choices:
        return f"field {name!r} is a choice without choices"
    if spec.column is not None:
        model = getattr(spec.column, "class_", None)
        if model is None or not hasattr(spec.column, "key") or \
                not hasattr(model, "customer_id"):
            return (f"field {name!r}: column= must be a mapped attribute of a model with a "
                    "customer_id column (column=Greeting.text)")
        if spec.get is not None or spec.set is not None:
            return f"field {name!r} has both column= and get/set"
    elif not (callable(spec.get) and callable(spec.set)):
        return f"field {name!r} needs column=, or both get= and set="
    return ""


def by_name(chosen: Iterable[Field]) -> dict[str, Field]:
    return {f.name: f for f in chosen}


# -- checking values ---------------------------------------------------------------------------


class _Bad(Exception):
    pass


def clean_value(field: Field, value: Any) -> Any:
    """``value`` (typed, sent as JSON or read from a file) as the field stores it, None for
    no value; raises ValidationError({name: message}) when it cannot be one."""
    try:
        return _clean(field, value)
    except _Bad as exc:
        raise ValidationError({field.name: str(exc)}) from None


def _clean(field: Field, value: Any) -> Any:
    kind = field.type
    if isinstance(value, str):
        value = clean_paragraphs(value) if kind == "text" else clean_text(value)
        if value == "":
            return None
    if value is None:
        return None
    if kind in ("string", "text"):
        if not isinstance(value, str):
            raise _Bad(_("Must be text."))
        if field.max_length and len(value) > field.max_length:
            raise _Bad(_("At most %(n)d characters.", n=field.max_length))
        return value
    if kind == "integer":
        return _integer(value)
    if kind == "decimal":
        return _decimal(field, value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in TRUE_WORDS | FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        raise _Bad(_("Must be true or false."))
    if kind == "date":
        if isinstance(value, datetime.datetime):
            raise _Bad(_("Enter a date as YYYY-MM-DD."))
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise _Bad(_("Enter a real date as YYYY-MM-DD.")) from None
        raise _Bad(_("Enter a date as YYYY-MM-DD."))
    # choice
    choices = field.choices
    if isinstance(value, bool) or not isinstance(value, (str, int)) or \
            str(value) not in {v for v, _label in choices}:
        raise _Bad(_("Choose one of: %(choices)s.",
                     choices=", ".join(f"{label} ({v})" if label != v else v
                                       for v, label in choices)))
    return str(value)


def _integer(value) -> int:
    if isinstance(value, bool):
        raise _Bad(_("Must be a whole number."))
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d{1,12}", value):
            raise _Bad(_("Must be a whole number."))
        value = int(value)
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise _Bad(_("Must be a whole number."))
        value = int(value)
    elif not isinstance(value, int):
        raise _Bad(_("Must be a whole number."))
    if not -MAX_INTEGER <= value <= MAX_INTEGER:
        raise _Bad(_("Must be between %(low)d and %(high)d.", low=-MAX_INTEGER, high=MAX_INTEGER))
    return value


def _decimal(field: Field, value) -> Decimal:
    message = _("Must be a decimal number, such as 12.50.")
    if isinstance(value, (bool, float)):
        raise _Bad(message)
    if isinstance(value, str):
        if len(value) > 40:
            raise _Bad(message)
        try:
            value = Decimal(value)
        except InvalidOperation:
            raise _Bad(message) from None
    elif isinstance(value, int):
        value = Decimal(value)
    elif not isinstance(value, Decimal):
        raise _Bad(message)
    if not value.is_finite():
        raise _Bad(message)
    column_type = field.column_type()
    scale = getattr(column_type, "scale", None)
    precision = getattr(column_type, "precision", None)
    largest = getattr(column_type, "largest", None)  # Money and Rate know their own limit
    if largest is None and precision is not None and scale is not None:
        largest = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    if scale is None:
        scale, largest = 10, largest or Decimal(10) ** 15
    if abs(value) > (largest if largest is not None else Decimal(10) ** 15):
        raise _Bad(_("Must be between -%(n)s and %(n)s.", n=largest))
    if max(0, -value.normalize().as_tuple().exponent) > scale:
        raise _Bad(_("At most %(n)d decimal places.", n=scale))
    return value


def clean_values(values: dict[str, Any], chosen: Iterable[Field],
                 require_absent: bool = False) -> dict[str, Any]:
    """Every value of ``values`` (field name -> value; names of other fields are ignored)
    checked and coerced; raises ValidationError naming every bad field at once. A
    ``required`` field sent empty is refused; with ``require_absent`` (creating a customer
    through the API), one not sent at all too."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for field in chosen:
        if field.name not in values:
            if require_absent and field.spec.required:
                errors[field.name] = _("This field is required.")
            continue
        try:
            value = _clean(field, values[field.name])
        except _Bad as exc:
            errors[field.name] = str(exc)
            continue
        if value is None and field.spec.required:
            errors[field.name] = _("This field is required.")
            continue
        out[field.name] = value
    if errors:
        raise ValidationError(errors)
    return out


def split(data: dict[str, Any], chosen: Iterable[Field]) -> tuple[dict, dict]:
    """``data`` as (the customer's own fields, the plugin fields' values)."""
    names = {f.name for f in chosen}
    if not names.intersection(data):
        return data, {}
    return ({k: v for k, v in data.items() if k not in names},
            {k: v for k, v in data.items() if k in names})


# -- reading -----------------------------------------------------------------------------------


def _by_model(chosen: Iterable[Field]) -> dict[Any, list[Field]]:
    groups: dict[Any, list[Field]] = {}
    for field in chosen:
        if field.model is not None:
            groups.setdefault(field.model, []).append(field)
    return groups


def read(customer, chosen: Iterable[Field] | None = None) -> dict[str, Any]:
    """{field name: stored value or None} of one customer (one query per plugin table)."""
    return read_many([customer.id], chosen, customers={customer.id: customer}).get(customer.id, {})


def read_many(customer_ids: Iterable[int], chosen: Iterable[Field] | None = None,
              customers: dict[int, Any] | None = None) -> dict[int, dict[str, Any]]:
    """{customer id: {field name: value or None}} for many customers: one query per plugin
    table and per 500 customers, however many fields a table holds. ``get=`` fields are asked
    customer by customer (``customers`` gives the objects already loaded)."""
    chosen = list(fields() if chosen is None else chosen)
    ids = list(dict.fromkeys(customer_ids))
    out: dict[int, dict[str, Any]] = {pk: {f.name: None for f in chosen} for pk in ids}
    if not ids or not chosen:
        return out
    for model, group in _by_model(chosen).items():
        attrs = [getattr(model, f.key) for f in group]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for row in db.session.execute(select(model.customer_id, *attrs)
                                          .where(model.customer_id.in_(chunk))):
                values = out.get(row[0])
                if values is not None:
                    for field, value in zip(group, row[1:]):
                        values[field.name] = value
    getters = [f for f in chosen if f.model is None]
    if getters:
        from core.models import Customer

        for pk in ids:
            customer = (customers or {}).get(pk) or db.session.get(Customer, pk)
            for field in getters:
                out[pk][field.name] = field.spec.get(customer)
    return out


# -- writing -----------------------------------------------------------------------------------


def _rows(model, customer_ids: list[int]) -> dict[int, Any]:
    found = {}
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start:start + CHUNK]
        for row in db.session.execute(select(model).where(model.customer_id.in_(chunk))).scalars():
            found[row.customer_id] = row
    return found


def declared(model) -> list[Field]:
    """Every installed plugin's fields kept in ``model``."""
    return [f for f in installed_fields() if f.model is model]


def write(customer, values: dict[str, Any], chosen: Iterable[Field]) -> dict[str, tuple]:
    """Store the checked ``values`` (see ``clean_values``) of one customer, inside the
    caller's transaction; returns {field name: (old, new)} of what changed."""
    return write_many({customer.id: values}, chosen, customers={customer.id: customer}).get(
        customer.id, {})


def write_many(values_by_customer: dict[int, dict[str, Any]], chosen: Iterable[Field],
               customers: dict[int, Any] | None = None) -> dict[int, dict[str, tuple]]:
    """Store checked values of many customers ({customer id: {field name: value}}): one
    query per plugin table to read what is stored, then the inserts, updates and deletes.
    A row is inserted with its first value and deleted when every field it holds is empty
    (None). ``set=`` fields are called customer by customer (and may raise ValidationError).
    Returns {customer id: {field name: (old, new)}} of what changed."""
    chosen = list(chosen)
    known = by_name(chosen)
    changes: dict[int, dict[str, tuple]] = {}
    wanted = {pk: {k: v for k, v in values.items() if k in known}
              for pk, values in values_by_customer.items()}
    wanted = {pk: values for pk, values in wanted.items() if values}
    if not wanted:
        return changes
    session = db.session
    for model, group in _by_model(chosen).items():
        names = {f.name for f in group}
        ids = [pk for pk, values in wanted.items() if names.intersection(values)]
        if not ids:
            continue
        rows = _rows(model, ids)
        others = None  # the keys of the model's other fields, read when first needed
        for pk in ids:
            row = rows.get(pk)
            given = {f: wanted[pk][f.name] for f in group if f.name in wanted[pk]}
            changed = {}
            for field, new in given.items():
                old = getattr(row, field.key) if row is not None else None
                if old != new:
                    changed[field] = (old, new)
            if not changed:
                continue
            if all(new is None for new in given.values()):
                # Delete the row only when no other field kept in it holds a value (the
                # fields of every installed plugin count, not only the ones written now).
                if others is None:
                    others = {f.key for f in declared(model)}
                keys = others - {f.key for f in given}
                emptied = row is None or all(getattr(row, key) is None for key in keys)
            else:
                emptied = False
            if emptied:
                if row is not None:
                    session.delete(row)
            else:
                if row is None:
                    row = model(customer_id=pk)
                    session.add(row)
                for field, (_old, new) in changed.items():
                    setattr(row, field.key, new)
            changes.setdefault(pk, {}).update({f.name: c for f, c in changed.items()})
    setters = [f for f in chosen if f.model is None]
    if setters:
        from core.models import Customer

        for pk, values in wanted.items():
            customer = None
            for field in setters:
                if field.name not in values:
                    continue
                if customer is None:
                    customer = (customers or {}).get(pk) or session.get(Customer, pk)
                old, new = field.spec.get(customer), values[field.name]
                if old != new:
                    field.spec.set(customer, new)
                    changes.setdefault(pk, {})[field.name] = (old, new)
    session.flush()
    return changes


# -- merging and erasing -----------------------------------------------------------------------


def installed_fields() -> list[Field]:
    """The fields whose data the shop holds: every installed plugin's, disabled ones' too
    (merges, erasures and the data-portability export reach them all)."""
    return fields(include_disabled=True)


def _empty(value) -> bool:
    return value is None or value == ""


def default_choice(survivor_value, merged_value) -> str:
    """The survivor's value wherever it has one ("survivor"), else the merged record's."""
    return "merged" if _empty(survivor_value) and not _empty(merged_value) else "survivor"


def compare(survivor, merged, chosen: list[Field] | None = None) -> list[tuple[Field, Any, Any]]:
    """(field, survivor's value, merged record's value) of every field a merge carries."""
    chosen = installed_fields() if chosen is None else chosen
    values = read_many([survivor.id, merged.id], chosen,
                       customers={survivor.id: survivor, merged.id: merged})
    return [(f, values[survivor.id][f.name], values[merged.id][f.name]) for f in chosen]


def merge_plan(survivor, merged, choices: dict[str, str], chosen: list[Field] | None = None
               ) -> dict[str, tuple]:
    """Inside a merge's transaction, before the plugins' ``customer_merging``: the value each
    plugin field will have on the survivor, as {name: (survivor's value now, chosen value)}
    (``choices``: field name -> "survivor"/"merged"; a field left out keeps the survivor's
    value, or the merged record's when the survivor has none)."""
    chosen = installed_fields() if chosen is None else chosen
    plan = {}
    for field, kept, other in compare(survivor, merged, chosen):
        side = choices.get(field.name) or default_choice(kept, other)
        plan[field.name] = (kept, other if side == "merged" else kept)
    return plan


def merge_apply(survivor, merged, plan: dict[str, tuple], chosen: list[Field] | None = None
                ) -> dict[str, tuple]:
    """After the plugins' ``customer_merging``: the survivor gets the planned values (see
    ``merge_plan``) whatever the plugins did, and the merged record keeps none: its rows in
    the fields' tables are deleted. Returns the survivor's changes {name: (old, new)}."""
    chosen = installed_fields() if chosen is None else chosen
    session = db.session
    # The merged record's rows go first, so that a table whose customer_id is unique never
    # holds the value twice.
    for model in _by_model(chosen):
        for row in _rows(model, [merged.id]).values():
            session.delete(row)
    for field in chosen:
        if field.model is None and field.spec.get(merged) is not None:
            field.spec.set(merged, None)
    session.flush()
    write(survivor, {name: new for name, (_old, new) in plan.items()}, chosen)
    return {name: (old, new) for name, (old, new) in plan.items() if old != new}


def erase(customer) -> list[str]:
    """Inside an erasure's transaction: clear every ``personal`` plugin field of
    ``customer``, disabled plugins' too (a ``column=`` row goes when it holds nothing else).
    Returns the names of the fields that held a value."""
    chosen = [f for f in installed_fields() if f.spec.personal]
    if not chosen:
        return []
    changed = write(customer, {f.name: None for f in chosen}, chosen)
    return sorted(changed)


# -- showing -----------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A value as JSON carries it: Decimals as strings (no digit lost to a float), dates in
    ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def text(field: Field, value: Any) -> str:
    """A value as a person reads it (the merge screen, a CSV cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.type == "choice":
        return dict(field.choices).get(str(value), str(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_text(value: Any) -> str:
    """A value in a CSV cell the import reads back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def openapi_property(field: Field) -> dict:
    """The field as the OpenAPI description of the customer record shows it."""
    kind = field.type
    if kind in ("string", "text"):
        schema: dict = {"type": "string"}
        if field.max_length:
            schema["maxLength"] = field.max_length
    elif kind == "integer":
        schema = {"type": "integer", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER}
    elif kind == "decimal":
        # Sent as a JSON number or a string; answered as a string.
        schema = {"oneOf": [{"type": "number"}, {"type": "string"}]}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    else:
        schema = {"type": "string", "enum": [v for v, _label in field.choices]}
    schema["nullable"] = True
    about = f"{field.label} (plugin {field.plugin})"
    if field.spec.description:
        about += f": {field.spec.description}"
    if field.spec.required:
        about += "; required"
    schema["description"] = about
    return schema


def form_field(field: Field):
    """An unbound WTForms field for the customer form, built from the field's type."""
    from wtforms import (BooleanField, DateField, DecimalField, IntegerField, SelectField,
                         StringField, TextAreaField)
    from wtforms.validators import InputRequired, Length, Optional

    spec = field.spec
    presence = [InputRequired()] if spec.required and field.type != "boolean" else [Optional()]
    length = [Length(max=field.max_length)] if field.max_length else []
    options = {"description": spec.description or None}
    label = spec.label
    kind = field.type
    if kind == "string":
        return StringField(label, validators=presence + length, **options)
    if kind == "text":
        return TextAreaField(label, validators=presence + length, **options)
    if kind == "integer":
        return IntegerField(label, validators=presence, render_kw={"inputmode": "numeric"},
                            **options)
    if kind == "decimal":
        return DecimalField(label, places=None, validators=presence,
                            render_kw={"inputmode": "decimal"}, **options)
    if kind == "boolean":
        return BooleanField(label, **options)
    if kind == "date":
        return DateField(label, format="%Y-%m-%d", validators=presence,
                         render_kw={"type": "date"}, **options)
    return SelectField(label, choices=[("", "—")] + field.choices, validate_choice=False,
                       validators=presence, **options)
