"""The audit trail (every change to a customer) and the activity timeline (every contact)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from core.db import db, utcnow
from core.errors import ValidationError
from core.models import Activity, AuditEntry

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
    field (old -> new, sensitive values masked), or one row for an event without fields."""
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
