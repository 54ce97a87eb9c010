"""One rule for transactions: record_activity, send_email and enqueue called where no write
transaction is open (a view, a job, a task) commit on their own; inside a service's
write_transaction they join it, and an error there takes them back with everything else.
write_transaction inside write_transaction joins the outer one: only the outermost commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import sdk
from core.db import db, write_transaction
from core.errors import ValidationError
from core.models import Activity, EmailMessage, Task


def committed(model, *where) -> int:
    """How many rows another connection sees: what is committed, nothing else."""
    with Session(db.engine) as other:
        return other.execute(select(func.count()).select_from(model).where(*where)).scalar()


def subjects() -> list[str]:
    with Session(db.engine) as other:
        return sorted(other.execute(select(Activity.subject).where(
            Activity.kind == "call")).scalars())


@sdk.task("test.remind", plugin="core")
def remind():
    for found in sdk.find_customers():
        sdk.record_activity(found, "call", "Reminder call due", source="reminders")


@sdk.task("test.nothing", plugin="core")
def nothing():
    pass


@pytest.fixture
def customer(make_customer):
    return make_customer()


@pytest.fixture
def queue_app(make_app):
    """An app that leaves tasks to the workers (the suite otherwise runs them at once)."""
    return make_app(TASKS_EAGER=False)


def test_record_activity_with_no_transaction_open_commits_on_its_own(ctx, customer):
    sdk.record_activity(customer, "call", "Rang about the order")

    assert subjects() == ["Rang about the order"]
    db.session.rollback()  # nothing left to take back
    assert subjects() == ["Rang about the order"]


def test_record_activity_inside_a_write_transaction_joins_it(ctx, customer):
    with write_transaction():
        sdk.record_activity(customer, "call", "Rang")
        assert subjects() == []  # not yet: it commits with the transaction

    assert subjects() == ["Rang"]


def test_an_error_in_the_transaction_rolls_the_joined_activity_back(ctx, customer):
    with pytest.raises(RuntimeError), write_transaction():
        sdk.record_activity(customer, "call", "Rang")
        raise RuntimeError("the till lost power")

    assert subjects() == []


def test_a_bad_kind_is_refused_and_nothing_is_written(ctx, customer):
    with pytest.raises(ValidationError) as refused:
        sdk.record_activity(customer, "telegram", "Stop")

    assert list(refused.value.errors) == ["kind"]
    assert committed(Activity, Activity.subject == "Stop") == 0


def test_nested_write_transactions_commit_only_at_the_outermost(ctx, customer):
    with write_transaction():
        sdk.record_activity(customer, "call", "Outer")
        with write_transaction():
            sdk.record_activity(customer, "call", "Inner")
        assert subjects() == []  # the inner block did not commit

    assert subjects() == ["Inner", "Outer"]


def test_an_error_leaving_the_outermost_rolls_back_the_inner_blocks_too(ctx, customer):
    with pytest.raises(RuntimeError), write_transaction():
        with write_transaction():
            sdk.record_activity(customer, "call", "Inner")
        sdk.record_activity(customer, "call", "Outer")
        raise RuntimeError("refused")

    assert subjects() == []


def test_an_inner_error_caught_inside_undoes_the_inner_writes_only(ctx, customer):
    with write_transaction():
        sdk.record_activity(customer, "call", "Kept")
        try:
            with write_transaction():
                sdk.record_activity(customer, "call", "Undone")
                raise ValidationError({"points": "Not enough points."})
        except ValidationError:
            pass

    assert subjects() == ["Kept"]


def test_a_job_recording_activity_keeps_it(app, customer):
    """A daily job runs as a task, with no transaction open: each call commits on its own."""
    with app.app_context():
        sdk.enqueue("test.remind")  # the suite runs it at once, after the commit
        assert subjects() == ["Reminder call due"]


def test_enqueue_with_no_transaction_open_commits_on_its_own(queue_app):
    with queue_app.app_context():
        sdk.enqueue("test.nothing")
        db.session.rollback()

        assert committed(Task, Task.name == "test.nothing") == 1


def test_enqueue_inside_a_transaction_that_fails_leaves_no_task(queue_app):
    with queue_app.app_context():
        with pytest.raises(RuntimeError), write_transaction():
            sdk.enqueue("test.nothing")
            raise RuntimeError("refused")

        assert committed(Task, Task.name == "test.nothing") == 0


def test_send_email_with_no_transaction_open_commits_on_its_own(queue_app, make_customer):
    customer_id = make_customer(email="sam@example.com")
    with queue_app.app_context():
        customer = sdk.get_customer(customer_id)
        sdk.send_email(customer=customer, subject="Your order is ready", text="Come by.")
        db.session.rollback()

        assert committed(EmailMessage, EmailMessage.subject == "Your order is ready") == 1
        assert committed(Activity, Activity.kind == "email") == 1


def test_send_email_inside_a_transaction_that_fails_leaves_nothing(queue_app, make_customer):
    customer_id = make_customer(email="sam@example.com")
    with queue_app.app_context():
        customer = sdk.get_customer(customer_id)
        with pytest.raises(RuntimeError), write_transaction():
            sdk.send_email(customer=customer, subject="Your order is ready", text="Come by.")
            raise RuntimeError("refused")

        assert committed(EmailMessage) == 0
        assert committed(Activity, Activity.kind == "email") == 0


def test_writes_flushed_before_the_outermost_block_roll_back_with_it(ctx, customer):
    """A view that adds and flushes a row, then records an activity: one transaction, so the
    refused activity takes the flushed row back with it."""
    db.session.add(Activity(customer_id=customer, kind="call", subject="Flushed first"))
    db.session.flush()

    with pytest.raises(RuntimeError), write_transaction():
        sdk.record_activity(customer, "call", "Inside")
        raise RuntimeError("the till lost power")

    assert subjects() == []


def test_writes_flushed_before_record_activity_commit_with_it(ctx, customer):
    db.session.add(Activity(customer_id=customer, kind="call", subject="Flushed first"))
    db.session.flush()

    with pytest.raises(ValidationError):
        sdk.record_activity(customer, "telegram", "Refused")
    assert subjects() == []  # the refusal took the flushed row back too

    db.session.add(Activity(customer_id=customer, kind="call", subject="Flushed again"))
    db.session.flush()
    sdk.record_activity(customer, "call", "Recorded")

    assert subjects() == ["Flushed again", "Recorded"]


def test_a_read_only_transaction_is_still_ended_before_the_write(ctx, customer):
    """Reads before the block are of the database as it was; the block starts fresh."""
    db.session.execute(select(func.count()).select_from(Activity)).scalar()
    db.session.commit()  # a flushed-and-committed write leaves nothing to carry
    db.session.execute(select(func.count()).select_from(Activity)).scalar()

    with write_transaction():
        sdk.record_activity(customer, "call", "Fresh")
        assert subjects() == []

    assert subjects() == ["Fresh"]


def test_enqueue_with_a_session_the_caller_manages_joins_its_transaction(queue_app):
    with queue_app.app_context():
        with Session(db.engine) as own:
            own.begin()
            sdk.enqueue("test.nothing", session=own)
            assert committed(Task, Task.name == "test.nothing") == 0  # not before the caller
            own.rollback()
        assert committed(Task, Task.name == "test.nothing") == 0

        with Session(db.engine) as own, own.begin():
            sdk.enqueue("test.nothing", session=own)
        assert committed(Task, Task.name == "test.nothing") == 1
