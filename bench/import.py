"""Customer import at scale: how many rows a second does ``regulars customers import`` check and
write on SQLite? Goal: at least 10,000 validated rows per second.

Generates a 100,000-row CSV (plain deterministic rows: names, emails, phones, some businesses),
then times on a freshly migrated SQLite shop: the dry run (read + check every row), the import
(check + write, with audit and search index), and beside them the raw bulk INSERT of the same
rows into the customer table (sqlite3 executemany, one transaction): the floor no import beats.

    make bench                               # or: .venv/bin/python bench/import.py
    BENCH_IMPORT_ROWS=20000 .venv/bin/python bench/import.py
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
console = Console(width=120)

FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Noah", "Oliver", "George", "Leo", "Zoë",
         "José", "Łukasz", "Søren", "Anaïs", "Björn", "Siobhán"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Müller", "García", "Nowak", "O'Brien", "Ångström",
        "Wilson", "Evans", "Walker"]


def generate_csv(path: Path, rows: int) -> None:
    """``rows`` customers: every 10th a business, every 3rd without a phone."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Customer number", "First name", "Last name", "Company", "Type",
                         "E-mail", "Phone number"])
        for i in range(1, rows + 1):
            first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            business = i % 10 == 0
            writer.writerow([
                f"IMP-{i:07d}", first, last, f"{last} Trading {i}" if business else "",
                "business" if business else "individual",
                f"{first.lower()}.{i}@example.com".replace("ø", "o").replace("ł", "l"),
                "" if i % 3 == 0 else f"+44 7400 {i % 1000000:06d}",
            ])


def fresh_app(path: Path):
    os.environ["REGULARS_INSTANCE_PATH"] = str(path.parent / "instance")
    from core.app import create_app
    from core.cli import upgrade_all

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade_all()
    return app


def raw_insert_seconds(path: Path, csv_path: Path) -> float:
    """The same rows, already clean, straight into the customer table with executemany."""
    import csv

    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(n, k, fn, ln, co, e, e.lower(), p or None, None, "active", "", "",
                 "2026-01-01 00:00:00", "2026-01-01 00:00:00")
                for n, fn, ln, co, k, e, p in reader]
    con = sqlite3.connect(path)
    start = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO customer (number, kind, first_name, last_name, company_name, email, "
            "email_normalized, phone, phone_e164, status, name_key, sort_key, created_at, "
            "updated_at, tax_id, tax_country, registration_number, business_type, industry, "
            "language, currency, contact_email, contact_sms, contact_phone, contact_post, "
            "go_green) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','','','','','','',1,0,1,0,0)", rows)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "customers.csv"
        start = time.perf_counter()
        generate_csv(csv_path, ROWS)
        console.print(f"Generated {ROWS:,} rows ({csv_path.stat().st_size / 1e6:.1f} MB) in "
                      f"{time.perf_counter() - start:.1f} s")

        app = fresh_app(tmp / "shop.db")
        from core.services import importer

        data = csv_path.read_bytes()
        with app.app_context():
            start = time.perf_counter()
            dry = importer.import_csv(data, dry_run=True)
            dry_s = time.perf_counter() - start
            start = time.perf_counter()
            done = importer.import_csv(data)
            import_s = time.perf_counter() - start
        assert dry.errors == [] and done.errors == [], (dry.errors[:3], done.errors[:3])
        assert done.created == ROWS

        fresh_app(tmp / "raw.db")
        raw_s = raw_insert_seconds(tmp / "raw.db", csv_path)

    table = Table("step", "seconds", "rows / s", "× raw INSERT time",
                  title=f"Import of {ROWS:,} CSV rows on SQLite (goal ≥ 10,000 validated rows/s)")
    for label, seconds in (("dry run (read + check)", dry_s), ("import (check + write)", import_s),
                           ("raw executemany INSERT", raw_s)):
        table.add_row(label, f"{seconds:.2f}", f"{ROWS / seconds:,.0f}", f"{seconds / raw_s:.1f}")
    console.print(table)
    rate = ROWS / import_s
    console.print(f"Import: {rate:,.0f} validated rows/s — goal {'met' if rate >= 10_000 else 'NOT met'}.")


if __name__ == "__main__":
    main()
