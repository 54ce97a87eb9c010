"""Customers: create, update, deactivate, reactivate, find. All rules about a customer live here."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import re
from typing import Any

import babel
import phonenumbers
import pycountry
import stdnum
import stdnum.exceptions
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, func, literal, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from core.db import db, estimated_count, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Customer, CustomerGroup, CustomerStatus, CustomerType, Segment
from core.models.record import Tag, customer_tag
from core.plugins import current_host
from core.services import duplicates, history, numbering, plugin_fields
from core.services.normalize import clean_text, fold, normalize_email, normalize_phone, phone_digits

SEQUENCE = "customer"
TEXT_FIELDS = ("number", "kind", "first_name", "last_name", "company_name", "email", "phone",
               "status")
# The rest of the record's own columns, each checked by its own rule in _clean_profile.
PROFILE_FIELDS = ("date_of_birth", "tax_id", "tax_country", "registration_number",
                  "business_type", "industry", "payment_terms", "language", "currency",
                  "contact_email", "contact_sms", "contact_phone", "contact_post", "go_green",
                  "segment_id", "reseller_id", "driver_licence", "national_id")
EDITABLE = TEXT_FIELDS + PROFILE_FIELDS
_EDITABLE = frozenset(EDITABLE)
_KINDS = frozenset(t.value for t in CustomerType)
_STATUSES = frozenset(s.value for s in CustomerStatus)
LIMITS = {"number": 32, "first_name": 100, "last_name": 100, "company_name": 200, "email": 254,
          "phone": 40, "tax_id": 40, "registration_number": 60, "industry": 100,
          "driver_licence": 30, "national_id": 30}
BUSINESS_TYPES = {"llc": _l("LLC"), "corporation": _l("Corporation"),
                  "partnership": _l("Partnership"), "sole_trader": _l("Sole trader"),
                  "non_profit": _l("Non-profit"), "other": _l("Other")}
BOOLEAN_FIELDS = ("contact_email", "contact_sms", "contact_phone", "contact_post", "go_green")
OLDEST_BIRTH_DATE = datetime.date(1900, 1, 1)
# Licence and ID numbers: letters, digits and the separators printed on the cards.
_IDENTITY_CHARS = re.compile(r"^[A-Za-z0-9 ./-]+$")



def get(customer_id) -> Customer:
    pk = record_id(customer_id)
    customer = db.session.get(Customer, pk) if pk is not None else None
    if customer is None:
        raise NotFound(customer_id)
    return customer


def get_by_number(number: str) -> Customer | None:
    return db.session.execute(select(Customer).where(Customer.number == number)).scalar()


# -- validation ----------------------------------------------------------------------------


def _clean(data: dict[str, Any], current: Customer | None, require_email: bool,
           number_owners: dict[str, int] | None = None) -> dict[str, Any]:
    """Validate and normalise the editable fields present in ``data``; raise ValidationError
    naming every bad field at once. ``number_owners`` ({number: customer id}, looked up in bulk
    by a caller checking many rows, e.g. the importer) saves one query per row."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = data.keys() - _EDITABLE
    for name in sorted(unknown):
        errors[name] = _("Unknown field.")

    for name in TEXT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        # Text only: a number, true or null where a name belongs is a caller's mistake to
        # report, not something to store as "42" or "True". To clear a field, send "".
        if not isinstance(value, str):
            errors[name] = _("Must be text.")
            continue
        value = clean_text(value)
        if name in LIMITS and len(value) > LIMITS[name]:
            errors[name] = _("At most %(n)d characters.", n=LIMITS[name])
            continue
        out[name] = value

    def final(name):
        if name in out:
            return out[name]
        return getattr(current, name) if current is not None else ""

    if "kind" in out or current is None:
        kind = out.get("kind") or CustomerType.individual.value
        if kind not in _KINDS:
            errors["kind"] = _("Choose Individual or Business.")
        out["kind"] = kind
    if "status" in out or current is None:
        status = out.get("status") or CustomerStatus.active.value
        if status not in _STATUSES:
            errors["status"] = _("Choose Active or Inactive.")
        out["status"] = status

    if "email" in out:
        if out["email"]:
            try:
                out["email"], out["email_normalized"] = normalize_email(out["email"])
            except ValueError as exc:
                errors["email"] = str(exc)
        else:
            out["email"] = out["email_normalized"] = None
    if require_email and not final("email") and "email" not in errors:
        errors["email"] = _("Enter the customer's email address.")

    if "phone" in out:
        if out["phone"]:
            try:
                out["phone"], out["phone_e164"] = normalize_phone(
                    out["phone"], current_app.config["DEFAULT_PHONE_REGION"]
                )
            except ValueError as exc:
                errors["phone"] = str(exc)
        else:
            out["phone"] = out["phone_e164"] = None

    kind = out.get("kind") or (current.kind if current else CustomerType.individual.value)
    if kind == CustomerType.business.value:
        if not final("company_name"):
            errors.setdefault("company_name", _("A business customer needs a company name."))
    elif not (final("first_name") or final("last_name")) and "first_name" not in errors:
        errors["first_name"] = _("Enter a first or last name.")

    if "number" in out:
        number = out["number"]
        if not number:
            if current is not None:
                errors["number"] = _("A customer number cannot be emptied.")
            else:
                out.pop("number")
        else:
            if number_owners is not None:
                taken = number_owners.get(number)
            else:
                taken = db.session.execute(
                    select(Customer.id).where(Customer.number == number)
                ).scalar()
            if taken is not None and (current is None or taken != current.id):
                errors["number"] = _("Customer number %(number)s is already taken.", number=number)

    out.update(_clean_profile(data, current, errors))

    if errors:
        raise ValidationError(errors)
    return out


def _text(data, name, errors) -> str | None:
    """A one-line text value from ``data``, cleaned and within its limit; None when refused."""
    value = data[name]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Must be text.")
        return None
    value = clean_text(value)
    if name in LIMITS and len(value) > LIMITS[name]:
        errors[name] = _("At most %(n)d characters.", n=LIMITS[name])
        return None
    return value


def _clean_profile(data: dict[str, Any], current: Customer | None,
                   errors: dict[str, str]) -> dict[str, Any]:
    """The rules of the record beyond name and contact: business profile, identity,
    preferences, segment and reseller. Adds to ``errors``; returns the cleaned values."""
    out: dict[str, Any] = {}
    for name in ("registration_number", "industry"):
        if name in data:
            value = _text(data, name, errors)
            if value is not None:
                out[name] = value
    for name in BOOLEAN_FIELDS:
        if name in data:
            if isinstance(data[name], bool):
                out[name] = data[name]
            else:
                errors[name] = _("Must be true or false.")
    if "date_of_birth" in data:
        _clean_birth_date(data["date_of_birth"], out, errors)
    if "tax_id" in data or "tax_country" in data:
        _clean_tax_id(data, current, out, errors)
    if "business_type" in data:
        value = _text(data, "business_type", errors)
        if value is not None:
            if value and value not in BUSINESS_TYPES:
                errors["business_type"] = _("Choose one of: %(types)s.",
                                            types=", ".join(str(t) for t in BUSINESS_TYPES.values()))
            else:
                out["business_type"] = value
    if "payment_terms" in data:
        _clean_payment_terms(data["payment_terms"], out, errors)
    if "language" in data:
        _clean_language(data, out, errors)
    if "currency" in data:
        value = _text(data, "currency", errors)
        if value is not None:
            value = value.upper()
            if value and pycountry.currencies.get(alpha_3=value) is None:
                errors["currency"] = _("%(code)s is not an ISO 4217 currency code.", code=value)
            else:
                out["currency"] = value
    for name in ("driver_licence", "national_id"):
        if name in data:
            value = _text(data, name, errors)
            if value is None:
                continue
            if value and (len(value) < 4 or not _IDENTITY_CHARS.match(value)):
                errors[name] = _("Use 4 to %(n)d letters, digits, spaces, dots, slashes or hyphens.",
                                 n=LIMITS[name])
            else:
                out[name] = value.upper() or None
    if "segment_id" in data:
        _clean_segment(data["segment_id"], out, errors)
    if "reseller_id" in data:
        _clean_reseller(data["reseller_id"], current, out, errors)
    return out


def _clean_birth_date(value, out, errors):
    if value in (None, ""):
        out["date_of_birth"] = None
        return
    if isinstance(value, datetime.datetime) or not isinstance(value, (str, datetime.date)):
        errors["date_of_birth"] = _("Enter a date as YYYY-MM-DD.")
        return
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(clean_text(value)[:10])
        except ValueError:
            errors["date_of_birth"] = _("Enter a real date as YYYY-MM-DD.")
            return
    if value > datetime.date.today():
        errors["date_of_birth"] = _("A date of birth cannot be in the future.")
    elif value < OLDEST_BIRTH_DATE:
        errors["date_of_birth"] = _("Enter a date of birth after 1900.")
    else:
        out["date_of_birth"] = value


def _tax_module(country: str):
    """python-stdnum's checker for a country's tax or VAT number, or None if it has none."""
    for kind in ("vat", "tin", "ein"):
        module = stdnum.get_cc_module(country.lower(), kind)
        if module is not None:
            return module
    return None


def _clean_tax_id(data, current, out, errors):
    country = _text(data, "tax_country", errors) if "tax_country" in data else (
        current.tax_country if current is not None else "")
    tax_id = _text(data, "tax_id", errors) if "tax_id" in data else (
        current.tax_id if current is not None else "")
    if country is None or tax_id is None:
        return
    country = country.upper()
    if country and pycountry.countries.get(alpha_2=country) is None:
        errors["tax_country"] = _("Choose a country.")
        return
    if "tax_country" in data:
        out["tax_country"] = country
    if not tax_id:
        out["tax_id"] = ""
        return
    if not country:
        errors["tax_country"] = _("Choose the country that issued the tax ID.")
        return
    module = _tax_module(country)
    name = pycountry.countries.get(alpha_2=country).name
    if module is None:
        out["tax_id"] = re.sub(r"[\s.-]", "", tax_id).upper()
        return
    try:
        out["tax_id"] = module.compact(module.validate(tax_id))
    except stdnum.exceptions.ValidationError:
        errors["tax_id"] = _("This is not a valid tax ID / VAT number for %(country)s.", country=name)


def _clean_payment_terms(value, out, errors):
    if value in (None, ""):
        out["payment_terms"] = None
        return
    allowed = current_app.config["PAYMENT_TERMS"]
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or value not in allowed:
        errors["payment_terms"] = _("Choose one of: %(terms)s.",
                                    terms=", ".join(f"Net {d}" for d in allowed))
    else:
        out["payment_terms"] = value


def _clean_language(data, out, errors):
    value = _text(data, "language", errors)
    if value is None:
        return
    if not value:
        out["language"] = ""
        return
    try:
        locale = babel.Locale.parse(value.replace("-", "_"))
    except (ValueError, TypeError, babel.UnknownLocaleError):
        errors["language"] = _("Choose a language from the list.")
        return
    out["language"] = str(locale)


def _clean_segment(value, out, errors):
    if value in (None, ""):
        out["segment_id"] = None
        return
    pk = record_id(value)
    if pk is None or db.session.get(Segment, pk) is None:
        errors["segment_id"] = _("Choose a segment from the list.")
    else:
        out["segment_id"] = pk


def _clean_reseller(value, current, out, errors):
    if value in (None, ""):
        out["reseller_id"] = None
        return
    pk = record_id(value)
    reseller = db.session.get(Customer, pk) if pk is not None else None
    if reseller is None:
        errors["reseller_id"] = _("No such customer.")
    elif current is not None and reseller.id == current.id:
        errors["reseller_id"] = _("A customer cannot be their own reseller.")
    elif reseller.merged_into_id is not None or reseller.erased_at is not None:
        errors["reseller_id"] = _("%(number)s was merged or erased; choose another reseller.",
                                  number=reseller.number)
    else:
        out["reseller_id"] = reseller.id


def _apply(customer: Customer, values: dict[str, Any]) -> dict[str, tuple]:
    changes = {}
    for name, value in values.items():
        old = getattr(customer, name)
        if old != value:
            setattr(customer, name, value)
            if name in EDITABLE:
                changes[name] = (old, value)
    first, last = customer.first_name or "", customer.last_name or ""
    customer.name_key = fold(f"{first} {last}")
    if customer.kind == CustomerType.business.value and customer.company_name:
        customer.sort_key = fold(customer.company_name)
    else:
        customer.sort_key = fold(f"{last} {first}") or fold(customer.company_name or "")
    return changes


def _new_number() -> str:
    pattern = current_app.config["CUSTOMER_NUMBER_PATTERN"]
    while True:
        number = numbering.format_number(pattern, numbering.draw(SEQUENCE))
        # A number an admin typed earlier may sit on the pattern's path: skip it.
        if db.session.execute(select(Customer.id).where(Customer.number == number)).scalar() is None:
            return number


# -- commands ------------------------------------------------------------------------------


def _clean_all(data: dict[str, Any], current: Customer | None, require_email: bool,
               extra: dict | None, require_fields: bool = False):
    """``_clean`` of the customer's own fields, and the plugins' fields (``CustomerField``,
    see core.services.plugin_fields) found in ``data`` or ``extra`` checked too; every bad
    field of both reported at once. Returns (values, plugin field values, the fields)."""
    chosen = plugin_fields.fields()
    core_data, field_data = plugin_fields.split(data, chosen)
    if extra:
        field_data.update(plugin_fields.split(extra, chosen)[1])
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    field_values: dict[str, Any] = {}
    try:
        values = _clean(core_data, current, require_email)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        field_values = plugin_fields.clean_values(field_data, chosen,
                                                  require_absent=require_fields)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return values, field_values, chosen


def create(data: dict[str, Any], actor=None, extra: dict | None = None,
           require_email: bool = True, also=None, check_duplicates=False,
           require_fields: bool = False) -> Customer:
    """Create a customer from ``data`` (see EDITABLE, plus the plugins' ``CustomerField``
    names, stored in the plugins' tables in the same transaction). ``extra`` holds plugin form
    fields, handed to ``customer_form_saved`` inside the same transaction; ``also(customer)``
    runs in it too (the wizard's addresses, contacts, phones and tags). ``require_fields``:
    a required plugin field left out is refused too (the API; the form checks its own).

    ``check_duplicates`` (the form and the API; importer and demo leave it off): raise
    ``duplicates.LikelyDuplicates`` instead of saving when the customer looks like someone
    already on file. Pass a dict to let the check also see values outside ``data``
    (``phones``, ``addresses``, ``postal_code``)."""
    with write_transaction():
        values, field_values, chosen = _clean_all(data, None, require_email, extra,
                                                  require_fields)
        if check_duplicates:
            hints = check_duplicates if isinstance(check_duplicates, dict) else {}
            matches = duplicates.find_for({**hints, **values})
            if matches:
                raise duplicates.LikelyDuplicates(matches)
        customer = Customer()
        if not values.get("number"):
            values["number"] = _new_number()
        _apply(customer, values)
        customer.created_by_fk = customer.updated_by_fk = getattr(actor, "id", None)
        db.session.add(customer)
        _flush_or_number_taken()
        field_changes = plugin_fields.write(customer, field_values, chosen) if field_values else {}
        history.audit(customer.id, "create",
                      {**{k: (None, v) for k, v in values.items()
                          if k in EDITABLE and v not in (None, "")}, **field_changes},
                      actor)
        if also is not None:
            also(customer)
        if extra is not None:
            current_host().hook.customer_form_saved(customer=customer, data=extra)
            db.session.flush()
    current_host().notify("customer_created", customer=customer)
    return customer


def refuse_if_erased(customer: Customer) -> None:
    """An erased customer (GDPR) stays anonymous: no change may bring data back."""
    if customer.erased_at is not None:
        raise ValidationError({"_": _("%(number)s's personal data was erased; the record can no "
                                      "longer be changed.", number=customer.number)})


def update(customer: Customer, data: dict[str, Any], actor=None, extra: dict | None = None,
           require_email: bool = True, also=None) -> dict[str, tuple]:
    """Change the fields in ``data`` (the plugins' ``CustomerField`` names too, see create);
    returns {field: (old, new)} of what really changed, plugin fields included.
    ``also(customer)`` runs inside the same transaction (see create)."""
    refuse_if_erased(customer)
    with write_transaction():
        values, field_values, chosen = _clean_all(data, customer, require_email, extra)
        status_before = customer.status
        changes = _apply(customer, values)
        if field_values:
            _flush_or_number_taken()  # a taken number is reported as such, before the writes
            changes.update(plugin_fields.write(customer, field_values, chosen))
        if changes:
            customer.updated_by_fk = getattr(actor, "id", None)
            customer.updated_at = utcnow()
            history.audit(customer.id, "update", changes, actor)
        _flush_or_number_taken()
        if also is not None:
            also(customer)
        if extra is not None:
            current_host().hook.customer_form_saved(customer=customer, data=extra)
            db.session.flush()
    if changes:
        current_host().notify("customer_updated", customer=customer, changes=changes)
        if "status" in changes:
            _notify_status(customer, status_before)
    return changes


def _flush_or_number_taken():
    try:
        db.session.flush()
    except IntegrityError as exc:
        if "number" in str(exc.orig).lower():
            raise ValidationError({"number": _("This customer number is already taken.")}) from exc
        raise


def _notify_status(customer: Customer, before: str):
    if customer.status == CustomerStatus.inactive.value and before != customer.status:
        current_host().notify("customer_deactivated", customer=customer)
    elif customer.status == CustomerStatus.active.value and before != customer.status:
        current_host().notify("customer_reactivated", customer=customer)


STATUS_REASON_MAX = 500


def set_status(customer: Customer, active: bool, actor=None, reason: str = "") -> bool:
    """Deactivate or reactivate; keeps every row of history. ``reason`` (optional) goes into
    the audit trail with the change. Returns True when it changed."""
    status = CustomerStatus.active.value if active else CustomerStatus.inactive.value
    refuse_if_erased(customer)
    reason = clean_text(reason if isinstance(reason, str) else "")
    if len(reason) > STATUS_REASON_MAX:
        raise ValidationError({"reason": _("At most %(n)d characters.", n=STATUS_REASON_MAX)})
    with write_transaction():
        before = customer.status
        if before == status:
            return False
        customer.status = status
        customer.updated_by_fk = getattr(actor, "id", None)
        customer.updated_at = utcnow()
        changes = {"status": (before, status)}
        if reason:
            changes["reason"] = (None, reason)
        history.audit(customer.id, "reactivate" if active else "deactivate", changes, actor)
    current_host().notify("customer_updated", customer=customer, changes={"status": (before, status)})
    _notify_status(customer, before)
    return True


# -- finding -------------------------------------------------------------------------------

SORTS = {
    # name: (columns for ORDER BY ascending)
    "name": (Customer.sort_key, Customer.id),
    "number": (Customer.number, Customer.id),
    "created": (Customer.id,),
}


@dataclasses.dataclass
class Page:
    rows: list[Customer]
    page: int
    per_page: int
    has_next: bool
    total: int | None  # None: more than the count cap
    count_cap: int
    estimated: bool = False  # total is the table's estimated size (no filter applied)
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def encode_cursor(values) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, columns):
    """The sort values a cursor carries, or None when it is missing or not ours (a cursor is
    part of a URL anyone can edit: each value must fit its column, or the database refuses)."""
    if not cursor or len(cursor) > 800:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != len(columns):
        return None
    if not all(_fits(column, value) for column, value in zip(columns, values)):
        return None
    return values


def _fits(column, value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(column.type, Integer):
        return isinstance(value, int) and -(2**63) <= value < 2**63
    return isinstance(value, str)


# Filters the list offers besides the search box; each is optional.
@dataclasses.dataclass
class Filters:
    status: str | None = None  # "active", "inactive" or None for both
    kind: str | None = None
    group_id: int | None = None
    segment_id: int | None = None
    tag: str | None = None  # a tag's name, case and accents ignored
    created_from: datetime.date | None = None
    created_to: datetime.date | None = None  # inclusive
    # Plugins' list filters in use (core.services.contributions.Chosen), each a SELECT of ids.
    plugin: tuple = ()

    def conditions(self) -> list:
        """The filters as SQLAlchemy conditions on Customer."""
        conds = []
        if self.status:
            conds.append(Customer.status == self.status)
        if self.kind:
            conds.append(Customer.kind == self.kind)
        if self.group_id:
            conds.append(Customer.groups.any(CustomerGroup.id == self.group_id))
        if self.segment_id:
            conds.append(Customer.segment_id == self.segment_id)
        if self.tag:
            conds.append(Customer.id.in_(
                select(customer_tag.c.customer_id).join(Tag, Tag.id == customer_tag.c.tag_id)
                .where(Tag.key == fold(self.tag))))
        if self.created_from:
            conds.append(Customer.created_at >= datetime.datetime.combine(
                self.created_from, datetime.time()))
        if self.created_to:
            conds.append(Customer.created_at < datetime.datetime.combine(
                self.created_to + datetime.timedelta(days=1), datetime.time()))
        conds.extend(chosen.condition() for chosen in self.plugin)
        return conds


# A search that matches more than this many customers exports its best this many.
SEARCH_LIMIT = 50_000
# ...and the list shows (and counts) its best this many.
SEARCH_PAGE_CAP = 250


def search_condition(q: str, filters: Filters | None = None, limit: int = SEARCH_LIMIT):
    """The customers a search box text finds (ranked by core.services.search), as a condition;
    None when there is nothing to search for."""
    from core.services import search

    if not clean_text(q):
        return None
    conds = filters.conditions() if filters else []
    return Customer.id.in_(search.ranked_ids(q, conds, limit))


def _not_indexed(column):
    """The same value, as an expression no index can serve (``col || ''`` / ``col + 0``)."""
    if isinstance(column.type, Integer):
        return column + 0
    return column.concat("")


def filtered(q: str = "", status: str | None = None, kind: str | None = None,
             group_id: int | None = None, filters: Filters | None = None):
    """A SELECT of the customers the list shows for this search and these filters (the CSV
    export streams it)."""
    filters = filters or Filters(status=status, kind=kind, group_id=group_id)
    stmt = select(Customer).where(*filters.conditions())
    cond = search_condition(q, filters)
    if cond is not None:
        stmt = stmt.where(cond)
    return stmt


def hidden_by_status(q: str, filters: Filters, limit: int = 1_000) -> tuple[str, int] | None:
    """When a filtered list is empty: how many customers the other status would show
    ("2 inactive customers match"), as (status, count), or None."""
    if not filters.status:
        return None
    other = (CustomerStatus.inactive.value if filters.status == CustomerStatus.active.value
             else CustomerStatus.active.value)
    widened = dataclasses.replace(filters, status=other)
    stmt = select(Customer.id).where(*widened.conditions())
    cond = search_condition(q, widened, limit + 1)
    if cond is not None:
        stmt = stmt.where(cond)
    count = db.session.execute(select(func.count()).select_from(
        stmt.limit(limit + 1).subquery())).scalar()
    return (other, count) if count else None


def page(q: str = "", status: str | None = None, kind: str | None = None,
         group_id: int | None = None, sort: str = "name", desc: bool = False,
         page: int = 1, per_page: int = 20, count_cap: int = 1_000,
         after: str | None = None, before: str | None = None,
         filters: Filters | None = None) -> Page:
    """One page of the customer list, costing the same at a hundred customers and at millions.

    A search is ranked by core.services.search (best first, ``sort="relevance"``, or sorted by
    a column) and reads at most ``count_cap`` + 1 matches. Without one, paging by the
    Next/Previous links uses the cursor of the last/first row shown (keyset paging: an index
    seek, however deep); a jump to page N walks only the narrow index. A filtered total is
    counted only up to ``count_cap``; the unfiltered total is the table's estimated size."""
    page = max(1, page)
    filters = filters or Filters(status=status, kind=kind, group_id=group_id)
    if clean_text(q):
        return _search_page(q, filters, sort, desc, page, per_page, count_cap)
    columns = SORTS.get(sort, SORTS["name"])
    base = select(Customer).where(*filters.conditions())
    if filters.group_id or filters.tag or any(chosen.narrow for chosen in filters.plugin):
        # A group, tag or narrow plugin filter picks a small set through its own indexes;
        # sorting that set beats walking the whole sort index hoping to meet members (the
        # planner's trap at millions).
        columns = tuple(_not_indexed(c) for c in columns)
    after_values = decode_cursor(after, columns)
    before_values = decode_cursor(before, columns) if after_values is None else None
    backwards = before_values is not None
    order = [c.desc() if desc != backwards else c.asc() for c in columns]
    ids_stmt = base.with_only_columns(*columns, Customer.id)
    if after_values is not None or backwards:
        values = after_values if after_values is not None else before_values
        key, bound = tuple_(*columns), tuple_(*[literal(v) for v in values])
        ids_stmt = ids_stmt.where(key < bound if desc != backwards else key > bound)
    else:
        ids_stmt = ids_stmt.offset((page - 1) * per_page)
    # Walk the narrow index for the page's keys, then fetch just those rows.
    keys = db.session.execute(ids_stmt.order_by(*order).limit(per_page + 1)).all()
    more = len(keys) > per_page
    keys = keys[:per_page]
    if backwards:
        keys.reverse()
    has_next = True if backwards else more
    rows = _rows_in_order([k[-1] for k in keys])
    width = len(columns)
    next_cursor = encode_cursor(tuple(keys[-1])[:width]) if keys and has_next else None
    prev_cursor = encode_cursor(tuple(keys[0])[:width]) if keys and page > 1 else None

    if base.whereclause is None:
        total, exact = estimated_count(Customer.__table__)
        estimated = not exact
    else:
        capped = base.with_only_columns(Customer.id).limit(count_cap + 1).subquery()
        total = db.session.execute(select(func.count()).select_from(capped)).scalar()
        total, estimated = (total if total <= count_cap else None), False
    return Page(rows, page, per_page, has_next, total, count_cap, estimated,
                next_cursor, prev_cursor)


def _rows_in_order(ids: list[int]) -> list[Customer]:
    if not ids:
        return []
    by_id = {c.id: c for c in db.session.execute(
        select(Customer).where(Customer.id.in_(ids))).scalars()}
    return [by_id[i] for i in ids if i in by_id]


def _search_page(q, filters, sort, desc, page, per_page, count_cap) -> Page:
    from core.services import search

    # Nobody reads past a few hundred matches: a search counts and ranks at most that many.
    count_cap = min(count_cap, SEARCH_PAGE_CAP)
    ids = search.ranked_ids(q, filters.conditions(), count_cap + 1)
    total = len(ids) if len(ids) <= count_cap else None
    start = (page - 1) * per_page
    if sort in SORTS:
        order = [c.desc() if desc else c.asc() for c in SORTS[sort]]
        window = _ids_sorted(ids, order, start, per_page + 1)
    else:  # relevance: the search's own order
        window = ids[start:start + per_page + 1]
    return Page(_rows_in_order(window[:per_page]), page, per_page, len(window) > per_page,
                total, count_cap)


def _ids_sorted(ids, order, offset, limit) -> list[int]:
    if not ids:
        return []
    return list(db.session.execute(select(Customer.id).where(Customer.id.in_(ids))
                                   .order_by(*order).offset(offset).limit(limit)).scalars())
