"""Who is acting (core.sdk.current_actor), as a plugin meets it: the signed-in user in a view
and in a JsonApi endpoint (browser session or API token), the user who enqueued a background
task while a worker runs it, and nobody (None) in a scheduled job."""

from __future__ import annotations

import types

import pytest
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import protect

from core.sdk import JsonApi, PluginInfo, current_actor, enqueue, hookimpl, task

SEEN: list = []  # what the probe's task and job saw: ("task" | "job", username or None)


def _name(user):
    return user.username if user is not None else None


class WhoAmIView(BaseView):
    route_base = "/whoami"
    default_view = "me"

    @expose("/")
    @has_access
    def me(self):
        return _name(current_actor()) or "nobody"

    @expose("/later", methods=["POST"])
    @has_access
    def later(self):
        return str(enqueue("whoami.record", {"label": "task"}).id)


class WhoAmIApi(JsonApi):
    resource_name = "whoami"

    @expose("/", methods=["GET"])
    @protect()
    def me(self):
        return self.response(200, actor=_name(current_actor()))


@task("whoami.record")
def record(label: str, again: bool = False) -> None:
    SEEN.append((label, _name(current_actor())))
    if again:
        enqueue("whoami.record", {"label": "enqueued by the task"})


def daily() -> None:
    SEEN.append(("job", _name(current_actor())))


def whoami_plugin():
    module = types.ModuleType("throwaway_whoami")
    module.PLUGIN = PluginInfo(name="whoami", label="Who am I", version="1.0")
    module.register_views = hookimpl(lambda appbuilder: appbuilder.add_view_no_menu(WhoAmIView))
    module.register_api = hookimpl(lambda appbuilder: appbuilder.add_api(WhoAmIApi))
    module.register_jobs = hookimpl(
        lambda scheduler: scheduler.add_job(daily, "cron", hour=7, id="whoami.daily"))
    return module


@pytest.fixture
def app(make_app):
    """The app with the probe plugin, its permissions written (the Admin role holds them)."""
    from core.cli import upgrade_all

    SEEN.clear()
    app = make_app(extra_plugins=[whoami_plugin()])
    with app.app_context():
        upgrade_all()
    return app


def task_actor(app, task_id):
    from core.db import db
    from core.models import Task

    with app.app_context():
        return db.session.get(Task, int(task_id)).actor_fk


def test_in_a_view_it_is_the_signed_in_user(admin_client):
    assert admin_client.get("/whoami/").get_data(as_text=True) == "admin"


def test_in_a_json_api_endpoint_it_is_the_browsers_user(admin_client):
    assert admin_client.get("/api/v1/whoami/").get_json() == {"actor": "admin"}


def test_in_a_json_api_endpoint_it_is_the_tokens_user(app, api_token):
    response = app.test_client().get("/api/v1/whoami/",
                                     headers={"Authorization": f"Bearer {api_token('Admin')}"})

    assert response.get_json() == {"actor": "admin"}


def test_outside_any_request_or_task_it_is_nobody(ctx):
    assert current_actor() is None


def test_a_task_runs_as_the_user_who_enqueued_it(app, admin_client, users):
    task_id = admin_client.post("/whoami/later").get_data(as_text=True)

    assert task_actor(app, task_id) == users["Admin"]
    assert SEEN == [("task", "admin")]  # run at once by the suite, after the request's commit


def test_a_worker_runs_a_queued_task_as_the_user_who_enqueued_it(make_app, app, client_for,
                                                                 users):
    from core import tasks

    queue = make_app(extra_plugins=[whoami_plugin()], TASKS_EAGER=False)
    client = queue.test_client()
    client.post("/login/", data={"username": "admin", "password": "correct horse battery staple"})
    task_id = client.post("/whoami/later").get_data(as_text=True)
    assert SEEN == []  # queued, not run: this app leaves tasks to the workers

    assert tasks.run_due(queue) == 1  # as a worker does, outside any request

    assert task_actor(queue, task_id) == users["Admin"]
    assert SEEN == [("task", "admin")]


def test_a_task_enqueued_by_a_task_runs_for_the_same_user(app, users):
    from core.db import db

    with app.test_request_context():
        from flask_login import login_user

        login_user(db.session.get(app.appbuilder.sm.user_model, users["Cashier"]))
        enqueue("whoami.record", {"label": "first", "again": True})

    assert SEEN == [("first", "cashier"), ("enqueued by the task", "cashier")]


def test_a_task_can_be_enqueued_for_someone_else_or_for_the_system(app, users):
    with app.app_context():
        for_manager = enqueue("whoami.record", {"label": "for the manager"},
                              actor=users["Manager"]).id
        for_system = enqueue("whoami.record", {"label": "for the system"}, actor=None).id

    assert task_actor(app, for_manager) == users["Manager"]
    assert task_actor(app, for_system) is None
    assert SEEN == [("for the manager", "manager"), ("for the system", None)]


def test_a_scheduled_job_runs_as_nobody(app, users):
    from core import scheduler

    job = scheduler.build(app).get_job("whoami.daily")
    task_id = job.func()  # the clock enqueues the job's task; the suite runs it at once

    assert task_actor(app, task_id) is None
    assert SEEN == [("job", None)]


def test_a_task_whose_user_was_deleted_runs_as_nobody(make_app, app, users):
    from core import tasks
    from core.db import db

    queue = make_app(extra_plugins=[whoami_plugin()], TASKS_EAGER=False)
    with queue.app_context():
        enqueue("whoami.record", {"label": "orphan"}, actor=users["ReadOnly"])
        user = db.session.get(queue.appbuilder.sm.user_model, users["ReadOnly"])
        user.roles = []
        db.session.delete(user)
        db.session.commit()

    tasks.run_due(queue)

    assert SEEN == [("orphan", None)]
