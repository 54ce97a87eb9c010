"""Signing in and out, kept on the server.

A browser that signs in gets a row in ``sign_in_session``; its session cookie carries only a
random key to that row. Signing out ends the row, so a copy of the cookie made before stops
working. A password change, or an administrator's "Sign out everywhere", ends every sign-in of
that user and moves the user's API-token generation on, so every token issued before answers
401. The row is read with the request's one query (see ``core.access``); nothing here runs on
an ordinary request except ``touch``, at most every few minutes per browser."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import has_request_context, request, session as cookie
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from core.db import db, utcnow, write_transaction
from core.models import SignInSession, TokenGeneration

log = logging.getLogger(__name__)

# The key in Flask's session cookie that names this browser's sign-in.
COOKIE_KEY = "_sign_in"
# How stale "last seen" may get before a request writes it again: one write per browser every
# few minutes, not one per request.
TOUCH_EVERY = timedelta(minutes=5)


def key_hash(key: str) -> str:
    """The row id of the sign-in whose cookie carries ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def start(user_id: int) -> str:
    """Record a browser's sign-in of ``user_id`` (with the request's user agent and address)
    and return the key its session cookie keeps."""
    key = secrets.token_urlsafe(32)
    agent = address = ""
    if has_request_context():
        agent = (request.user_agent.string or "")[:255]
        address = (request.remote_addr or "")[:64]
    with write_transaction():
        db.session.add(SignInSession(id=key_hash(key), user_id=user_id, user_agent=agent,
                                     ip_address=address))
    return key


def end(key: str | None) -> None:
    """End the sign-in whose cookie carries ``key`` (signing out). Unknown keys are ignored."""
    if not key:
        return
    with write_transaction():
        _end(SignInSession.id == key_hash(key))


def current_key() -> str | None:
    """The sign-in key of the browser making this request, if it has one."""
    return cookie.get(COOKIE_KEY) if has_request_context() else None


def end_everywhere(user_id: int, keep: str | None = None) -> int:
    """End every sign-in of ``user_id`` except the one whose cookie carries ``keep``, and stop
    every API token issued to them so far, inside the caller's transaction. Returns how many
    browser sign-ins were ended."""
    which = SignInSession.user_id == user_id
    if keep:
        which = which & (SignInSession.id != key_hash(keep))
    ended = _end(which)
    _next_token_generation(user_id)
    return ended


def sign_out_everywhere(user_id: int) -> int:
    """An administrator's "Sign out everywhere": every browser and every API token of the user,
    one transaction. Returns how many browser sign-ins were ended."""
    with write_transaction():
        return end_everywhere(user_id)


def open_sign_ins(user_id: int) -> list[SignInSession]:
    """The user's sign-ins that have not ended, most recently seen first."""
    return list(db.session.execute(
        select(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
        .order_by(SignInSession.last_seen_at.desc())).scalars())


def token_generation(user_id: int) -> int:
    """The generation an API token issued to ``user_id`` now carries."""
    return db.session.execute(
        select(TokenGeneration.generation).where(TokenGeneration.user_id == user_id)
    ).scalar() or 0


def touch(row_id: str) -> None:
    """Note that the sign-in ``row_id`` was seen now. On a connection of its own, so the
    request's transaction (and the rows it loaded) are left alone; "last seen" is for the
    administrator's list only, so a database too busy to write it just skips it this time."""
    try:
        with db.engine.begin() as conn:
            conn.execute(update(SignInSession.__table__)
                         .where(SignInSession.id == row_id, SignInSession.ended_at.is_(None))
                         .values(last_seen_at=utcnow()))
    except OperationalError:
        log.warning("Could not note a sign-in as seen; will try again later", exc_info=True)


def purge(keep_days: int) -> int:
    """Forget sign-ins that ended more than ``keep_days`` days ago (a daily job's work).
    Returns how many rows went."""
    with write_transaction():
        return db.session.execute(
            delete(SignInSession).where(SignInSession.ended_at < utcnow() - timedelta(days=keep_days))
            .execution_options(synchronize_session=False)).rowcount


def _end(which) -> int:
    return db.session.execute(
        update(SignInSession).where(which, SignInSession.ended_at.is_(None))
        .values(ended_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount


def _next_token_generation(user_id: int) -> None:
    bumped = db.session.execute(
        update(TokenGeneration).where(TokenGeneration.user_id == user_id)
        .values(generation=TokenGeneration.generation + 1)
        .execution_options(synchronize_session=False)).rowcount
    if bumped:
        return
    try:
        with db.session.begin_nested():
            db.session.add(TokenGeneration(user_id=user_id, generation=1))
    except IntegrityError:  # another process wrote the first row meanwhile
        db.session.execute(
            update(TokenGeneration).where(TokenGeneration.user_id == user_id)
            .values(generation=TokenGeneration.generation + 1)
            .execution_options(synchronize_session=False))
