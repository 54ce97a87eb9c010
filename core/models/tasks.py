"""Background tasks and the files they work on, kept in the application's own database so that a
task enqueued in a transaction exists exactly when that transaction commits, and any worker on
any machine can take it."""

from __future__ import annotations

from sqlalchemy import (JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String,
                        Text)

from core.db import Model, utcnow


class Task(Model):
    """One piece of work for a worker: which task, with what arguments, and how it is going.

    ``state``: queued (waiting for ``run_at``), running (a worker holds it until
    ``locked_until``; past that it is taken again), done, failed (no attempts left; ``last_error``
    says why) or discarded (by a person). ``key`` makes a task enqueued twice exist once.
    ``actor_fk``: the user who enqueued it, whom the task runs for (``core.sdk.current_actor``)."""

    __tablename__ = "task"

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    plugin = Column(String(60), nullable=False, default="core")
    args = Column(JSON, nullable=False, default=dict)
    key = Column(String(200), nullable=True, unique=True)
    state = Column(String(12), nullable=False, default="queued")
    priority = Column(Integer, nullable=False, default=100)  # lower runs first
    attempts = Column(Integer, nullable=False, default=0)
    max_attempts = Column(Integer, nullable=False, default=5)
    run_at = Column(DateTime, nullable=False, default=utcnow)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    locked_by = Column(String(120), nullable=True)
    locked_until = Column(DateTime, nullable=True)
    last_error = Column(Text, nullable=True)
    progress_done = Column(Integer, nullable=True)
    progress_total = Column(Integer, nullable=True)
    progress_message = Column(String(255), nullable=True)
    # Who enqueued it (None: the system, e.g. a scheduled job); the worker acts as them.
    actor_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL",
                                          name="fk_task_actor"), nullable=True)

    __table_args__ = (
        # The claim: the next due task by priority and time; and the screen's counts by state.
        Index("ix_task_state_priority_run_at", "state", "priority", "run_at", "id"),
        Index("ix_task_state_locked_until", "state", "locked_until"),
    )


class StoredFile(Model):
    """A file kept for work that continues elsewhere (an uploaded import waiting for its check
    and import, on whichever worker takes them). Private to its owner and removed when its work
    is done or when it expires."""

    __tablename__ = "stored_file"

    id = Column(Integer, primary_key=True)
    token = Column(String(64), nullable=False, unique=True)
    user_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=True)
    purpose = Column(String(40), nullable=False)
    name = Column(String(255), nullable=False)
    size = Column(Integer, nullable=False)
    data = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)

    __table_args__ = (Index("ix_stored_file_expires_at", "expires_at"),)
