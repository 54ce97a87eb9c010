"""Customers: create, update, deactivate, reactivate, find. All rules about a customer live here."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from typing import Any

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, func, literal, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from core.db import db, estimated_count, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Customer, CustomerGroup, CustomerStatus, CustomerType
from core.services import history, numbering
from core.services.normalize import clean_text, fold, normalize_email, normalize_phone, phone_digits

SEQUENCE = "customer"
EDITABLE = ("number", "kind", "first_name", "last_name", "company_name", "email", "phone", "status")
LIMITS = {"number": 32, "first_name": 100, "last_name": 100, "company_name": 200, "email": 254,
          "phone": 40}


def _host():
    return current_app.extensions["regulars.plugins"]


def get(customer_id) -> Customer:
    pk = record_id(customer_id)
    customer = db.session.get(Customer, pk) if pk is not None else None
    if customer is None:
        raise NotFound(customer_id)
    return customer


def get_by_number(number: str) -> Customer | None:
    return db.session.execute(select(Customer).where(Customer.number == number)).scalar()


# -- validation ----------------------------------------------------------------------------


def _clean(data: dict[str, Any], current: Customer | None, require_email: bool) -> dict[str, Any]:
    """Validate and normalise the editable fields present in ``data``; raise ValidationError
    naming every bad field at once."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    unknown = set(data) - set(EDITABLE)
    for name in sorted(unknown):
        errors[name] = _("Unknown field.")

    for name in EDITABLE:
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
        if kind not in {t.value for t in CustomerType}:
            errors["kind"] = _("Choose Individual or Business.")
        out["kind"] = kind
    if "status" in out or current is None:
        status = out.get("status") or CustomerStatus.active.value
        if status not in {s.value for s in CustomerStatus}:
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
            taken = db.session.execute(
                select(Customer.id).where(Customer.number == number)
            ).scalar()
            if taken is not None and (current is None or taken != current.id):
                errors["number"] = _("Customer number %(number)s is already taken.", number=number)

    if errors:
        raise ValidationError(errors)
    return out


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


def create(data: dict[str, Any], actor=None, extra: dict | None = None,
           require_email: bool = True) -> Customer:
    """Create a customer from ``data`` (see EDITABLE). ``extra`` holds plugin form fields,
    handed to ``customer_form_saved`` inside the same transaction."""
    with write_transaction():
        values = _clean(data, None, require_email)
        customer = Customer()
        if not values.get("number"):
            values["number"] = _new_number()
        _apply(customer, values)
        customer.created_by_fk = customer.updated_by_fk = getattr(actor, "id", None)
        db.session.add(customer)
        _flush_or_number_taken()
        history.audit(customer.id, "create",
                      {k: (None, v) for k, v in values.items() if k in EDITABLE and v not in (None, "")},
                      actor)
        if extra is not None:
            _host().hook.customer_form_saved(customer=customer, data=extra)
            db.session.flush()
    _host().notify("customer_created", customer=customer)
    return customer


def update(customer: Customer, data: dict[str, Any], actor=None, extra: dict | None = None,
           require_email: bool = True) -> dict[str, tuple]:
    """Change the fields in ``data``; returns {field: (old, new)} of what really changed."""
    with write_transaction():
        values = _clean(data, customer, require_email)
        status_before = customer.status
        changes = _apply(customer, values)
        if changes:
            customer.updated_by_fk = getattr(actor, "id", None)
            customer.updated_at = utcnow()
            history.audit(customer.id, "update", changes, actor)
        _flush_or_number_taken()
        if extra is not None:
            _host().hook.customer_form_saved(customer=customer, data=extra)
            db.session.flush()
    if changes:
        _host().notify("customer_updated", customer=customer, changes=changes)
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
        _host().notify("customer_deactivated", customer=customer)
    elif customer.status == CustomerStatus.active.value and before != customer.status:
        _host().notify("customer_reactivated", customer=customer)


def set_status(customer: Customer, active: bool, actor=None) -> bool:
    """Deactivate or reactivate; keeps every row of history. Returns True when it changed."""
    status = CustomerStatus.active.value if active else CustomerStatus.inactive.value
    with write_transaction():
        before = customer.status
        if before == status:
            return False
        customer.status = status
        customer.updated_by_fk = getattr(actor, "id", None)
        customer.updated_at = utcnow()
        history.audit(customer.id, "reactivate" if active else "deactivate",
                      {"status": (before, status)}, actor)
    _host().notify("customer_updated", customer=customer, changes={"status": (before, status)})
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


# What people type between the digits of a phone number: "(020) 7946-0958", "+44 20 7946 0958".
_PHONE_PUNCTUATION = re.compile(r"[\s()./+-]")


def search_condition(q: str):
    """Prefix match on name (either order), company, email, customer number and phone."""
    q = clean_text(q)
    if not q:
        return None
    key = fold(q)
    conds = [
        _prefix(Customer.name_key, key),
        _prefix(Customer.sort_key, key),
        _prefix(Customer.email_normalized, q.lower()),
        _prefix(Customer.number, q.upper()),
        Customer.number == q,
    ]
    digits = phone_digits(q)
    if len(digits) >= 3 and _PHONE_PUNCTUATION.sub("", q).isdigit():
        conds.extend(_prefix(Customer.phone_e164, p) for p in _phone_prefixes(q, digits))
    return or_(*conds)


def _phone_prefixes(q: str, digits: str) -> set[str]:
    """E.164 prefixes a typed (part of a) phone number can stand for: as dialled in the shop's
    region (07400 1... -> +447400 1...) and as already international (447400... / +447400...)."""
    prefixes = {"+" + digits.lstrip("0")} if not digits.startswith("0") else set()
    try:
        number = phonenumbers.parse(q, current_app.config["DEFAULT_PHONE_REGION"])
    except phonenumbers.NumberParseException:
        return prefixes or {"+" + digits}
    national = str(number.national_number)
    prefixes.add(f"+{number.country_code}{national}")
    return prefixes


def _prefix(column, value: str):
    # A range, not LIKE: it uses a plain b-tree index on SQLite and PostgreSQL alike.
    return and_(column >= value, column < value + "\U0010ffff")


def _not_indexed(column):
    """The same value, as an expression no index can serve (``col || ''`` / ``col + 0``)."""
    if isinstance(column.type, Integer):
        return column + 0
    return column.concat("")


def filtered(q: str = "", status: str | None = None, kind: str | None = None,
             group_id: int | None = None):
    stmt = select(Customer)
    cond = search_condition(q)
    if cond is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(Customer.status == status)
    if kind:
        stmt = stmt.where(Customer.kind == kind)
    if group_id:
        stmt = stmt.where(Customer.groups.any(CustomerGroup.id == group_id))
    return stmt


def page(q: str = "", status: str | None = None, kind: str | None = None,
         group_id: int | None = None, sort: str = "name", desc: bool = False,
         page: int = 1, per_page: int = 20, count_cap: int = 1_000,
         after: str | None = None, before: str | None = None) -> Page:
    """One page of the customer list, costing the same at a hundred customers and at millions.

    Paging by the Next/Previous links uses the cursor of the last/first row shown (keyset
    paging: an index seek, however deep); a jump to page N walks only the narrow index. A
    filtered total is counted only up to ``count_cap``; the unfiltered total is the table's
    estimated size."""
    page = max(1, page)
    columns = SORTS.get(sort, SORTS["name"])
    base = filtered(q, status, kind, group_id)
    if clean_text(q) or group_id:
        # A search or group picks a small set through its own indexes; sorting that set beats
        # walking the whole sort index hoping to meet matches (the planner's trap at millions).
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
    rows = []
    if keys:
        ids = [k[-1] for k in keys]
        by_id = {c.id: c for c in db.session.execute(
            select(Customer).where(Customer.id.in_(ids))).scalars()}
        rows = [by_id[i] for i in ids if i in by_id]
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
