"""Outbound email: how many emails a second does one worker hand to a mail server, through the
``core.email.send`` task, compared with smtplib sending the same messages on its own?

Starts an SMTP server (aiosmtpd, in a process of its own) on 127.0.0.1 that accepts everything,
a freshly migrated SQLite shop (or ``BENCH_DATABASE_URL``), stores N emails to N customers from
one template with ``send_email`` in one transaction (timed too), then lets one in-process
``regulars worker`` take every task until none is due. Each task reads its message, sends it
over the connection the worker keeps open (``MAIL_KEEP_CONNECTION``) and records the outcome on
the message and the customer's Activity entry. Beside it: raw smtplib building and sending the
same N messages over one connection (like for like: the ratio printed last), and with a new
connection per message; and N tasks that do nothing, for the task facility's own share.

    .venv/bin/python bench/email_sending.py
    BENCH_EMAIL_COUNT=2000 .venv/bin/python bench/email_sending.py
"""

from __future__ import annotations

import os
import smtplib
import socket
import sys
import tempfile
import time
import types
from email.message import EmailMessage
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNT = int(os.environ.get("BENCH_EMAIL_COUNT", "500"))
console = Console(width=120)


class Sink:
    """An SMTP server that accepts and counts every message."""

    def __init__(self, counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve(port, counter, ready, stop):
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class MailServer:
    """The SMTP server in a process of its own, as a real mail server is: as a thread of this
    process it would compete with the worker for the interpreter lock and slow both down."""

    def __init__(self):
        import multiprocessing

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._counter = multiprocessing.Value("i", 0)
        ready, self._stop = multiprocessing.Event(), multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_serve, args=(self.port, self._counter, ready, self._stop), daemon=True)
        self._process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP server did not start")

    @property
    def received(self) -> int:
        return self._counter.value

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)


def receipts_plugin():
    from core.sdk import EmailTemplateDefault, Placeholder, PluginInfo, hookimpl

    module = types.ModuleType("bench_receipts")
    module.PLUGIN = PluginInfo(name="bench", label="Bench", version="1.0")

    @hookimpl
    def email_templates():
        return EmailTemplateDefault(
            key="bench.receipt", name="Receipt",
            subject="Your receipt {{ sale.number }} from {{ shop.name }}",
            html="<p>Hello {{ customer.first_name }},</p><p>You paid {{ sale.total }}.</p>"
                 "<p>Thank you for shopping with {{ shop.name }}.</p>",
            placeholders={"sale.number": Placeholder("Sale", "S-1"),
                          "sale.total": Placeholder("Total", "£1")})

    module.email_templates = email_templates
    return module


def fresh_app(folder: Path, port: int):
    os.environ["REGULARS_INSTANCE_PATH"] = str(folder / "instance")
    from core.app import create_app
    from core.cli import upgrade_all

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'shop.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "TASKS_EAGER": False, "TASKS_POLL_INTERVAL": 0.05},
                     extra_plugins=[receipts_plugin()])
    with app.app_context():
        upgrade_all()
        from core.services import email

        email.save_settings({"host": "127.0.0.1", "port": str(port), "security": "none",
                             "sender_name": "Corner Shop", "sender_address": "shop@corner.example"})
    return app


def make_customers(app, count: int) -> list[int]:
    from sqlalchemy import insert, select

    from core.db import db, utcnow, write_transaction
    from core.models import Customer

    now = utcnow()
    rows = [{"number": f"B-{i:07d}", "kind": "individual", "first_name": f"Alex{i}",
             "last_name": "Bench", "company_name": "", "email": f"alex{i}@example.com",
             "email_normalized": f"alex{i}@example.com", "status": "active",
             "name_key": f"alex{i} bench", "sort_key": f"bench alex{i}", "created_at": now,
             "updated_at": now, "tax_id": "", "tax_country": "", "registration_number": "",
             "business_type": "", "industry": "", "language": "", "currency": "",
             "contact_email": True, "contact_sms": False, "contact_phone": True,
             "contact_post": False, "go_green": False} for i in range(count)]
    with app.app_context():
        with write_transaction():
            db.session.execute(insert(Customer), rows)
        return list(db.session.execute(select(Customer.id).order_by(Customer.id)).scalars())


def enqueue_all(app, customer_ids) -> float:
    from core.db import write_transaction
    from core.models import Customer
    from core.sdk import db, send_email

    with app.app_context():
        start = time.perf_counter()
        with write_transaction():
            for n, customer_id in enumerate(customer_ids):
                send_email(template="bench.receipt", customer=db.session.get(Customer, customer_id),
                           context={"sale": {"number": f"S-{n:05d}", "total": "£12.50"}})
        return time.perf_counter() - start


def nothing_seconds(app, count: int) -> float:
    """The task facility on its own: ``count`` tasks that do nothing, through the same worker."""
    from core.db import write_transaction
    from core.tasks import enqueue, registered, task

    if registered("bench.nothing") is None:
        task("bench.nothing")(lambda n=0: None)
    with app.app_context():
        with write_transaction():
            for n in range(count):
                enqueue("bench.nothing", {"n": n})
    seconds, done = drain(app)
    assert done == count, done
    return seconds


def drain(app) -> tuple[float, int]:
    from core import tasks

    worker = tasks.Worker(app, name="bench")
    with app.app_context():  # as `regulars worker` runs it
        start = time.perf_counter()
        done = worker.run(until_idle=True)
        return time.perf_counter() - start, done


def sample_messages(count: int) -> list[EmailMessage]:
    messages = []
    for n in range(count):
        mime = EmailMessage()
        mime["Subject"] = f"Your receipt S-{n:05d} from Corner Shop"
        mime["From"] = "Corner Shop <shop@corner.example>"
        mime["To"] = f"alex{n}@example.com"
        mime.set_content(f"Hello Alex{n},\n\nYou paid £12.50.\n")
        mime.add_alternative(f"<p>Hello Alex{n},</p><p>You paid £12.50.</p>", subtype="html")
        messages.append(mime)
    return messages


def raw_seconds(port: int, count: int, one_connection: bool) -> float:
    """smtplib on its own: build each message and send it."""
    start = time.perf_counter()
    messages = sample_messages(count)
    if one_connection:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            for mime in messages:
                client.send_message(mime)
    else:
        for mime in messages:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.ehlo()
                client.send_message(mime)
    return time.perf_counter() - start


def main():
    server = MailServer()
    port = server.port
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = fresh_app(Path(tmp), port)
            ids = make_customers(app, COUNT)
            enqueue_s = enqueue_all(app, ids)
            task_s, done = drain(app)
            assert done == COUNT and server.received == COUNT, (done, server.received)
            with app.app_context():
                from sqlalchemy import func, select

                from core.db import db
                from core.models import EmailMessage

                sent = db.session.execute(select(func.count()).select_from(EmailMessage)
                                          .where(EmailMessage.status == "sent")).scalar()
                dialect = db.engine.dialect.name
            assert sent == COUNT, sent
            nothing_s = nothing_seconds(app, COUNT)
        per_message_s = raw_seconds(port, COUNT, one_connection=False)
        one_connection_s = raw_seconds(port, COUNT, one_connection=True)
    finally:
        server.stop()

    table = Table("step", "seconds", "emails / s", "× raw smtplib time (one connection)",
                  title=f"{COUNT:,} emails to aiosmtpd on 127.0.0.1 ({dialect})")
    for label, seconds in (
            ("send_email (store + enqueue, one transaction)", enqueue_s),
            ("task core.email.send (one worker)", task_s),
            ("(a task that does nothing, same worker)", nothing_s),
            ("raw smtplib, a connection per email", per_message_s),
            ("raw smtplib, one connection for all", one_connection_s)):
        table.add_row(label, f"{seconds:.2f}", f"{COUNT / seconds:,.0f}",
                      f"{seconds / one_connection_s:.2f}")
    console.print(table)
    task_rate, raw_rate = COUNT / task_s, COUNT / one_connection_s
    console.print(f"Email through the task: {task_rate:,.0f} emails/s; raw smtplib over one "
                  f"connection {raw_rate:,.0f} emails/s; ratio {task_rate / raw_rate:.2f} "
                  f"({COUNT / per_message_s:,.0f} emails/s with a connection per email).")


if __name__ == "__main__":
    main()
