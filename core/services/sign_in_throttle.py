"""Throttling sign-ins, the same for the login form (/login/) and the API (/api/v1/security/login).

Failed sign-ins are counted per account and per network address, in the database, so every
web worker sees the same counts. After ``LOGIN_THROTTLE_ACCOUNT_FAILURES`` failures for one
account (``LOGIN_THROTTLE_ADDRESS_FAILURES`` from one address, whichever accounts they tried),
each further attempt must wait 2, 4, 8 ... seconds after the last failure, at most
``LOGIN_THROTTLE_MAX_WAIT``; an attempt that must wait is refused before any password is
checked. A successful sign-in clears its account's count. The address keeps its count: one
good password must not let an address go on guessing everyone else's. A count is forgotten
after ``LOGIN_THROTTLE_FORGET_AFTER`` seconds without a failure.

An attempt is counted as failed *before* its password is checked, under a row lock, and taken
back when it succeeds: twenty guesses sent at once get no more tries than twenty sent one after
the other.

The address is the connection's (``request.remote_addr``). Behind a proxy, set
``TRUSTED_PROXIES`` so it is read from X-Forwarded-For; otherwise that header is never believed.
An IPv6 address counts with its whole /64, which one machine can hop around in."""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import math
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow, write_transaction
from core.models import SignInFailures

ACCOUNT, ADDRESS = "account", "address"


class SignInThrottled(Exception):
    """Too many recent failures: the attempt is refused unchecked. ``retry_after`` is in
    whole seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return _("Too many failed sign-ins. Try again in %(wait)s.", wait=_in_words(self.retry_after))


@dataclasses.dataclass(frozen=True)
class Attempt:
    """A sign-in attempt, counted as failed until ``succeeded`` says otherwise."""

    keys: tuple[tuple[str, str], ...]


def enabled() -> bool:
    return bool(current_app.config.get("LOGIN_THROTTLE", True))


def wait_for(username: str | None, address: str | None, user_id: int | None = None) -> int:
    """Seconds the next sign-in as ``username`` from ``address`` must still wait (0: none).
    Reads only; ``begin`` is what counts."""
    keys = _keys(username, address, user_id)
    if not keys:
        return 0
    rows = db.session.execute(select(SignInFailures).where(_any_of(keys))).scalars().all()
    now = utcnow()
    return max((_seconds_left(row, now) for row in rows), default=0)


def begin(username: str | None, address: str | None, user_id: int | None = None) -> Attempt:
    """Count a sign-in attempt as failed (until ``succeeded``), or raise ``SignInThrottled``
    and count nothing while the account or the address must wait. ``user_id``: the user the
    name belongs to, so a user tried by name and by email address has one count."""
    keys = _keys(username, address, user_id)
    with write_transaction():
        # Account before address, in every request: two attempts never wait on each other's lock.
        rows = [_locked(scope, key) for scope, key in keys]
        now = utcnow()
        left = max((_seconds_left(row, now) for row in rows), default=0)
        if left > 0:
            raise SignInThrottled(left)
        for row in rows:
            row.failures = (0 if _forgotten(row, now) else row.failures) + 1
            row.last_failure_at = now
    return Attempt(keys)


def succeeded(attempt: Attempt) -> None:
    """The attempt's password was right: the account starts afresh, and the address's count
    loses this attempt again."""
    with write_transaction():
        for scope, key in attempt.keys:
            where = (SignInFailures.scope == scope) & (SignInFailures.key == key)
            if scope == ACCOUNT:
                db.session.execute(delete(SignInFailures).where(where))
            else:
                db.session.execute(update(SignInFailures).where(
                    where, SignInFailures.failures > 0).values(failures=SignInFailures.failures - 1))


def forget_old(batch: int = 1000) -> int:
    """Delete the counts nobody has added to for ``LOGIN_THROTTLE_FORGET_AFTER`` seconds (an
    hourly job); returns how many. A count a sign-in holds at that moment is left for next
    time, so the job never waits on a sign-in (nor a sign-in on the job)."""
    cutoff = utcnow() - timedelta(seconds=_setting("LOGIN_THROTTLE_FORGET_AFTER"))
    stale = (select(SignInFailures).where(SignInFailures.last_failure_at < cutoff)
             .limit(batch).with_for_update(skip_locked=True))
    total = 0
    while True:
        with write_transaction():
            rows = db.session.execute(stale).scalars().all()
            for row in rows:
                db.session.delete(row)
        total += len(rows)
        if len(rows) < batch:
            return total


# -- the rule --------------------------------------------------------------------------------


def _seconds_left(row: SignInFailures, now: datetime) -> int:
    """Whole seconds the next attempt counted on ``row`` must still wait."""
    free = _setting("LOGIN_THROTTLE_ACCOUNT_FAILURES" if row.scope == ACCOUNT
                    else "LOGIN_THROTTLE_ADDRESS_FAILURES")
    if _forgotten(row, now) or row.failures < free:
        return 0
    # 2 s after the last free failure, then twice as long after each further one.
    doublings = min(row.failures - free + 1, 30)
    wait = min(2 ** doublings, _setting("LOGIN_THROTTLE_MAX_WAIT"))
    left = wait - (now - row.last_failure_at).total_seconds()
    return max(math.ceil(left), 0)


def _forgotten(row: SignInFailures, now: datetime) -> bool:
    return now - row.last_failure_at > timedelta(seconds=_setting("LOGIN_THROTTLE_FORGET_AFTER"))


def _setting(name: str) -> int:
    return int(current_app.config[name])


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


# -- what is counted -------------------------------------------------------------------------


def _keys(username: str | None, address: str | None, user_id: int | None):
    keys = []
    if user_id is not None:
        keys.append((ACCOUNT, f"user:{user_id}"))
    elif username and username.strip():
        # A name no user has is throttled alike (and so tells nothing about who exists).
        digest = hashlib.sha256(username.strip().casefold().encode("utf-8", "replace")).hexdigest()
        keys.append((ACCOUNT, f"name:{digest[:64]}"))
    if address:
        keys.append((ADDRESS, _address_key(address)))
    return tuple(keys)


def _address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return "other:" + hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _any_of(keys):
    return or_(*(and_(SignInFailures.scope == scope, SignInFailures.key == key)
                 for scope, key in keys))


def _locked(scope: str, key: str) -> SignInFailures:
    """The count of (scope, key), created when missing, locked until the transaction ends."""
    stmt = (select(SignInFailures)
            .where(SignInFailures.scope == scope, SignInFailures.key == key)
            .with_for_update().execution_options(populate_existing=True))
    row = db.session.execute(stmt).scalar()
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(SignInFailures(scope=scope, key=key, failures=0,
                                          last_failure_at=utcnow()))
    except IntegrityError:
        pass  # another attempt made it first; wait for its lock below
    return db.session.execute(stmt).scalar_one()
