"""Failed sign-ins, counted where every web worker sees them (see services.sign_in_throttle)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String

from core.db import Model, utcnow


class SignInFailures(Model):
    """The recent failed sign-ins of one account (``scope`` "account") or from one network
    address ("address"). ``key`` names the account (``user:<id>``, or a hash of a name no user
    has) or the address; ``last_failure_at`` is when the wait before the next attempt began."""

    __tablename__ = "sign_in_failures"

    scope = Column(String(10), primary_key=True)
    key = Column(String(80), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),)
