"""Customers list at scale: is a page as fast at 1,000,000 customers as at 100?

Builds two SQLite shops (100 and 1,000,000 customers, loaded with bulk SQL, not the ORM),
then times, through the Flask test client, the list's first page, page 20,000 (as a jump and
as reached by the Next link's cursor) and a search; each beside the raw SQL that returns the
same rows. Prints medians and p95 in milliseconds and the ratios.

    make bench                                   # or: .venv/bin/python bench/list_customers.py
    BENCH_CUSTOMERS=200000 make bench            # a smaller shop
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIG = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
SMALL = 100
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
PER_PAGE = 20
DEEP_PAGE = int(os.environ.get("BENCH_DEEP_PAGE", "20000"))
console = Console(width=150)

FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Sophia", "Grace", "Noah",
         "Oliver", "George", "Leo", "Arthur", "Muhammad", "Harry", "Oscar", "Archie", "Henry",
         "Theo", "Zoë", "Chloé", "José", "Łukasz", "Søren", "Anaïs", "Björn", "Siobhán"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
        "Hall", "Wood", "Jackson", "Clarke", "Müller", "García", "Nowak", "O'Brien", "Ångström"]


CUSTOMER_COLUMNS = ("number", "kind", "first_name", "last_name", "company_name", "email",
                    "email_normalized", "phone", "phone_e164", "status", "name_key", "sort_key",
                    "created_at", "updated_at")


def customer_rows(count: int):
    """``count`` deterministic customers as tuples of CUSTOMER_COLUMNS (every 20th inactive)."""
    from core.services.normalize import fold

    nf, nl = len(FIRST), len(LAST)
    for i in range(1, count + 1):
        first, last = FIRST[i % nf], LAST[(i * 7 + i // nf) % nl]
        email = f"{fold(first).replace(' ', '')}.{fold(last).replace(' ', '').replace(chr(39), '')}{i}@example.com"
        phone = f"+4474{i:08d}"
        yield (f"C-{i:07d}", "individual", first, last, "", email, email, phone, phone,
               "active" if i % 20 else "inactive", fold(f"{first} {last}"),
               fold(f"{last} {first}"), "2026-01-01 00:00:00", "2026-01-01 00:00:00")


def build_shop(path: Path, count: int) -> None:
    """Migrate an empty database with the real migrations, then bulk-load ``count`` customers."""
    os.environ["REGULARS_INSTANCE_PATH"] = str(path.parent / "instance")
    from core.app import create_app
    from core.cli import ensure_user, upgrade_all

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "AUTH_RATE_LIMITED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade_all()
        ensure_user("bench", "bench-password", "bench@example.com", "Bench", "User", "Admin")
        from core.db import db

        db.session.remove()
        db.engine.dispose()

    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='customer' AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')

    rows = lambda: customer_rows(count)  # noqa: E731

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"Loading {count:,} customers", total=count)
        batch, done = [], 0
        sql = ("INSERT INTO customer (number, kind, first_name, last_name, company_name, email, "
               "email_normalized, phone, phone_e164, status, name_key, sort_key, created_at, "
               "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
        for row in rows():
            batch.append(row)
            if len(batch) == 50_000:
                con.executemany(sql, batch)
                done += len(batch)
                progress.update(task, completed=done)
                batch = []
        if batch:
            con.executemany(sql, batch)
        progress.update(task, description="Building indexes", completed=count)
        for _, ddl in indexes:
            con.execute(ddl)
    con.execute("INSERT OR REPLACE INTO number_sequence (name, next_value) VALUES ('customer', ?)",
                (count + 1,))
    con.commit()
    con.execute("ANALYZE")
    con.close()


def timed(fn, repeat=REPEAT):
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return statistics.median(samples), p95


def measure(path: Path, deep_page: int) -> dict[str, tuple[float, float]]:
    os.environ["REGULARS_INSTANCE_PATH"] = str(path.parent / "instance")
    from core.app import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "AUTH_RATE_LIMITED": False,
                      "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert client.post("/login/", data={"username": "bench", "password": "bench-password"}).status_code == 302

    def page(url):
        def go():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response
        return go

    # The cursor the list's own Next link carries at the deep page (what paging by hand reaches).
    cursor_url = _next_link(client.get(f"/customers/?page={deep_page - 1}").get_data(as_text=True))
    results = {
        "first page": timed(page("/customers/")),
        f"page {deep_page:,} (jump)": timed(page(f"/customers/?page={deep_page}")),
        "search 'smi'": timed(page("/customers/?q=smi")),
    }
    if cursor_url:
        results[f"page {deep_page:,} (Next link)"] = timed(page(cursor_url))

    con = sqlite3.connect(path)
    cols = ("id, number, kind, first_name, last_name, company_name, email, phone, status, "
            "created_at")

    def raw(sql, args=()):
        return lambda: con.execute(sql, args).fetchall()

    offset = (deep_page - 1) * PER_PAGE
    raw_results = {
        # The list shows active customers unless told otherwise: so do these.
        "first page": timed(raw(
            f"SELECT {cols} FROM customer WHERE status = 'active' ORDER BY sort_key, id LIMIT ?",
            (PER_PAGE,))),
        f"page {deep_page:,} (jump)": timed(raw(
            f"SELECT {cols} FROM customer WHERE status = 'active' ORDER BY sort_key, id "
            "LIMIT ? OFFSET ?", (PER_PAGE, offset))),
        "search 'smi'": timed(raw(
            f"SELECT {cols} FROM customer WHERE status = 'active' AND ("
            "(name_key >= 'smi' AND name_key < 'smj') OR (sort_key >= 'smi' AND sort_key < 'smj')) "
            "ORDER BY sort_key, id LIMIT ?", (PER_PAGE,))),
    }
    boundary = con.execute("SELECT sort_key, id FROM customer WHERE status = 'active' "
                           "ORDER BY sort_key, id LIMIT 1 OFFSET ?", (offset - 1,)).fetchone()
    raw_results[f"page {deep_page:,} (Next link)"] = timed(raw(
        f"SELECT {cols} FROM customer WHERE status = 'active' AND (sort_key, id) > (?, ?) "
        "ORDER BY sort_key, id LIMIT ?",
        (*boundary, PER_PAGE)))
    con.close()
    from core.db import db

    with app.app_context():
        db.engine.dispose()
    return {k: (v, raw_results[k]) for k, v in results.items()}


def _next_link(html: str) -> str | None:
    import re

    match = re.search(r'<a href="([^"]+)" rel="next"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def main():
    workdir = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="regulars-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    small, big = workdir / "small" / "shop.db", workdir / "big" / f"shop-{BIG}.db"
    for path, count in ((small, SMALL), (big, BIG)):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            build_shop(path, count)
            console.print(f"Loaded {count:,} customers in {time.perf_counter() - start:.1f} s ({path})")
    deep = DEEP_PAGE if BIG >= DEEP_PAGE * PER_PAGE else max(2, BIG // PER_PAGE - 1)
    small_results = measure(small, 2)
    big_results = measure(big, deep)
    first_big = big_results["first page"][0][0]

    table = Table(title=f"Customers list, SQLite, median (p95) ms over {REPEAT} requests")
    for col in ("figure", f"{SMALL} customers", f"{BIG:,} customers", f"vs {SMALL}",
                "vs first page", "raw SQL", "vs raw SQL"):
        table.add_column(col, justify="right" if col != "figure" else "left")
    for name, ((med, p95), (raw_med, _)) in big_results.items():
        base_name = name if name in small_results else next(
            (k for k in small_results if k.split(" (")[-1] == name.split(" (")[-1] and k.startswith("page")),
            "first page")
        small_med = small_results[base_name][0][0]
        table.add_row(name, f"{small_med:.1f}", f"{med:.1f} ({p95:.1f})", f"{med / small_med:.2f}x",
                      f"{med / first_big:.2f}x", f"{raw_med:.2f}", f"{med / raw_med:.1f}x")
    console.print(table)


if __name__ == "__main__":
    main()
