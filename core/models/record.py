"""The rest of a customer's record: phones, addresses, contacts, segments, tags, notes."""

from __future__ import annotations

from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer,
                        Numeric, String, Table, Text)
from sqlalchemy.orm import relationship

from core.db import Model, utcnow


class Segment(Model):
    """Regular, VIP, Wholesale, Corporate...: an editable list; the POS API returns the
    discount and price level of a customer's segment."""

    __tablename__ = "customer_segment"

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False, unique=True)
    discount_percent = Column(Numeric(5, 2), nullable=False, default=0)
    price_level = Column(String(40), nullable=False, default="retail")
    position = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("discount_percent >= 0 AND discount_percent <= 100",
                        name="ck_segment_discount_range"),
    )

    def __str__(self):
        return self.name


class CustomerPhone(Model):
    __tablename__ = "customer_phone"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    label = Column(String(30), nullable=False, default="mobile")
    number = Column(String(40), nullable=False)
    e164 = Column(String(20), nullable=False)

    __table_args__ = (Index("ix_phone_number_e164", "e164"),)


class Address(Model):
    __tablename__ = "customer_address"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    kind = Column(String(16), nullable=False, default="billing")  # billing, shipping, other
    is_default = Column(Boolean, nullable=False, default=False)
    line1 = Column(String(200), nullable=False, default="")
    line2 = Column(String(200), nullable=False, default="")
    city = Column(String(100), nullable=False, default="")
    region = Column(String(100), nullable=False, default="")
    postal_code = Column(String(20), nullable=False, default="")
    country = Column(String(2), nullable=False, default="")
    latitude = Column(Numeric(9, 6), nullable=True)
    longitude = Column(Numeric(9, 6), nullable=True)

    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                        name="ck_address_latitude"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                        name="ck_address_longitude"),
    )


class Contact(Model):
    """An additional person at the customer (accounts clerk, buyer...)."""

    __tablename__ = "customer_contact"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    name = Column(String(200), nullable=False)
    role = Column(String(100), nullable=False, default="")
    email = Column(String(254), nullable=True)
    phone = Column(String(40), nullable=True)
    phone_e164 = Column(String(20), nullable=True)
    is_billing = Column(Boolean, nullable=False, default=False)


class Tag(Model):
    __tablename__ = "tag"

    id = Column(Integer, primary_key=True)
    name = Column(String(60), nullable=False)
    key = Column(String(60), nullable=False, unique=True)  # folded, for uniqueness and search


customer_tag = Table(
    "customer_tag", Model.metadata,
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Note(Model):
    __tablename__ = "customer_note"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    body = Column(Text, nullable=False)
    pinned = Column(Boolean, nullable=False, default=False)
    author_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    author = relationship("User")
