"""Background tasks at work: how many tasks a second go through one worker process and two
(enqueue → done), and how long a committed task waits before a worker starts it.

Builds a shop (real migrations) on SQLite, and on PostgreSQL when BENCH_PG_URL names a server
we may create a database on. Enqueues BENCH_TASKS no-op tasks in one transaction, starts real
``regulars worker`` processes and reads the rate from the tasks' own start and finish times
(worker start-up excluded). Beside it, the raw database operation: the same claim and finish
statements run in a loop by one connection, with no task code around them. Then the latency:
BENCH_LATENCY tasks enqueued one at a time with a worker idle, from the commit to the worker's
claim (median and p95); on PostgreSQL a NOTIFY wakes the worker, on SQLite it polls every
TASKS_POLL_INTERVAL seconds (0.25 by default; BENCH_POLL sets it here).

    make bench                                            # or: .venv/bin/python bench/tasks.py
    BENCH_PG_URL=postgresql://u:p@127.0.0.1/postgres BENCH_SKIP_SQLITE=1 .venv/bin/python bench/tasks.py
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.sdk import task  # noqa: E402

TASKS = int(os.environ.get("BENCH_TASKS", "2000"))
LATENCY = int(os.environ.get("BENCH_LATENCY", "40"))
POLL = os.environ.get("BENCH_POLL", "0.25")


@task("bench.noop")
def noop(n: int = 0) -> None:
    """Nothing at all: what is measured is the queue itself."""


def make_app(url: str, instance: str):
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
    os.environ["REGULARS_INSTANCE_PATH"] = instance
    from core.app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TASKS_EAGER": False})


def migrate(app) -> None:
    from core.cli import upgrade_all

    with app.app_context():
        upgrade_all()


def start_workers(url: str, instance: str, count: int, *args: str) -> list[subprocess.Popen]:
    env = {**os.environ, "REGULARS_DATABASE_URL": url, "REGULARS_INSTANCE_PATH": instance,
           "REGULARS_SECRET_KEY": "bench", "REGULARS_TASKS_POLL_INTERVAL": POLL}
    return [subprocess.Popen([sys.executable, __file__, "worker", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def clear(app) -> None:
    from sqlalchemy import delete

    from core.db import db, write_transaction
    from core.models.tasks import Task

    with app.app_context(), write_transaction():
        db.session.execute(delete(Task))


def throughput(app, url: str, instance: str, workers: int) -> float:
    """Tasks per second through ``workers`` worker processes, from the first claim to the last
    finish."""
    from sqlalchemy import func, select

    from core import tasks
    from core.db import db, write_transaction
    from core.models.tasks import Task

    clear(app)
    with app.app_context(), write_transaction():
        for n in range(TASKS):
            tasks.enqueue("bench.noop", {"n": n})
    for process in start_workers(url, instance, workers, "--until-idle"):
        process.wait(timeout=600)
    with app.app_context():
        first, last, done = db.session.execute(
            select(func.min(Task.started_at), func.max(Task.finished_at), func.count())
            .where(Task.state == "done")).one()
    if done != TASKS:
        raise SystemExit(f"only {done} of {TASKS} tasks finished")
    return TASKS / max((last - first).total_seconds(), 1e-6)


def raw_rate(app) -> float:
    """The same claim and finish, as bare SQL from one connection: the floor."""
    from sqlalchemy import text

    from core.db import db, utcnow

    clear(app)
    from core import tasks
    from core.db import write_transaction

    with app.app_context(), write_transaction():
        for n in range(TASKS):
            tasks.enqueue("bench.noop", {"n": n})
    sqlite = app.config["DATABASE_URL"].startswith("sqlite")
    lock = "" if sqlite else " FOR UPDATE SKIP LOCKED"
    with app.app_context(), db.engine.connect() as conn:
        started = time.perf_counter()
        for _ in range(TASKS):
            with conn.begin():
                if not sqlite:  # as the worker's own bookkeeping does
                    conn.execute(text("SET LOCAL synchronous_commit = off"))
                task_id = conn.execute(text(
                    "SELECT id FROM task WHERE state = 'queued' AND run_at <= :now "
                    f"ORDER BY priority, run_at, id LIMIT 1{lock}"), {"now": utcnow()}).scalar()
                conn.execute(text("UPDATE task SET state = 'running', attempts = attempts + 1 "
                                  "WHERE id = :id"), {"id": task_id})
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SET LOCAL synchronous_commit = off"))
                conn.execute(text("UPDATE task SET state = 'done', finished_at = :now "
                                  "WHERE id = :id"), {"id": task_id, "now": utcnow()})
        return TASKS / (time.perf_counter() - started)


def latency(app, url: str, instance: str) -> list[float]:
    """Milliseconds from the commit of an enqueue to a worker's claim, one task at a time."""
    from sqlalchemy import select

    from core import tasks
    from core.db import db, utcnow, write_transaction
    from core.models.tasks import Task

    clear(app)
    [worker] = start_workers(url, instance, 1)
    try:
        time.sleep(4)  # let it start and go idle
        waits = []
        for n in range(LATENCY):
            with app.app_context():
                with write_transaction():
                    task_id = tasks.enqueue("bench.noop", {"n": n}).id
                committed = utcnow()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    started = db.session.execute(select(Task.started_at).where(
                        Task.id == task_id, Task.state == "done")).scalar()
                    db.session.rollback()
                    if started is not None:
                        break
                    time.sleep(0.005)
                else:
                    raise SystemExit(f"task {task_id} did not start within 10 s")
            waits.append(max(0.0, (started - committed).total_seconds() * 1000))
            time.sleep(random.uniform(0.05, 0.6))  # land anywhere in the worker's poll
        return waits
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def bench(label: str, url: str, instance: str) -> None:
    from rich.console import Console
    from rich.table import Table

    app = make_app(url, instance)
    migrate(app)
    raw = raw_rate(app)
    one = throughput(app, url, instance, 1)
    two = throughput(app, url, instance, 2)
    waits = latency(app, url, instance)
    table = Table(title=f"Background tasks on {label} ({TASKS:,} no-op tasks)")
    for column in ("figure", "Regulars", "raw database operation", "ratio"):
        table.add_column(column)
    table.add_row("tasks/s, one worker", f"{one:,.0f}", f"{raw:,.0f} (claim + finish SQL)",
                  f"{raw / one:.1f}×")
    table.add_row("tasks/s, two workers", f"{two:,.0f}", f"{raw:,.0f}", f"{raw / two:.1f}×")
    median = statistics.median(waits)
    p95 = sorted(waits)[max(0, int(len(waits) * 0.95) - 1)]
    floor = "NOTIFY on commit" if label == "PostgreSQL" else f"poll every {POLL} s"
    table.add_row("commit → worker starts, median (p95) ms", f"{median:.1f} ({p95:.1f})", floor,
                  "")
    Console(width=140).print(table)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        from core.cli import main as cli

        cli(sys.argv[1:])
        return
    with tempfile.TemporaryDirectory() as folder:
        if not os.environ.get("BENCH_SKIP_SQLITE"):
            bench("SQLite", f"sqlite:///{folder}/bench.db", folder)
        pg = os.environ.get("BENCH_PG_URL")
        if pg:
            import sqlalchemy as sa

            name = f"regulars_bench_tasks_{os.getpid()}"
            admin_url = pg.replace("postgresql://", "postgresql+psycopg://", 1)
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                bench("PostgreSQL", sa.engine.make_url(admin_url).set(database=name)
                      .render_as_string(hide_password=False), folder)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
