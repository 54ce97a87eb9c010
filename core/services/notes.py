"""Internal notes on a customer: many, dated, authored, pinnable. Adding a note also puts it on
the Activity timeline; every add, edit, pin and delete is in the customer's audit trail."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from core.db import db, record_id, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Activity, Note
from core.services import history
from core.services.normalize import clean_paragraphs

BODY_MAX = 5000
SUBJECT_MAX = 80  # the first line, as the timeline's headline


def get(customer, note_id) -> Note:
    """The note ``note_id`` of this customer, or NotFound (a note of someone else is not found)."""
    pk = record_id(note_id)
    note = db.session.get(Note, pk) if pk is not None else None
    if note is None or note.customer_id != customer.id:
        raise NotFound(note_id)
    return note


def _clean_body(body) -> str:
    body = clean_paragraphs(body if isinstance(body, str) else "")
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("At most %(n)d characters.", n=BODY_MAX)})
    return body


def _headline(body: str) -> str:
    first = body.split("\n", 1)[0]
    return first if len(first) <= SUBJECT_MAX else first[:SUBJECT_MAX - 1] + "…"


def add(customer, body: str, actor=None, pinned: bool = False) -> Note:
    """Add a note; it also appears on the Activity timeline (one row, ref_type "note")."""
    body = _clean_body(body)
    with write_transaction():
        return add_in_transaction(customer, body, actor, pinned)


def add_in_transaction(customer, body: str, actor=None, pinned: bool = False) -> Note:
    """``add`` inside the caller's transaction, for a body already checked (the importer adds
    a note to each customer it updates within its batch). ``actor`` is a user or a user id."""
    author_fk = actor if isinstance(actor, int) else getattr(actor, "id", None)
    note = Note(customer_id=customer.id, body=body, pinned=bool(pinned), author_fk=author_fk)
    db.session.add(note)
    db.session.flush()
    history.record_activity(customer, "note", _headline(body), body, actor=actor,
                            occurred_at=note.created_at, ref_type="note", ref_id=note.id)
    changes = {"note": (None, body)}
    if note.pinned:
        changes["pinned"] = (False, True)
    history.audit(customer.id, "note_add", changes, actor, entity="note", entity_id=note.id)
    return note


def _timeline_row(note: Note) -> Activity | None:
    return db.session.execute(select(Activity).where(
        Activity.customer_id == note.customer_id, Activity.ref_type == "note",
        Activity.ref_id == str(note.id))).scalar()


def edit(note: Note, body: str, actor=None) -> bool:
    """Change a note's text (the timeline shows the new text; the trail keeps the old one).
    Returns True when the text changed."""
    body = _clean_body(body)
    with write_transaction():
        if body == note.body:
            return False
        history.audit(note.customer_id, "note_edit", {"note": (note.body, body)}, actor,
                      entity="note", entity_id=note.id)
        note.body = body
        entry = _timeline_row(note)
        if entry is not None:
            entry.subject, entry.body = _headline(body), body
    return True


def set_pinned(note: Note, pinned: bool, actor=None) -> bool:
    """Pin a note to the top of the overview, or unpin it. Returns True when it changed."""
    with write_transaction():
        if note.pinned == bool(pinned):
            return False
        history.audit(note.customer_id, "note_pin" if pinned else "note_unpin",
                      {"pinned": (note.pinned, bool(pinned))}, actor, entity="note",
                      entity_id=note.id)
        note.pinned = bool(pinned)
    return True


def delete(note: Note, actor=None) -> None:
    """Delete a note and its timeline entry; the audit trail keeps what it said."""
    with write_transaction():
        history.audit(note.customer_id, "note_delete", {"note": (note.body, None)}, actor,
                      entity="note", entity_id=note.id)
        db.session.execute(sql_delete(Activity).where(
            Activity.customer_id == note.customer_id, Activity.ref_type == "note",
            Activity.ref_id == str(note.id)))
        db.session.delete(note)


def pinned(customer) -> list[Note]:
    """The customer's pinned notes, newest first."""
    return list(db.session.execute(
        select(Note).where(Note.customer_id == customer.id, Note.pinned.is_(True))
        .order_by(Note.created_at.desc(), Note.id.desc())).scalars())


def by_ids(customer, note_ids) -> dict[str, Note]:
    """This customer's notes among ``note_ids`` (timeline ref_ids), keyed by that text id."""
    ids = [i for i in (record_id(n) for n in note_ids) if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Note).where(Note.customer_id == customer.id, Note.id.in_(ids))).scalars()
    return {str(note.id): note for note in rows}
