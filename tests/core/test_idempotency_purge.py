"""The daily job that forgets old Idempotency-Key answers: a till's retry comes within minutes,
so answers older than IDEMPOTENCY_KEY_RETENTION_DAYS (default 7) only take up room."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select

from core.models import IdempotencyKey

JOB_ID = "core.forget_idempotency_keys"


@pytest.fixture
def stored_answer(app):
    """``stored_answer(key, days_old)``: an answer stored that many days ago."""
    from core.db import db, utcnow, write_transaction

    def store(key, days_old):
        with app.app_context(), write_transaction():
            db.session.add(IdempotencyKey(
                key=key, method="POST", path="/api/v1/customers/", request_hash="0" * 64,
                status_code=201, response_body="{}",
                created_at=utcnow() - datetime.timedelta(days=days_old)))

    return store


def stored_keys(app) -> set[str]:
    from core.db import db

    with app.app_context():
        return set(db.session.execute(select(IdempotencyKey.key)).scalars())


def purge_job(app):
    from core import scheduler

    return next(j for j in scheduler.build(app).get_jobs() if j.id == JOB_ID)


def test_forgetting_old_keys_is_a_daily_job_of_the_core(app):
    job = purge_job(app)

    assert str(job.trigger) == "cron[hour='3', minute='45']"


def test_the_job_forgets_answers_older_than_a_week_and_keeps_fresh_ones(app, stored_answer):
    stored_answer("last-month", days_old=30)
    stored_answer("eight-days", days_old=8)
    stored_answer("six-days", days_old=6)
    stored_answer("just-now", days_old=0)

    purge_job(app).func()

    assert stored_keys(app) == {"six-days", "just-now"}


def test_the_shop_sets_how_many_days_answers_are_kept(make_app, stored_answer):
    app = make_app(IDEMPOTENCY_KEY_RETENTION_DAYS=2)
    stored_answer("three-days", days_old=3)
    stored_answer("one-day", days_old=1)

    purge_job(app).func()

    assert stored_keys(app) == {"one-day"}


@pytest.mark.parametrize("days", [0, -1, "week"])
def test_a_retention_below_one_day_is_refused_and_nothing_is_forgotten(make_app, stored_answer, days):
    app = make_app(IDEMPOTENCY_KEY_RETENTION_DAYS=days)
    stored_answer("just-now", days_old=0)

    task_id = purge_job(app).func()

    with app.app_context():
        from core.db import db
        from core.models.tasks import Task

        task = db.session.get(Task, task_id)
        assert task.state == "queued" and task.attempts == 1  # to be tried again later
        assert "IDEMPOTENCY_KEY_RETENTION_DAYS" in task.last_error
    assert stored_keys(app) == {"just-now"}


def test_a_replay_within_the_retention_still_returns_the_first_customer(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('Cashier')}", "Idempotency-Key": "till-7"}
    body = {"first_name": "Sam", "phone": "07400 123456"}
    first = client.post("/api/v1/customers/quick", json=body, headers=headers)

    purge_job(app).func()
    retry = client.post("/api/v1/customers/quick", json=body, headers=headers)

    assert retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
