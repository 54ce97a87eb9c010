"""The plugin's own table (the core's tables are never changed) and what the plugin reads."""

from sqlalchemy import Column, ForeignKey, Integer, String, select

from core.sdk import Model, db, find_customers, shop_today


class Greeting(Model):
    """How the shop greets one customer ("Morning, Sam!"): one row per customer."""

    __tablename__ = "hello_greeting"

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    text = Column(String(60), nullable=False)


def greeting_of(customer) -> str | None:
    row = db.session.get(Greeting, customer.id)
    return row.text if row else None


def greetings_of(customer_ids) -> dict[int, str]:
    """{customer id: greeting} of many customers (a page of the customer list), one query."""
    return dict(db.session.execute(select(Greeting.customer_id, Greeting.text)
                                   .where(Greeting.customer_id.in_(customer_ids))).all())


def birthdays_today() -> list:
    """The customers whose birthday it is today, in the shop's time zone."""
    today = shop_today()
    return find_customers(birthday_between=(today, today), order_by="name")
