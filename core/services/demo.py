"""Deterministic demo data for a first start: customers registered over several years, in
segments, with birthdays and contact preferences; groups; and what plugins add (sales,
points, rule-based groups)."""

from __future__ import annotations

import datetime
import random

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, select, update

from core.db import db, utcnow, write_transaction
from core.models import Customer, CustomerGroup, Segment, group_membership
from core.services import customers as customer_service

GROUPS = [
    ("Staff", "People who work in the shop."),
    ("Newsletter", "Asked to hear about new stock and events."),
    ("Trade", "Trade customers on account."),
    ("Birthday club", "Get a treat in their birthday month."),
]


# The segments a new shop starts with (migration 0002), and the share of customers in each.
SEGMENTS = [("Regular", 0.62), ("VIP", 0.12), ("Wholesale", 0.06), ("Corporate", 0.04)]
# Customers registered over this many years before today, more of them recently.
YEARS = 5


def is_empty() -> bool:
    return not db.session.execute(select(func.count()).select_from(Customer)).scalar()


def load(count: int, seed: int, progress=None) -> int:
    """Create ``count`` customers and the demo groups; returns customers created."""
    fake = Faker(["en_GB"])
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    by_name = {s.name: s for s in db.session.execute(select(Segment)).scalars()}
    segments = [(by_name[name], share) for name, share in SEGMENTS if name in by_name]
    created = []
    for i in range(count):
        business = rnd.random() < 0.15
        first, last = fake.first_name(), fake.last_name()
        data = {
            "kind": "business" if business else "individual",
            "first_name": first,
            "last_name": last,
            "company_name": fake.company() if business else "",
            "email": f"{first}.{last}.{i}@example.com".lower().replace("'", ""),
            "phone": f"+44 7400 {i:06d}" if i < 1_000_000 else "",
            "status": "inactive" if rnd.random() < 0.05 else "active",
            "go_green": rnd.random() < 0.35,
            "contact_sms": rnd.random() < 0.4,
        }
        if not business and rnd.random() < 0.8:
            data["date_of_birth"] = fake.date_of_birth(minimum_age=18, maximum_age=85)
        pick, segment = rnd.random(), None
        for candidate, share in segments:
            if pick < share:
                segment = candidate
                break
            pick -= share
        if segment is not None:
            data["segment_id"] = segment.id
        created.append(customer_service.create(data))
        if progress:
            progress(i + 1)
    _registered_over_the_years(created, rnd)
    with write_transaction():
        groups = []
        for name, description in GROUPS:
            group = CustomerGroup(name=name, description=description)
            db.session.add(group)
            groups.append(group)
        db.session.flush()
        rows = []
        for customer in created:
            for group in groups:
                if rnd.random() < 0.2:
                    rows.append({"group_id": group.id, "customer_id": customer.id})
        if rows:
            db.session.execute(insert(group_membership), rows)
    # Plugins add theirs: the sales plugin two years of sales, loyalty the points on them.
    current_app.extensions["regulars.plugins"].hook.load_demo_data(seed=seed)
    db.session.commit()
    return len(created)


def _registered_over_the_years(created: list, rnd: random.Random) -> None:
    """Spread the customers' registration over the last YEARS years (more of them lately), in
    the order they were made, so the oldest numbers are the longest-standing customers."""
    now = utcnow()
    span = YEARS * 365 * 86400
    ages = sorted((int(span * rnd.random() ** 1.6) for _ in created), reverse=True)
    with write_transaction():
        for customer, age in zip(created, ages):
            when = now - datetime.timedelta(seconds=age)
            db.session.execute(update(Customer).where(Customer.id == customer.id)
                               .values(created_at=when, updated_at=when))
