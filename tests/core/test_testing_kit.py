"""The test kit a plugin's tests import (``core.testing``): pytest finds it by its entry point,
so a plugin author's test file gets the fixtures with no conftest.py of its own.

Each test here runs a small test suite of its own with pytest's ``pytester``, in a folder
that has neither this project's conftest.py nor its pytest settings."""

from __future__ import annotations

import os
import textwrap

import pytest

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
        result.assert_outcomes(passed=16)
    else:
        result.assert_outcomes(passed=8, skipped=8)


def test_the_kits_fixtures_are_listed_with_what_they_do(pytester):
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")

    result = pytester.runpytest("--fixtures", "-p", "no:xdist")

    out = result.stdout.str()
    for name in ("database_url", "make_app", "app", "ctx", "users", "admin_client", "client_for",
                 "api_token", "make_customer", "enable_plugin", "disable_plugin", "run_job",
                 "run_tasks", "smtp_server", "regulars_plugins", "regulars_config"):
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
