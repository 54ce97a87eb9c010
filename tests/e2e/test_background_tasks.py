"""An admin looks after background tasks in a browser: a failed email shows its error, Retry
sends it through a worker, and the screen reads on a phone."""

import time

import pytest
from playwright.sync_api import expect

from core import tasks
from core.db import db, utcnow, write_transaction
from core.models.tasks import Task
from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def failed_task(app):
    tasks.task("core.probe_e2e_retry")(lambda **kwargs: None)
    with app.app_context(), write_transaction():
        row = Task(name="core.probe_e2e_retry", plugin="core", args={}, state="failed",
                   priority=100, attempts=5, max_attempts=5, run_at=utcnow(),
                   created_at=utcnow(), finished_at=utcnow(),
                   last_error="SMTPServerDisconnected: Connection unexpectedly closed\n\nTraceback…")
        db.session.add(row)
        db.session.flush()
        return row.id


def test_admin_retries_a_failed_task_and_a_worker_runs_it(app, page, phone_page, live_server,
                                                         shoot, failed_task, request):
    app.config["TASKS_EAGER"] = False
    worker = tasks.start_in_thread(app)  # as under `make run`
    request.addfinalizer(worker.stop)
    sign_in(page, live_server)

    page.goto(f"{live_server}/tasks/")
    row = page.locator(f"#task-{failed_task}")
    expect(row.locator("summary")).to_have_text("SMTPServerDisconnected: Connection unexpectedly closed")
    expect(page.locator(".task-failed .task-count-number")).to_have_text("1")
    shoot(page, "13-background-tasks-failed")
    row.locator(".task-retry").click()

    expect(page.locator(".alert-success")).to_contain_text(f"Task {failed_task} will run again.")
    for _ in range(60):  # the worker takes it within its poll; the list shows it done
        page.goto(f"{live_server}/tasks/?state=done")
        if page.locator(f"#task-{failed_task}").count():
            break
        time.sleep(0.25)
    expect(page.locator(f"#task-{failed_task} .label")).to_have_text("Done")

    sign_in(phone_page, live_server)
    phone_page.goto(f"{live_server}/tasks/?state=done")
    expect(phone_page.locator(f"#task-{failed_task}")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone_page, "13-phone-background-tasks")
