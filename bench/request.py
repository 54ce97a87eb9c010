"""The signed-in request: what does a request cost before its handler does anything, and how
close is the till's lookup over HTTP to the SELECT it needs?

Reuses bench/search.py's shop (same database file or PostgreSQL database, built and cached the
same way, 1,000,000 customers unless BENCH_CUSTOMERS says otherwise), brings it to the current
schema, then times through the Flask test client, signed in by a browser session cookie and by
an API token: the API request that does nothing but sign in and fail validation
(GET /api/v1/customers/lookup?q= answers 422), beside the one query the request sends before
its handler (the sign-in, the user and the settings versions, read together); and the till's
lookup by phone and by email, beside the raw indexed SELECT. Also counts the statements each
request sends. Median and p95 in ms, and the ratios.

    .venv/bin/python bench/request.py                  # SQLite, 1,000,000 customers
    BENCH_CUSTOMERS=100000 .venv/bin/python bench/request.py
    BENCH_PG_URL=postgresql://user:pass@127.0.0.1/postgres .venv/bin/python bench/request.py
    BENCH_PG_URL=... BENCH_SKIP_SQLITE=1 BENCH_DIR=/var/tmp/bench .venv/bin/python bench/request.py

BENCH_DIR keeps the SQLite shop between runs (shared with bench/search.py); BENCH_PG_URL names
a server, and the shop's database there is reused as it is. Goal: the failing request costs at
most 1 ms on SQLite and 2 ms on PostgreSQL, with at most one query before its handler.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from list_customers import BIG, REPEAT, console, timed  # noqa: E402
from search import CONFIG, PROBE, build_postgresql, build_sqlite  # noqa: E402

# Sub-millisecond figures need more samples than the list's pages to give a steady median.
FAST_REPEAT = int(os.environ.get("BENCH_FAST_REPEAT", str(max(REPEAT * 10, 300))))
FLOOR_GOAL_MS = {"sqlite": 1.0, "postgresql": 2.0}
FAILING = "/api/v1/customers/lookup?q="
BENCH_USER, BENCH_PASSWORD = "bench", "bench-password"


def _app(url: str, instance: Path):
    os.environ["REGULARS_INSTANCE_PATH"] = str(instance)
    from core.app import create_app

    # API tokens are signed with the secret key: one of a production key's length.
    return create_app({"DATABASE_URL": url, **CONFIG, "SECRET_KEY": "bench-" * 11})


def measure(url: str, instance: Path):
    from sqlalchemy import event, text

    from core.access import _sign_in_statement, _token_user_statement
    from core.cli import upgrade_all
    from core.db import db
    from core.services import sign_in
    from list_customers import FIRST, LAST
    from core.services.normalize import fold

    app = _app(url, instance)
    with app.app_context():
        upgrade_all()  # a shop cached by an earlier run may predate the sign-in tables
        dialect, engine = db.engine.dialect.name, db.engine

    browser = app.test_client()
    assert browser.post("/login/", data={"username": BENCH_USER, "password": BENCH_PASSWORD}
                        ).status_code == 302
    token = app.test_client().post("/api/v1/security/login", json={
        "username": BENCH_USER, "password": BENCH_PASSWORD, "provider": "db"}).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    tokens = app.test_client()

    i = PROBE
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
    email = f"{fold(first).replace(' ', '')}.{fold(last).replace(' ', '').replace(chr(39), '')}{i}@example.com"
    phone, national = f"+4474{i:08d}", f"074{i:08d}"

    def get(client, path, status, headers=None):
        def go():
            response = client.get(path, headers=headers)
            assert response.status_code == status, (path, response.status_code)
        return go

    sent: list[str] = []

    def note(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement)

    def queries(fn) -> int:
        fn()  # this worker's caches warm
        sent.clear()
        event.listen(engine, "before_cursor_execute", note)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return len(sent)

    with app.app_context():
        conn = db.engine.connect()
        user_id = conn.execute(text("SELECT id FROM ab_user WHERE username = :u"),
                               {"u": BENCH_USER}).scalar()
        # The request's one query, as SQL text on a plain connection: the raw operation.
        # The request's one query exactly as the driver receives it: the raw operation.
        sign_in_sql = _sign_in_statement().compile(dialect=db.engine.dialect)
        token_sql = _token_user_statement().compile(dialect=db.engine.dialect)
    row_id = sign_in.key_hash(_cookie_sign_in_key(browser))

    def raw(compiled, **params):
        values = {**compiled.params, **params}
        if compiled.positiontup:  # SQLite: ?, in order
            values = tuple(values[name] for name in compiled.positiontup)
        sql = str(compiled)

        def go():
            assert conn.exec_driver_sql(sql, values).fetchall(), sql
        return go

    indexed = "SELECT id, number, first_name, last_name, email, phone, segment_id FROM customer WHERE "
    figures = [
        ("API request, 422, browser session", get(browser, FAILING, 422),
         raw(sign_in_sql, row_id=row_id, user_id=user_id), "the request's one query", True),
        ("API request, 422, API token", get(tokens, FAILING, 422, bearer),
         raw(token_sql, user_id=user_id), "the request's one query", True),
        ("POS lookup by phone, HTTP, session", get(browser, f"/api/v1/customers/lookup?q={national}", 200),
         lambda: conn.execute(text(indexed + "phone_e164 = :p"), {"p": phone}).fetchall(),
         "indexed SELECT", False),
        ("POS lookup by email, HTTP, session", get(browser, f"/api/v1/customers/lookup?q={email}", 200),
         lambda: conn.execute(text(indexed + "email_normalized = :e"), {"e": email}).fetchall(),
         "indexed SELECT", False),
        ("POS lookup by phone, HTTP, token", get(tokens, f"/api/v1/customers/lookup?q={national}", 200, bearer),
         lambda: conn.execute(text(indexed + "phone_e164 = :p"), {"p": phone}).fetchall(),
         "indexed SELECT", False),
    ]
    found = browser.get(f"/api/v1/customers/lookup?q={national}").get_json()["result"]
    assert [c["email"] for c in found] == [email], found
    results = []
    for name, server, db_op, label, is_floor in figures:
        count = queries(server)
        results.append((name, timed(server, FAST_REPEAT), timed(db_op, FAST_REPEAT), label, count,
                        is_floor))
    conn.close()
    with app.app_context():
        db.engine.dispose()
    return dialect, results


def _cookie_sign_in_key(client) -> str:
    """The sign-in key the browser's session cookie carries."""
    from core.services import sign_in

    with client.session_transaction() as session:
        return session[sign_in.COOKIE_KEY]


def report(title: str, dialect: str, results) -> None:
    table = Table(title=title)
    for col in ("figure", "server median (p95) ms", "queries", "raw database op",
                "raw median ms", "vs raw", "goal"):
        table.add_column(col, justify="left" if col in ("figure", "raw database op", "goal")
                         else "right")
    goal_ms = FLOOR_GOAL_MS.get(dialect, 2.0)
    for name, (med, p95), (raw_med, _), label, count, is_floor in results:
        goal = ""
        if is_floor:
            goal = (f"<= {goal_ms:g} ms, <= 1 query: "
                    + ("met" if med <= goal_ms and count <= 1 else "not met"))
        table.add_row(name, f"{med:.2f} ({p95:.2f})", str(count), label, f"{raw_med:.3f}",
                      f"{med / raw_med:.1f}x" if raw_med else "-", goal)
    console.print(table)


def main():
    workdir = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="regulars-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("BENCH_SKIP_SQLITE"):
        dialect, results = measure(build_sqlite(workdir), workdir / "instance")
        report(f"Signed-in request, SQLite {sqlite3.sqlite_version}, {BIG:,} customers, "
               f"median (p95) over {FAST_REPEAT}", dialect, results)
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        dialect, results = measure(build_postgresql(pg, workdir), workdir / "instance-pg")
        report(f"Signed-in request, PostgreSQL, {BIG:,} customers, median (p95) over "
               f"{FAST_REPEAT}", dialect, results)


if __name__ == "__main__":
    main()
