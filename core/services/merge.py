"""Merging two records of one customer: the survivor keeps the chosen value of each field and
everything attached to the merged record; the merged record stays as a pointer
("merged into C-000123"), inactive, with its own number, so old receipts still find it.

One call, one transaction: core rows move with set-based UPDATEs, each plugin moves its own rows
in ``customer_merging`` (and may veto by raising ValidationError), and either all of it commits
or none of it does.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, insert, literal, select, update

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import (Activity, Address, AuditEntry, Contact, Customer, CustomerPhone,
                         CustomerStatus, CustomerType, Note, customer_tag, group_membership)
from core.plugins import current_host
from core.services import duplicates, history, plugin_fields
from core.services.normalize import fold

SURVIVOR, MERGED = "survivor", "merged"
# The fields a person picks field by field on the merge screen, in the order shown. Each
# normalised companion (email_normalized, phone_e164) follows its field.
MERGE_FIELDS = (
    "kind", "first_name", "last_name", "company_name", "email", "phone", "date_of_birth",
    "tax_id", "tax_country", "registration_number", "business_type", "industry",
    "payment_terms", "driver_licence", "national_id", "language", "currency", "contact_email",
    "contact_sms", "contact_phone", "contact_post", "go_green", "segment_id", "reseller_id",
)
COMPANIONS = {"email": ("email_normalized",), "phone": ("phone_e164",)}
# Rows keyed by customer_id that simply change owner.
MOVED_TABLES = (Address, Contact, Note, Activity, AuditEntry, CustomerPhone)
MAX_POINTER_HOPS = 20



def _empty(value) -> bool:
    return value is None or value == ""


def default_choices(survivor: Customer, merged: Customer) -> dict[str, str]:
    """What the merge screen proposes: the survivor's value wherever it has one."""
    return {name: SURVIVOR if not _empty(getattr(survivor, name)) or _empty(getattr(merged, name))
            else MERGED for name in MERGE_FIELDS}


def differing_fields(survivor: Customer, merged: Customer) -> list[str]:
    """The fields where the two records disagree (the only ones worth a choice on screen)."""
    return [n for n in MERGE_FIELDS if getattr(survivor, n) != getattr(merged, n)]


def plugin_field_choices(survivor: Customer, merged: Customer) -> list[dict]:
    """The plugins' fields (``CustomerField``, disabled plugins' too) of the two records, for
    the merge screen: ``field``, ``survivor`` and ``merged`` (the values), ``differs`` and the
    ``choice`` proposed (the survivor's value wherever it has one)."""
    return [{"field": field, "survivor": kept, "merged": other, "differs": kept != other,
             "choice": plugin_fields.default_choice(kept, other)}
            for field, kept, other in plugin_fields.compare(survivor, merged)]


def _read_field_choices(choices: dict[str, Any] | None, chosen) -> tuple[dict, dict]:
    """``choices`` split into (the core's, the plugin fields' checked)."""
    names = {f.name for f in chosen}
    core, fields, errors = {}, {}, {}
    for name, side in (choices or {}).items():
        if name not in names:
            core[name] = side
        elif side not in (SURVIVOR, MERGED):
            errors[name] = _("Choose which record's value to keep.")
        else:
            fields[name] = side
    if errors:
        raise ValidationError(errors)
    return core, fields


def final_survivor(customer: Customer) -> Customer:
    """The record a merged customer now lives on (following merges of merges)."""
    seen = 0
    while customer.merged_into_id is not None and seen < MAX_POINTER_HOPS:
        customer = db.session.get(Customer, customer.merged_into_id)
        seen += 1
    return customer


def _read_choices(choices: dict[str, Any] | None, survivor: Customer, merged: Customer) -> dict:
    picked = default_choices(survivor, merged)
    errors = {}
    for name, side in (choices or {}).items():
        if name not in MERGE_FIELDS:
            errors[name] = _("This field cannot be chosen in a merge.")
        elif side not in (SURVIVOR, MERGED):
            errors[name] = _("Choose which record's value to keep.")
        else:
            picked[name] = side
    if errors:
        raise ValidationError(errors)
    return picked


def _refuse(survivor: Customer, merged: Customer) -> None:
    if survivor.id == merged.id:
        raise ValidationError({"_": _("A customer cannot be merged into itself.")})
    for record in (survivor, merged):
        if record.erased_at is not None:
            raise ValidationError({"_": _("%(number)s was erased and cannot take part in a merge.",
                                          number=record.number)})
    if merged.merged_into_id is not None:
        target = db.session.get(Customer, merged.merged_into_id)
        raise ValidationError({"_": _("%(number)s has already been merged into %(target)s.",
                                      number=merged.number, target=target.number)})
    if survivor.merged_into_id is not None:
        target = db.session.get(Customer, survivor.merged_into_id)
        raise ValidationError({"_": _("%(number)s was merged into %(target)s: merge into "
                                      "%(target)s instead.", number=survivor.number,
                                      target=target.number)})
    from core.services.plugins import refuse_if_data_left_behind

    refuse_if_data_left_behind()


def _lock_pair(survivor_id: int, merged_id: int) -> tuple[Customer, Customer]:
    """Both rows, freshly read and locked (in id order, so two merges never deadlock). On
    SQLite the transaction's BEGIN IMMEDIATE already holds every other writer off."""
    rows = {c.id: c for c in db.session.execute(
        select(Customer).where(Customer.id.in_({survivor_id, merged_id}))
        .order_by(Customer.id).with_for_update().execution_options(populate_existing=True)
    ).scalars()}
    return rows[survivor_id], rows[merged_id]


def _apply_choices(survivor: Customer, merged: Customer, picked: dict[str, str]) -> dict:
    changes = {}
    for name in MERGE_FIELDS:
        if picked[name] != MERGED:
            continue
        names = (name,) + COMPANIONS.get(name, ())
        for field in names:
            old, new = getattr(survivor, field), getattr(merged, field)
            if name == "reseller_id" and new in (survivor.id, merged.id):
                new = None  # a customer cannot resell to itself
            if old != new:
                setattr(survivor, field, new)
                if field == name:
                    changes[name] = (old, new)
    if changes:
        first, last = survivor.first_name or "", survivor.last_name or ""
        # The same keys customers.create/update keep for search and sorting.
        survivor.name_key = fold(f"{first} {last}")
        if survivor.kind == CustomerType.business.value and survivor.company_name:
            survivor.sort_key = fold(survivor.company_name)
        else:
            survivor.sort_key = fold(f"{last} {first}") or fold(survivor.company_name or "")
    return changes


def _move_rows(survivor_id: int, merged_id: int) -> None:
    session = db.session
    # A phone number the survivor already has would only be listed twice.
    session.execute(delete(CustomerPhone).where(
        CustomerPhone.customer_id == merged_id,
        CustomerPhone.e164.in_(select(CustomerPhone.e164).where(
            CustomerPhone.customer_id == survivor_id).scalar_subquery())))
    # One default address of each kind: the survivor's stays the default.
    session.execute(update(Address).where(
        Address.customer_id == merged_id, Address.is_default.is_(True),
        Address.kind.in_(select(Address.kind).where(Address.customer_id == survivor_id,
                                                    Address.is_default.is_(True)).scalar_subquery())
    ).values(is_default=False))
    for model in MOVED_TABLES:
        session.execute(update(model).where(model.customer_id == merged_id)
                        .values(customer_id=survivor_id))
    # Tags and groups: the union, never a membership twice.
    for table, key in ((customer_tag, "tag_id"), (group_membership, "group_id")):
        already = select(table.c[key]).where(table.c.customer_id == survivor_id)
        session.execute(insert(table).from_select(
            ["customer_id", key],
            select(literal(survivor_id), table.c[key]).where(
                table.c.customer_id == merged_id, table.c[key].not_in(already))))
        session.execute(delete(table).where(table.c.customer_id == merged_id))
    # Pointers from other records follow the customer: resold-to customers, earlier merges.
    session.execute(update(Customer).where(Customer.reseller_id == merged_id,
                                           Customer.id != survivor_id)
                    .values(reseller_id=survivor_id))
    # ...but a customer never resells to itself.
    session.execute(update(Customer).where(Customer.id == survivor_id,
                                           Customer.reseller_id == merged_id)
                    .values(reseller_id=None))
    session.execute(update(Customer).where(Customer.merged_into_id == merged_id)
                    .values(merged_into_id=survivor_id))


def merge(survivor: Customer, merged: Customer, choices: dict[str, str] | None = None,
          actor=None) -> Customer:
    """Merge ``merged`` into ``survivor`` in one transaction and return the survivor.

    ``choices`` maps a field of MERGE_FIELDS, or a plugin's ``CustomerField`` name, to
    "survivor" or "merged" (whose value to keep); fields left out keep the survivor's value,
    or the merged one's where the survivor has none. The plugin fields' values of the merged
    record are deleted (disabled plugins' too): the survivor holds the chosen ones.
    Addresses, contacts, phones, notes, activity and audit rows move to the survivor; tags and
    groups become the union; duplicate pairs follow; each plugin moves its own rows in
    ``customer_merging`` (a ValidationError there refuses the whole merge). The merged record
    stays, inactive, with its number and ``merged_into_id`` pointing at the survivor.

    Refuses (ValidationError under "_") a merge into itself, into or of a merged or erased
    record; of two merges of the same pair at once, one wins and the other is refused."""
    actor_id = getattr(actor, "id", None) if not isinstance(actor, int) else actor
    with write_transaction():
        survivor, merged = _lock_pair(survivor.id, merged.id) if survivor.id != merged.id \
            else (survivor, merged)
        _refuse(survivor, merged)
        chosen = plugin_fields.installed_fields()
        core_choices, field_choices = _read_field_choices(choices, chosen)
        picked = _read_choices(core_choices, survivor, merged)
        changes = _apply_choices(survivor, merged, picked)
        db.session.flush()
        # The pointer first, conditionally: a second merge racing this one (on a database
        # without the row lock) finds merged_into_id already set and changes nothing.
        status_before = merged.status
        claimed = db.session.execute(
            update(Customer).where(and_(Customer.id == merged.id,
                                        Customer.merged_into_id.is_(None)))
            .values(merged_into_id=survivor.id, status=CustomerStatus.inactive.value,
                    updated_at=utcnow(), updated_by_fk=actor_id)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            raise ValidationError({"_": _("%(number)s has just been merged by someone else.",
                                          number=merged.number)})
        db.session.refresh(merged)
        _move_rows(survivor.id, merged.id)
        duplicates.move_candidates(survivor.id, merged.id, actor_id)
        # The plugins' fields: the values chosen are read before the plugins' hooks run, and
        # set after them (whatever a hook moved), the merged record keeping none.
        field_plan = plugin_fields.merge_plan(survivor, merged, field_choices, chosen)
        # Disabled plugins too: their rows follow the customer (a plugin that cannot run
        # refused the merge in _refuse, before anything was written).
        current_host().caller("customer_merging", include_disabled=True)(
            survivor=survivor, merged=merged, actor=actor)
        db.session.flush()
        changes.update(plugin_fields.merge_apply(survivor, merged, field_plan, chosen))

        survivor.updated_at, survivor.updated_by_fk = utcnow(), actor_id
        change_id = history.audit(survivor.id, "merge",
                                  {"merged_from": (None, merged.number), **changes}, actor_id)
        history.audit(merged.id, "merge", {"merged_into": (None, survivor.number),
                                           "status": (status_before, CustomerStatus.inactive.value)},
                      actor_id, change_id=change_id)
        history.record_activity(
            survivor, "system",
            _("Merged %(number)s into this record", number=merged.number),
            _("%(name)s (%(number)s) was a duplicate of this customer; its history now lives here.",
              name=merged.display_name, number=merged.number),
            actor=actor_id, ref_type="customer", ref_id=merged.id)
    db.session.expire(survivor)
    db.session.expire(merged)
    current_host().notify("customer_updated", customer=survivor,
                   changes={"merged_from": (None, merged.number), **changes})
    if status_before != CustomerStatus.inactive.value:
        current_host().notify("customer_deactivated", customer=merged)
    return survivor
