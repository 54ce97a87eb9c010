"""Idempotency-Key for API POSTs: a till that lost the answer to "create this customer" sends
the same request again with the same key and gets the first answer back — the same customer,
never a second one.

The first request claims (user, key) in its own committed transaction before it runs, so a
concurrent duplicate finds the claim and is told 409; when the endpoint answers, its status and
JSON body are stored against the claim. A retry with the same body gets the stored answer; the
same key with a different request is refused with 422. Server errors are not stored (the claim
is released), so a retry after one runs again."""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging

from flask import Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow, write_transaction
from core.models import IdempotencyKey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY = 200
# A claim with no answer after this long belongs to a request that died: it may be taken over.
STALE_AFTER = datetime.timedelta(minutes=5)


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data()):
        digest.update(part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _claim(user_id, key: str, request_hash: str):
    """(None, None) when this request now owns the key, else the answer to give instead."""
    try:
        with write_transaction():
            db.session.add(IdempotencyKey(key=key, user_id=user_id, method=request.method,
                                          path=request.path[:300], request_hash=request_hash))
        return None
    except IntegrityError:
        pass
    with write_transaction():
        row = db.session.execute(select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).scalar()
        if row is None:  # released between our insert and this read: try once more
            db.session.add(IdempotencyKey(key=key, user_id=user_id, method=request.method,
                                          path=request.path[:300], request_hash=request_hash))
            return None
        if row.request_hash != request_hash:
            return _answer(422, _("Idempotency-Key reused with a different request."))
        if row.status_code is None:
            if utcnow() - row.created_at < STALE_AFTER:
                return _answer(409, _("A request with this Idempotency-Key is still being "
                                      "processed; retry in a moment."))
            row.created_at = utcnow()  # take over the abandoned claim
            return None
        return Response(row.response_body, status=row.status_code, mimetype="application/json",
                        headers={"Idempotent-Replayed": "true"})


def _answer(status: int, message: str) -> Response:
    import json

    return Response(json.dumps({"message": message}), status=status, mimetype="application/json")


def _settle(user_id, key: str, response) -> None:
    with write_transaction():
        row = db.session.execute(select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).scalar()
        if row is None:
            return
        if response is None or response.status_code >= 500:
            db.session.delete(row)
            return
        row.status_code = response.status_code
        row.response_body = response.get_data(as_text=True)


def idempotent(endpoint):
    """Decorate a POST endpoint of a JsonApi (below @protect, so the user is known): with an
    Idempotency-Key header, the first answer is stored and replayed to retries."""

    @functools.wraps(endpoint)
    def wrapper(self, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return endpoint(self, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY or not key.isprintable():
            return self.response(400, message=_("The Idempotency-Key header must be 1 to %(n)d "
                                                "printable characters.", n=MAX_KEY))
        user_id = getattr(self.actor(), "id", None)
        replay = _claim(user_id, key, _request_hash())
        if replay is not None:
            return replay
        response = None
        try:
            response = endpoint(self, *args, **kwargs)
        finally:
            db.session.rollback()  # whatever the endpoint left open is not ours to keep
            _settle(user_id, key, response)
        return response

    return wrapper


def forget_older_than(days: int = 7) -> int:
    """Delete stored answers older than ``days`` (a retry comes within minutes, not weeks)."""
    cutoff = utcnow() - datetime.timedelta(days=days)
    with write_transaction():
        return db.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)).rowcount


def forget_expired_job() -> int:
    """The daily purge (registered by the core's default plugin): forget the answers older than
    ``IDEMPOTENCY_KEY_RETENTION_DAYS`` (config, default 7)."""
    days = current_app.config.get("IDEMPOTENCY_KEY_RETENTION_DAYS", 7)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        # Zero would drop the claims of requests still running and let their retries run twice.
        raise ValueError(f"IDEMPOTENCY_KEY_RETENTION_DAYS must be a whole number of days, at "
                         f"least 1 (it is {days!r}).")
    forgotten = forget_older_than(days)
    log.info("Forgot %d idempotency keys older than %d days", forgotten, days)
    return forgotten
