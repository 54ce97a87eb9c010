"""Test harness: every test gets its own migrated database, on SQLite and on PostgreSQL.

PostgreSQL runs when REGULARS_TEST_PG_URL names a server we may create databases on
(``postgresql://user:pass@127.0.0.1/postgres``); CI sets it and REGULARS_TEST_REQUIRE_PG=1 so a
missing server fails instead of skipping.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
HELLO_DIST = ROOT / "examples" / "hello_plugin"
PG_URL = os.environ.get("REGULARS_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("REGULARS_TEST_REQUIRE_PG") == "1"
BACKENDS = ["sqlite", "postgresql"]

_counter = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: behaviour that only exists on SQLite")


def install_hello_plugin():
    """pip-install the example third-party plugin, as a shop would, once per environment."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("regulars-hello")
        return
    except PackageNotFoundError:
        pass
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "-e", str(HELLO_DIST)],
        check=True,
    )
    import importlib
    import site
    import sysconfig

    importlib.invalidate_caches()
    # An editable install hooks itself in through a .pth file, which Python reads only at
    # start-up; read the new one now so this very test session can import the plugin.
    site.addsitedir(sysconfig.get_paths()["purelib"])


def pytest_sessionstart(session):
    # With pytest-xdist the controller installs it before the workers start; each worker is a
    # fresh interpreter and finds it installed.
    if (HELLO_DIST / "pyproject.toml").exists():
        install_hello_plugin()


# -- databases -------------------------------------------------------------------------------


def _pg_admin_engine():
    return sa.create_engine(_pg(PG_URL), isolation_level="AUTOCOMMIT")


def _pg(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _pg_url_for(dbname: str) -> str:
    return sa.engine.make_url(_pg(PG_URL)).set(database=dbname).render_as_string(hide_password=False)


def _create(config, extra_plugins):
    from config import testing
    from core.app import create_app

    merged = {k: getattr(testing, k) for k in dir(testing) if k.isupper()}
    merged.update(config)
    return create_app(merged, extra_plugins=extra_plugins)


def _migrate(app):
    from core.cli import upgrade_all

    with app.app_context():
        upgrade_all()
        from core.db import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template-sqlite")
    path = folder / "template.db"
    app = _create({"DATABASE_URL": f"sqlite:///{path}"}, ())
    _migrate(app)
    return path


@pytest.fixture(scope="session")
def pg_template():
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("REGULARS_TEST_REQUIRE_PG=1 but REGULARS_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL not configured (set REGULARS_TEST_PG_URL)")
    name = f"regulars_tpl_{os.getpid()}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    app = _create({"DATABASE_URL": _pg_url_for(name)}, ())
    _migrate(app)
    yield name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, migrated database for one test: a copy of the session's template."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "regulars.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("SQLite-only behaviour")
    template = request.getfixturevalue("pg_template")
    name = f"regulars_t_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url_for(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on this test's database (call it twice for two 'worker processes')."""
    apps = []

    def factory(extra_plugins=(), **config):
        os.environ["REGULARS_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = _create({"DATABASE_URL": database_url, **config}, extra_plugins)
        apps.append(app)
        return app

    yield factory
    from core.db import db

    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


# -- people ----------------------------------------------------------------------------------


PASSWORD = "correct horse battery staple"


@pytest.fixture
def users(app):
    """One user per built-in role: users['Admin'], users['ReadOnly'], ..."""
    from core.cli import ensure_user

    made = {}
    with app.app_context():
        for role in ("Admin", "Manager", "Cashier", "Accounts", "ReadOnly"):
            user = ensure_user(role.lower(), PASSWORD, f"{role.lower()}@example.com", role, "User", role)
            made[role] = user.id
    return made


def login(client, username, password=PASSWORD):
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def admin_client(app, users):
    return login(app.test_client(), "admin")


@pytest.fixture
def client_for(app, users):
    def make(role):
        return login(app.test_client(), role.lower())

    return make


@pytest.fixture
def api_token(app, users):
    """A JWT for the API, from FAB's /api/v1/security/login."""

    def token(role="Admin"):
        response = app.test_client().post("/api/v1/security/login", json={
            "username": role.lower(), "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return token


# -- factories -------------------------------------------------------------------------------


@pytest.fixture
def make_customer(app):
    seq = itertools.count(1)

    def make(**fields):
        from core.services import customers

        n = next(seq)
        data = {"first_name": "Alex", "last_name": f"Tester{n}", "email": f"alex{n}@example.com"}
        data.update(fields)
        with app.app_context():
            customer = customers.create(data)
            return customer.id

    return make


# -- a real SMTP server on 127.0.0.1 ---------------------------------------------------------


class SmtpServer:
    """An aiosmtpd server on a free port of 127.0.0.1 that keeps what it receives.

    ``messages``: each received email parsed (``email.message_from_bytes``, modern policy);
    ``refuse(n)``: answer the next ``n`` messages with a temporary 451; ``reject(address)``:
    refuse that recipient for good (550); ``use(app)``: point the app's email settings here;
    ``restart()``: drop every connection, same port."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.attempts = 0
        self._refuse = 0
        self._refuse_reply = ""
        self._rejected: dict[str, str] = {}
        self._controller = None

    @property
    def messages(self):
        import email
        import email.policy

        # As a mail program reads them: the wire's CRLF line ends as plain newlines.
        return [email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
                for raw in self.received]

    def refuse(self, times: int, reply: str = "451 4.3.0 Mailbox busy, try again later") -> None:
        self._refuse, self._refuse_reply = times, reply

    def reject(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        self._rejected[address.lower()] = reply

    def use(self, app, **overrides) -> None:
        from core.services import email as email_service

        settings = {"host": self.host, "port": str(self.port), "security": "none",
                    "sender_name": "Corner Shop", "sender_address": "shop@corner.example"}
        settings.update(overrides)
        with app.app_context():
            email_service.save_settings(settings)

    # aiosmtpd handler hooks (run on the server's own thread)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rejected = self._rejected.get(address.lower())
        if rejected:
            return rejected
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self._refuse > 0:
            self._refuse -= 1
            return self._refuse_reply
        self.received.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def start(self):
        import socket

        from aiosmtpd.controller import Controller

        if not self.port:
            with socket.socket() as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def restart(self):
        """Stop and start again on the same port: every open connection is dropped."""
        self.stop()
        return self.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 for this test (see ``SmtpServer``)."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
