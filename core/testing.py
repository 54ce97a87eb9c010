"""The Regulars test kit: pytest fixtures for testing Regulars and its plugins.

Installed with Regulars as a pytest plugin (entry point ``pytest11``, name ``regulars``), so
every test suite in an environment where Regulars is installed gets these fixtures without a
conftest.py::

    def test_the_greetings_tab_shows(admin_client, make_customer):
        customer_id = make_customer(first_name="Sam")
        assert admin_client.get(f"/hello/customers/{customer_id}/tab").status_code == 200

Each test gets its own migrated database: a copy of a template that is migrated once per test
session (the core and every installed plugin, as ``regulars db upgrade`` would), on SQLite by
default and on PostgreSQL too when ``REGULARS_TEST_PG_URL`` names a server the tests may create
databases on (``postgresql://user:password@127.0.0.1/postgres``). Every test that uses the
database then runs once per backend (``[sqlite]``, ``[postgresql]``); the PostgreSQL run is
skipped without the URL, or fails when ``REGULARS_TEST_REQUIRE_PG=1`` (for CI).

The app is built with ``config/testing.py``: CSRF checks off (``WTF_CSRF_ENABLED = False``, so a
test client posts forms without a token), no sign-in throttle, fast password hashing, and
background tasks run in the process right after the commit that enqueued them
(``TASKS_EAGER``). ``make_app(WTF_CSRF_ENABLED=True)`` builds one with CSRF on.

Plugin modules that are not installed as distributions (a plugin's tests of a throwaway
module, say) are added for every test with the ini option ``regulars_plugins`` (module names,
one per line) or ``--regulars-plugin MODULE``.

Nothing here imports the Flask app when pytest starts: pytest loads this plugin in every run
in the environment, so the core is imported inside the fixtures that need it. ``-p
no:regulars`` switches the kit off.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import uuid
from importlib import import_module

import pytest

PASSWORD = "correct horse battery staple"
"""The password of every user the ``users`` fixture signs up."""

ROLES = ("Admin", "Manager", "Cashier", "Accounts", "ReadOnly")
"""The built-in roles, one user each in ``users`` (username: the role in lower case)."""

BACKENDS = ["sqlite", "postgresql"]

_counter = itertools.count()


class JobSkipped(Exception):
    """``run_job`` did not run the job because its plugin is not active (disabled, or missing
    something it requires), as the scheduler skips it."""


# -- pytest hooks ------------------------------------------------------------------------------


def pytest_addoption(parser):
    group = parser.getgroup("regulars", "Regulars test kit")
    group.addoption("--regulars-plugin", action="append", default=[], metavar="MODULE",
                    dest="regulars_plugins",
                    help="Register this plugin module in every test app (repeatable), for "
                         "plugins that are not installed as distributions.")
    parser.addini("regulars_plugins", type="linelist", default=[],
                  help="Plugin modules (importable names) registered in every test app.")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only: behaviour that only exists on SQLite (skipped on PostgreSQL)")


# -- settings -------------------------------------------------------------------------------


def _pg_url() -> str:
    return os.environ.get("REGULARS_TEST_PG_URL", "")


def _require_pg() -> bool:
    return os.environ.get("REGULARS_TEST_REQUIRE_PG") == "1"


def _pg(url: str) -> str:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _pg_admin_engine():
    import sqlalchemy as sa

    return sa.create_engine(_pg(_pg_url()), isolation_level="AUTOCOMMIT")


def _pg_url_for(dbname: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(_pg(_pg_url())).set(database=dbname).render_as_string(
        hide_password=False)


def _create(config: dict, extra_plugins, instance=None):
    """An app with config/testing.py plus ``config``; ``instance``: its instance folder for
    this call only (else the one ``REGULARS_INSTANCE_PATH`` names)."""
    from config import testing

    from core.app import create_app

    merged = {k: getattr(testing, k) for k in dir(testing) if k.isupper()}
    merged.update(config)
    if instance is None:
        return create_app(merged, extra_plugins=extra_plugins)
    previous = os.environ.get("REGULARS_INSTANCE_PATH")
    os.environ["REGULARS_INSTANCE_PATH"] = str(instance)
    try:
        return create_app(merged, extra_plugins=extra_plugins)
    finally:
        if previous is None:
            os.environ.pop("REGULARS_INSTANCE_PATH", None)
        else:
            os.environ["REGULARS_INSTANCE_PATH"] = previous


def _migrate(app) -> None:
    from core.cli import upgrade_all
    from core.db import db

    with app.app_context():
        upgrade_all()
        db.session.remove()
        db.engine.dispose()


def _combine(given, extra) -> tuple:
    """The session's plugin modules plus those one app is given, each once."""
    modules = list(given)
    for module in extra:
        if not any(module is m for m in modules):
            modules.append(module)
    return tuple(modules)


# -- configuration fixtures -------------------------------------------------------------------


@pytest.fixture(scope="session")
def regulars_plugins(pytestconfig):
    """Plugin modules registered in every test app (and in the template database's
    migrations), for plugins that are not installed as distributions: the modules named by the
    ini option ``regulars_plugins`` and ``--regulars-plugin``. Override this session-scoped
    fixture in a conftest.py to return modules of your own. Installed plugins (entry point
    ``regulars.plugins``) need nothing: they are always found."""
    names = list(pytestconfig.getini("regulars_plugins")) + list(
        pytestconfig.getoption("regulars_plugins") or [])
    return tuple(import_module(name) for name in dict.fromkeys(names))


@pytest.fixture(scope="session")
def regulars_config():
    """Settings added to ``config/testing.py`` for every test app and the template database
    (default: none). Override this session-scoped fixture in a conftest.py, e.g. to give your
    plugin's required settings: ``{"PLUGIN_SALES_CURRENCY": "EUR"}``."""
    return {}


# -- databases --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, regulars_plugins, regulars_config):
    """The path of a SQLite database migrated once per session (the core and every installed
    plugin); ``database_url`` copies it for each test."""
    folder = tmp_path_factory.mktemp("template-sqlite")
    path = folder / "template.db"
    app = _create({**regulars_config, "DATABASE_URL": f"sqlite:///{path}"}, regulars_plugins,
                  instance=folder / "instance")
    _migrate(app)
    return path


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory, regulars_plugins, regulars_config):
    """The name of a PostgreSQL database migrated once per session, the template of each
    test's database. Skips without ``REGULARS_TEST_PG_URL`` (fails with
    ``REGULARS_TEST_REQUIRE_PG=1``); dropped at the end of the session."""
    import sqlalchemy as sa

    if not _pg_url():
        if _require_pg():
            pytest.fail("REGULARS_TEST_REQUIRE_PG=1 but REGULARS_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL not configured (set REGULARS_TEST_PG_URL)")
    name = f"regulars_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        app = _create({**regulars_config, "DATABASE_URL": _pg_url_for(name)}, regulars_plugins,
                      instance=tmp_path_factory.mktemp("template-pg") / "instance")
        _migrate(app)
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """The URL of a fresh, migrated database for this test: a copy of the session's template.
    Parametrised over SQLite and PostgreSQL; a test marked ``sqlite_only`` skips PostgreSQL."""
    import sqlalchemy as sa

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


# -- the app ----------------------------------------------------------------------------------


@pytest.fixture
def make_app(database_url, tmp_path, regulars_plugins, regulars_config):
    """``make_app(extra_plugins=(), **config)``: build an app on this test's database, with
    ``config/testing.py`` plus ``config`` (``make_app(WTF_CSRF_ENABLED=True)``) and
    ``extra_plugins`` (plugin modules to register besides the installed ones). Call it twice
    for two processes sharing one database. Each app's connections are closed after the test."""
    apps = []

    def factory(extra_plugins=(), **config):
        os.environ["REGULARS_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = _create({**regulars_config, "DATABASE_URL": database_url, **config},
                      _combine(regulars_plugins, extra_plugins))
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
    """The Regulars app of this test, on its own migrated database (``make_app()``)."""
    return make_app()


@pytest.fixture
def ctx(app):
    """``app`` with an app context pushed for the whole test (use the database directly)."""
    with app.app_context():
        yield app


# -- people -----------------------------------------------------------------------------------


@pytest.fixture
def users(app):
    """One user per built-in role, signed up with ``PASSWORD``: ``users["Admin"]``,
    ``users["Manager"]``, ``users["Cashier"]``, ``users["Accounts"]``, ``users["ReadOnly"]``
    are their ids; each user's name is the role in lower case (``"readonly"``)."""
    from core.cli import ensure_user

    made = {}
    with app.app_context():
        for role in ROLES:
            user = ensure_user(role.lower(), PASSWORD, f"{role.lower()}@example.com", role,
                               "User", role)
            made[role] = user.id
    return made


def login(client, username, password=PASSWORD):
    """Sign ``client`` (``app.test_client()``) in as ``username`` and return it; fails the
    test when the sign-in is refused."""
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def admin_client(app, users):
    """A test client signed in as the administrator (``admin``)."""
    return login(app.test_client(), "admin")


@pytest.fixture
def client_for(app, users):
    """``client_for(role)``: a test client signed in as the user of that built-in role
    (``client_for("Cashier")``)."""

    def make(role):
        return login(app.test_client(), role.lower())

    return make


@pytest.fixture
def api_token(app, users):
    """``api_token(role="Admin")``: a JWT for the REST API (``Authorization: Bearer ...``),
    from ``/api/v1/security/login``."""

    def token(role="Admin"):
        response = app.test_client().post("/api/v1/security/login", json={
            "username": role.lower(), "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return token


# -- factories --------------------------------------------------------------------------------


@pytest.fixture
def make_customer(app):
    """``make_customer(**fields)``: create a customer through the core's service and return
    its id. Defaults: first name Alex, a numbered last name and email address; any customer
    field may be given (``make_customer(first_name="Sam", date_of_birth="1990-05-04")``)."""
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


# -- plugins, jobs and tasks ------------------------------------------------------------------


def _switch_plugin(request, name, enabled, app=None):
    from core.services import plugins

    app = app or request.getfixturevalue("app")
    with app.app_context():
        plugins.set_enabled(name, enabled)


@pytest.fixture
def enable_plugin(request, make_app):
    """``enable_plugin(name, app=None)``: switch a plugin on, as the Plugins page does (checks
    what it requires, upgrades its migrations); raises ValidationError when it is refused.
    Acts on ``app`` unless given another; every app on the test's database sees the change.
    Installed plugins start enabled."""

    def enable(name, app=None):
        _switch_plugin(request, name, True, app)

    return enable


@pytest.fixture
def disable_plugin(request, make_app):
    """``disable_plugin(name, app=None)``: switch a plugin off, as the Plugins page does (its
    tabs, menus, URLs and jobs go; its data stays); raises ValidationError when an enabled
    plugin requires it."""

    def disable(name, app=None):
        _switch_plugin(request, name, False, app)

    return disable


@pytest.fixture
def run_job(request, make_app):
    """``run_job(job_id, app=None)``: run a scheduled job now, the way it runs when it falls
    due (the scheduler enqueues its task ``scheduled:<job id>`` and a worker runs it in an app
    context of its own), and return what the job returned, or raise what it raised.

    ``job_id`` is the id given to ``scheduler.add_job`` (default ``"<plugin>.<function
    name>"``). Raises LookupError for an unknown id (naming the known ones) and ``JobSkipped``
    while the job's plugin is not active, as the scheduler would skip it."""

    def run(job_id, app=None):
        from core import scheduler, tasks
        from core.db import db, write_transaction

        app = app or request.getfixturevalue("app")
        clock = scheduler.build(app)  # declares every job's task
        if clock.get_job(job_id) is None:
            known = ", ".join(sorted(j.id for j in clock.get_jobs())) or "none"
            raise LookupError(f"No scheduled job {job_id!r}; the jobs are: {known}")
        name = scheduler.job_task_name(job_id)
        definition = tasks.registered(name)
        outcome: dict = {}

        def observed(*args, **kwargs):
            try:
                outcome["result"] = definition.func(*args, **kwargs)
            except BaseException as exc:
                outcome["error"] = exc
                raise
            return outcome["result"]

        with app.app_context():
            host = app.extensions["regulars.plugins"]
            host.refresh(db.session, force=True)
            if definition.plugin != "core" and not host.is_active(definition.plugin):
                reason = host.inactive_reason(definition.plugin)
                db.session.remove()
                raise JobSkipped(f"{job_id}: plugin {definition.plugin} is not active ({reason})")
            tasks._registry[name] = dataclasses.replace(definition, func=observed)
            try:
                with write_transaction():
                    task_id = tasks.enqueue(name).id
                # TASKS_EAGER has run it after the commit; without it, run it here.
                if not outcome:
                    worker = "test:" + tasks.worker_name()
                    row = tasks._claim_one(app, task_id, worker)
                    if row is not None:
                        tasks.execute(app, row, worker)
            finally:
                tasks._registry[name] = definition
                db.session.remove()
        if "error" in outcome:
            raise outcome["error"]
        if "result" not in outcome:
            raise RuntimeError(f"The task of job {job_id} (#{task_id}) did not run")
        return outcome["result"]

    return run


@pytest.fixture
def run_tasks(request, make_app):
    """``run_tasks(app=None, limit=None)``: run every background task that is due now, one
    after another, as a worker would; returns how many ran. (With ``TASKS_EAGER``, on in
    tests, a task already runs right after the commit that enqueued it; this runs those that
    failed and are due again, and any enqueued without a commit of the app's own.)"""

    def run(app=None, limit=None):
        from core import tasks

        app = app or request.getfixturevalue("app")
        return tasks.run_due(app, limit=limit, worker="test:" + tasks.worker_name())

    return run


# -- a real SMTP server on 127.0.0.1 ----------------------------------------------------------


class SmtpServer:
    """An aiosmtpd server on a free port of 127.0.0.1 that keeps what it receives.

    ``messages``: each received email parsed (``email.message_from_bytes``, modern policy);
    ``envelopes``: (sender, recipients) of each; ``refuse(n)``: answer the next ``n`` messages
    with a temporary 451; ``reject(address)``: refuse that recipient for good (550);
    ``use(app)``: point the app's email settings here; ``restart()``: drop every connection,
    same port."""

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
    """A real SMTP server on 127.0.0.1 for this test (see ``core.testing.SmtpServer``);
    ``smtp_server.use(app)`` points the shop's email settings at it. Needs aiosmtpd."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
