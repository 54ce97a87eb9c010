"""The customer search index's portable half: one folded document per customer.

The dialect's own index over it (FTS5 trigram on SQLite, a pg_trgm GIN index on PostgreSQL)
is created by migration 0003_search and queried only by core/services/search.py; so is
PostgreSQL's ``digit_keys`` column (generated from the document, with its GIN index, by
migration 0009_search_speed), which is not part of this model."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Text

from core.db import Model


class CustomerSearch(Model):
    __tablename__ = "customer_search"

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True,
                         autoincrement=False)
    # Accent- and case-folded names (both orders), company, email, phone digits, number, tags.
    document = Column(Text, nullable=False, default="")
