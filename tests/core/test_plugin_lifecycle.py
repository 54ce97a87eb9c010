"""Switching plugins on and off: on the Plugins page, by ``regulars plugins``, seen by every
worker at once without a restart, keeping the plugin's data; and the jobs that follow the switch.

Two app instances on one database stand for two worker processes.
"""

from __future__ import annotations

import logging
import re
import types

import pytest
from sqlalchemy import func, inspect, select

from core.errors import ValidationError
from core.sdk import PluginInfo

PASSWORD = "correct horse battery staple"  # the conftest's users fixture signs them up with it


def sign_in(app, username="admin"):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def throwaway_plugin(name, **info):
    module = types.ModuleType(f"throwaway_{name}")
    module.PLUGIN = PluginInfo(name=name, label=name.title(), version="1.0", **info)
    return module


@pytest.fixture
def customer_id(app):
    """A customer whose preferred greeting (the hello plugin's field) is "Morning, Sam!"."""
    from core.services import customers

    with app.app_context():
        customer = customers.create(
            {"first_name": "Sam", "last_name": "Smith", "email": "sam@example.com"},
            extra={"hello_greeting": "Morning, Sam!"})
        return customer.id


@pytest.fixture
def workers(app, make_app, users):
    """Two workers sharing one database, each with an administrator signed in."""
    return sign_in(app), sign_in(make_app())


def switch(client, name, enabled):
    response = client.post(f"/plugins/{name}/toggle", data={"enabled": "1" if enabled else "0"})
    assert response.status_code == 302


def shows_hello_tab(client, customer_id) -> bool:
    return 'data-tab="hello"' in client.get(f"/customers/{customer_id}").get_data(as_text=True)


def shows_hello_menu(client) -> bool:
    return 'href="/hello/"' in client.get("/customers/").get_data(as_text=True)


def greetings_stored(app) -> int:
    from core.db import db
    from regulars_hello.models import Greeting

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Greeting)).scalar()


# -- across workers, without a restart -------------------------------------------------------


def test_disabling_a_plugin_hides_its_tab_in_another_worker_at_once(workers, customer_id):
    first, second = workers
    assert shows_hello_tab(second, customer_id)

    switch(first, "hello", enabled=False)

    assert not shows_hello_tab(second, customer_id)


def test_disabling_a_plugin_hides_its_menu_item_in_another_worker_at_once(workers):
    first, second = workers
    assert shows_hello_menu(second)

    switch(first, "hello", enabled=False)

    assert not shows_hello_menu(second)


def test_disabling_a_plugin_makes_its_urls_answer_404_in_another_worker_at_once(workers,
                                                                              customer_id):
    first, second = workers
    assert second.get(f"/hello/customers/{customer_id}/tab").status_code == 200

    switch(first, "hello", enabled=False)

    assert second.get(f"/hello/customers/{customer_id}/tab").status_code == 404
    assert second.get("/hello/").status_code == 404


def test_disabling_a_plugin_drops_its_field_from_the_customer_form(workers):
    first, second = workers

    switch(first, "hello", enabled=False)

    assert 'name="hello_greeting"' not in second.get("/customers/add").get_data(as_text=True)


def test_disabling_a_plugin_keeps_its_data(app, workers, customer_id):
    first, _ = workers

    switch(first, "hello", enabled=False)

    assert greetings_stored(app) == 1


def test_enabling_a_plugin_again_brings_back_its_tab_with_its_data(workers, customer_id):
    first, second = workers
    switch(first, "hello", enabled=False)
    assert not shows_hello_tab(second, customer_id)

    switch(first, "hello", enabled=True)

    assert shows_hello_tab(second, customer_id)
    tab = second.get(f"/hello/customers/{customer_id}/tab").get_data(as_text=True)
    assert "Morning, Sam!" in tab


def test_enabling_a_plugin_again_brings_back_its_menu_item(workers):
    first, second = workers
    switch(first, "hello", enabled=False)
    assert not shows_hello_menu(second)

    switch(first, "hello", enabled=True)

    assert shows_hello_menu(second)
    assert second.get("/hello/").status_code == 200


def test_enabling_a_plugin_upgrades_its_migration_branch(app):
    from alembic import command

    from core import migrate
    from core.db import db
    from core.services import plugins

    with app.app_context():
        plugins.set_enabled("hello", False)
        command.downgrade(migrate.alembic_config(), "hello@base")
        db.engine.dispose()
        assert "hello_greeting" not in inspect(db.engine).get_table_names()

        plugins.set_enabled("hello", True)

        db.engine.dispose()
        assert "hello_greeting" in inspect(db.engine).get_table_names()


# -- what may not be switched ----------------------------------------------------------------


def test_disabling_a_plugin_another_enabled_plugin_requires_is_refused(make_app):
    from core.services import plugins

    app = make_app(extra_plugins=[throwaway_plugin("stamps", requires=["hello"])])

    with app.app_context(), pytest.raises(ValidationError) as refused:
        plugins.set_enabled("hello", False)

    assert refused.value.errors == {"name": "stamps requires hello; disable that first."}


def test_plugin_refused_to_be_disabled_stays_enabled(make_app):
    from core.services import plugins

    app = make_app(extra_plugins=[throwaway_plugin("stamps", requires=["hello"])])

    with app.app_context():
        with pytest.raises(ValidationError):
            plugins.set_enabled("hello", False)
        assert app.extensions["regulars.plugins"].is_active("hello")


def test_enabling_a_plugin_whose_required_plugin_is_disabled_is_refused(make_app):
    from core.services import plugins

    app = make_app(extra_plugins=[throwaway_plugin("stamps", requires=["hello"])])
    with app.app_context():
        plugins.set_enabled("stamps", False)
        plugins.set_enabled("hello", False)

        with pytest.raises(ValidationError) as refused:
            plugins.set_enabled("stamps", True)

    assert refused.value.errors == {"name": "stamps requires hello; enable that first."}


def test_plugin_that_could_not_be_loaded_cannot_be_enabled(make_app):
    from core.services import plugins

    app = make_app(extra_plugins=[throwaway_plugin("stamps", core_version=">=5")])

    with app.app_context(), pytest.raises(ValidationError) as refused:
        plugins.set_enabled("stamps", True)

    assert "needs Regulars >=5" in refused.value.errors["name"]


# -- regulars plugins list | enable | disable -----------------------------------------------


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["regulars", "plugins", *args])


def test_cli_lists_installed_plugins_with_version_and_state(app):
    result = run_cli(app, "list")

    assert result.exit_code == 0
    rows = [[cell.strip() for cell in re.split(r"[│|]", line)[1:-1]]
            for line in result.output.splitlines()]
    hello = next(row for row in rows if row and row[0] == "hello")
    assert hello[:4] == ["hello", "1.0.0", "yes", "yes"]  # name, version, enabled, active


def test_cli_disables_a_plugin_for_every_worker(app, make_app):
    other_worker = make_app()

    result = run_cli(app, "disable", "hello")

    assert result.exit_code == 0, result.output
    with other_worker.test_request_context():
        other_worker.preprocess_request()
        assert not other_worker.extensions["regulars.plugins"].is_active("hello")


def test_cli_enables_a_plugin_again(app):
    run_cli(app, "disable", "hello")

    result = run_cli(app, "enable", "hello")

    assert result.exit_code == 0, result.output
    assert app.extensions["regulars.plugins"].is_active("hello")


def test_cli_refuses_to_disable_a_plugin_another_requires(make_app):
    app = make_app(extra_plugins=[throwaway_plugin("stamps", requires=["hello"])])

    result = run_cli(app, "disable", "hello")

    assert result.exit_code == 1
    assert "stamps requires hello" in result.output


def test_cli_says_when_no_such_plugin_is_installed(app):
    result = run_cli(app, "enable", "nosuchplugin")

    assert result.exit_code == 1
    assert "No plugin called nosuchplugin is installed." in result.output


# -- scheduled jobs --------------------------------------------------------------------------


def hello_job(app):
    from core import scheduler

    return scheduler.build(app).get_job("hello.birthdays")


def test_scheduler_holds_the_hello_job_daily_at_eight_shop_time(make_app):
    job = hello_job(make_app(BABEL_DEFAULT_TIMEZONE="Pacific/Kiritimati"))

    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["day"]) == ("8", "0", "*")
    assert str(job.trigger.timezone) == "Pacific/Kiritimati"


def test_hello_job_runs_as_a_task_of_the_plugin_while_hello_is_enabled(app, make_customer):
    from core.sdk import shop_today

    with app.app_context():
        born = shop_today().replace(year=1992)
    birthday = make_customer(first_name="Bea", date_of_birth=born.isoformat())
    job = hello_job(app)

    task_id = job.func()  # the clock enqueues the job's task; the suite runs it at once

    with app.app_context():
        from core.db import db
        from core.models import Activity
        from core.models.tasks import Task

        task = db.session.get(Task, task_id)
        assert (task.name, task.plugin, task.state) == (
            "scheduled:hello.birthdays", "hello", "done")
        subjects = db.session.execute(select(Activity.subject).where(
            Activity.customer_id == birthday, Activity.source == "hello")).scalars().all()
    assert subjects == ["Birthday greeting due"]


def test_hello_job_is_skipped_while_hello_is_disabled(app, make_app, customer_id, caplog):
    job = hello_job(app)
    with make_app().app_context():  # switched off elsewhere, after the scheduler started
        from core.services import plugins

        plugins.set_enabled("hello", False)

    with caplog.at_level(logging.INFO, logger="core.scheduler"):
        result = job.func()

    assert result is None
    assert "Skipping job birthday_greetings: plugin hello is not active" in caplog.text
