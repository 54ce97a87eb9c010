"""Deterministic demo data for a first start: customers, groups, and what plugins add."""

from __future__ import annotations

import random

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, select

from core.db import db, write_transaction
from core.models import Customer, CustomerGroup, group_membership
from core.services import customers as customer_service

GROUPS = [
    ("Staff", "People who work in the shop."),
    ("Newsletter", "Asked to hear about new stock and events."),
    ("Trade", "Trade customers on account."),
    ("Birthday club", "Get a treat in their birthday month."),
]


def is_empty() -> bool:
    return not db.session.execute(select(func.count()).select_from(Customer)).scalar()


def load(count: int, seed: int, progress=None) -> int:
    """Create ``count`` customers and the demo groups; returns customers created."""
    fake = Faker(["en_GB"])
    fake.seed_instance(seed)
    rnd = random.Random(seed)
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
        }
        created.append(customer_service.create(data))
        if progress:
            progress(i + 1)
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
    current_app.extensions["regulars.plugins"].hook.load_demo_data(seed=seed)
    db.session.commit()
    return len(created)
