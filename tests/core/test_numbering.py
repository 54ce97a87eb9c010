"""Customer numbers when several tills add customers at the same moment: every till's customer
is saved, and no two customers ever share a number."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

TILLS = 6
CUSTOMERS_PER_TILL = 5


def serve_at_till(app, till: int, start: threading.Barrier, failures: list):
    """One till (its own app, connection pool and session) adding its customers."""
    from core.services import customers

    try:
        with app.app_context():
            start.wait()
            for n in range(CUSTOMERS_PER_TILL):
                customers.create({"first_name": f"Till{till}", "last_name": f"Customer{n}",
                                  "email": f"till{till}.{n}@example.com"})
    except Exception as exc:  # reported by the test, not lost in the thread
        failures.append(f"till {till}: {exc!r}")


def test_tills_adding_customers_at_once_all_succeed_with_distinct_numbers(make_app):
    tills = [make_app() for _ in range(TILLS)]
    start = threading.Barrier(TILLS)
    failures: list[str] = []
    threads = [threading.Thread(target=serve_at_till, args=(app, i, start, failures))
               for i, app in enumerate(tills)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    from core.db import db
    from core.models import Customer

    with tills[0].app_context():
        numbers = list(db.session.execute(select(Customer.number)).scalars())
        count = db.session.execute(select(func.count()).select_from(Customer)).scalar()
    assert failures == []
    assert count == TILLS * CUSTOMERS_PER_TILL
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"C-\d{6}", n) for n in numbers)


def test_numbers_count_on_from_the_last_one_drawn(make_customer, load_customer):
    first, second = make_customer(), make_customer()

    assert (load_customer(first)["number"], load_customer(second)["number"]) == (
        "C-000001", "C-000002")
