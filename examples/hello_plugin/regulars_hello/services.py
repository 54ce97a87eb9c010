"""Reading and writing greetings: the plugin's rules live here, not in its views or hooks."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.sdk import ValidationError, db, get_customer, record_activity
from regulars_hello.models import GREETING_MAX, Greeting

FIELD = "hello_greeting"  # the form field's name, prefixed so it cannot clash with another's


def greeting_of(customer) -> str | None:
    row = db.session.get(Greeting, customer.id)
    return row.text if row else None


def set_greeting(customer, text: str | None) -> None:
    """Store, change or (with an empty text) remove the customer's greeting.

    Runs inside the caller's transaction (the customer form's save) and never commits: a
    ValidationError raised here refuses the whole save."""
    text = " ".join((text or "").split())
    if len(text) > GREETING_MAX:
        raise ValidationError({FIELD: _("At most %(n)d characters.", n=GREETING_MAX)})
    row = db.session.get(Greeting, customer.id)
    if not text:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Greeting(customer_id=customer.id, text=text))
    else:
        row.text = text


def move_greeting(survivor, merged) -> None:
    """Inside a customer merge: the merged customer's greeting goes to the survivor when the
    survivor has none; otherwise the survivor's stays and the other is noted on the survivor's
    timeline before it goes (nothing may stay attached to the merged record)."""
    row = db.session.get(Greeting, merged.id)
    if row is None:
        return
    kept = db.session.get(Greeting, survivor.id)
    if kept is None:
        text = row.text
        db.session.delete(row)
        db.session.flush()
        db.session.add(Greeting(customer_id=survivor.id, text=text))
    else:
        record_activity(survivor, "system", _("Greeting from %(number)s not kept", number=merged.number),
                        _("“%(other)s” was the greeting of %(number)s; “%(kept)s” was kept.",
                          other=row.text, number=merged.number, kept=kept.text),
                        source="hello")
        db.session.delete(row)
    db.session.flush()


def count() -> int:
    return db.session.execute(select(func.count()).select_from(Greeting)).scalar()


def latest(limit: int = 50) -> list[tuple[Any, str]]:
    """The most recently set greetings, newest first: (customer, greeting) pairs."""
    rows = db.session.execute(
        select(Greeting).order_by(Greeting.updated_at.desc()).limit(limit)).scalars()
    return [(get_customer(row.customer_id), row.text) for row in rows]


def greetings_of(customer_ids) -> dict[int, str]:
    """The greetings of these customers (one page of the customer list), in one query."""
    return dict(db.session.execute(select(Greeting.customer_id, Greeting.text)
                                   .where(Greeting.customer_id.in_(customer_ids))).all())


def greeted(value: str):
    """The ids of customers who have a greeting: a SELECT the customer list filters by."""
    return select(Greeting.customer_id)
