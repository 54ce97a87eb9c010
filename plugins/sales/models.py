"""The sales plugin's tables: a sale (or a refund) and its lines."""

from __future__ import annotations

from sqlalchemy import (Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer,
                        String)
from sqlalchemy.orm import relationship

from core.sdk import Model, Money, utcnow

SALE = "sale"
REFUND = "refund"


class Sale(Model):
    """A receipt from a till (or an imported order). A refund or return is a sale of kind
    "refund" with negative quantities and totals, pointing at the sale it refunds.

    Totals, all ``Money`` (exact Decimals): ``subtotal`` is the sum of quantity × unit price
    over the lines, ``discount_total`` the sum of the lines' discounts, ``tax_total`` the sum
    of their tax, and ``total`` = subtotal − discount + tax (tax not added again when
    ``prices_include_tax``)."""

    __tablename__ = "sales_sale"

    id = Column(Integer, primary_key=True)
    # What the till printed; unique, so a retried POST finds the sale it already recorded.
    receipt_number = Column(String(64), nullable=False, unique=True)
    kind = Column(String(10), nullable=False, default=SALE)
    refund_of_id = Column(Integer, ForeignKey("sales_sale.id", ondelete="SET NULL",
                                              name="fk_sales_sale_refund_of"), nullable=True)
    # None for a walk-in: the receipt can be given a customer later.
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="SET NULL",
                                             name="fk_sales_sale_customer"), nullable=True)
    sold_at = Column(DateTime, nullable=False)  # UTC
    location = Column(String(100), nullable=False, default="")
    currency = Column(String(3), nullable=False)
    payment_type = Column(String(40), nullable=False, default="")
    prices_include_tax = Column(Boolean, nullable=False, default=False)
    subtotal = Column(Money, nullable=False, default=0)
    discount_total = Column(Money, nullable=False, default=0)
    tax_total = Column(Money, nullable=False, default=0)
    total = Column(Money, nullable=False, default=0)
    # The sum of the lines' quantities (negative on a refund): the receipt's "items".
    item_count = Column(Money, nullable=False, default=0)
    # "pos" for the till's API, "import:shopify" and the like for history moved in.
    source = Column(String(40), nullable=False, default="pos")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL",
                                               name="fk_sales_sale_created_by"), nullable=True)

    lines = relationship("SaleLine", order_by="SaleLine.line_no", cascade="all, delete-orphan",
                         back_populates="sale")
    refund_of = relationship("Sale", remote_side="Sale.id", foreign_keys=[refund_of_id])

    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'refund')", name="ck_sales_sale_kind"),
        Index("ix_sales_sale_customer_sold_at", "customer_id", "sold_at"),
        Index("ix_sales_sale_sold_at", "sold_at", "customer_id"),
        Index("ix_sales_sale_refund_of", "refund_of_id"),
    )

    @property
    def is_refund(self) -> bool:
        return self.kind == REFUND

    def __repr__(self):
        return f"<Sale {self.receipt_number}>"


class SaleLine(Model):
    """One line of a receipt: what was bought, how many, at what price. ``line_total`` is
    quantity × unit price − discount (+ tax unless prices include it)."""

    __tablename__ = "sales_line"

    id = Column(Integer, primary_key=True)
    sale_id = Column(Integer, ForeignKey("sales_sale.id", ondelete="CASCADE",
                                         name="fk_sales_line_sale"), nullable=False)
    line_no = Column(Integer, nullable=False)
    sku = Column(String(64), nullable=False, default="")
    product_name = Column(String(200), nullable=False, default="")
    quantity = Column(Money, nullable=False)
    unit_price = Column(Money, nullable=False)
    discount = Column(Money, nullable=False, default=0)
    tax = Column(Money, nullable=False, default=0)
    line_total = Column(Money, nullable=False)

    sale = relationship("Sale", back_populates="lines")

    __table_args__ = (
        Index("ix_sales_line_sale", "sale_id", "line_no", unique=True),
        Index("ix_sales_line_sku", "sku"),
    )
