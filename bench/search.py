"""Search at scale: is search-as-you-type fast at 1,000,000 customers, and the till's lookup
close to the raw indexed SELECT?

Loads a shop with bulk SQL (bench/list_customers.py's loader and rows), builds the search index
with the real `regulars search reindex` code, then times through the Flask test client:
search-as-you-type (the list's in-place refresh) for a 3-letter prefix, a full email, 4 phone
digits and a misspelt surname, each beside the FTS5 / pg_trgm query alone; and the POS lookup
by exact phone and email beside the raw indexed SELECT, both end to end (HTTP through the test
client) and as the service call alone. Median and p95 in ms, and the ratios.

    .venv/bin/python bench/search.py                 # SQLite, 1,000,000 customers
    BENCH_CUSTOMERS=100000 .venv/bin/python bench/search.py
    BENCH_PG_URL=postgresql://user:pass@127.0.0.1/postgres .venv/bin/python bench/search.py
    BENCH_PG_URL=... BENCH_SKIP_SQLITE=1 BENCH_PG_DATABASE=mine .venv/bin/python bench/search.py

BENCH_PG_URL names a server (and a database to connect to while creating the bench's own,
``regulars_bench_search_<N>`` unless BENCH_PG_DATABASE says otherwise); a database already
there is reused as it is. `make bench` passes the environment through, so CI measures
PostgreSQL by setting BENCH_PG_URL.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from list_customers import (BIG, CUSTOMER_COLUMNS, REPEAT, build_shop, console,  # noqa: E402
                            customer_rows, timed)

CONFIG = {"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "AUTH_RATE_LIMITED": False,
          "RATELIMIT_ENABLED": False}
PROBE = BIG // 2 + 7  # a customer in the middle of the shop


def _app(url: str, instance: Path):
    os.environ["REGULARS_INSTANCE_PATH"] = str(instance)
    from core.app import create_app

    return create_app({"DATABASE_URL": url, **CONFIG})


def build_index(app) -> float:
    """Index every customer with the code `regulars search reindex` runs; returns seconds."""
    from core.services import search

    start = time.perf_counter()
    with app.app_context(), Progress(console=console, transient=True) as progress:
        task = progress.add_task("Indexing customers", total=None)
        search.reindex_all(lambda done, total: progress.update(task, completed=done, total=total))
    return time.perf_counter() - start


def build_sqlite(workdir: Path) -> str:
    path = workdir / f"search-{BIG}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        start = time.perf_counter()
        build_shop(path, BIG)
        console.print(f"Loaded {BIG:,} customers in {time.perf_counter() - start:.1f} s")
        seconds = build_index(_app(url, workdir / "instance"))
        console.print(f"Indexed {BIG:,} customers in {seconds:.1f} s ({BIG / seconds:,.0f}/s)")
    return url


def build_postgresql(admin_url: str, workdir: Path) -> str:
    import sqlalchemy as sa

    if admin_url.startswith("postgresql://"):
        admin_url = "postgresql+psycopg://" + admin_url[len("postgresql://"):]
    name = os.environ.get("BENCH_PG_DATABASE") or f"regulars_bench_search_{BIG}"
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if exists:
        return url
    from core.cli import ensure_user, upgrade_all

    app = _app(url, workdir / "instance-pg")
    start = time.perf_counter()
    with app.app_context():
        upgrade_all()
        ensure_user("bench", "bench-password", "bench@example.com", "Bench", "User", "Admin")
        from core.db import db

        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur, Progress(console=console, transient=True) as progress:
                task = progress.add_task(f"Loading {BIG:,} customers", total=BIG)
                with cur.copy(f"COPY customer ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN") as copy:
                    for n, row in enumerate(customer_rows(BIG), 1):
                        copy.write_row(row)
                        if n % 50_000 == 0:
                            progress.update(task, completed=n)
                cur.execute("UPDATE number_sequence SET next_value = %s WHERE name = 'customer'", (BIG + 1,))
            raw.commit()
        finally:
            raw.close()
    console.print(f"Loaded {BIG:,} customers in {time.perf_counter() - start:.1f} s (PostgreSQL)")
    seconds = build_index(app)
    console.print(f"Indexed {BIG:,} customers in {seconds:.1f} s ({BIG / seconds:,.0f}/s)")
    with app.app_context():
        from core.db import db

        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE customer"))
            conn.execute(sa.text("VACUUM ANALYZE customer_search"))
        db.engine.dispose()
    return url


def measure(url: str, instance: Path) -> list[tuple[str, tuple, tuple, str]]:
    from sqlalchemy import text

    from core.db import db
    from list_customers import FIRST, LAST
    from core.services.normalize import fold

    app = _app(url, instance)
    client = app.test_client()
    assert client.post("/login/", data={"username": "bench", "password": "bench-password"}).status_code == 302
    i = PROBE
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
    email = f"{fold(first).replace(' ', '')}.{fold(last).replace(' ', '').replace(chr(39), '')}{i}@example.com"
    phone = f"+4474{i:08d}"
    national = f"074{i:08d}"

    def get(path, status=200):
        def go():
            response = client.get(path)
            assert response.status_code == status, (path, response.status_code)
            return response
        return go

    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        conn = db.engine.connect()

    def raw(sql, **params):
        return lambda: conn.execute(text(sql), params).fetchall()

    def trigram(term):
        if sqlite:
            return raw("SELECT rowid FROM customer_search_fts WHERE customer_search_fts MATCH :m LIMIT 1001",
                       m=f'"{term}"')
        return raw("SELECT customer_id FROM customer_search WHERE document LIKE :m LIMIT 1001",
                   m=f"%{term}%")

    def service(q):
        """The till's lookup as the API calls it, without the HTTP request around it."""
        from core.services import search

        def go():
            with app.app_context():
                found = search.lookup(q, 10)
                assert len(found) == 1, (q, found)
        return go

    indexed = "SELECT id, number, first_name, last_name, email, phone, segment_id FROM customer WHERE "
    digits = phone[-4:]
    figures = [
        ("type 'smi' (3-letter prefix)", get("/customers/?q=smi&partial=1"), trigram("smi"), "trigram 'smi'"),
        ("type a full email", get(f"/customers/?q={email}&partial=1"), trigram(email), "trigram email"),
        (f"type 4 phone digits '{digits}'", get(f"/customers/?q={digits}&partial=1"), trigram(digits),
         "trigram digits"),
        ("type misspelt 'Smtih'", get("/customers/?q=Smtih&partial=1"), trigram("smith"),
         "trigram 'smith'"),
        ("POS lookup by phone, HTTP", get(f"/api/v1/customers/lookup?q={national}"),
         raw(indexed + "phone_e164 = :p", p=phone), "indexed SELECT"),
        ("POS lookup by phone, service", service(national),
         raw(indexed + "phone_e164 = :p", p=phone), "indexed SELECT"),
        ("POS lookup by email, HTTP", get(f"/api/v1/customers/lookup?q={email}"),
         raw(indexed + "email_normalized = :e", e=email), "indexed SELECT"),
        ("POS lookup by email, service", service(email),
         raw(indexed + "email_normalized = :e", e=email), "indexed SELECT"),
    ]
    # What any signed-in API request costs before it does anything (session, user, permission,
    # JSON): the part of the lookup no query can remove.
    floor = timed(get("/api/v1/customers/lookup?q=", status=422))
    found = client.get(f"/api/v1/customers/lookup?q={national}").get_json()["result"]
    assert [c["email"] for c in found] == [email], found
    assert "Smith" in client.get("/customers/?q=Smtih&partial=1").get_data(as_text=True)
    results = [(name, timed(server), timed(db_op), label) for name, server, db_op, label in figures]
    results.append(("API request floor (q empty, 422)", floor, None, "-"))
    conn.close()
    with app.app_context():
        db.engine.dispose()
    return results


def report(title: str, results) -> None:
    table = Table(title=title)
    for col in ("figure", "server median (p95) ms", "raw database op", "raw median ms", "vs raw",
                "goal"):  # noqa: E501
        table.add_column(col, justify="left" if col in ("figure", "raw database op", "goal") else "right")
    floor = next(r[1][0] for r in results if r[2] is None)
    limit = 15 if "PostgreSQL" in title else 50  # search as you type, p95 in ms
    for name, (med, p95), raw_timing, label in results:
        if raw_timing is None:
            table.add_row(name, f"{med:.1f} ({p95:.1f})", label, "-", "-", "")
            continue
        raw_med = raw_timing[0]
        if not name.startswith("POS"):
            goal = f"p95 <= {limit} ms: " + ("met" if p95 <= limit else "not met")
        else:
            goal = "within 2x of raw: " + ("met" if med <= 2 * raw_med else "not met")
            if name.endswith("HTTP"):
                goal += f"; above the floor {max(med - floor, 0):.1f} ms"
        table.add_row(name, f"{med:.1f} ({p95:.1f})", label, f"{raw_med:.2f}",
                      f"{med / raw_med:.1f}x" if raw_med else "-", goal)
    console.print(table)
    raw_pos = min(r[2][0] for r in results if r[0].startswith("POS"))
    console.print(
        "The POS goal (within 2x of the raw indexed SELECT) concerns the lookup. Through HTTP it "
        f"cannot be met: a signed-in API request that does nothing costs {floor:.1f} ms "
        f"({floor / raw_pos:.0f}x the raw SELECT) before any lookup. The 'service' rows time "
        "search.lookup() alone (parse the phone/email, one indexed statement, built once, for the customers "
        "and their segments, read as plain rows) against the same raw SELECT; that is the ratio the goal can "
        "fairly be held to.")


def main():
    workdir = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="regulars-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("BENCH_SKIP_SQLITE"):
        sqlite_url = build_sqlite(workdir)
        report(f"Search, SQLite {sqlite3.sqlite_version}, {BIG:,} customers, median (p95) over {REPEAT}",
               measure(sqlite_url, workdir / "instance"))
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        pg_url = build_postgresql(pg, workdir)
        report(f"Search, PostgreSQL, {BIG:,} customers, median (p95) over {REPEAT}",
               measure(pg_url, workdir / "instance-pg"))


if __name__ == "__main__":
    main()
