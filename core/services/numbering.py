"""Generated numbers (customer numbers now, invoice numbers later) from a counter row that is
advanced by one atomic UPDATE ... RETURNING, so concurrent tills never draw the same value."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.models import NumberSequence


def draw(name: str) -> int:
    """Take the next value of counter ``name`` inside the caller's transaction."""
    session = db.session
    stmt = (
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(next_value=NumberSequence.next_value + 1)
        .returning(NumberSequence.next_value)
    )
    value = session.execute(stmt).scalar()
    if value is None:
        try:
            with session.begin_nested():
                session.execute(insert(NumberSequence).values(name=name, next_value=1))
        except IntegrityError:
            pass  # another transaction created it first
        value = session.execute(stmt).scalar()
    return value - 1


def draw_block(name: str, count: int) -> int:
    """Take ``count`` consecutive values of counter ``name`` at once (bulk imports); returns the
    first. Same atomic UPDATE as ``draw``, so concurrent callers get disjoint blocks."""
    if count < 1:
        raise ValueError("count must be at least 1")
    first = draw(name)
    if count > 1:
        db.session.execute(
            update(NumberSequence).where(NumberSequence.name == name)
            .values(next_value=NumberSequence.next_value + (count - 1)))
    return first


def peek(name: str) -> int:
    value = db.session.execute(
        select(NumberSequence.next_value).where(NumberSequence.name == name)
    ).scalar()
    return value or 1


def format_number(pattern: str, seq: int) -> str:
    return pattern.format(seq=seq)
