"""Background tasks, as a plugin author and an operator meet them: a task enqueued in a
transaction exists exactly when that transaction commits, real ``regulars worker`` processes
take it (never two the same task), a failing task is retried with backoff and ends "failed" with
its error, an idempotency key makes a task run once, and a worker killed mid-task leaves it to be
taken again once its lease expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import tasks
from core.db import db, utcnow, write_transaction
from core.models.tasks import Task

PROBE = Path(__file__).with_name("task_probe.py")


@pytest.fixture
def probe_log(tmp_path, monkeypatch):
    path = tmp_path / "probe.log"
    monkeypatch.setenv("PROBE_LOG", str(path))
    import runpy

    runpy.run_path(str(PROBE))  # declares the probe tasks in this process too
    return path


@pytest.fixture
def queue_app(make_app, probe_log):
    """An app that leaves tasks to the workers (the suite otherwise runs them at once)."""
    return make_app(TASKS_EAGER=False)


@pytest.fixture
def workers(database_url, tmp_path, probe_log):
    """Start real worker processes on this test's database; all are stopped at the end."""
    started = []

    def start(*args, **settings):
        env = {**os.environ, "REGULARS_DATABASE_URL": database_url,
               "REGULARS_INSTANCE_PATH": str(tmp_path / "worker-instance"),
               "REGULARS_SECRET_KEY": "worker-test-secret", "REGULARS_TASKS_POLL_INTERVAL": "0.1",
               "REGULARS_TASKS_BACKOFF_BASE": "0.2", "PROBE_LOG": str(probe_log)}
        env.update({f"REGULARS_{k}": str(v) for k, v in settings.items()})
        process = subprocess.Popen([sys.executable, str(PROBE), "worker", *args], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def enqueue(app, name, args=None, **options) -> int:
    with app.app_context(), write_transaction():
        return tasks.enqueue(name, args, **options).id


def task_row(app, task_id) -> Task:
    with app.app_context():
        row = db.session.get(Task, task_id)
        db.session.expunge(row)
        return row


def finish(process, timeout=60) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output.decode()
    return output.decode()


def log_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- enqueueing is transactional -------------------------------------------------------------


def test_a_task_enqueued_in_a_transaction_that_rolls_back_does_not_exist(queue_app):
    with queue_app.app_context():
        with pytest.raises(RuntimeError):
            with write_transaction():
                tasks.enqueue("probe.noop", {"n": 1})
                raise RuntimeError("the sale was refused")

        assert db.session.execute(select(func.count()).select_from(Task)).scalar() == 0


def test_a_task_enqueued_in_a_committed_transaction_waits_for_a_worker(queue_app):
    task_id = enqueue(queue_app, "probe.noop", {"n": 1})

    row = task_row(queue_app, task_id)
    assert (row.name, row.state, row.attempts, row.args) == ("probe.noop", "queued", 0, {"n": 1})


def test_an_unknown_task_name_is_refused_when_enqueued(queue_app):
    with queue_app.app_context(), pytest.raises(LookupError, match="probe.nosuch"):
        tasks.enqueue("probe.nosuch")


def test_arguments_that_are_not_json_are_refused_when_enqueued(queue_app):
    with queue_app.app_context(), pytest.raises(TypeError, match="JSON"):
        tasks.enqueue("probe.noop", {"n": object()})


def test_the_suite_runs_a_task_right_after_the_commit_that_enqueued_it(make_app, probe_log):
    app = make_app()  # TASKS_EAGER, as every other test of the suite

    task_id = enqueue(app, "probe.noop", {"n": 7})

    assert task_row(app, task_id).state == "done"
    assert [line[:2] for line in log_lines(probe_log)] == [["noop", "7"]]


# -- real workers ----------------------------------------------------------------------------


def test_a_worker_process_runs_a_committed_task(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.noop", {"n": 1})

    output = finish(workers("--until-idle"))

    row = task_row(queue_app, task_id)
    assert (row.state, row.attempts, row.locked_by) == ("done", 1, None)
    assert row.finished_at is not None
    assert [line[:2] for line in log_lines(probe_log)] == [["noop", "1"]]
    assert "ran 1 task(s)" in output


def test_two_workers_never_run_the_same_task_twice(queue_app, workers, probe_log):
    with queue_app.app_context(), write_transaction():
        for n in range(120):
            tasks.enqueue("probe.slow", {"label": str(n), "seconds": 0.02})

    first, second = workers("--until-idle"), workers("--until-idle")
    finish(first), finish(second)

    starts = [line for line in log_lines(probe_log) if line[0] == "slow-start"]
    labels = [line[1] for line in starts]
    assert sorted(labels, key=int) == [str(n) for n in range(120)]  # each exactly once
    assert {line[2] for line in starts} == {str(first.pid), str(second.pid)}  # both worked
    with queue_app.app_context():
        assert db.session.execute(select(Task.state, func.count()).group_by(Task.state)).all() \
            == [("done", 120)]


def test_a_failing_task_is_retried_with_backoff_until_it_succeeds(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.flaky", {"label": "smtp", "fail_times": 2})

    finish(workers("--max-tasks", "3"))

    row = task_row(queue_app, task_id)
    assert (row.state, row.attempts, row.last_error) == ("done", 3, None)
    assert len([line for line in log_lines(probe_log) if line[0] == "flaky"]) == 3


def test_a_task_that_keeps_failing_ends_failed_with_its_error(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.broken", {"label": "receipt"})

    finish(workers("--max-tasks", "3"))

    row = task_row(queue_app, task_id)
    assert (row.state, row.attempts) == ("failed", 3)
    assert "RuntimeError: the printer is on fire (receipt)" in row.last_error
    assert len(log_lines(probe_log)) == 3  # and then no more


def test_a_permanent_failure_ends_the_task_at_once(queue_app, workers):
    task_id = enqueue(queue_app, "probe.refused", {"label": "x"})

    finish(workers("--until-idle"))

    row = task_row(queue_app, task_id)
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error == "PermanentFailure: mailbox does not exist"


def test_a_task_enqueued_twice_with_one_key_runs_once(queue_app, workers, probe_log):
    first = enqueue(queue_app, "probe.noop", {"n": 1}, key="receipt:R-1001")
    again = enqueue(queue_app, "probe.noop", {"n": 2}, key="receipt:R-1001")

    finish(workers("--until-idle"))

    assert first == again
    assert [line[:2] for line in log_lines(probe_log)] == [["noop", "1"]]


def test_a_delayed_task_waits_for_its_time(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.noop", {"n": 1}, delay=3600)

    finish(workers("--until-idle"))

    assert task_row(queue_app, task_id).state == "queued"
    assert log_lines(probe_log) == []


def test_a_worker_killed_mid_task_leaves_it_to_be_taken_again_after_its_lease(
        queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.slow", {"label": "big", "seconds": 1.0})
    doomed = workers(TASKS_LEASE_SECONDS=2)
    wait_for(lambda: any(line[0] == "slow-start" for line in log_lines(probe_log)),
             what="the first worker to start the task")

    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    held = task_row(queue_app, task_id)
    assert held.state == "running" and held.locked_by is not None
    finish(workers("--max-tasks", "1", TASKS_LEASE_SECONDS=2))

    row = task_row(queue_app, task_id)
    assert (row.state, row.attempts) == ("done", 2)
    kinds = [line[0] for line in log_lines(probe_log)]
    assert kinds.count("slow-start") == 2 and kinds.count("slow-done") == 1


def test_a_task_whose_worker_died_on_its_last_attempt_ends_failed(queue_app):
    from datetime import timedelta

    task_id = enqueue(queue_app, "probe.noop", {"n": 1}, max_attempts=2)
    with queue_app.app_context():
        with write_transaction():
            row = db.session.get(Task, task_id)
            row.state, row.attempts, row.locked_by = "running", 2, "gone:1"
            row.locked_until = utcnow() - timedelta(seconds=1)

        assert tasks.run_due(queue_app) == 0
    row = task_row(queue_app, task_id)
    assert (row.state, row.locked_by) == ("failed", None)
    assert row.last_error.startswith("WorkerLost: the worker running this task stopped")


def test_a_worker_with_a_long_name_records_what_it_ran(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.noop", {"n": 1})

    finish(workers("--until-idle", "--name", "till-" + "x" * 200))

    assert task_row(queue_app, task_id).state == "done"


def test_a_running_task_reports_its_progress(queue_app, workers, probe_log):
    task_id = enqueue(queue_app, "probe.slow", {"label": "p", "seconds": 3.0})
    worker = workers("--max-tasks", "1")

    wait_for(lambda: (task_row(queue_app, task_id).progress_done or 0) >= 2,
             what="progress to be written")
    row = task_row(queue_app, task_id)
    assert (row.state, row.progress_total, row.progress_message) == ("running", 10, "working")
    finish(worker)


# -- backoff, the screen's counts, retry and discard ---------------------------------------------


def test_backoff_doubles_from_the_base_up_to_the_cap(make_app):
    app = make_app(TASKS_BACKOFF_BASE=5, TASKS_BACKOFF_CAP=60)

    delays = [tasks.backoff(app, attempt) for attempt in range(1, 7)]

    for delay, expected in zip(delays, [5, 10, 20, 40, 60, 60]):
        assert expected * 0.9 <= delay <= expected * 1.1


def test_a_failed_task_can_be_retried_and_a_waiting_one_discarded(queue_app, probe_log):
    failed = enqueue(queue_app, "probe.noop", {"n": 1})
    waiting = enqueue(queue_app, "probe.noop", {"n": 2})
    with queue_app.app_context():
        with write_transaction():
            row = db.session.get(Task, failed)
            row.state, row.attempts, row.last_error = "failed", 5, "boom"

        tasks.retry(failed)
        tasks.discard(waiting)

        assert (db.session.get(Task, failed).state, db.session.get(Task, failed).attempts) == \
            ("queued", 0)
        assert db.session.get(Task, waiting).state == "discarded"
        assert tasks.run_due(queue_app) == 1
        db.session.rollback()  # read afresh: the run happened in the worker's own session
        assert tasks.counts() == {"queued": 0, "running": 0, "done": 1, "failed": 0,
                                  "discarded": 1}


def test_a_disabled_plugins_tasks_wait_until_it_is_enabled_again(queue_app):
    from core.services import plugins

    with queue_app.app_context():
        tasks.task("fxrates.probe_refresh")(lambda: None)
        with write_transaction():
            task_id = tasks.enqueue("fxrates.probe_refresh").id
        plugins.set_enabled("fxrates", False)
        queue_app.extensions["regulars.plugins"].refresh(db.session, force=True)

        assert tasks.run_due(queue_app) == 0
        plugins.set_enabled("fxrates", True)
        queue_app.extensions["regulars.plugins"].refresh(db.session, force=True)
        assert tasks.run_due(queue_app) == 1
        db.session.rollback()
        assert db.session.get(Task, task_id).state == "done"


def test_finished_tasks_are_forgotten_after_their_days_and_failed_ones_kept(queue_app):
    from datetime import timedelta

    old = utcnow() - timedelta(days=10)
    with queue_app.app_context():
        with write_transaction():
            for state in ("done", "discarded", "failed"):
                db.session.add(Task(name="probe.noop", plugin="probe", args={}, state=state,
                                    priority=100, attempts=1, max_attempts=5, run_at=old,
                                    created_at=old, finished_at=old))

        assert tasks.purge(keep_days=7) == 2
        assert db.session.execute(select(Task.state)).scalars().all() == ["failed"]


def test_the_migration_builds_the_task_tables_as_the_models_describe(queue_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Model

    with queue_app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Model.metadata)

    assert [d for d in diff if "'task'" in repr(d) or "stored_file" in repr(d)] == []


def test_a_task_enqueued_in_a_savepoint_that_rolls_back_is_not_run(make_app, probe_log,
                                                                    monkeypatch):
    app = make_app()  # TASKS_EAGER: runs what the commit enqueued, right after it
    asked = []
    claim_one = tasks._claim_one
    monkeypatch.setattr(tasks, "_claim_one",
                        lambda app_, task_id, worker: asked.append(task_id)
                        or claim_one(app_, task_id, worker))

    with app.app_context():
        with write_transaction():
            before = tasks.enqueue("probe.noop", {"n": 0}).id
            try:
                with write_transaction():
                    tasks.enqueue("probe.noop", {"n": 1})
                    raise RuntimeError("this part was refused")
            except RuntimeError:
                pass
            kept = tasks.enqueue("probe.noop", {"n": 2}).id
            with write_transaction():
                inner_kept = tasks.enqueue("probe.noop", {"n": 3}).id

    # Only the tasks that exist are run (SQLite hands the rolled-back id out again).
    assert asked == [before, kept, inner_kept]
    assert sorted(line[:2] for line in log_lines(probe_log)) == [
        ["noop", "0"], ["noop", "2"], ["noop", "3"]]


def test_a_task_enqueued_in_a_released_savepoint_waits_for_the_outer_commit(make_app, probe_log,
                                                                            monkeypatch):
    app = make_app()  # TASKS_EAGER
    asked = []
    monkeypatch.setattr(tasks, "_claim_one", lambda app_, task_id, worker: asked.append(task_id))

    with app.app_context():
        with pytest.raises(RuntimeError), write_transaction():
            with write_transaction():
                tasks.enqueue("probe.noop", {"n": 1}, key="one-receipt")  # its own savepoint
            raise RuntimeError("the sale was refused")
        tasks.run_committed()

        assert db.session.execute(select(func.count()).select_from(Task)).scalar() == 0
    assert asked == []  # nothing to run: the task went with the transaction
