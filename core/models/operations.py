"""Bookkeeping the services need: idempotent API requests and duplicate candidates."""

from __future__ import annotations

from sqlalchemy import (JSON, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)

from core.db import Model, utcnow


class IdempotencyKey(Model):
    """The first answer to a POST sent with an Idempotency-Key header, replayed on retries."""

    __tablename__ = "idempotency_key"

    id = Column(Integer, primary_key=True)
    key = Column(String(200), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=True)
    method = Column(String(8), nullable=False)
    path = Column(String(300), nullable=False)
    request_hash = Column(String(64), nullable=False)
    status_code = Column(Integer, nullable=True)  # None while the first request is in flight
    response_body = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)


class DuplicateCandidate(Model):
    """Two customers that look like one person, with why (same phone, name 93% alike)."""

    __tablename__ = "duplicate_candidate"

    id = Column(Integer, primary_key=True)
    customer_a_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer_b_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    score = Column(Numeric(5, 2), nullable=False)
    reasons = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default="open")  # open, dismissed, merged
    found_at = Column(DateTime, nullable=False, default=utcnow)
    resolved_at = Column(DateTime, nullable=True)
    resolved_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    __table_args__ = (
        UniqueConstraint("customer_a_id", "customer_b_id", name="uq_duplicate_pair"),
        Index("ix_duplicate_status_score", "status", "score"),
    )
