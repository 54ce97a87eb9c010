"""What an import row brings besides the customer's own fields: the default and the shipping
address, more phone numbers, tags and a note; and what a system's export says in its own way
(one "Name" column for first and last name, a company flag, phone numbers written as dialled in
the customer's country).

Each part is checked by the rules of the record's own screens (``record.clean_address``,
``record.clean_tags``, the note's length); a part that fails makes its row fail, reported
against the file's column. New customers get their parts in bulk with the customers
themselves; a customer the import updates gets only what it lacks (an address already on the
record, by street, postal code and country, is not added twice; nor a phone number, a tag or
the same note), through the ORM and in the audit trail. A file that maps none of these columns
never reaches this module: a plain file costs what it cost before.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from typing import Callable

import phonenumbers
import pycountry
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.db import db
from core.errors import ValidationError
from core.models import Activity, Address, Customer, CustomerPhone, Note, Tag, customer_tag
from core.models.customer import CustomerType
from core.services import history, notes, record
from core.services.normalize import (clean_paragraphs, clean_text, fold, normalize_phone,
                                     yes_no)

NAME, IS_COMPANY, TAGS, NOTES = "name", "is_company", "tags", "notes"
ADDRESS_PARTS = ("line1", "line2", "suburb", "city", "region", "postal_code", "country")
ADDRESS_KINDS = {"address": "billing", "shipping": "shipping"}  # target prefix -> Address.kind
PHONE_LABELS = {"phone.mobile": "mobile", "phone.home": "home", "phone.work": "work",
                "phone.other": "other"}
TARGETS = ((NAME, IS_COMPANY)
           + tuple(f"{prefix}.{part}" for prefix in ADDRESS_KINDS for part in ADDRESS_PARTS)
           + tuple(PHONE_LABELS) + (TAGS, NOTES))
LABELS = {
    NAME: _l("Full name (first word: first name; a company's name for a business)"),
    IS_COMPANY: _l("Is a company (yes/no)"),
    TAGS: _l("Tags (separated by commas)"),
    NOTES: _l("Note"),
    "phone.mobile": _l("Another phone: mobile"), "phone.home": _l("Another phone: home"),
    "phone.work": _l("Another phone: work"), "phone.other": _l("Another phone: other"),
}
_PART_LABELS = {"line1": _l("street and number"), "line2": _l("line 2"),
                "suburb": _l("suburb (added to line 2)"), "city": _l("town or city"),
                "region": _l("region, state or province"), "postal_code": _l("postal code"),
                "country": _l("country (name or ISO code)")}
_KIND_LABELS = {"address": _l("Address"), "shipping": _l("Shipping address")}
# Names people and systems give their country that are not its ISO name.
COUNTRY_ALIASES = {
    "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "deutschland": "DE", "osterreich": "AT", "schweiz": "CH",
    "suisse": "CH", "svizzera": "CH", "espana": "ES", "nederland": "NL", "holland": "NL",
    "belgie": "BE", "belgique": "BE", "italia": "IT", "polska": "PL", "sverige": "SE",
    "norge": "NO", "danmark": "DK", "suomi": "FI", "eire": "IE", "ceska republika": "CZ",
}
_STATE_SUFFIX = re.compile(r"\s*\([A-Z]{2}\)$")  # Odoo writes a state as "California (US)"
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def target_label(target: str) -> str:
    """How the screens name an extra target ("Address: postal code")."""
    if target in LABELS:
        return str(LABELS[target])
    prefix, _dot, part = target.partition(".")
    if prefix in _KIND_LABELS and part in _PART_LABELS:
        return f"{_KIND_LABELS[prefix]}: {_PART_LABELS[part]}"
    return target


@functools.lru_cache(maxsize=1024)
def country_code(value: str) -> str | None:
    """The ISO 3166 alpha-2 code of a country written as a code (GB, GBR) or a name
    ("United Kingdom", "UK", "Deutschland"), or None."""
    value = clean_text(value)
    if not value:
        return None
    alias = COUNTRY_ALIASES.get(fold(value))
    if alias:
        return alias
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return None


def split_name(name: str) -> tuple[str, str]:
    """First and last name of one name: "Lovelace, Ada" is written last name first; otherwise
    the first word is the first name ("Vincent van Gogh" -> Vincent, van Gogh)."""
    name = clean_text(name)
    if "," in name:
        last, _comma, first = name.partition(",")
        return clean_text(first), clean_text(last)
    first, _space, last = name.partition(" ")
    return first, last.strip()


def note_text(value: str) -> str:
    """A note as text: systems that keep notes as HTML (Odoo) export the markup."""
    if "<" in value and ">" in value and _TAG.search(value):
        value = html.unescape(_TAG.sub("", _BREAK.sub("\n", value)))
    return clean_paragraphs(value)


def _filled(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _unguarded(value: str) -> str:
    """A cell without the apostrophe spreadsheets and exports put before a number to keep its
    leading zero or plus ("'+44 7700...", "'01234")."""
    if value[:1] == "'" and value[1:2] in ("+", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"):
        return value[1:]
    return value


@dataclasses.dataclass
class Parts:
    """The parts of one row, checked: addresses as ``record.clean_address`` leaves them,
    phones as (label, display, E.164), tag names, a note."""

    addresses: list[dict] = dataclasses.field(default_factory=list)
    phones: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str = ""

    def __bool__(self) -> bool:
        return bool(self.addresses or self.phones or self.tags or self.note)


def address_key(line1: str, postal_code: str, country: str) -> tuple[str, str, str]:
    """What makes two addresses one: the street (case, accents and punctuation aside), the
    postal code (spaces aside) and the country."""
    street = "".join(c for c in fold(line1 or "") if c.isalnum())
    return street, (postal_code or "").replace(" ", "").upper(), (country or "").upper()


class RowPlan:
    """How the columns of one file map onto the parts of a record; ``apply`` does one row."""

    def __init__(self, headers: list[str], mapping: dict[str, str], home_region: str,
                 ignored_tags: frozenset[str] = frozenset(), recognised: bool = False):
        index = {h: i for i, h in enumerate(headers)}
        by_target = {target: header for header, target in mapping.items()}
        self.headers = headers
        self.home_region = home_region
        self.ignored_tags = ignored_tags
        self.name = index.get(by_target.get(NAME))
        self.is_company = index.get(by_target.get(IS_COMPANY))
        self.tags = index.get(by_target.get(TAGS))
        self.note = index.get(by_target.get(NOTES))
        self.phones = [(index[by_target[t]], label) for t, label in PHONE_LABELS.items()
                       if t in by_target]
        self.addresses = {}
        for prefix in ADDRESS_KINDS:
            parts = {part: index[by_target[f"{prefix}.{part}"]] for part in ADDRESS_PARTS
                     if f"{prefix}.{part}" in by_target}
            if parts:
                self.addresses[prefix] = parts
        self.country_columns = [parts["country"] for parts in self.addresses.values()
                                if "country" in parts]
        self.has_tax_id = "tax_id" in by_target and "tax_country" not in by_target
        # A system's export lists companies without a contact person (Square, Shopify): a row
        # that names only a company is a business. A hand-made file says so in its own words.
        self.company_only_business = recognised and "company_name" in by_target
        self.active = bool(self.name is not None or self.is_company is not None or self.tags
                           is not None or self.note is not None or self.phones or self.addresses
                           or self.has_tax_id or self.company_only_business)
        # The file's column to blame for a field the plan fills from another column.
        self.derived_columns: dict[str, str] = {}
        if self.name is not None:
            for field in ("first_name", "last_name", "company_name"):
                self.derived_columns.setdefault(field, headers[self.name])
        if self.is_company is not None:
            self.derived_columns["kind"] = headers[self.is_company]
        if self.phones:
            self.derived_columns["phone"] = headers[self.phones[0][0]]
        if self.has_tax_id:
            self.derived_columns["tax_country"] = by_target["tax_id"]

    @property
    def loads(self) -> tuple[str, ...]:
        """The relationships of an existing customer the plan compares against."""
        wanted = []
        if self.addresses:
            wanted.append("addresses")
        if self.phones:
            wanted.append("phones")
        if self.tags is not None:
            wanted.append("tags")
        return tuple(wanted)

    def apply(self, cells: list[str], data: dict, current: Customer | None
              ) -> tuple[Parts, list[tuple[str, str]]]:
        """The row's parts, and its problems as (column, message); fills ``data`` (the row's
        customer fields, as the customer service reads them) with what the plan derives:
        names from one name, the kind from a company flag, phones in E.164 by the row's own
        country, the country of a tax ID."""
        problems: list[tuple[str, str]] = []
        country = self._country(cells)
        region = country or self.home_region
        self._kind(cells, data)
        self._names(cells, data, current)
        parts = Parts()
        main = data.get("phone")
        if isinstance(main, str) and main.strip():
            main = _unguarded(clean_text(main))
            data["phone"] = self._by_country(main, country)
        if self.phones:
            self._more_phones(cells, data, current, region, parts, problems)
        for prefix, columns in self.addresses.items():
            address = self._address(prefix, columns, cells, problems)
            if address is not None and not any(
                    address_key(a["line1"], a["postal_code"], a["country"])
                    == address_key(address["line1"], address["postal_code"], address["country"])
                    for a in parts.addresses):
                parts.addresses.append(address)
        if self.tags is not None and cells[self.tags].strip():
            names = [n for n in cells[self.tags].split(",")
                     if fold(clean_text(n)) not in self.ignored_tags]
            try:
                parts.tags = record.clean_tags(names)
            except ValidationError as exc:
                problems.append((self.headers[self.tags], str(exc.errors["tags"])))
        if self.note is not None and cells[self.note].strip():
            text = note_text(cells[self.note])
            if len(text) > notes.BODY_MAX:
                problems.append((self.headers[self.note],
                                 _("A note has at most %(n)d characters.", n=notes.BODY_MAX)))
            else:
                parts.note = text
        if self.has_tax_id:
            self._tax_country(data, current, country)
        return parts, problems

    # -- the row's own ways ---------------------------------------------------------------

    def _country(self, cells: list[str]) -> str | None:
        for i in self.country_columns:
            code = country_code(cells[i])
            if code:
                return code
        return None

    def _kind(self, cells, data):
        if self.is_company is None or (isinstance(data.get("kind"), str) and data["kind"].strip()):
            return
        flag = cells[self.is_company].strip().lower()
        if flag:
            data["kind"] = (CustomerType.business.value if yes_no(flag)
                            else CustomerType.individual.value)

    def _names(self, cells, data, current):
        if self.company_only_business and current is None and not _filled(data.get("kind")) \
                and _filled(data.get("company_name")) and not _filled(data.get("first_name")) \
                and not _filled(data.get("last_name")) \
                and not (self.name is not None and cells[self.name].strip()):
            data["kind"] = CustomerType.business.value
        if self.name is None:
            return
        name = clean_text(cells[self.name])
        if not name:
            return
        kind = data.get("kind") if isinstance(data.get("kind"), str) and data["kind"] else (
            current.kind if current is not None else CustomerType.individual.value)
        if kind == CustomerType.business.value:
            if not clean_text(data.get("company_name") or ""):
                data["company_name"] = name
            return
        if clean_text(data.get("first_name") or "") or clean_text(data.get("last_name") or ""):
            return
        data["first_name"], data["last_name"] = split_name(name)

    def _by_country(self, number: str, country: str | None) -> str:
        """A phone number as the customer service will read it: written as dialled in the
        row's own country (when that is not the shop's), it is given its country code here."""
        if not country or country == self.home_region or number.startswith(("+", "00")):
            return number
        try:
            parsed = phonenumbers.parse(number, country)
        except phonenumbers.NumberParseException:
            return number
        if not phonenumbers.is_valid_number(parsed):
            return number
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def _more_phones(self, cells, data, current, region, parts, problems):
        if not any(cells[i].strip() for i, _label in self.phones):
            return  # most rows: checking the main number twice would double its cost
        seen = set()
        main = data.get("phone")
        if isinstance(main, str) and main.strip():
            try:
                seen.add(normalize_phone(main, region)[1])
            except ValueError:
                pass  # the customer service reports the main phone
        if current is not None:
            seen.update(p.e164 for p in current.phones)
            if current.phone_e164:
                seen.add(current.phone_e164)
        for i, label in self.phones:
            value = _unguarded(clean_text(cells[i]))
            if not value:
                continue
            try:
                display, e164 = normalize_phone(value, region)
            except ValueError as exc:
                problems.append((self.headers[i], str(exc)))
                continue
            if e164 not in seen:
                seen.add(e164)
                parts.phones.append((label, display, e164))
        has_main = isinstance(main, str) and main.strip()
        if parts.phones and not has_main and not (current is not None and current.phone):
            # A customer's first number is their phone; the others are their other phones.
            data["phone"] = parts.phones.pop(0)[2]

    def _address(self, prefix, columns, cells, problems) -> dict | None:
        values = {part: clean_text(cells[i]) for part, i in columns.items()}
        if not values.get("line1"):
            return None  # no street, no address (a country alone still dials the phones)
        column_of = {part: self.headers[i] for part, i in columns.items()}
        line2 = ", ".join(v for v in (values.get("line2"), values.get("suburb")) if v)
        written = values.get("country", "")
        country = country_code(written) if written else self.home_region
        if country is None:
            problems.append((column_of["country"], _(
                "“%(value)s” is not a country Regulars knows: write its name in English or its "
                "two-letter ISO code.", value=written)))
            return None
        try:
            cleaned = record.clean_address({
                "kind": ADDRESS_KINDS[prefix], "line1": values["line1"], "line2": line2,
                "city": values.get("city", ""),
                "region": _STATE_SUFFIX.sub("", values.get("region", "")),
                "postal_code": _unguarded(values.get("postal_code", "")), "country": country})
        except ValidationError as exc:
            for field, message in exc.errors.items():
                column = column_of.get(field) or column_of.get(
                    "suburb" if field == "line2" else "line1")
                problems.append((column, str(message)))
            return None
        return {k: cleaned[k] for k in ("kind", "line1", "line2", "city", "region",
                                         "postal_code", "country")}

    def _tax_country(self, data, current, country):
        tax_id = data.get("tax_id")
        if not isinstance(tax_id, str) or not tax_id.strip():
            return
        if current is not None and current.tax_country:
            return
        prefix = clean_text(tax_id)[:2].upper()
        # An EU VAT number starts with its country ("BE0477472701"); Greece writes EL.
        prefix = "GR" if prefix == "EL" else prefix
        if prefix.isalpha() and pycountry.countries.get(alpha_2=prefix) is not None:
            data["tax_country"] = prefix
        else:
            data["tax_country"] = country or self.home_region


# -- writing --------------------------------------------------------------------------------


def tag_ids(names: list[str]) -> dict[str, int]:
    """{folded name: tag id} for these names, creating the tags that do not exist yet."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(fold(name), name)
    found: dict[str, int] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 500):
        found.update(db.session.execute(select(Tag.key, Tag.id).where(
            Tag.key.in_(keys[start:start + 500]))).all())
    for key in keys:
        if key not in found:
            found[key] = record._tag_for(wanted[key]).id
    return found


def insert_for_new(created: list[tuple[int, Parts]], actor_id, now,
                   insert_rows: Callable[[object, object, list[dict]], None]) -> None:
    """Write the parts of customers just inserted in bulk (``created``: (customer id, parts)),
    in the caller's transaction. Their "import" audit row stands for them, as it does for the
    customer's own fields."""
    if not created:
        return
    connection = db.session.connection()
    addresses, phones, links, new_notes = [], [], [], []
    # The first spelling in the file names a new tag ("VIP" before a later row's "vip").
    names = list(dict.fromkeys(n for _pk, parts in created for n in parts.tags))
    ids = tag_ids(names) if names else {}
    for pk, parts in created:
        for address in parts.addresses:
            addresses.append({"customer_id": pk, "is_default": True, **address})
        phones.extend({"customer_id": pk, "label": label, "number": display, "e164": e164}
                      for label, display, e164 in parts.phones)
        links.extend({"customer_id": pk, "tag_id": ids[fold(n)]} for n in parts.tags)
        if parts.note:
            new_notes.append({"customer_id": pk, "body": parts.note, "pinned": False,
                              "author_fk": actor_id, "created_at": now})
    if addresses:
        insert_rows(connection, Address.__table__, addresses)
    if phones:
        insert_rows(connection, CustomerPhone.__table__, phones)
    if links:
        insert_rows(connection, customer_tag, links)
    if new_notes:
        insert_rows(connection, Note.__table__, new_notes)
        # The customers are new: the note just written is the only one each of them has.
        note_of = {}
        wanted = [n["customer_id"] for n in new_notes]
        for start in range(0, len(wanted), 500):
            note_of.update((cid, nid) for nid, cid in connection.execute(
                select(Note.id, Note.customer_id).where(
                    Note.customer_id.in_(wanted[start:start + 500]))))
        insert_rows(connection, Activity.__table__, [
            {"customer_id": n["customer_id"], "kind": "note", "subject": notes._headline(n["body"]),
             "body": n["body"], "occurred_at": now, "actor_fk": actor_id, "source": "core",
             "ref_type": "note", "ref_id": str(note_of[n["customer_id"]])} for n in new_notes])


def note_bodies(customer_ids: list[int]) -> dict[int, set[str]]:
    """The notes these customers already have, so an import run twice adds its note once."""
    bodies: dict[int, set[str]] = {}
    for start in range(0, len(customer_ids), 500):
        for cid, body in db.session.execute(select(Note.customer_id, Note.body).where(
                Note.customer_id.in_(customer_ids[start:start + 500]))):
            bodies.setdefault(cid, set()).add(body)
    return bodies


def _missing(customer: Customer, parts: Parts, bodies: set[str]):
    have = {address_key(a.line1, a.postal_code, a.country) for a in customer.addresses}
    addresses = [a for a in parts.addresses
                 if address_key(a["line1"], a["postal_code"], a["country"]) not in have]
    numbers = {p.e164 for p in customer.phones} | {customer.phone_e164}
    phones = [p for p in parts.phones if p[2] not in numbers]
    keys = {t.key for t in customer.tags} if parts.tags else set()
    tags = [n for n in parts.tags if fold(n) not in keys]
    note = parts.note if parts.note and parts.note not in bodies else ""
    return addresses, phones, tags, note


def would_change(customer: Customer, parts: Parts, bodies: set[str]) -> bool:
    """Whether ``add_to_existing`` would add anything (for a dry run's counts)."""
    return any(_missing(customer, parts, bodies))


def add_to_existing(customer: Customer, parts: Parts, bodies: set[str], actor_id,
                    change_id: str) -> bool:
    """Give a customer the row's parts it lacks, audited under "import"; True if any."""
    addresses, phones, tags, note = _missing(customer, parts, bodies)
    for values in addresses:
        address = Address(customer_id=customer.id, is_default=False, **values)
        first_of_kind = not any(a.is_default for a in customer.addresses
                                if a.kind == address.kind)
        customer.addresses.append(address)
        record._keep_one_default(customer, address.kind, address if first_of_kind else None)
        db.session.flush()
        history.audit(customer.id, "import", {k: (None, v) for k, v in values.items() if v},
                      actor_id, entity="address", entity_id=address.id, change_id=change_id)
    for label, display, e164 in phones:
        phone = CustomerPhone(customer_id=customer.id, label=label, number=display, e164=e164)
        customer.phones.append(phone)
        db.session.flush()
        history.audit(customer.id, "import", {"number": (None, display), "label": (None, label)},
                      actor_id, entity="phone", entity_id=phone.id, change_id=change_id)
    for name in tags:
        tag = record._tag_for(name)
        customer.tags.append(tag)
        history.audit(customer.id, "import", {"tag": (None, tag.name)}, actor_id, entity="tag",
                      entity_id=tag.id, change_id=change_id)
    if note:
        notes.add_in_transaction(customer, note, actor_id)
    if addresses or phones or tags or note:
        db.session.flush()
        return True
    return False
