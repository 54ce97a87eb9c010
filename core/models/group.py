from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import relationship

from core.db import Model, utcnow

group_membership = Table(
    "customer_group_member",
    Model.metadata,
    Column("group_id", Integer, ForeignKey("customer_group.id", ondelete="CASCADE"), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class CustomerGroup(Model):
    """A static group of customers (FAB already has a ``Group`` model for users, hence the name)."""

    __tablename__ = "customer_group"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    description = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)

    customers = relationship("Customer", secondary=group_membership, back_populates="groups")

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<CustomerGroup {self.name}>"
