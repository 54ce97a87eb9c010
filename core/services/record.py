"""The rest of a customer's record: phones, addresses, contacts, tags, segments, the identity
numbers (reveal, key rotation), and the wizard's step save that ties them to the customer's
own fields in one transaction."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import pycountry
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.crypto import Encrypted, cipher
from core.db import Model, db, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Address, Contact, Customer, CustomerPhone, Segment, Tag
from core.services import customers as customer_service
from core.services import history
from core.services.normalize import clean_text, fold, normalize_email, normalize_phone

PHONE_LABELS = {"mobile": _l("Mobile"), "home": _l("Home"), "work": _l("Work"), "other": _l("Other")}
ADDRESS_KINDS = {"billing": _l("Billing"), "shipping": _l("Shipping"), "other": _l("Other")}
IDENTITY_FIELDS = {"driver_licence": _l("Driver's licence"), "national_id": _l("ID / SSN")}
MAX_TAGS = 50
# Postal codes of the countries shops here meet most; elsewhere only the shape is checked.
POSTAL_CODES = {
    "GB": re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"),
    "US": re.compile(r"^[0-9]{5}(-[0-9]{4})?$"),
    "DE": re.compile(r"^[0-9]{5}$"),
    "FR": re.compile(r"^[0-9]{5}$"),
    "NL": re.compile(r"^[0-9]{4} ?[A-Z]{2}$"),
    "CA": re.compile(r"^[A-Z][0-9][A-Z] ?[0-9][A-Z][0-9]$"),
}
_POSTAL_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,9}$")


# -- reading what was sent ------------------------------------------------------------------


def _text(data: dict, name: str, limit: int, errors: dict, required: str | None = None) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Must be text.")
        return ""
    value = clean_text(value)
    if len(value) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    elif required and not value:
        errors[name] = required
    return value


def _flag(data: dict, name: str, errors: dict) -> bool:
    value = data.get(name, False)
    if value in (None, ""):
        return False
    if not isinstance(value, bool):
        errors[name] = _("Must be true or false.")
        return False
    return value


def _choice(data: dict, name: str, choices: dict, default: str, errors: dict) -> str:
    value = data.get(name) or default
    # A list or object sent by a script is no choice (and cannot be looked up in a dict).
    if not isinstance(value, str) or value not in choices:
        errors[name] = _("Choose one of: %(choices)s.", choices=", ".join(str(c) for c in choices.values()))
    return value


def _unknown(data: dict, known, errors: dict) -> None:
    for name in sorted(set(data) - set(known)):
        errors[name] = _("Unknown field.")


def _stored_with(row, fields: tuple[str, ...], data: dict) -> dict:
    """A partial change as the cleaners read it: the row's stored values, overwritten by the
    ones sent (only the keys sent change)."""
    if not isinstance(data, dict):
        raise ValidationError({"_": _("Send the changes as an object of fields.")})
    return {**{name: getattr(row, name) for name in fields}, **data}


def _changes(before: dict, row, fields: tuple[str, ...]) -> dict[str, tuple]:
    return {name: (before[name], getattr(row, name)) for name in fields
            if before[name] != getattr(row, name)}


def _region() -> str:
    return current_app.config["DEFAULT_PHONE_REGION"]


# -- phones ---------------------------------------------------------------------------------


PHONE_FIELDS = ("label", "number")


def clean_phone(data: dict) -> dict:
    """A labelled phone number, E.164-normalised; raises ValidationError."""
    errors: dict = {}
    _unknown(data, PHONE_FIELDS, errors)
    label = _choice(data, "label", PHONE_LABELS, "mobile", errors)
    number = _text(data, "number", 40, errors, _("Enter a phone number."))
    e164 = None
    if number and "number" not in errors:
        try:
            number, e164 = normalize_phone(number, _region())
        except ValueError as exc:
            errors["number"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return {"label": label, "number": number, "e164": e164}


def _add_phone(customer: Customer, values: dict, actor) -> CustomerPhone:
    phone = CustomerPhone(customer_id=customer.id, **values)
    db.session.add(phone)
    db.session.flush()
    history.audit(customer.id, "create", {"number": (None, phone.number), "label": (None, phone.label)},
                  actor, entity="phone", entity_id=phone.id)
    return phone


def add_phone(customer: Customer, data: dict, actor=None) -> CustomerPhone:
    """Add another phone number (the customer's own ``phone`` stays the primary one)."""
    with write_transaction():
        # An erased customer's parts were deleted on purpose: none may come back or change.
        customer_service.refuse_if_erased(customer)
        return _add_phone(customer, clean_phone(data), actor)


def _phone_of(customer: Customer, phone_id) -> CustomerPhone:
    phone = db.session.get(CustomerPhone, record_id(phone_id) or 0)
    if phone is None or phone.customer_id != customer.id:
        raise NotFound(phone_id)
    return phone


def update_phone(customer: Customer, phone_id, data: dict, actor=None) -> CustomerPhone:
    """Correct one of the other phone numbers: its number (normalised again, as when added)
    and its label; keys not in ``data`` keep their stored value. The customer's primary phone
    stays as it is. Raises NotFound for a phone of another customer, ValidationError naming
    the bad fields (nothing changed)."""
    with write_transaction():
        customer_service.refuse_if_erased(customer)
        return _change_part(customer, _phone_of(customer, phone_id), PHONE_FIELDS, clean_phone,
                            data, actor, entity="phone")


def _change_part(customer: Customer, part, fields: tuple, clean, data: dict, actor, entity: str):
    """Apply ``data`` to one part of the record (keys left out keep their stored value) after
    ``clean`` checked it as when the part was added; audit what changed."""
    values = clean(_stored_with(part, fields, data))
    before = {name: getattr(part, name) for name in fields}
    for name, value in values.items():
        setattr(part, name, value)
    changes = _changes(before, part, fields)
    if changes:
        history.audit(customer.id, "update", changes, actor, entity=entity, entity_id=part.id)
    db.session.flush()
    return part


def delete_phone(customer: Customer, phone_id, actor=None) -> None:
    with write_transaction():
        phone = _phone_of(customer, phone_id)
        history.audit(customer.id, "delete", {"number": (phone.number, None)}, actor,
                      entity="phone", entity_id=phone.id)
        db.session.delete(phone)


def make_primary_phone(customer: Customer, phone_id, actor=None) -> None:
    """Show this number as the customer's phone; the former primary joins the other numbers."""
    with write_transaction():
        phone = _phone_of(customer, phone_id)
        old_number, old_e164 = customer.phone, customer.phone_e164
        history.audit(customer.id, "update", {"phone": (old_number, phone.number)}, actor)
        customer.phone, customer.phone_e164 = phone.number, phone.e164
        customer.updated_at, customer.updated_by_fk = utcnow(), getattr(actor, "id", None)
        history.audit(customer.id, "delete", {"number": (phone.number, None)}, actor,
                      entity="phone", entity_id=phone.id)
        db.session.delete(phone)
        if old_number:
            _add_phone(customer, {"label": "other", "number": old_number, "e164": old_e164}, actor)


# -- addresses ------------------------------------------------------------------------------

ADDRESS_FIELDS = ("kind", "is_default", "line1", "line2", "city", "region", "postal_code",
                  "country", "latitude", "longitude")


def _coordinate(data: dict, name: str, limit: int, errors: dict) -> Decimal | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        errors[name] = _("Must be a number.")
        return None
    try:
        # Through str: a JSON float becomes the decimal the caller wrote, not its binary cousin.
        number = Decimal(clean_text(str(value)))
    except InvalidOperation:
        errors[name] = _("Must be a number.")
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        errors[name] = _("Must be between %(low)d and %(high)d.", low=-limit, high=limit)
        return None
    return number.quantize(Decimal("0.000001"))


def clean_address(data: dict) -> dict:
    """An address as stored: kind, default flag, lines, postal code checked for the country
    (pycountry), optional GPS latitude/longitude within range. Raises ValidationError."""
    errors: dict = {}
    _unknown(data, ADDRESS_FIELDS, errors)
    values = {
        "kind": _choice(data, "kind", ADDRESS_KINDS, "billing", errors),
        "is_default": _flag(data, "is_default", errors),
        "line1": _text(data, "line1", 200, errors, _("Enter the street and number.")),
        "line2": _text(data, "line2", 200, errors),
        "city": _text(data, "city", 100, errors, _("Enter the town or city.")),
        "region": _text(data, "region", 100, errors),
        "postal_code": _text(data, "postal_code", 20, errors).upper(),
        "country": _text(data, "country", 2, errors, _("Choose a country.")).upper(),
        "latitude": _coordinate(data, "latitude", 90, errors),
        "longitude": _coordinate(data, "longitude", 180, errors),
    }
    country = values["country"]
    if country and "country" not in errors and pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = _("Choose a country.")
    code = values["postal_code"]
    if code and "postal_code" not in errors:
        pattern = POSTAL_CODES.get(country, _POSTAL_SHAPE)
        if not pattern.match(code):
            errors["postal_code"] = _("This is not a postal code of the chosen country.")
    if (values["latitude"] is None) != (values["longitude"] is None) and not errors.keys() & {
            "latitude", "longitude"}:
        errors["longitude" if values["longitude"] is None else "latitude"] = _(
            "Give both latitude and longitude, or neither.")
    if errors:
        raise ValidationError(errors)
    return values


def _keep_one_default(customer: Customer, kind: str, chosen: Address | None) -> None:
    """Exactly one default address per kind: ``chosen`` (or, if none is left, the oldest)."""
    same_kind = [a for a in customer.addresses if a.kind == kind]
    if chosen is None and same_kind and not any(a.is_default for a in same_kind):
        chosen = same_kind[0]
    for address in same_kind:
        address.is_default = address is chosen if chosen is not None else address.is_default


def _add_address(customer: Customer, values: dict, actor) -> Address:
    address = Address(customer_id=customer.id, **values)
    customer.addresses.append(address)
    first_of_kind = not any(a.is_default for a in customer.addresses if a.kind == address.kind
                            and a is not address)
    _keep_one_default(customer, address.kind, address if values["is_default"] or first_of_kind else None)
    db.session.flush()
    history.audit(customer.id, "create", {k: (None, getattr(address, k)) for k in ADDRESS_FIELDS
                                          if getattr(address, k) not in (None, "")},
                  actor, entity="address", entity_id=address.id)
    return address


def add_address(customer: Customer, data: dict, actor=None) -> Address:
    """Add an address; the first of its kind (or one marked default) becomes the default."""
    with write_transaction():
        customer_service.refuse_if_erased(customer)
        return _add_address(customer, clean_address(data), actor)


def _address_of(customer: Customer, address_id) -> Address:
    address = db.session.get(Address, record_id(address_id) or 0)
    if address is None or address.customer_id != customer.id:
        raise NotFound(address_id)
    return address


def update_address(customer: Customer, address_id, data: dict, actor=None) -> Address:
    """Correct an address: the same rules as when it was added; keys not in ``data`` keep
    their stored value. Changing its kind or default flag keeps exactly one default per kind
    (the kind it left gets its oldest address as default if it lost its default). Raises
    NotFound for an address of another customer, ValidationError naming the bad fields."""
    with write_transaction():
        customer_service.refuse_if_erased(customer)
        address = _address_of(customer, address_id)
        values = clean_address(_stored_with(address, ADDRESS_FIELDS, data))
        before = {name: getattr(address, name) for name in ADDRESS_FIELDS}
        defaults_before = {a.id: a.is_default for a in customer.addresses}
        for name, value in values.items():
            setattr(address, name, value)
        _keep_one_default(customer, address.kind, address if values["is_default"] else None)
        if before["kind"] != address.kind:
            _keep_one_default(customer, before["kind"], None)
        # Audited after the defaults are settled: unticking the only default of a kind keeps
        # it the default, and that is no change; another address that became or stopped
        # being the default is part of the same change.
        changes = _changes(before, address, ADDRESS_FIELDS)
        if changes:
            change_id = history.audit(customer.id, "update", changes, actor, entity="address",
                                      entity_id=address.id)
            for other in customer.addresses:
                if other is not address and defaults_before.get(other.id) != other.is_default:
                    history.audit(customer.id, "update",
                                  {"is_default": (defaults_before.get(other.id), other.is_default)},
                                  actor, entity="address", entity_id=other.id, change_id=change_id)
        db.session.flush()
        return address


def make_default_address(customer: Customer, address_id, actor=None) -> None:
    """Make this address the default of its kind; the former default stays, no longer default."""
    with write_transaction():
        address = _address_of(customer, address_id)
        if not address.is_default:
            history.audit(customer.id, "update", {"is_default": (False, True)}, actor,
                          entity="address", entity_id=address.id)
            _keep_one_default(customer, address.kind, address)


def delete_address(customer: Customer, address_id, actor=None) -> None:
    """Delete an address; if it was the default, the next of its kind takes over."""
    with write_transaction():
        address = _address_of(customer, address_id)
        history.audit(customer.id, "delete", {"line1": (address.line1, None)}, actor,
                      entity="address", entity_id=address.id)
        customer.addresses.remove(address)
        db.session.delete(address)
        _keep_one_default(customer, address.kind, None)


# -- contacts -------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "role", "email", "phone", "is_billing")


def clean_contact(data: dict) -> dict:
    """Another person at the customer: name, role, email, phone, billing-contact flag."""
    errors: dict = {}
    _unknown(data, CONTACT_FIELDS, errors)
    values = {
        "name": _text(data, "name", 200, errors, _("Enter the contact's name.")),
        "role": _text(data, "role", 100, errors),
        "email": _text(data, "email", 254, errors) or None,
        "phone": _text(data, "phone", 40, errors) or None,
        "phone_e164": None,
        "is_billing": _flag(data, "is_billing", errors),
    }
    if values["email"] and "email" not in errors:
        try:
            values["email"] = normalize_email(values["email"])[0]
        except ValueError as exc:
            errors["email"] = str(exc)
    if values["phone"] and "phone" not in errors:
        try:
            values["phone"], values["phone_e164"] = normalize_phone(values["phone"], _region())
        except ValueError as exc:
            errors["phone"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return values


def _add_contact(customer: Customer, values: dict, actor) -> Contact:
    contact = Contact(customer_id=customer.id, **values)
    customer.contacts.append(contact)
    db.session.flush()
    history.audit(customer.id, "create", {k: (None, values[k]) for k in CONTACT_FIELDS
                                          if values[k] not in (None, "", False)},
                  actor, entity="contact", entity_id=contact.id)
    return contact


def add_contact(customer: Customer, data: dict, actor=None) -> Contact:
    """Add another person at the customer (see clean_contact)."""
    with write_transaction():
        customer_service.refuse_if_erased(customer)
        return _add_contact(customer, clean_contact(data), actor)


def _contact_of(customer: Customer, contact_id) -> Contact:
    contact = db.session.get(Contact, record_id(contact_id) or 0)
    if contact is None or contact.customer_id != customer.id:
        raise NotFound(contact_id)
    return contact


def update_contact(customer: Customer, contact_id, data: dict, actor=None) -> Contact:
    """Correct a contact (a new email, a new role...): the same rules as when added, email and
    phone normalised again; keys not in ``data`` keep their stored value. Raises NotFound for
    a contact of another customer, ValidationError naming the bad fields (nothing changed)."""
    with write_transaction():
        customer_service.refuse_if_erased(customer)
        return _change_part(customer, _contact_of(customer, contact_id), CONTACT_FIELDS,
                            clean_contact, data, actor, entity="contact")


def delete_contact(customer: Customer, contact_id, actor=None) -> None:
    with write_transaction():
        contact = _contact_of(customer, contact_id)
        history.audit(customer.id, "delete", {"name": (contact.name, None)}, actor,
                      entity="contact", entity_id=contact.id)
        customer.contacts.remove(contact)
        db.session.delete(contact)


# -- tags -----------------------------------------------------------------------------------


def clean_tags(names) -> list[str]:
    """Tag names as a list of text; duplicates (by folded key) dropped, order kept."""
    if isinstance(names, str):
        names = names.split(",")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationError({"tags": _("Send the tags as a list of names.")})
    seen, out = set(), []
    for name in names:
        name = clean_text(name)
        if not name:
            continue
        if len(name) > 60:
            raise ValidationError({"tags": _("A tag has at most %(n)d characters.", n=60)})
        if fold(name) not in seen:
            seen.add(fold(name))
            out.append(name)
    if len(out) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)d tags.", n=MAX_TAGS)})
    return out


def _tag_for(name: str) -> Tag:
    key = fold(name)
    tag = db.session.execute(select(Tag).where(Tag.key == key)).scalar()
    if tag is None:
        tag = Tag(name=name, key=key)
        try:
            with db.session.begin_nested():
                db.session.add(tag)
        except IntegrityError:  # another till created the same tag a moment ago
            tag = db.session.execute(select(Tag).where(Tag.key == key)).scalar_one()
    return tag


def _set_tags(customer: Customer, names: list[str], actor) -> None:
    wanted = {fold(n): n for n in names}
    for tag in list(customer.tags):
        if tag.key not in wanted:
            customer.tags.remove(tag)
            history.audit(customer.id, "delete", {"tag": (tag.name, None)}, actor,
                          entity="tag", entity_id=tag.id)
    have = {t.key for t in customer.tags}
    for key, name in wanted.items():
        if key not in have:
            tag = _tag_for(name)
            customer.tags.append(tag)
            history.audit(customer.id, "create", {"tag": (None, tag.name)}, actor,
                          entity="tag", entity_id=tag.id)
    db.session.flush()


def set_tags(customer: Customer, names, actor=None) -> None:
    """Give the customer exactly these tags (free text; "VIP" and "vip" are one tag)."""
    with write_transaction():
        _set_tags(customer, clean_tags(names), actor)


def tag_setter(names, actor=None):
    """For ``customers.create/update(also=...)``: give the customer exactly these tags in the
    same transaction (the API's ``"tags": [...]``)."""
    if names is None:
        return None

    def apply(customer):
        _set_tags(customer, clean_tags(names), actor)

    return apply


def suggest_tags(prefix: str, limit: int = 10) -> list[str]:
    """Existing tag names starting with ``prefix`` (case and accents ignored), for autocomplete."""
    key = fold(clean_text(prefix))[:60]
    stmt = select(Tag.name).order_by(Tag.key).limit(limit)
    if key:
        stmt = stmt.where(Tag.key >= key, Tag.key < key + "\U0010ffff")
    return list(db.session.execute(stmt).scalars())


# -- segments -------------------------------------------------------------------------------


def all_segments() -> list[Segment]:
    return list(db.session.execute(select(Segment).order_by(Segment.position, Segment.name)).scalars())


def get_segment(segment_id) -> Segment:
    segment = db.session.get(Segment, record_id(segment_id) or 0)
    if segment is None:
        raise NotFound(segment_id)
    return segment


def clean_segment(data: dict, current: Segment | None) -> dict:
    """Name (unique), discount percentage (Decimal, 0 to 100, two places), price level."""
    errors: dict = {}
    _unknown(data, ("name", "discount_percent", "price_level", "position"), errors)
    values = {"name": _text(data, "name", 60, errors, _("Enter a name.")),
              "price_level": _text(data, "price_level", 40, errors) or "retail"}
    raw = data.get("discount_percent", 0)
    discount = None
    if isinstance(raw, (str, int, float, Decimal)) and not isinstance(raw, bool):
        try:
            discount = Decimal(clean_text(str(raw)) or "0")
        except InvalidOperation:
            pass
    if discount is None or not discount.is_finite() or not 0 <= discount <= 100:
        errors["discount_percent"] = _("Enter a percentage from 0 to 100.")
    elif discount != discount.quantize(Decimal("0.01")):
        errors["discount_percent"] = _("At most two decimal places.")
    else:
        values["discount_percent"] = discount
    position = data.get("position", current.position if current else 0)
    if isinstance(position, str) and position.strip().lstrip("-").isdigit():
        position = int(position.strip())
    if isinstance(position, bool) or not isinstance(position, int) or abs(position) > 10**6:
        errors["position"] = _("Must be a whole number.")
    else:
        values["position"] = position
    if values["name"] and "name" not in errors:
        taken = db.session.execute(select(Segment.id).where(
            func.lower(Segment.name) == values["name"].lower())).scalar()
        if taken is not None and (current is None or taken != current.id):
            errors["name"] = _("A segment named %(name)s already exists.", name=values["name"])
    if errors:
        raise ValidationError(errors)
    return values


def save_segment(data: dict, segment: Segment | None = None) -> Segment:
    """Create (``segment`` None) or change a segment."""
    with write_transaction():
        values = clean_segment(data, segment)
        if segment is None:
            segment = Segment()
            db.session.add(segment)
        for name, value in values.items():
            setattr(segment, name, value)
        db.session.flush()
        return segment


def segment_customer_count(segment: Segment) -> int:
    """How many customers are in ``segment`` (asked before deleting it)."""
    return db.session.execute(select(func.count()).select_from(Customer).where(
        Customer.segment_id == segment.id)).scalar()


def delete_segment(segment: Segment, actor=None) -> int:
    """Delete a segment; its customers keep everything else and have no segment, each with
    that change in their history (segment -> none). The trail keeps the segment's name, so
    those changes still read by name. Returns how many customers were in it."""
    with write_transaction():
        # Locked first: on PostgreSQL a customer being put in the segment meanwhile waits,
        # then fails (the segment is gone), rather than losing it without a trace.
        db.session.execute(select(Segment.id).where(Segment.id == segment.id).with_for_update())
        ids = list(db.session.execute(
            Customer.__table__.update().where(Customer.segment_id == segment.id)
            .values(segment_id=None).returning(Customer.__table__.c.id)).scalars())
        history.audit(None, "delete", {"name": (segment.name, None)}, actor, entity="segment",
                      entity_id=segment.id)
        history.audit_many(ids, "update", {"segment_id": (segment.id, None)}, actor)
        db.session.delete(segment)
    return len(ids)


# -- identity numbers -----------------------------------------------------------------------


def masked_identity(customer: Customer) -> dict[str, str]:
    """The identity numbers as every screen and the API show them."""
    from core.crypto import mask

    return {name: mask(getattr(customer, name)) for name in IDENTITY_FIELDS}


def reveal(customer: Customer, field: str, actor=None) -> str:
    """The clear value of an identity number; every reveal is written to the audit log
    (who, when, which field; never the value)."""
    if field not in IDENTITY_FIELDS:
        raise ValidationError({"field": _("Choose driver_licence or national_id.")})
    with write_transaction():
        history.audit(customer.id, "reveal", {field: (None, None)}, actor)
        return getattr(customer, field) or ""


def rotate_keys() -> int:
    """Re-encrypt every encrypted value (the core's and plugins') with the first key of
    ENCRYPTION_KEYS, so older keys can then be removed. Returns how many values changed."""
    fernet = cipher()
    count = 0
    with write_transaction():
        for table in Model.metadata.sorted_tables:
            columns = [c.name for c in table.columns if isinstance(c.type, Encrypted)]
            pk = [c.name for c in table.primary_key.columns]
            if not columns or len(pk) != 1:
                continue
            for column in columns:
                rows = db.session.execute(text(
                    f'SELECT "{pk[0]}", "{column}" FROM "{table.name}" WHERE "{column}" IS NOT NULL'))
                for key, token in rows.all():
                    db.session.execute(
                        text(f'UPDATE "{table.name}" SET "{column}" = :token WHERE "{pk[0]}" = :key'),
                        {"token": fernet.rotate(token.encode()).decode(), "key": key})
                    count += 1
    return count


# -- the wizard's step save -----------------------------------------------------------------


# The wizard's field names for each part ("person_", not "contact_": the contact_* names are
# the customer's communication preferences).
PART_PREFIX = {"phone": "newphone", "address": "address", "contact": "person"}


def _collect(parts: dict[str, Any], errors: dict) -> list[Callable]:
    """Validate the record parts a wizard step sent; return the writes to do, keyed errors
    (``address_city``) added to ``errors``."""
    writes = []
    cleaners = {"phone": (clean_phone, _add_phone), "address": (clean_address, _add_address),
                "contact": (clean_contact, _add_contact)}
    for part, (clean, add) in cleaners.items():
        data = parts.get(part)
        if not data:
            continue
        try:
            values = clean(data)
        except ValidationError as exc:
            errors.update({f"{PART_PREFIX[part]}_{k}": v for k, v in exc.errors.items()})
        else:
            writes.append(lambda c, a, values=values, add=add: add(c, values, a))
    if "tags" in parts:
        try:
            names = clean_tags(parts["tags"])
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            writes.append(lambda c, a: _set_tags(c, names, a))
    return writes


def save_step(customer: Customer | None, data: dict, parts: dict, actor=None,
              extra: dict | None = None, require_email: bool = True,
              check_duplicates: bool = False) -> Customer:
    """Save one step of the customer wizard: the customer's own fields in ``data`` and the
    record parts in ``parts`` ({"phone": {...}, "address": {...}, "contact": {...},
    "tags": [...]}; an empty part is skipped). Creates the customer when ``customer`` is None
    (``check_duplicates``: see customers.create).
    Everything or nothing: one transaction, and every bad field reported at once."""
    errors: dict = {}
    writes = _collect(parts, errors)
    if errors:
        # Report the customer's own bad fields too, not only the parts'.
        try:
            customer_service._clean_all(data, customer, require_email, extra)
        except ValidationError as exc:
            errors = {**exc.errors, **errors}
        raise ValidationError(errors)

    def also(c):
        for write in writes:
            write(c, actor)

    if customer is None:
        return customer_service.create(data, actor=actor, extra=extra, also=also,
                                       require_email=require_email,
                                       check_duplicates=check_duplicates)
    customer_service.update(customer, data, actor=actor, extra=extra, also=also,
                            require_email=require_email)
    return customer
