"""What happened to a customer: the audit trail (changes) and the activity timeline (contacts)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from core.db import Model, utcnow


class AuditEntry(Model):
    """One changed field (or one event: merge, erase, reveal) of one record."""

    __tablename__ = "audit_entry"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=True)
    entity = Column(String(40), nullable=False, default="customer")
    entity_id = Column(Integer, nullable=True)
    action = Column(String(20), nullable=False)  # create update deactivate reactivate merge erase reveal
    field = Column(String(64), nullable=True)
    old_value = Column(Text, nullable=True)
    new_value = Column(Text, nullable=True)
    actor_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    change_id = Column(String(32), nullable=True)  # groups the rows of one save

    actor = relationship("User")

    __table_args__ = (Index("ix_audit_customer_at", "customer_id", "at", "id"),)


class Activity(Model):
    """A contact with a customer: note, call, email, SMS, task, payment, points, document."""

    __tablename__ = "activity"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(20), nullable=False)
    subject = Column(String(200), nullable=False, default="")
    body = Column(Text, nullable=False, default="")
    direction = Column(String(8), nullable=True)  # in / out, for calls, emails, SMS
    occurred_at = Column(DateTime, nullable=False, default=utcnow)
    actor_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    source = Column(String(64), nullable=False, default="core")  # plugin that wrote it
    ref_type = Column(String(40), nullable=True)
    ref_id = Column(String(64), nullable=True)
    data = Column(JSON, nullable=True)

    actor = relationship("User")

    __table_args__ = (Index("ix_activity_customer_at", "customer_id", "occurred_at", "id"),)
