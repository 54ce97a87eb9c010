"""The plugin's own table. Extra customer data never goes into the core's tables: it lives
here, keyed by customer_id, and goes when the customer goes (ON DELETE CASCADE)."""

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from core.sdk import Model, utcnow

GREETING_MAX = 60


class Greeting(Model):
    """How the shop greets one customer ("Morning, Sam!")."""

    __tablename__ = "hello_greeting"

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    text = Column(String(GREETING_MAX), nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
