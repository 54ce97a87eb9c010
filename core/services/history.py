"""The audit trail (every change to a customer) and the activity timeline (every contact)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, tuple_, update

from core.db import db, record_id, utcnow, write_transaction
from core.errors import ValidationError
from core.models import Activity, AuditEntry, Customer, Segment
from core.models.customer import display_name

# Fields whose values never reach the audit trail in clear.
SENSITIVE = {"driver_licence", "national_id"}
ACTIVITY_KINDS = ("note", "call", "email", "sms", "task", "payment", "points", "document", "system")
MAX_VALUE = 2000


def _display(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def mask(value: Any) -> str | None:
    """A sensitive value as the audit trail keeps it: all but the last two characters hidden."""
    if value in (None, ""):
        return None
    text = str(value)
    return "•" * max(len(text) - 2, 4) + text[-2:]


def audit(customer_id: int | None, action: str, changes: dict[str, tuple] | None = None,
          actor=None, entity: str = "customer", entity_id: int | None = None,
          change_id: str | None = None) -> str:
    """Write the audit rows of one change inside the caller's transaction: one row per changed
    field (old -> new, sensitive values masked), or one row for an event without fields. A
    change (not a look such as "reveal") also stamps the customer's updated_at/updated_by."""
    change_id = change_id or uuid.uuid4().hex
    actor_id = getattr(actor, "id", None) if actor is not None and not isinstance(actor, int) else actor
    rows = []
    for field, (old, new) in (changes or {}).items():
        if field in SENSITIVE:
            old, new = mask(old), mask(new)
        rows.append(AuditEntry(customer_id=customer_id, entity=entity,
                               entity_id=entity_id if entity_id is not None else customer_id,
                               action=action, field=field, old_value=_display(old),
                               new_value=_display(new), actor_fk=actor_id, change_id=change_id))
    if not rows:
        rows.append(AuditEntry(customer_id=customer_id, entity=entity,
                               entity_id=entity_id if entity_id is not None else customer_id,
                               action=action, actor_fk=actor_id, change_id=change_id))
    db.session.add_all(rows)
    if action not in NOT_CHANGES:
        touch(customer_id, actor_id)
    return change_id


def audit_many(customer_ids: list[int], action: str, changes: dict[str, tuple],
               actor=None) -> str:
    """The same change written on many customers' trails at once, inside the caller's
    transaction (a deleted segment leaves each of its customers without one): one row per
    customer and field, in bulk, and each customer stamped as changed."""
    change_id = uuid.uuid4().hex
    actor_id = _actor_id(actor)
    now = utcnow()
    rows = [{"customer_id": cid, "entity": "customer", "entity_id": cid, "action": action,
             "field": field, "old_value": _display(old), "new_value": _display(new),
             "actor_fk": actor_id, "at": now, "change_id": change_id}
            for cid in customer_ids for field, (old, new) in changes.items()]
    if rows:
        db.session.execute(insert(AuditEntry), rows)
    if customer_ids and action not in NOT_CHANGES:
        db.session.execute(update(Customer).where(Customer.id.in_(customer_ids))
                           .values(updated_at=now, updated_by_fk=actor_id)
                           .execution_options(synchronize_session=False))
    return change_id


def record_activity(customer, kind: str, subject: str = "", body: str = "", *, actor=None,
                    direction: str | None = None, occurred_at: datetime | None = None,
                    source: str = "core", ref_type: str | None = None, ref_id=None,
                    data: dict | None = None) -> Activity:
    """Add one entry to a customer's activity timeline inside the caller's transaction."""
    if kind not in ACTIVITY_KINDS:
        raise ValidationError({"kind": _("Unknown activity kind %(kind)s.", kind=kind)})
    if direction not in (None, "in", "out"):
        raise ValidationError({"direction": _("Choose in or out.")})
    customer_id = customer if isinstance(customer, int) else customer.id
    actor_id = getattr(actor, "id", None) if actor is not None and not isinstance(actor, int) else actor
    entry = Activity(customer_id=customer_id, kind=kind, subject=(subject or "")[:200],
                     body=body or "", direction=direction, occurred_at=occurred_at or utcnow(),
                     actor_fk=actor_id, source=source, ref_type=ref_type,
                     ref_id=None if ref_id is None else str(ref_id), data=data)
    db.session.add(entry)
    return entry


# -- keeping "last updated by" true ----------------------------------------------------------

# Audit actions that record a look at the record, not a change to it.
NOT_CHANGES = {"reveal", "export", "view"}


def touch(customer_id: int | None, actor=None) -> None:
    """Stamp the customer as changed now by ``actor`` (the overview's "Last updated by")."""
    from core.models import Customer

    if customer_id is None:
        return
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return
    customer.updated_at = utcnow()
    customer.updated_by_fk = _actor_id(actor)


def _actor_id(actor):
    if actor is None or isinstance(actor, int):
        return actor
    return getattr(actor, "id", None)


# -- reading the trail and the timeline ------------------------------------------------------


@dataclasses.dataclass
class Change:
    """The audit rows of one save, shown together: who, when, what, and each field's old -> new."""

    change_id: str
    action: str
    at: datetime
    actor: Any
    entity: str
    rows: list


@dataclasses.dataclass
class TrailPage:
    items: list
    next_cursor: str | None  # None on the last page


def encode_cursor(at: datetime, row_id: int) -> str:
    return f"{at.isoformat(timespec='microseconds')}_{row_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) a paging cursor carries; None when missing or not ours (URLs get edited)."""
    if not cursor or len(cursor) > 60 or "_" not in cursor:
        return None
    at, _sep, row_id = cursor.rpartition("_")
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    if when.tzinfo is not None or not (row_id.isascii() and row_id.isdigit()):
        return None
    number = int(row_id)
    return (when, number) if 0 < number < 2**31 else None


# Columns kept beside another one for searching (lower-cased email, E.164 phone): their change
# is the other column's, and the trail shows that one only.
DERIVED_FIELDS = ("email_normalized", "phone_e164")


def changes_page(customer_id: int, field: str | None = None, action: str | None = None,
                 cursor: str | None = None, per_page: int = 50,
                 entity: str | None = None) -> TrailPage:
    """A customer's changes, newest first, grouped by save; keyset paging on (at, id), and a
    save is never split across two pages. ``field`` (with ``entity``: "phone", "address"...;
    the customer's own fields when left out) keeps the changes of that one field."""
    stmt = select(AuditEntry).where(AuditEntry.customer_id == customer_id)
    if field:
        stmt = stmt.where(AuditEntry.field == field, AuditEntry.entity == (entity or "customer"))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    position = decode_cursor(cursor)
    if position is not None:
        stmt = stmt.where(tuple_(AuditEntry.at, AuditEntry.id) < tuple_(*position))
    order = (AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = list(db.session.execute(stmt.order_by(*order).limit(per_page + 1)).scalars())
    more = len(rows) > per_page
    rows = rows[:per_page]
    if more and rows:
        last = rows[-1]
        # The rest of the last save on this page, so one change is read in one place.
        rows.extend(db.session.execute(
            stmt.where(AuditEntry.change_id == last.change_id,
                       tuple_(AuditEntry.at, AuditEntry.id) < tuple_(last.at, last.id))
            .order_by(*order)).scalars())
        more = db.session.execute(
            stmt.where(tuple_(AuditEntry.at, AuditEntry.id) < tuple_(rows[-1].at, rows[-1].id))
            .limit(1)).first() is not None
    changes: list[Change] = []
    for row in rows:
        if changes and changes[-1].change_id == (row.change_id or f"row{row.id}"):
            changes[-1].rows.append(row)
        else:
            changes.append(Change(row.change_id or f"row{row.id}", row.action, row.at, row.actor,
                                  row.entity, [row]))
    for change in changes:
        change.rows = [r for r in reversed(change.rows)  # in the order written
                       if r.field and r.field not in DERIVED_FIELDS]
    next_cursor = encode_cursor(rows[-1].at, rows[-1].id) if more and rows else None
    return TrailPage(changes, next_cursor)


def audited_fields(customer_id: int) -> list[tuple[str, str]]:
    """The (entity, field) pairs this customer's trail mentions, for the History tab's filter:
    ("customer", "email"), ("phone", "number")..."""
    return sorted(tuple(row) for row in db.session.execute(
        select(AuditEntry.entity, AuditEntry.field).where(
            AuditEntry.customer_id == customer_id, AuditEntry.field.is_not(None),
            AuditEntry.field.not_in(DERIVED_FIELDS)).distinct()))


# Audited fields of a customer that hold another record's id.
REFERENCE_FIELDS = ("segment_id", "reseller_id")


def reference_names(rows) -> dict[tuple[str, str], str]:
    """What the ids in these audit rows' segment and reseller changes name:
    {(field, stored value): name}. A segment is named as it is now, or as it was called when
    it was deleted; a record that left no name is "deleted segment #3"."""
    wanted: dict[str, set[int]] = {name: set() for name in REFERENCE_FIELDS}
    for row in rows:
        if row.entity == "customer" and row.field in wanted:
            for value in (row.old_value, row.new_value):
                pk = record_id(value or "")
                if pk is not None:
                    wanted[row.field].add(pk)
    names: dict[tuple[str, str], str] = {}
    if wanted["segment_id"]:
        names.update({("segment_id", str(k)): v for k, v in _segment_names(wanted["segment_id"]).items()})
    if wanted["reseller_id"]:
        names.update({("reseller_id", str(k)): v for k, v in _customer_names(wanted["reseller_id"]).items()})
    return names


def _segment_names(ids: set[int]) -> dict[int, str]:
    names = dict(db.session.execute(select(Segment.id, Segment.name).where(Segment.id.in_(ids))).all())
    gone = ids - set(names)
    if gone:
        # A deleted segment's name stays in the trail (see record.delete_segment).
        names.update(db.session.execute(
            select(AuditEntry.entity_id, AuditEntry.old_value).where(
                AuditEntry.entity == "segment", AuditEntry.action == "delete",
                AuditEntry.field == "name", AuditEntry.entity_id.in_(gone))).all())
    for pk in ids - set(names):
        names[pk] = _("deleted segment #%(id)d", id=pk)
    return names


def _customer_names(ids: set[int]) -> dict[int, str]:
    rows = db.session.execute(select(
        Customer.id, Customer.kind, Customer.first_name, Customer.last_name,
        Customer.company_name, Customer.email, Customer.number).where(Customer.id.in_(ids)))
    names = {row.id: f"{display_name(*row[1:])} ({row.number})" for row in rows}
    for pk in ids - set(names):
        names[pk] = _("deleted customer #%(id)d", id=pk)
    return names


def audited_actions(customer_id: int) -> list[str]:
    return sorted(db.session.execute(
        select(AuditEntry.action).where(AuditEntry.customer_id == customer_id).distinct()
    ).scalars())


def activity_page(customer_id: int, kind: str | None = None, since: datetime | None = None,
                  until: datetime | None = None, cursor: str | None = None,
                  per_page: int = 30) -> TrailPage:
    """A customer's activity timeline, newest first, filtered by kind and by time
    (``since`` inclusive, ``until`` exclusive, both UTC); keyset paging on (occurred_at, id)."""
    stmt = select(Activity).where(Activity.customer_id == customer_id)
    if kind:
        stmt = stmt.where(Activity.kind == kind)
    if since is not None:
        stmt = stmt.where(Activity.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Activity.occurred_at < until)
    position = decode_cursor(cursor)
    if position is not None:
        stmt = stmt.where(tuple_(Activity.occurred_at, Activity.id) < tuple_(*position))
    rows = list(db.session.execute(
        stmt.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(per_page + 1)
    ).scalars())
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = encode_cursor(rows[-1].occurred_at, rows[-1].id) if more and rows else None
    return TrailPage(rows, next_cursor)


# -- logging a call --------------------------------------------------------------------------

CALL_SUBJECT_MAX = 200
CALL_NOTES_MAX = 5000
# A call logged a little ahead of the server's clock is a slow clock, not a call from the future.
CLOCK_SKEW = timedelta(minutes=10)


def log_call(customer, direction: str, subject: str, notes: str = "",
             occurred_at: datetime | None = None, actor=None) -> Activity:
    """Record a phone call with the customer on their timeline (``occurred_at`` in UTC,
    default now). Refuses an unknown direction, an empty subject or a time in the future."""
    from core.services.normalize import clean_paragraphs, clean_text

    errors = {}
    if direction not in ("in", "out"):
        errors["direction"] = _("Choose incoming or outgoing.")
    subject = clean_text(subject if isinstance(subject, str) else "")
    notes = clean_paragraphs(notes if isinstance(notes, str) else "")
    if not subject:
        errors["subject"] = _("Say what the call was about.")
    elif len(subject) > CALL_SUBJECT_MAX:
        errors["subject"] = _("At most %(n)d characters.", n=CALL_SUBJECT_MAX)
    if len(notes) > CALL_NOTES_MAX:
        errors["notes"] = _("At most %(n)d characters.", n=CALL_NOTES_MAX)
    now = utcnow()
    when = occurred_at or now
    if when > now + CLOCK_SKEW:
        errors["occurred_at"] = _("A call cannot be logged in the future.")
    elif when.year < 1970:
        errors["occurred_at"] = _("Enter a date after 1970.")
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        return record_activity(customer, "call", subject, notes, actor=actor, direction=direction,
                               occurred_at=when)
