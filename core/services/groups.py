"""Static customer groups and their members."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select

from core.db import db, record_id, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Customer, CustomerGroup, group_membership
from core.services import history, search
from core.services.normalize import clean_paragraphs, clean_text


def get(group_id) -> CustomerGroup:
    pk = record_id(group_id)
    group = db.session.get(CustomerGroup, pk) if pk is not None else None
    if group is None:
        raise NotFound(group_id)
    return group


def _group_named(name: str) -> int | None:
    """The id of the group whose name equals ``name`` ignoring case, in any alphabet. Compared
    here, not in SQL: SQLite's lower() folds only A-Z, and a shop has tens of groups, not
    millions."""
    wanted = name.casefold()
    for group_id, existing in db.session.execute(select(CustomerGroup.id, CustomerGroup.name)):
        if existing.casefold() == wanted:
            return group_id
    return None


def _clean(data: dict, current: CustomerGroup | None) -> dict:
    errors, out = {}, {}
    for name in set(data) - {"name", "description"}:
        errors[name] = _("Unknown field.")
    for name in {"name", "description"} & set(data):
        if not isinstance(data[name], str):
            errors[name] = _("Must be text.")
    if ("name" in data or current is None) and "name" not in errors:
        name = clean_text(data.get("name"))
        if not name:
            errors["name"] = _("Enter a group name.")
        elif len(name) > 100:
            errors["name"] = _("At most %(n)d characters.", n=100)
        else:
            clash = _group_named(name)
            if clash is not None and (current is None or clash != current.id):
                errors["name"] = _("A group called %(name)s already exists.", name=name)
        out["name"] = name
    if "description" in data and "description" not in errors:
        description = clean_paragraphs(data["description"])
        if len(description) > 2000:
            errors["description"] = _("At most %(n)d characters.", n=2000)
        out["description"] = description
    if errors:
        raise ValidationError(errors)
    return out


def create(data: dict) -> CustomerGroup:
    with write_transaction():
        group = CustomerGroup(**_clean(data, None))
        db.session.add(group)
    return group


def update(group: CustomerGroup, data: dict) -> CustomerGroup:
    with write_transaction():
        for key, value in _clean(data, group).items():
            setattr(group, key, value)
    return group


def delete_group(group: CustomerGroup) -> None:
    """Delete a group; its members stay customers, only the membership goes."""
    with write_transaction():
        db.session.delete(group)


def add_members(group: CustomerGroup, customers: list[Customer], actor=None) -> int:
    """Add customers to a group; returns how many were not members yet. Each joining is in
    that customer's history."""
    with write_transaction():
        have = set(db.session.execute(
            select(group_membership.c.customer_id).where(group_membership.c.group_id == group.id)
        ).scalars())
        new = [c.id for c in customers if c.id not in have]
        if new:
            db.session.execute(insert(group_membership),
                               [{"group_id": group.id, "customer_id": cid} for cid in new])
            for cid in new:
                history.audit(cid, "group_add", {"group": (None, group.name)}, actor,
                              entity="group", entity_id=group.id)
    db.session.expire(group)
    for customer in customers:
        db.session.expire(customer, ["groups"])
    return len(new)


def remove_member(group: CustomerGroup, customer: Customer, actor=None) -> bool:
    """Take a customer out of a group (recorded in their history); False if not a member."""
    with write_transaction():
        result = db.session.execute(delete(group_membership).where(
            group_membership.c.group_id == group.id,
            group_membership.c.customer_id == customer.id))
        if result.rowcount:
            history.audit(customer.id, "group_remove", {"group": (group.name, None)}, actor,
                          entity="group", entity_id=group.id)
    db.session.expire(group)
    db.session.expire(customer, ["groups"])
    return result.rowcount > 0


def candidates(group: CustomerGroup, q: str, limit: int = 10) -> list[Customer]:
    """Customers not in ``group`` that the search box text ``q`` finds, best first: the
    customer search's own ranking (core.services.search), so "whitf" offers Whitfield before
    White, as the customer list does."""
    ids = search.ranked_ids(q, [~Customer.groups.any(CustomerGroup.id == group.id)], limit)
    if not ids:
        return []
    found = {c.id: c for c in db.session.execute(
        select(Customer).where(Customer.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def member_count(group: CustomerGroup) -> int:
    return db.session.execute(
        select(func.count()).select_from(group_membership)
        .where(group_membership.c.group_id == group.id)
    ).scalar()


def all_groups() -> list[CustomerGroup]:
    return list(db.session.execute(select(CustomerGroup).order_by(CustomerGroup.name)).scalars())
