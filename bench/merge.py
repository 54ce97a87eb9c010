"""Merge at size: how long does merging two customers with 1,000 rows of history each take?

Builds a shop (real migrations) with fresh pairs of customers, each customer carrying 1,000
activity entries, 1,000 audit rows, 1,000 notes, 1,000 addresses and 1,000 group memberships
(half of them shared with the other customer of the pair), loaded with bulk SQL. Times
``core.services.merge.merge()`` (locks, field choices, every move, plugins' hooks, audit, one
commit) on several pairs, beside the raw SQL UPDATEs that move the same rows on other pairs.
Prints median and worst in milliseconds and the ratio. Goal: merge() under 1 s.

    make bench                                        # or: .venv/bin/python bench/merge.py
    BENCH_MERGE_PAIRS=9 BENCH_PG_URL=postgresql://u:p@127.0.0.1/db .venv/bin/python bench/merge.py
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAIRS = int(os.environ.get("BENCH_MERGE_PAIRS", "5"))
ROWS = int(os.environ.get("BENCH_MERGE_ROWS", "1000"))
console = Console(width=150)


def make_app(url: str, instance: str):
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)  # permission sync chatter
    os.environ["REGULARS_INSTANCE_PATH"] = instance
    from core.app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


def load_pairs(app, pairs: int) -> list[tuple[int, int]]:
    """``pairs`` pairs of customers with ROWS rows of each kind of history, by bulk SQL."""
    from sqlalchemy import insert, select

    from core.db import db, utcnow, write_transaction
    from core.models import (Activity, Address, AuditEntry, Customer, CustomerGroup, Note,
                             group_membership)

    now = utcnow()
    with app.app_context(), write_transaction():
        db.session.execute(insert(CustomerGroup), [
            {"name": f"Bench group {n}", "description": "", "created_at": now}
            for n in range(ROWS * 3 // 2)])
        group_ids = list(db.session.execute(select(CustomerGroup.id).order_by(CustomerGroup.id))
                         .scalars())
        first_id = (db.session.execute(select(db.func.max(Customer.id))).scalar() or 0) + 1
        count = pairs * 2
        db.session.execute(insert(Customer), [
            {"number": f"B-{first_id + n:07d}", "kind": "individual", "first_name": "Bench",
             "last_name": f"Customer {n}", "name_key": f"bench customer {n}",
             "sort_key": f"customer {n} bench", "email": f"bench{n}@example.com",
             "email_normalized": f"bench{n}@example.com", "status": "active",
             "created_at": now, "updated_at": now} for n in range(count)])
        ids = list(db.session.execute(select(Customer.id).where(Customer.id >= first_id)
                                      .order_by(Customer.id)).scalars())
        for index, customer_id in enumerate(ids):
            db.session.execute(insert(Activity), [
                {"customer_id": customer_id, "kind": "note", "subject": f"Visit {n}", "body": "",
                 "occurred_at": now, "source": "core"} for n in range(ROWS)])
            db.session.execute(insert(AuditEntry), [
                {"customer_id": customer_id, "entity": "customer", "entity_id": customer_id,
                 "action": "update", "field": "phone", "old_value": str(n), "new_value": str(n + 1),
                 "at": now} for n in range(ROWS)])
            db.session.execute(insert(Note), [
                {"customer_id": customer_id, "body": f"Note {n}", "pinned": False,
                 "created_at": now} for n in range(ROWS)])
            db.session.execute(insert(Address), [
                {"customer_id": customer_id, "kind": "shipping", "is_default": n == 0,
                 "line1": f"{n} High Street", "city": "Leeds", "postal_code": "LS1 1AA",
                 "country": "GB"} for n in range(ROWS)])
            # The second of a pair shares half its groups with the first.
            offset = 0 if index % 2 == 0 else ROWS // 2
            db.session.execute(insert(group_membership), [
                {"customer_id": customer_id, "group_id": g}
                for g in group_ids[offset:offset + ROWS]])
    return [(ids[n], ids[n + 1]) for n in range(0, len(ids), 2)]


def time_merge(app, survivor_id: int, merged_id: int) -> float:
    from core.db import db
    from core.services import customers, merge

    with app.app_context():
        survivor, merged = customers.get(survivor_id), customers.get(merged_id)
        start = time.perf_counter()
        merge.merge(survivor, merged, {"email": "merged"})
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed


def time_raw_updates(app, survivor_id: int, merged_id: int) -> float:
    """The database work alone: the UPDATEs (and the membership union) that move the rows."""
    from sqlalchemy import text

    from core.db import db

    statements = [
        "UPDATE activity SET customer_id = :s WHERE customer_id = :m",
        "UPDATE audit_entry SET customer_id = :s WHERE customer_id = :m",
        "UPDATE customer_note SET customer_id = :s WHERE customer_id = :m",
        "UPDATE customer_address SET customer_id = :s WHERE customer_id = :m",
        "INSERT INTO customer_group_member (customer_id, group_id) SELECT :s, group_id "
        "FROM customer_group_member WHERE customer_id = :m AND group_id NOT IN "
        "(SELECT group_id FROM customer_group_member WHERE customer_id = :s)",
        "DELETE FROM customer_group_member WHERE customer_id = :m",
        "UPDATE customer SET merged_into_id = :s, status = 'inactive' WHERE id = :m",
    ]
    with app.app_context():
        connection = db.engine.connect()
        start = time.perf_counter()
        with connection.begin():
            for sql in statements:
                connection.execute(text(sql), {"s": survivor_id, "m": merged_id})
        elapsed = time.perf_counter() - start
        connection.close()
    return elapsed


def measure(name: str, url: str, instance: str) -> tuple[str, list[float], list[float]]:
    from core.cli import upgrade_all

    app = make_app(url, instance)
    with app.app_context():
        upgrade_all()
    start = time.perf_counter()
    pairs = load_pairs(app, PAIRS * 2)
    console.print(f"{name}: loaded {len(pairs)} pairs x 2 customers x {ROWS:,} rows of each "
                  f"kind in {time.perf_counter() - start:.1f} s")
    merges = [time_merge(app, s, m) for s, m in pairs[:PAIRS]]
    raws = [time_raw_updates(app, s, m) for s, m in pairs[PAIRS:]]
    with app.app_context():
        from core.db import db

        db.session.remove()
        db.engine.dispose()
    return name, merges, raws


def _pg_database(url: str):
    """A scratch database on the server ``url`` names; returns (its URL, a drop function)."""
    import uuid

    import sqlalchemy as sa

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"regulars_bench_merge_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main():
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(measure("SQLite", f"sqlite:///{folder}/merge.db", f"{folder}/instance"))
        pg_url = os.environ.get("BENCH_PG_URL")
        if pg_url:
            url, drop = _pg_database(pg_url)
            try:
                results.append(measure("PostgreSQL", url, f"{folder}/instance-pg"))
            finally:
                drop()
    table = Table(title=f"Merge of two customers with {ROWS:,} rows of each kind of history, "
                        f"ms over {PAIRS} fresh pairs")
    for column in ("database", "merge() median", "merge() worst", "raw UPDATEs median",
                   "ratio", "goal < 1000 ms"):
        table.add_column(column, justify="right")
    for name, merges, raws in results:
        merge_med, raw_med = statistics.median(merges) * 1000, statistics.median(raws) * 1000
        table.add_row(name, f"{merge_med:.1f}", f"{max(merges) * 1000:.1f}", f"{raw_med:.1f}",
                      f"{merge_med / raw_med:.2f}x", "met" if max(merges) < 1 else "NOT met")
    console.print(table)


if __name__ == "__main__":
    main()
