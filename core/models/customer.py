from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from core.crypto import Encrypted
from core.db import Model, month_day, utcnow


class CustomerType(str, enum.Enum):
    individual = "individual"
    business = "business"

    @property
    def label(self):
        return {"individual": _l("Individual"), "business": _l("Business")}[self.value]


class CustomerStatus(str, enum.Enum):
    active = "active"
    inactive = "inactive"

    @property
    def label(self):
        return {"active": _l("Active"), "inactive": _l("Inactive")}[self.value]


def display_name(kind, first_name, last_name, company_name, email, number) -> str:
    """How a customer is named on screens and at the till: a business by its company name, a
    person by first and last name, else whatever identifies them."""
    person = " ".join(p for p in (first_name, last_name) if p)
    if kind == CustomerType.business.value and company_name:
        return company_name
    return person or company_name or email or number


class Customer(Model):
    __tablename__ = "customer"

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    kind = Column(String(16), nullable=False, default=CustomerType.individual.value)
    first_name = Column(String(100), nullable=False, default="")
    last_name = Column(String(100), nullable=False, default="")
    company_name = Column(String(200), nullable=False, default="")
    email = Column(String(254), nullable=True)
    # Lower-cased, for lookups and duplicate checks; the display value stays as typed.
    email_normalized = Column(String(254), nullable=True)
    phone = Column(String(40), nullable=True)
    phone_e164 = Column(String(20), nullable=True)
    status = Column(String(16), nullable=False, default=CustomerStatus.active.value)
    # Case- and accent-folded "first last" and "last first", for prefix search and sorting.
    name_key = Column(String(210), nullable=False, default="")
    sort_key = Column(String(210), nullable=False, default="")
    date_of_birth = Column(Date, nullable=True)
    # Business profile
    tax_id = Column(String(40), nullable=False, default="")
    tax_country = Column(String(2), nullable=False, default="")
    registration_number = Column(String(60), nullable=False, default="")
    business_type = Column(String(30), nullable=False, default="")
    industry = Column(String(100), nullable=False, default="")
    payment_terms = Column(Integer, nullable=True)  # days: Net 0/15/30/60
    # Identity: encrypted at rest, shown masked, revealed with a permission (and audited)
    driver_licence = Column(Encrypted, nullable=True)
    national_id = Column(Encrypted, nullable=True)
    # Preferences
    language = Column(String(12), nullable=False, default="")
    currency = Column(String(3), nullable=False, default="")
    contact_email = Column(Boolean, nullable=False, default=True)
    contact_sms = Column(Boolean, nullable=False, default=False)
    contact_phone = Column(Boolean, nullable=False, default=True)
    contact_post = Column(Boolean, nullable=False, default=False)
    go_green = Column(Boolean, nullable=False, default=False)
    # Segment and relations
    segment_id = Column(Integer, ForeignKey("customer_segment.id", ondelete="SET NULL", name="fk_customer_segment"),
                        nullable=True)
    reseller_id = Column(Integer, ForeignKey("customer.id", ondelete="SET NULL", name="fk_customer_reseller"),
                         nullable=True)
    # Kept as a pointer after a merge; set when the record is anonymised.
    merged_into_id = Column(Integer, ForeignKey("customer.id", ondelete="SET NULL",
                                                name="fk_customer_merged_into"), nullable=True)
    erased_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    updated_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    created_by = relationship("User", foreign_keys=[created_by_fk])
    updated_by = relationship("User", foreign_keys=[updated_by_fk])
    segment = relationship("Segment")
    reseller = relationship("Customer", remote_side="Customer.id", foreign_keys=[reseller_id])
    merged_into = relationship("Customer", remote_side="Customer.id", foreign_keys=[merged_into_id])
    phones = relationship("CustomerPhone", order_by="CustomerPhone.id", cascade="all, delete-orphan")
    addresses = relationship("Address", order_by="Address.id", cascade="all, delete-orphan")
    contacts = relationship("Contact", order_by="Contact.id", cascade="all, delete-orphan")
    tags = relationship("Tag", secondary="customer_tag", order_by="Tag.key")
    groups = relationship(
        "CustomerGroup", secondary="customer_group_member", back_populates="customers",
        order_by="CustomerGroup.name",
    )

    __table_args__ = (
        Index("ix_customer_email_normalized", "email_normalized"),
        Index("ix_customer_phone_e164", "phone_e164"),
        Index("ix_customer_name_key", "name_key"),
        Index("ix_customer_sort_key", "sort_key", "id"),
        Index("ix_customer_status_kind", "status", "kind", "id"),
        # The list's sort orders among active (or inactive) customers (migration 0005).
        Index("ix_customer_status_sort_key", "status", "sort_key", "id"),
        Index("ix_customer_status_number", "status", "number", "id"),
        Index("ix_customer_status_id", "status", "id"),
        Index("ix_customer_segment", "segment_id"),
        Index("ix_customer_created_at", "created_at"),
        # Birthdays in a window, whatever the year (migration 0010; core.db.month_day).
        Index("ix_customer_birthday", month_day(date_of_birth)),
    )

    @property
    def display_name(self) -> str:
        return display_name(self.kind, self.first_name, self.last_name, self.company_name,
                            self.email, self.number)

    @property
    def is_active(self) -> bool:
        return self.status == CustomerStatus.active.value

    def __repr__(self):
        return f"<Customer {self.number}>"

    def __str__(self):
        return f"{self.display_name} ({self.number})"
