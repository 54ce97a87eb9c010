"""A big shop with two years of sales, built fast for the sales and loyalty benchmarks.

``build(url, customers, lines)`` migrates an empty database with the real migrations (core and
every installed plugin), then loads ``customers`` customers and about ``lines`` sale lines
(about three lines a receipt, one receipt in fifty a refund) with bulk SQL: ``executemany``
on SQLite, ``COPY`` on PostgreSQL. Deterministic: the same sizes give the same shop. One
customer, ``HEAVY_NUMBER``, has ``HEAVY_RECEIPTS`` receipts of their own (the Purchase History
tab's worst case); sales fall over the 730 days before ``NOW``."""

from __future__ import annotations

import datetime
import io
import itertools
import os
import random
import sqlite3
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from list_customers import CUSTOMER_COLUMNS, customer_rows  # noqa: E402

console = Console(width=150)
NOW = datetime.datetime.now(datetime.UTC).replace(tzinfo=None, microsecond=0)
DAYS = 730
HEAVY_NUMBER = "C-0000007"
HEAVY_RECEIPTS = int(os.environ.get("BENCH_HEAVY_RECEIPTS", "5000"))
PRODUCTS = [(f"SKU-{i:04d}", name, price) for i, (name, price) in enumerate([
    ("Earl Grey tea", 350), ("Sourdough loaf", 420), ("Oat milk", 185), ("Dark chocolate", 275),
    ("Olive oil 500ml", 899), ("Espresso beans", 1150), ("Honey", 640), ("Granola", 499),
    ("Cheddar", 560), ("Flowers", 1500), ("Candle", 1299), ("Notebook", 799)] * 10)]
SALE_COLUMNS = ("id", "receipt_number", "kind", "refund_of_id", "customer_id", "sold_at",
                "location", "currency", "payment_type", "prices_include_tax", "subtotal",
                "discount_total", "tax_total", "total", "item_count", "source", "created_at")
LINE_COLUMNS = ("sale_id", "line_no", "sku", "product_name", "quantity", "unit_price",
                "discount", "tax", "line_total")
SCALE = 10_000  # core.db.Money on SQLite: ten-thousandths


def migrate(url: str, instance: Path):
    """The app on ``url``, migrated, with the bench user; returns the app."""
    import logging

    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    os.environ["REGULARS_INSTANCE_PATH"] = str(instance)
    from core.app import create_app
    from core.cli import ensure_user, upgrade_all

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "AUTH_RATE_LIMITED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade_all()
        ensure_user("bench", "bench-password", "bench@example.com", "Bench", "User", "Admin")
        from core.db import db

        db.session.commit()
        db.session.remove()
    return app


def sales_rows(customers: int, lines: int, seed: int = 7):
    """(sale tuple, [line tuples]) pairs; amounts in pence (integers), times as datetimes."""
    rnd = random.Random(seed)
    made = 0
    heavy_id = int(HEAVY_NUMBER.split("-")[1])
    buyers = max(1, int(customers * 0.6))
    sold = []  # (sale_id, customer_id, lines) of sales that may be refunded later
    for sale_id in itertools.count(1):
        if made >= lines:
            return
        if sale_id <= HEAVY_RECEIPTS:
            customer_id = heavy_id
        elif rnd.random() < 0.08:
            customer_id = None  # a walk-in
        else:
            # Skewed: a few regulars buy often, most now and then.
            customer_id = 1 + int(buyers * rnd.random() ** 2)
        at = NOW - datetime.timedelta(seconds=rnd.randrange(DAYS * 86400))
        refund = sold and rnd.random() < 0.02
        if refund:
            original_id, customer_id, original = sold[rnd.randrange(len(sold))]
            chosen = original[:1]
            kind, refund_of = "refund", original_id
            sign = -1
        else:
            n = 1 + min(7, int(rnd.expovariate(1 / 3)))
            chosen = [PRODUCTS[rnd.randrange(len(PRODUCTS))] + (1 + int(rnd.random() ** 3 * 3),)
                      for _ in range(n)]
            kind, refund_of, sign = "sale", None, 1
        line_rows, subtotal, discount_total, tax_total, items = [], 0, 0, 0, 0
        for no, (sku, name, price, qty) in enumerate(chosen, 1):
            qty *= sign
            gross = price * qty
            discount = (gross // 10) if rnd.random() < 0.1 else 0
            tax = (gross - discount) // 5
            subtotal += gross
            discount_total += discount
            tax_total += tax
            items += qty
            line_rows.append((sale_id, no, sku, name, qty, price, discount, tax,
                              gross - discount + tax))
        sale = (sale_id, f"B-{sale_id:09d}", kind, refund_of, customer_id, at, "High Street",
                "GBP", "card", False, subtotal, discount_total, tax_total,
                subtotal - discount_total + tax_total, items, "pos", at)
        if kind == "sale" and customer_id is not None and len(sold) < 200_000:
            sold.append((sale_id, customer_id, chosen))
        made += len(line_rows)
        yield sale, line_rows


def build(url: str, instance: Path, customers: int, lines: int):
    """Migrate, then bulk-load the shop; returns the migrated app."""
    app = migrate(url, instance)
    with app.app_context():
        from core.db import db

        db.engine.dispose()
    if url.startswith("sqlite"):
        _load_sqlite(url.split("///", 1)[1], customers, lines)
    else:
        _load_postgresql(url, customers, lines)
    return app


def _load_sqlite(path: str, customers: int, lines: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND "
        "tbl_name IN ('customer', 'sales_sale', 'sales_line')").fetchall()
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"Loading {customers:,} customers", total=customers)
        sql = (f"INSERT INTO customer ({', '.join(CUSTOMER_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(CUSTOMER_COLUMNS))})")
        batch = []
        for row in customer_rows(customers):
            batch.append(row)
            if len(batch) == 50_000:
                con.executemany(sql, batch)
                progress.advance(task, len(batch))
                batch = []
        con.executemany(sql, batch)
        progress.update(task, completed=customers)
        task = progress.add_task(f"Loading {lines:,} sale lines", total=lines)
        sale_sql = (f"INSERT INTO sales_sale ({', '.join(SALE_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(SALE_COLUMNS))})")
        line_sql = (f"INSERT INTO sales_line ({', '.join(LINE_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(LINE_COLUMNS))})")
        sales, line_batch = [], []
        for sale, line_rows in sales_rows(customers, lines):
            s = list(sale)
            for i in (10, 11, 12, 13):
                s[i] *= 100  # pence to ten-thousandths
            s[14] *= SCALE
            s[5] = s[16] = sale[5].isoformat(" ")
            sales.append(s)
            for ln in line_rows:
                line_batch.append((*ln[:4], ln[4] * SCALE, ln[5] * 100, ln[6] * 100,
                                   ln[7] * 100, ln[8] * 100))
            if len(line_batch) >= 100_000:
                con.executemany(sale_sql, sales)
                con.executemany(line_sql, line_batch)
                progress.advance(task, len(line_batch))
                sales, line_batch = [], []
        con.executemany(sale_sql, sales)
        con.executemany(line_sql, line_batch)
        progress.update(task, description="Building indexes", completed=lines)
        for _, ddl in indexes:
            con.execute(ddl)
    con.execute("INSERT OR REPLACE INTO number_sequence (name, next_value) VALUES ('customer', ?)",
                (customers + 1,))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def _pence(p: int) -> str:
    sign = "-" if p < 0 else ""
    p = abs(p)
    return f"{sign}{p // 100}.{p % 100:02d}"


def _copy_text(values) -> str:
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        else:
            out.append(str(v).replace("\\", "\\\\").replace("\t", "\\t"))
    return "\t".join(out) + "\n"


def _load_postgresql(url: str, customers: int, lines: int) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as con, Progress(console=console, transient=True) as progress:
        cur = con.cursor()
        task = progress.add_task(f"Loading {customers:,} customers", total=customers)
        with cur.copy(f"COPY customer ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN") as copy:
            for n, row in enumerate(customer_rows(customers), 1):
                copy.write(_copy_text(row))
                if n % 50_000 == 0:
                    progress.advance(task, 50_000)
        progress.update(task, completed=customers)
        task = progress.add_task(f"Loading {lines:,} sale lines", total=lines)
        sales_buf, lines_buf, pending = io.StringIO(), io.StringIO(), 0

        def flush():
            with cur.copy(f"COPY sales_sale ({', '.join(SALE_COLUMNS)}) FROM STDIN") as copy:
                copy.write(sales_buf.getvalue())
            with cur.copy(f"COPY sales_line ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
                copy.write(lines_buf.getvalue())

        for sale, line_rows in sales_rows(customers, lines):
            s = list(sale)
            for i in (10, 11, 12, 13):
                s[i] = _pence(s[i])
            sales_buf.write(_copy_text(s))
            for ln in line_rows:
                lines_buf.write(_copy_text((*ln[:4], ln[4], _pence(ln[5]), _pence(ln[6]),
                                            _pence(ln[7]), _pence(ln[8]))))
            pending += len(line_rows)
            if pending >= 200_000:
                flush()
                progress.advance(task, pending)
                sales_buf, lines_buf, pending = io.StringIO(), io.StringIO(), 0
        flush()
        progress.update(task, description="Analysing", completed=lines)
        for table in ("customer", "sales_sale"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")
        cur.execute("INSERT INTO number_sequence (name, next_value) VALUES ('customer', %s) "
                    "ON CONFLICT (name) DO UPDATE SET next_value = excluded.next_value",
                    (customers + 1,))
        con.commit()
        con.autocommit = True
        con.execute("ANALYZE")
