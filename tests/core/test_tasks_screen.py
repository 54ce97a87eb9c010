"""The Background tasks screen: an admin or manager sees how many tasks are in each state, the
failed ones with their error, retries or discards them, and follows a long task's progress."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import tasks
from core.db import db, utcnow, write_transaction
from core.models.tasks import Task
from tests.core.conftest import parse

ROLES = ["Admin", "Manager", "Cashier", "Accounts", "ReadOnly"]


@pytest.fixture
def probe(app):
    """A task for these tests, declared once."""
    return tasks.task("core.probe_screen")(lambda **kwargs: None)


@pytest.fixture
def some_tasks(app, probe):
    """Three tasks as workers leave them: one waiting, one running half-way, one failed."""
    with app.app_context(), write_transaction():
        made = {}
        for state in ("queued", "running", "failed"):
            row = Task(name="core.probe_screen", plugin="core", args={}, state=state,
                       priority=100, attempts=5 if state == "failed" else 1, max_attempts=5,
                       run_at=utcnow(), created_at=utcnow())
            if state == "running":
                row.progress_done, row.progress_total, row.progress_message = 40, 100, "rows"
            if state == "failed":
                row.last_error = "SMTPRecipientsRefused: 550 no such mailbox\n\ntraceback…"
                row.finished_at = utcnow()
            db.session.add(row)
            db.session.flush()
            made[state] = row.id
    return made


def state_of(app, task_id):
    with app.app_context():
        return db.session.execute(select(Task.state).where(Task.id == task_id)).scalar()


def test_the_screen_counts_tasks_by_state_and_shows_the_failed_error(admin_client, some_tasks):
    doc = parse(admin_client.get("/tasks/").get_data(as_text=True))

    counts = {li.attrs["data-state"]: li.find(cls="task-count-number").text
              for li in doc.find(id="task-counts").find_all("li", cls="task-count")}
    assert counts == {"queued": "1", "running": "1", "done": "0", "failed": "1", "discarded": "0"}
    failed = doc.find(id=f"task-{some_tasks['failed']}")
    assert "SMTPRecipientsRefused: 550 no such mailbox" in failed.find("summary").text


def test_a_running_task_shows_how_far_it_got(admin_client, some_tasks):
    doc = parse(admin_client.get("/tasks/").get_data(as_text=True))

    bar = doc.find(id=f"task-{some_tasks['running']}").find("progress")
    assert (bar.attrs["value"], bar.attrs["max"]) == ("40", "100")


def test_a_manager_retries_a_failed_task_and_it_runs(client_for, app, some_tasks):
    response = client_for("Manager").post(f"/tasks/{some_tasks['failed']}/retry")

    assert response.status_code == 302
    assert state_of(app, some_tasks["failed"]) == "done"  # the suite runs it at once


def test_a_manager_discards_a_waiting_task(client_for, app, some_tasks):
    client_for("Manager").post(f"/tasks/{some_tasks['queued']}/discard")

    assert state_of(app, some_tasks["queued"]) == "discarded"


def test_a_running_task_cannot_be_discarded(admin_client, app, some_tasks):
    response = admin_client.post(f"/tasks/{some_tasks['running']}/discard", follow_redirects=True)

    assert "Only a waiting or failed task can be discarded." in response.get_data(as_text=True)
    assert state_of(app, some_tasks["running"]) == "running"


def test_an_unknown_task_is_answered_in_words(admin_client, some_tasks):
    response = admin_client.post("/tasks/99999999999/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "There is no task 99999999999." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_screen_only_if_it_runs_the_shop(client_for, role, some_tasks):
    client = client_for(role)

    listing = client.get("/tasks/")
    retry = client.post(f"/tasks/{some_tasks['failed']}/retry")
    discard = client.post(f"/tasks/{some_tasks['queued']}/discard")

    allowed = role in ("Admin", "Manager")
    assert (listing.status_code == 200) is allowed
    assert (retry.status_code == 302 and "/tasks/" in retry.headers["Location"]) is allowed
    assert (discard.status_code == 302 and "/tasks/" in discard.headers["Location"]) is allowed


def test_retry_and_discard_need_the_form_token_when_csrf_is_on(make_app, users, some_tasks):
    from core.testing import login

    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = parse(page).find("input", name="csrf_token").attrs["value"]
    client.post("/login/", data={"username": "admin", "password": "correct horse battery staple",
                                 "csrf_token": token})

    response = client.post(f"/tasks/{some_tasks['queued']}/discard")

    assert response.status_code == 400
    assert state_of(app, some_tasks["queued"]) == "queued"
