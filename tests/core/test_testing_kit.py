"""The test kit a plugin's tests import (``core.testing``): pytest finds it by its entry point,
so a plugin author's test file gets the fixtures with no conftest.py of its own.

Each test here runs a small test suite of its own with pytest's ``pytester``, in a folder
that has neither this project's conftest.py nor its pytest settings."""

from __future__ import annotations

import datetime
import os
import textwrap
import types
import zoneinfo
from decimal import Decimal

import pytest

from core.sdk import PluginInfo, ValidationError, hookimpl

pytest_plugins = ["pytester"]

# A plugin as its author writes it, registered through the kit's ini option rather than
# installed: two daily jobs, one that writes and one that fails.
PLUGIN_MODULE = '''
from core.sdk import PluginInfo, find_customers, hookimpl, record_activity, write_transaction

PLUGIN = PluginInfo(name="kitdemo", label="Kit demo", version="1.0")


def greet_everyone():
    with write_transaction():
        customers = find_customers()
        for customer in customers:
            record_activity(customer, "system", "Good morning", source="kitdemo")
    return len(customers)


def broken():
    raise RuntimeError("the stamp printer is out of ink")


@hookimpl
def register_jobs(scheduler):
    scheduler.add_job(greet_everyone, "cron", hour=7, id="kitdemo.greet_everyone")
    scheduler.add_job(broken, "cron", hour=8)


HEARD = []


@hookimpl
def customer_erasing(customer, actor):
    HEARD.append(("erasing", customer.id, actor.username if actor else None))


@hookimpl
def customer_merging(survivor, merged, actor):
    HEARD.append(("merging", survivor.id, merged.id, actor.username if actor else None))


@hookimpl
def customer_export(customer):
    return ("kitdemo", {"heard": len(HEARD)})
'''

PLUGIN_TESTS = '''
import pytest
from sqlalchemy import func, select

from core.sdk import ValidationError
from core.testing import JobSkipped


def activities(app):
    from core.db import Model, db

    table = Model.metadata.tables["activity"]
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(table).where(table.c.source == "kitdemo")).scalar()


def test_a_daily_job_runs_in_one_line_and_its_work_is_committed(app, make_customer, run_job):
    make_customer(first_name="Sam")
    make_customer(first_name="Kim")

    assert run_job("kitdemo.greet_everyone") == 2
    assert activities(app) == 2


def test_a_failing_job_raises_what_it_raised(run_job):
    with pytest.raises(RuntimeError, match="out of ink"):
        run_job("kitdemo.broken")


def test_an_unknown_job_is_named_with_the_known_ones(run_job):
    with pytest.raises(LookupError, match="kitdemo.greet_everyone"):
        run_job("kitdemo.greet")


def test_a_disabled_plugins_job_is_skipped_until_it_is_enabled(app, make_customer, run_job,
                                                              enable_plugin, disable_plugin):
    make_customer()
    disable_plugin("kitdemo")
    with pytest.raises(JobSkipped, match="disabled"):
        run_job("kitdemo.greet_everyone")
    assert activities(app) == 0

    enable_plugin("kitdemo")
    assert run_job("kitdemo.greet_everyone") == 1


def test_enabling_a_plugin_that_is_not_installed_is_refused(enable_plugin):
    with pytest.raises(ValidationError):
        enable_plugin("nosuchplugin")


def test_the_admin_and_each_role_sign_in(admin_client, client_for, make_customer):
    customer_id = make_customer(first_name="Sam", last_name="Smith")

    assert "Sam Smith" in admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert client_for("ReadOnly").get(f"/customers/{customer_id}").status_code == 200
    assert client_for("ReadOnly").get("/plugins/").status_code in (302, 403)


def test_csrf_is_off_so_a_form_posts_without_a_token(admin_client):
    response = admin_client.post("/customers/add", data={
        "kind": "individual", "status": "active", "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com"})

    assert response.status_code == 302


def test_erase_merge_export_and_import_need_no_url(make_customer, erase_customer,
                                                   merge_customers, export_customer,
                                                   import_csv, disable_plugin):
    import kitdemo

    kitdemo.HEARD.clear()
    kept, other, gone = make_customer(), make_customer(), make_customer()
    disable_plugin("kitdemo")                 # its data hooks run all the same
    assert merge_customers(kept, other, actor="manager") == kept
    erase_customer(gone, actor="admin")

    assert kitdemo.HEARD == [("merging", kept, other, "manager"), ("erasing", gone, "admin")]
    assert export_customer(kept)["plugins"]["kitdemo"] == {"heard": 2}
    assert import_csv("first_name,last_name,email\\nKim,Lee,kim@example.com\\n").created == 1


def test_a_jobs_schedule_is_in_the_shops_time_zone(make_app, scheduled_job):
    app = make_app(BABEL_DEFAULT_TIMEZONE="Pacific/Kiritimati")

    job = scheduled_job("kitdemo.greet_everyone", app=app)

    assert str(job.trigger) == "cron[hour='7']"
    assert (job.next_run_time.hour, job.next_run_time.minute) == (7, 0)
    assert str(job.next_run_time.tzinfo) == "Pacific/Kiritimati"


def test_run_tasks_runs_what_is_due(make_app, run_tasks):
    from core import tasks
    from core.db import write_transaction

    ran = []
    tasks.task("kitdemo.probe")(lambda: ran.append(1))
    app = make_app(TASKS_EAGER=False)
    with app.app_context(), write_transaction():
        tasks.enqueue("kitdemo.probe")
    assert ran == []

    assert run_tasks(app) == 1
    assert ran == [1]
'''


@pytest.fixture
def plugin_suite(pytester, monkeypatch):
    """A plugin author's folder: the plugin module, its tests, and pytest settings naming the
    module in ``regulars_plugins`` (it is not installed)."""
    pytester.makepyfile(kitdemo=PLUGIN_MODULE)
    pytester.makepyfile(test_kitdemo=PLUGIN_TESTS)
    pytester.makeini("[pytest]\nregulars_plugins = kitdemo\n")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    return pytester


def test_a_plugin_suite_gets_every_fixture_from_the_kit_without_a_conftest(plugin_suite):
    assert not list(plugin_suite.path.glob("**/conftest.py"))

    # A process of its own, as a plugin author runs it (and the app's modules and tables
    # are that process's own).
    result = plugin_suite.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")

    # Each test runs on SQLite, and on PostgreSQL too when the URL of a server is given.
    if os.environ.get("REGULARS_TEST_PG_URL"):
        result.assert_outcomes(passed=20)
    else:
        result.assert_outcomes(passed=10, skipped=10)


def test_the_kits_fixtures_are_listed_with_what_they_do(pytester):
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")

    result = pytester.runpytest("--fixtures", "-p", "no:xdist")

    out = result.stdout.str()
    for name in ("database_url", "make_app", "app", "ctx", "users", "admin_client", "client_for",
                 "api_token", "make_customer", "enable_plugin", "disable_plugin", "run_job",
                 "run_tasks", "smtp_server", "regulars_plugins", "regulars_config",
                 "erase_customer", "export_customer", "merge_customers", "import_csv",
                 "scheduled_job"):
        assert f"\n{name} " in out or f"\n{name} [" in out, name
    assert "run a scheduled job now" in out
    assert "fixtures defined from core.testing" in out


def test_the_kit_loads_nothing_of_the_app_when_pytest_starts(pytester):
    """pytest loads the kit in every run in the environment, for any project: it must stay
    cheap until a test asks for an app."""
    pytester.makepyfile(test_light=textwrap.dedent("""
        import sys

        def test_nothing_heavy_is_imported():
            heavy = [m for m in ("flask", "flask_appbuilder", "sqlalchemy", "core.app")
                     if m in sys.modules]
            assert heavy == []
        """))

    result = pytester.runpytest_subprocess("-p", "no:xdist", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_the_sqlite_only_marker_is_registered(pytester):
    pytester.makepyfile(test_marked=textwrap.dedent("""
        import pytest

        @pytest.mark.sqlite_only
        def test_marked():
            pass
        """))

    result = pytester.runpytest("--strict-markers", "-p", "no:xdist")

    result.assert_outcomes(passed=1)


# -- the kit's helpers, tested directly ------------------------------------------------------


def witness():
    """A plugin noting who its data hooks were called by, in ``module.heard``."""
    module = types.ModuleType("throwaway_witness")
    module.PLUGIN = PluginInfo(name="witness", label="Witness", version="1.0")
    module.heard = []

    def customer_erasing(customer, actor):
        module.heard.append(("erasing", customer.id, actor.username if actor else None))

    def customer_merging(survivor, merged, actor):
        module.heard.append(("merging", survivor.id, merged.id, actor.username if actor else None))

    def customer_export(customer):
        return ("witness", {"seen": customer.id, "on": datetime.date(2026, 3, 10),
                            "total": Decimal("12.50")})

    def daily():
        return "ran"

    def register_jobs(scheduler):
        scheduler.add_job(daily, "cron", hour=8, id="witness.daily")
        scheduler.add_job(daily, "interval", minutes=15, id="witness.often")

    for hook in (customer_erasing, customer_merging, customer_export, register_jobs):
        setattr(module, hook.__name__, hookimpl(hook))
    return module


def stored(app, customer_id):
    from core.services import customers
    from core.services.plugin_fields import read

    with app.app_context():
        customer = customers.get(customer_id)
        return customer, read(customer)


def test_erase_customer_erases_through_the_service_and_tells_the_plugins_who(make_app, users,
                                                                            make_customer,
                                                                            erase_customer):
    plugin = witness()
    app = make_app(extra_plugins=[plugin])
    customer_id = make_customer(first_name="Sam", hello_greeting="Hi Sam")

    erase_customer(customer_id, actor="admin", app=app)

    customer, fields = stored(app, customer_id)
    assert (customer.first_name, customer.last_name) == ("", "Erased customer")
    assert customer.erased_at is not None
    assert fields.get("hello_greeting") is None              # a plugin's personal field
    assert plugin.heard == [("erasing", customer_id, "admin")]
    with pytest.raises(ValidationError):                     # an erasure cannot be repeated
        erase_customer(customer_id, app=app)
    assert plugin.heard == [("erasing", customer_id, "admin")]


def test_erase_customer_by_the_system_by_default(make_app, make_customer, erase_customer):
    plugin = witness()
    app = make_app(extra_plugins=[plugin])
    customer_id = make_customer()

    erase_customer(customer_id, app=app)

    assert plugin.heard == [("erasing", customer_id, None)]


def test_an_unknown_actor_is_named(make_customer, erase_customer):
    with pytest.raises(LookupError, match="nobody"):
        erase_customer(make_customer(), actor="nobody")


def test_export_customer_is_the_document_the_customer_gets(make_app, make_customer,
                                                           export_customer):
    app = make_app(extra_plugins=[witness()])
    customer_id = make_customer(first_name="Ada", hello_greeting="Hi Ada")

    data = export_customer(customer_id, app=app)

    assert data["format"] == "regulars.customer-export/1"
    assert data["customer"]["first_name"] == "Ada"
    assert data["customer"]["hello_greeting"] == "Hi Ada"      # a CustomerField, beside the core's
    assert data["plugins"]["witness"] == {"seen": customer_id, "on": "2026-03-10", "total": "12.50"}
    assert isinstance(data["customer"]["created_at"], str)     # parsed JSON: times are text


def test_merge_customers_keeps_the_chosen_values_and_tells_the_plugins_who(
        make_app, users, make_customer, merge_customers):
    plugin = witness()
    app = make_app(extra_plugins=[plugin])
    kept = make_customer(first_name="Sam", email="sam@example.com", hello_greeting="Hi")
    other = make_customer(first_name="Sammy", email="sammy@example.com", hello_greeting="Yo")

    survivor = merge_customers(kept, other, choices={"email": "merged", "hello_greeting": "merged"},
                               actor="manager", app=app)

    assert survivor == kept
    customer, fields = stored(app, kept)
    assert (customer.first_name, customer.email) == ("Sam", "sammy@example.com")
    assert fields["hello_greeting"] == "Yo"
    merged, merged_fields = stored(app, other)
    assert merged.merged_into_id == kept and merged_fields.get("hello_greeting") is None
    assert plugin.heard == [("merging", kept, other, "manager")]
    with pytest.raises(ValidationError):                     # merged away: no second merge
        merge_customers(kept, other, app=app)


def test_import_csv_creates_updates_and_reports_rows(app, make_customer, import_csv):
    make_customer(first_name="Kim", email="kim@example.com")

    report = import_csv("first_name,last_name,email,Preferred greeting\n"
                        "Kim,Lee,kim@example.com,Hey\n"
                        "Bo,Day,bo@example.com,\n"
                        "Al,Bad,not-an-email,\n", key="email")

    assert (report.rows, report.created, report.updated, report.failed) == (3, 1, 1, 1)
    assert [(e.row, e.column) for e in report.errors] == [(4, "email")]
    with app.app_context():
        from core.sdk import find_customers

        found = {c.email: c for c in find_customers()}
        assert set(found) == {"kim@example.com", "bo@example.com"}
        assert stored(app, found["kim@example.com"].id)[1]["hello_greeting"] == "Hey"


def test_import_csv_dry_run_writes_nothing(app, import_csv):
    report = import_csv(b"first_name,last_name\nBo,Day\n", dry_run=True)

    assert report.dry_run and report.rows == 1 and report.failed == 0
    with app.app_context():
        from core.sdk import count_customers

        assert count_customers() == 0


def test_scheduled_job_gives_the_trigger_and_next_run_in_the_shops_zone(make_app, scheduled_job):
    app = make_app(extra_plugins=[witness()], BABEL_DEFAULT_TIMEZONE="Pacific/Kiritimati")

    job = scheduled_job("witness.daily", app=app)

    assert str(job.trigger) == "cron[hour='8']"
    assert {f.name: str(f) for f in job.trigger.fields}["minute"] == "0"
    assert str(job.trigger.timezone) == "Pacific/Kiritimati"
    run = job.next_run_time
    assert (run.hour, run.minute, run.second) == (8, 0, 0)
    assert str(run.tzinfo) == "Pacific/Kiritimati"
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    assert now < run <= now + datetime.timedelta(days=1)
    often = scheduled_job("witness.often", app=app)
    assert often.trigger.interval == datetime.timedelta(minutes=15)


def test_scheduled_job_names_the_known_jobs_for_an_unknown_id(make_app, scheduled_job):
    app = make_app(extra_plugins=[witness()])

    with pytest.raises(LookupError, match="witness.daily"):
        scheduled_job("witness.weekly", app=app)


def test_the_guides_handy_selectors_are_on_the_overview(make_app, users, make_customer):
    from core.sdk import Badge, Tab
    from core.testing import login

    module = types.ModuleType("throwaway_badger")
    module.PLUGIN = PluginInfo(name="badger", label="Badger", version="1.0")
    module.customer_badges = hookimpl(lambda customer: Badge(label="VIP", style="warning",
                                                             title="A regular"))
    module.customer_tabs = hookimpl(lambda customer: Tab(key="badger", label="Badger",
                                                         url="/badger/tab", order=100))
    client = login(make_app(extra_plugins=[module]).test_client(), "admin")

    page = client.get(f"/customers/{make_customer()}").get_data(as_text=True)

    assert '<span class="label label-warning customer-badge" title="A regular">VIP</span>' in page
    assert 'data-tab="badger" data-url="/badger/tab"' in page
