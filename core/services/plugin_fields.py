"""Fields plugins add to the customer record (``CustomerField`` objects from the
``customer_fields`` hook), carried like the core's own fields: on the add/edit form, in the
customer API (read, write, OpenAPI), the CSV import and export, the data-portability export,
the merge screen and erasure.

A field keeps its value in its plugin's table: either ``column=`` (a mapped attribute of a
model with one row per customer, keyed by its ``customer_id`` column), which this module reads
and writes itself (a row is inserted with the first value; emptying a value sets its column
to NULL, and the row is deleted only when it then holds nothing at all: see ``write_many``),
or ``get(customer)``/``set(customer, value)`` functions of the plugin.

A plugin's function that raises (``choices``, ``get``, ``set``) is logged and isolated
(``PluginHost.failures``): the screens, lists and exports that only show values leave the
field out for that request; a save, a merge or an erasure that needs it is refused with a
ValidationError naming it (a ValidationError from ``set`` is the plugin's own refusal, passed
on as it is).

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

from flask import has_app_context
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import literal, select

from core.db import MAX_INTEGER, db
from core.errors import ValidationError
from core.declarations import CustomerField
from core.plugins import current_host, each, isolated
from core.services.normalize import clean_paragraphs, clean_text, yes_no

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
CHUNK = 500


@dataclasses.dataclass(frozen=True, eq=False)
class Field:
    """A plugin's field, checked: the ``CustomerField`` it declared and the plugin it comes from."""

    plugin: str
    spec: Any  # core.sdk.CustomerField
    # A choice field's (value, label) pairs, read once when the fields are gathered.
    choice_pairs: tuple[tuple[str, str], ...] = ()

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
        return list(self.choice_pairs)

    def _column_type(self):
        columns = getattr(self.spec.column.property, "columns", None) or []
        return columns[0].type if columns else None

    def column_type(self):
        return self._column_type() if self.spec.column is not None else None


# -- which fields ------------------------------------------------------------------------------



def fields(include_disabled: bool = False) -> list[Field]:
    """The fields of the active plugins (with ``include_disabled``: of every installed plugin
    whose data must still follow merges and erasures), in the order the plugins answered. A
    field that cannot work (a bad name or type, no storage) is logged and left out; so is a
    plugin whose hook raises, and a choice field whose ``choices()`` raises (with
    ``include_disabled`` it stays, without choices: its data must still be merged and
    erased)."""
    if not has_app_context():  # no app, no plugins (a file's headers read on their own)
        return []
    found: list[Field] = []
    taken: set[str] = set()
    # include_disabled: every plugin that loaded and whose tables are migrated, enabled or not.
    for plugin, spec, exc in each("customer_fields", include_disabled=include_disabled):
        if exc is not None:  # isolated: the form and the API still answer
            continue
        problem = _problem(spec, taken) if isinstance(spec, CustomerField) else \
            f"customer_fields returned {spec!r}, not a CustomerField"
        if problem:
            log.warning("Plugin %s: %s; the field is left out", plugin, problem)
            continue
        try:
            pairs = _choice_pairs(spec)
        except Exception as exc:  # noqa: BLE001 - the plugin's own function
            isolated(plugin, f"CustomerField {spec.name!r} choices", exc)
            if not include_disabled:
                continue
            pairs = ()
        taken.add(spec.name)
        found.append(Field(plugin, spec, pairs))
    return found


def _choice_pairs(spec) -> tuple[tuple[str, str], ...]:
    if spec.type != "choice":
        return ()
    choices = spec.choices() if callable(spec.choices) else spec.choices
    return tuple((str(v), str(label)) for v, label in (choices or ()))


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
        answer = yes_no(value)  # a bool, or the words a file says yes and no with
        if answer is None:
            raise _Bad(_("Must be true or false."))
        return answer
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
              customers: dict[int, Any] | None = None,
              strict: bool = False) -> dict[int, dict[str, Any]]:
    """{customer id: {field name: value or None}} for many customers: one query per plugin
    table and per 500 customers, however many fields a table holds. ``get=`` fields are asked
    customer by customer (``customers`` gives the objects already loaded).

    A ``get`` that raises is logged and isolated, and its field is left out of every
    customer's values (the list, the record, the exports still answer). With ``strict`` (a
    save, a merge: what it would do depends on the value) it raises ValidationError naming
    the field instead."""
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

        loaded = {pk: (customers or {}).get(pk) or db.session.get(Customer, pk) for pk in ids}
        for field in getters:
            try:
                got = {pk: field.spec.get(loaded[pk]) for pk in ids}
            except Exception as exc:  # noqa: BLE001 - the plugin's own function
                _failed(field, "get", exc, refuse=strict)
                for values in out.values():
                    values.pop(field.name, None)
                continue
            for pk, value in got.items():
                out[pk][field.name] = value
    return out


def _failed(field: Field, what: str, exc: Exception, refuse: bool) -> None:
    """A plugin's ``get``/``set`` raised: log and isolate it; with ``refuse``, raise the
    ValidationError that refuses what needed it (the plugin's own ValidationError as it is)."""
    if refuse and isinstance(exc, ValidationError):
        raise exc
    isolated(field.plugin, f"CustomerField {field.name!r} {what}", exc)
    if refuse:
        raise ValidationError({field.name: _(
            "%(label)s could not be read or saved: the plugin %(plugin)s failed, and nothing "
            "was changed. Try again later, or ask your administrator to look at the log.",
            label=field.label, plugin=field.plugin)}) from exc


# -- writing -----------------------------------------------------------------------------------


def _rows(model, customer_ids: list[int]) -> dict[int, Any]:
    found = {}
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start:start + CHUNK]
        for row in db.session.execute(select(model).where(model.customer_id.in_(chunk))).scalars():
            found[row.customer_id] = row
    return found


def _empty_column(column, value) -> bool:
    if value is None:
        return True
    if _bookkeeping(column):
        return True
    default = column.default
    return default is not None and getattr(default, "is_scalar", False) and value == default.arg


def _bookkeeping(column) -> bool:
    """A column whose value fills itself in, never typed by anyone (``created_at`` with
    ``default=utcnow``, ``updated_at`` with ``onupdate=``): it does not make a row worth
    keeping."""
    default = column.default
    if default is not None and not getattr(default, "is_scalar", False):
        return True
    return column.onupdate is not None or column.server_onupdate is not None


def _nullable(field) -> bool:
    columns = getattr(field.spec.column.property, "columns", None) or []
    return not columns or columns[0].nullable


def holds_nothing_else(row) -> bool:
    """Whether a plugin's row, its fields emptied, holds nothing more: every column but its
    keys is NULL, its plain ``default=``, or a value that fills itself in (a ``created_at``
    with ``default=utcnow``, an ``updated_at`` with ``onupdate=``), and no row of another
    table points at it. Only then is it deleted; anything else (a points balance, the rows of
    a child table) keeps it, its fields' columns set to NULL."""
    mapper = sa_inspect(type(row))
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key or prop.key == "customer_id":
            continue
        if not _empty_column(column, getattr(row, prop.key)):
            return False
    for table in mapper.tables:
        for other in table.metadata.tables.values():
            for fk in other.foreign_keys:
                if fk.column.table is not table:
                    continue
                key = mapper.get_property_by_column(fk.column).key
                if db.session.execute(select(literal(1)).select_from(other)
                                      .where(fk.parent == getattr(row, key)).limit(1)).first():
                    return False
    return True


def write(customer, values: dict[str, Any], chosen: Iterable[Field]) -> dict[str, tuple]:
    """Store the checked ``values`` (see ``clean_values``) of one customer, inside the
    caller's transaction; returns {field name: (old, new)} of what changed."""
    return write_many({customer.id: values}, chosen, customers={customer.id: customer}).get(
        customer.id, {})


def write_many(values_by_customer: dict[int, dict[str, Any]], chosen: Iterable[Field],
               customers: dict[int, Any] | None = None) -> dict[int, dict[str, tuple]]:
    """Store checked values of many customers ({customer id: {field name: value}}): one
    query per plugin table to read what is stored, then the inserts, updates and deletes.
    A row is inserted with its first value; an emptied value sets its column to NULL, and a
    row left holding nothing at all is deleted (see ``holds_nothing_else``). ``set=`` fields
    are called customer by customer; a ValidationError from ``set`` refuses the save, and a
    ``get``/``set`` that fails otherwise is isolated and refuses it too (ValidationError
    naming the field). Returns {customer id: {field name: (old, new)}} of what changed."""
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
            if row is None:
                row = model(customer_id=pk)
                session.add(row)
            for field, (_old, new) in changed.items():
                setattr(row, field.key, new)
            if all(new is None for new in given.values()) and holds_nothing_else(row):
                session.delete(row)
            else:
                for field, (_old, new) in changed.items():
                    if new is None and not _nullable(field):
                        # The row stays for the plugin's other data, and this column may not
                        # be NULL: text empties to "", anything else is refused in words
                        # (never an IntegrityError).
                        if field.type in ("string", "text"):
                            setattr(row, field.key, "")
                            continue
                        raise ValidationError({field.name: _(
                            "%(label)s cannot be emptied while other data of this customer is "
                            "kept with it.", label=field.spec.label)})
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
                try:
                    old = field.spec.get(customer)
                except Exception as exc:  # noqa: BLE001 - the plugin's own function
                    _failed(field, "get", exc, refuse=True)
                new = values[field.name]
                if old != new:
                    try:
                        field.spec.set(customer, new)
                    except Exception as exc:  # noqa: BLE001 - the plugin's own function
                        _failed(field, "set", exc, refuse=True)
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


def compare(survivor, merged, chosen: list[Field] | None = None, strict: bool = False
            ) -> list[tuple[Field, Any, Any]]:
    """(field, survivor's value, merged record's value) of every field a merge carries; a
    field whose ``get`` fails is left out (with ``strict``: refused, see ``read_many``)."""
    chosen = installed_fields() if chosen is None else chosen
    values = read_many([survivor.id, merged.id], chosen,
                       customers={survivor.id: survivor, merged.id: merged}, strict=strict)
    return [(f, values[survivor.id][f.name], values[merged.id][f.name]) for f in chosen
            if f.name in values[survivor.id]]


def merge_plan(survivor, merged, choices: dict[str, str], chosen: list[Field] | None = None
               ) -> dict[str, tuple]:
    """Inside a merge's transaction, before the plugins' ``customer_merging``: the value each
    plugin field will have on the survivor, as {name: (survivor's value now, chosen value)}
    (``choices``: field name -> "survivor"/"merged"; a field left out keeps the survivor's
    value, or the merged record's when the survivor has none). A field that cannot be read
    refuses the merge (ValidationError naming it)."""
    chosen = installed_fields() if chosen is None else chosen
    plan = {}
    for field, kept, other in compare(survivor, merged, chosen, strict=True):
        side = choices.get(field.name) or default_choice(kept, other)
        plan[field.name] = (kept, other if side == "merged" else kept)
    return plan


def merge_apply(survivor, merged, plan: dict[str, tuple], chosen: list[Field] | None = None
                ) -> dict[str, tuple]:
    """After the plugins' ``customer_merging``: the survivor gets the planned values (see
    ``merge_plan``) whatever the plugins did, and the merged record keeps none: its fields
    are emptied (``set(merged, None)``; a ``column=`` row goes when it holds nothing else,
    see ``holds_nothing_else``). Returns the survivor's changes {name: (old, new)}."""
    chosen = installed_fields() if chosen is None else chosen
    # The merged record's values go first, so that a column whose values are unique never
    # holds the value twice.
    write(merged, {f.name: None for f in chosen}, chosen)
    write(survivor, {name: new for name, (_old, new) in plan.items()}, chosen)
    return {name: (old, new) for name, (old, new) in plan.items() if old != new}


def erase(customer) -> list[str]:
    """Inside an erasure's transaction: clear every ``personal`` plugin field of
    ``customer``, disabled plugins' too (a ``column=`` row goes when it holds nothing else,
    see ``holds_nothing_else``). A field that cannot be cleared refuses the erasure
    (ValidationError naming it). Returns the names of the fields that held a value."""
    chosen = [f for f in installed_fields() if f.spec.personal]
    if not chosen:
        return []
    changed = write(customer, {f.name: None for f in chosen}, chosen)
    return sorted(changed)


# -- showing -----------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A value as JSON carries it: Decimals as strings (no digit lost to a float), dates and
    times in ISO 8601, lists and dicts value by value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value


def text(value: Any, field: Field | None = None, for_file: bool = False) -> str:
    """A value as text. As a person reads it (the merge screen, the plugins' list columns and
    merge panels): yes/no in their language, a choice ``field``'s label. ``for_file``: as a
    CSV cell the import reads back: "yes"/"no", a choice's value. None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        if for_file:
            return "yes" if value else "no"
        return _("yes") if value else _("no")
    if field is not None and field.type == "choice" and not for_file:
        return dict(field.choices).get(str(value), str(value))
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
