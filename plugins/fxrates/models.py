"""The plugin's tables. Every name starts with ``fxrates_`` so it can never collide with the
core's or another plugin's."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from core.sdk import Model, Rate, utcnow


class ExchangeRate(Model):
    """What one unit of ``base`` is worth in ``quote`` from ``valid_from`` to ``valid_to``
    (inclusive; no end date: until further notice). ``customer_id`` NULL is the shop's own rate,
    otherwise a rate agreed with that customer."""

    __tablename__ = "fxrates_rate"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=True)
    base = Column(String(3), nullable=False)
    quote = Column(String(3), nullable=False)
    rate = Column(Rate, nullable=False)
    valid_from = Column(Date, nullable=False)
    valid_to = Column(Date, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    updated_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    created_by = relationship("User", foreign_keys=[created_by_fk])
    updated_by = relationship("User", foreign_keys=[updated_by_fk])

    __table_args__ = (
        # The services check these with friendly messages; the database keeps them true anyway.
        CheckConstraint("rate > 0", name="ck_fxrates_rate_positive"),
        CheckConstraint("base <> quote", name="ck_fxrates_rate_two_currencies"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="ck_fxrates_rate_period"),
        Index("ix_fxrates_rate_pair", "base", "quote", "customer_id", "valid_from"),
        Index("ix_fxrates_rate_customer", "customer_id"),
    )

    @property
    def is_shop_rate(self) -> bool:
        return self.customer_id is None

    def __repr__(self):
        owner = "shop" if self.customer_id is None else f"customer {self.customer_id}"
        return f"<ExchangeRate {self.base}/{self.quote} {self.rate} from {self.valid_from} ({owner})>"


class WriteLock(Model):
    """One row per kind of write that must not interleave. Saving a rate locks the ``rates`` row
    first, so two people saving overlapping periods at the same moment cannot both pass the
    overlap check (on SQLite, ``BEGIN IMMEDIATE`` already serialises writers)."""

    __tablename__ = "fxrates_write_lock"

    name = Column(String(32), primary_key=True)
