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

Besides the app, its users and signed-in clients, the kit does what staff do to customers
through the core's services, so a plugin's tests need no URL of the core: ``make_customer``,
``erase_customer``, ``export_customer``, ``merge_customers``, ``import_csv``; and for jobs,
``run_job`` (what a job does) and ``scheduled_job`` (when it runs).

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
    # SQLite cannot reflect the core's expression index on customers' birthdays and warns
    # whenever a test compares the schema with the models: the core's concern, not the plugin's.
    config.addinivalue_line("filterwarnings", "ignore:.*expression-based index '?ix_customer_birthday")
    # The core's customer forms (and Flask-AppBuilder's) pass SelectField choices as
    # (value, label) tuples, which WTForms 3.3 warns about on every form; SelectChoice, the
    # replacement, does not exist before 3.3, and Regulars pins WTForms <3.4 (pyproject.toml)
    # until neither passes tuples. The core's concern, not the plugin's. (The warning names
    # WTForms, not the form: a plugin's own tuple choices are silenced with it.)
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning")


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


# -- what staff do to customers: erase, export, merge, import ---------------------------------
#
# Each goes through the core's service, as its screen and its API endpoint do (same checks,
# same transaction, same hooks), so a plugin's test needs no URL or form field of the core.


def _actor(request, app, username):
    """The user called ``username`` (None: the system), signing up the built-in roles' users
    first when needed."""
    if username is None:
        return None
    from core.db import db

    sm = app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        request.getfixturevalue("users")
        db.session.rollback()  # a fresh read: SQLite showed this session the database before
        user = sm.find_user(username=username)
    if user is None:
        raise LookupError(f"No user {username!r}; the users fixture signs up "
                          + ", ".join(r.lower() for r in ROLES))
    return user


def _customer(customer_id):
    from core.services import customers

    return customers.get(customer_id)


@pytest.fixture
def erase_customer(request, make_app):
    """``erase_customer(customer_id, actor=None, app=None)``: erase the customer's personal
    data for good, as the Erase screen (``POST /customers/<id>/erase``) and ``POST
    /api/v1/customers/<id>/erase`` do, in one transaction: the core's fields and parts, every
    installed plugin's personal ``CustomerField`` values, and each plugin's
    ``customer_erasing(customer, actor)``, disabled plugins' too.

    ``actor``: the username the hooks get as ``actor`` (``"admin"``, or any user of
    ``users``); None, the default, for the system. Raises ValidationError when the erasure is
    refused (already erased, a plugin's hook refused, a plugin that cannot run); then nothing
    is erased."""

    def erase(customer_id, actor=None, app=None):
        from core.db import db
        from core.services import privacy

        app = app or request.getfixturevalue("app")
        with app.app_context():
            try:
                privacy.erase(_customer(customer_id), actor=_actor(request, app, actor))
            finally:
                db.session.remove()

    return erase


@pytest.fixture
def export_customer(request, make_app):
    """``export_customer(customer_id, actor=None, app=None) -> dict``: the customer's data
    export as the customer receives it (``GET /customers/<id>/export.json``, or the
    ``"result"`` of ``GET /api/v1/customers/<id>/export``), the JSON document parsed: dates,
    times and Decimals are text. A plugin's ``CustomerField`` values are in
    ``data["customer"]``, its ``customer_export`` section in ``data["plugins"][section]``.
    Identity numbers are masked; the export is written to the audit trail, by ``actor`` (a
    username; None: the system)."""

    def export(customer_id, actor=None, app=None):
        import json

        from core.db import db
        from core.services import exporter

        app = app or request.getfixturevalue("app")
        with app.app_context():
            try:
                data = exporter.export_customer(_customer(customer_id),
                                                actor=_actor(request, app, actor))
                return json.loads(exporter.as_json(data))
            finally:
                db.session.remove()

    return export


@pytest.fixture
def merge_customers(request, make_app):
    """``merge_customers(survivor_id, merged_id, choices=None, actor=None, app=None)``: merge
    the second customer into the first, as the merge screen (``POST
    /duplicates/merge/<survivor>/<merged>``) does, in one transaction; returns the survivor's
    id.

    ``choices`` maps a field, the core's (``"email"``) or a plugin's ``CustomerField``
    (``"stamp_card_note"``), to ``"survivor"`` or ``"merged"``: whose value the survivor
    keeps (the screen's ``choice_<field>`` radio buttons). A field left out keeps the
    survivor's value, or the merged record's where the survivor has none. Every plugin's
    ``customer_merging(survivor, merged, actor)`` runs, disabled plugins' too; ``actor`` is a
    username (None: the system). Raises ValidationError when the merge is refused."""

    def merge(survivor_id, merged_id, choices=None, actor=None, app=None):
        from core.db import db
        from core.services import merge as merge_service

        app = app or request.getfixturevalue("app")
        with app.app_context():
            try:
                survivor = merge_service.merge(
                    _customer(survivor_id), _customer(merged_id), dict(choices or {}),
                    actor=_actor(request, app, actor))
                return survivor.id
            finally:
                db.session.remove()

    return merge


@pytest.fixture
def import_csv(request, make_app):
    """``import_csv(text, mapping=None, key="number", dry_run=False, actor=None, app=None)``:
    import a CSV file (``text``: str or UTF-8 bytes, the header row first) as the Import
    screen does once its dry run is confirmed, and return its report (``ImportResult``):
    ``.rows``, ``.created``, ``.updated``, ``.unchanged``, ``.created_ids``, ``.failed`` and
    ``.errors`` (each ``.row``, the spreadsheet's row number with the header as row 1,
    ``.column`` and ``.message``), ``.columns`` (what each column filled, or why not).

    ``mapping`` maps a column's header to the field it fills (``""`` leaves it out); by
    default it is guessed as the screen guesses it (a column headed like a field's name or
    label fills it, a plugin's ``CustomerField`` included). ``key`` (``"number"`` or
    ``"email"``) matches rows to existing customers, who are updated with the row's non-empty
    cells; the rest are created. A row with a bad cell is reported and not written; a mapping
    that cannot work raises ValidationError."""

    def run(text, mapping=None, key="number", dry_run=False, actor=None, app=None):
        from core.db import db
        from core.services import importer

        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        app = app or request.getfixturevalue("app")
        with app.app_context():
            try:
                return importer.import_csv(data, mapping=mapping, key=key, dry_run=dry_run,
                                           actor=_actor(request, app, actor))
            finally:
                db.session.remove()

    return run


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


def _scheduled(app, job_id):
    """The scheduler ``regulars scheduler`` would build for ``app`` (not started), and its job
    ``job_id``; LookupError naming the known ids when there is none."""
    from core import scheduler

    clock = scheduler.build(app)
    job = clock.get_job(job_id)
    if job is None:
        known = ", ".join(sorted(j.id for j in clock.get_jobs())) or "none"
        raise LookupError(f"No scheduled job {job_id!r}; the jobs are: {known}")
    return clock, job


@pytest.fixture
def scheduled_job(request, make_app):
    """``scheduled_job(job_id, app=None)``: the APScheduler job that ``register_jobs`` added
    under ``job_id``, as the scheduler holds it, to test *when* a job runs (``run_job`` tests
    what it does). Nothing runs.

    ``job.trigger`` is the trigger (``str(job.trigger) == "cron[hour='8']"``; a cron
    trigger's ``.timezone`` is the shop's, ``BABEL_DEFAULT_TIMEZONE``); ``job.next_run_time``
    is when it falls due next, from now, an aware datetime in the shop's zone. A cron
    trigger's fields below the smallest one given are 0: ``hour=8`` is 08:00:00 every day.
    Raises LookupError for an unknown id, naming the known ones."""

    def find(job_id, app=None):
        app = app or request.getfixturevalue("app")
        clock, _job = _scheduled(app, job_id)
        # Started paused, the scheduler works out each job's next run time and runs nothing.
        clock.start(paused=True)
        try:
            return clock.get_job(job_id)
        finally:
            clock.shutdown(wait=False)

    return find


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
        _scheduled(app, job_id)  # declares every job's task
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
