"""Background tasks: work that outlives a request, kept in the application's own database.

A task is declared once with ``@task("name")`` and enqueued with ``enqueue(name, args)`` inside
a service's transaction: the task row is written by that transaction, so the task exists if and
only if the transaction commits (a sale and its receipt email commit together or not at all);
enqueued where no write transaction is open, it commits on its own. A task runs for the user
who enqueued it (``core.sdk.current_actor()`` inside it), or for the system (None).
``regulars worker`` processes, any number on any number of machines, take due tasks one at a
time:

- a claim hands a task to exactly one worker: ``SELECT ... FOR UPDATE SKIP LOCKED`` then a
  conditional UPDATE on PostgreSQL; on SQLite the claim is one ``BEGIN IMMEDIATE`` transaction,
  which no other writer can interleave with;
- the worker holds a *lease* (``locked_until``) that a heartbeat thread keeps extending while the
  task runs; a worker that dies (even by SIGKILL) stops extending it, and once it has expired
  any worker takes the task again;
- a task that raises is retried with exponential backoff (``TASKS_BACKOFF_BASE`` seconds,
  doubling, at most ``TASKS_BACKOFF_CAP``) until ``max_attempts``; then it ends ``failed`` with
  its error, for a person to retry or discard on the Background tasks screen;
- ``key`` is an idempotency key: enqueueing the same key again returns the task already there.

On PostgreSQL an enqueue also sends ``NOTIFY regulars_tasks`` (delivered on commit), so an idle
worker starts at once instead of at its next poll.

Why our own table and not a queue library: the task must commit with the caller's SQLAlchemy
transaction on both SQLite (the embedded default) and PostgreSQL. procrastinate and pgqueuer
are PostgreSQL-only; Celery, Dramatiq and RQ need a separate broker (Redis, RabbitMQ), so an
enqueue can neither commit nor roll back with the sale; Huey's SQLite storage uses a connection
of its own. The design follows the database-backed queues of other frameworks (Rails' Solid
Queue and GoodJob, Elixir's Oban): one table, SKIP LOCKED claims, leases.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import random
import socket
import threading
import time
import traceback
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, event, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from core.db import db, in_write_transaction, relaxed_commit, utcnow, write_transaction
from core.models.tasks import Task

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed", "discarded")
CHANNEL = "regulars_tasks"
_PENDING = "regulars.tasks.pending"  # session.info: tasks enqueued, waiting for the commit


class PermanentFailure(Exception):
    """Raised by a task that will never succeed (a refused address, a file that is gone): it
    ends ``failed`` at once with this message, without the remaining attempts."""


@dataclasses.dataclass(frozen=True)
class TaskDef:
    """A declared task: its name, the function that does it and how hard to try."""

    name: str
    func: Callable[..., Any]
    max_attempts: int = 5
    priority: int = 100
    plugin: str = "core"

    def enqueue(self, args: dict | None = None, **options) -> Task:
        """``enqueue(self.name, args, **options)``."""
        return enqueue(self.name, args, **options)

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


_registry: dict[str, TaskDef] = {}


def task(name: str, *, max_attempts: int = 5, priority: int = 100, plugin: str | None = None):
    """Declare the decorated function as the task ``name`` (dotted, unique; a plugin's start
    with its own name, e.g. ``"loyalty.expire_points"``). The function takes keyword arguments of
    JSON values, runs in an app context with its own database session, as the user who enqueued
    it (``current_actor()``; None for a scheduled job), commits its own work
    (``write_transaction``) and raises to be retried; ``PermanentFailure`` ends it at once."""

    def register(func):
        owner = plugin or name.split(".", 1)[0]
        existing = _registry.get(name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"Two tasks are named {name!r}: {existing.func.__module__}."
                             f"{existing.func.__qualname__} and {func.__module__}.{func.__qualname__}.")
        definition = TaskDef(name=name, func=func, max_attempts=max_attempts, priority=priority,
                             plugin=owner)
        _registry[name] = definition
        return definition

    return register


def registered(name: str) -> TaskDef | None:
    return _registry.get(name)


def registered_names() -> list[str]:
    return sorted(_registry)


# -- enqueueing ------------------------------------------------------------------------------


_AS_CALLER = object()  # enqueue's default actor: whoever is acting now


def enqueue(name: str, args: dict | None = None, *, delay: float | timedelta | None = None,
            run_at: datetime | None = None, key: str | None = None,
            priority: int | None = None, max_attempts: int | None = None,
            actor=_AS_CALLER, session=None) -> Task:
    """Add the task ``name`` with keyword arguments ``args``.

    Inside a service's ``write_transaction`` the task joins it, and exists only if that
    transaction commits (a sale and its receipt email commit together or not at all); called
    where no write transaction is open (a view, a job, a task) it commits on its own.

    ``delay`` (seconds or a timedelta) or ``run_at`` (UTC) puts it off; ``key`` makes it
    idempotent: while a task with that key is kept, enqueueing it again returns that task and
    adds nothing. The task runs for ``actor`` (a user, a user id, or None for the system),
    by default the user acting now (``core.sdk.current_actor()``): the signed-in user of a
    request, the user of the task that enqueues it, nobody in a scheduled job.

    ``session``: a session the caller manages itself (``Session(engine)`` and its own
    ``begin()``). While it is in a transaction the task joins that transaction and exists
    only if the caller commits it; otherwise the rule above applies to it."""
    definition = _registry.get(name)
    if definition is None:
        raise LookupError(f"No task is named {name!r}; declare it with @task({name!r}).")
    managed = session is not None and session.in_transaction() \
        and not in_write_transaction(session)
    session = session or db.session
    args = dict(args or {})
    _check_json(name, args)
    if actor is _AS_CALLER:
        from core.actor import current_actor_id

        actor_id = current_actor_id()
    else:
        actor_id = actor if actor is None or isinstance(actor, int) else getattr(actor, "id", None)
    if managed:
        own = session() if isinstance(session, scoped_session) else session
        return _enqueue_in(own, definition, args, delay, run_at, key, priority,
                           max_attempts, actor_id)
    with write_transaction(session, savepoint=False) as session:
        return _enqueue_in(session, definition, args, delay, run_at, key, priority,
                           max_attempts, actor_id)


def _enqueue_in(session, definition: TaskDef, args: dict, delay, run_at, key, priority,
                max_attempts, actor_id) -> Task:
    name = definition.name
    when = run_at or utcnow()
    if delay:
        when += delay if isinstance(delay, timedelta) else timedelta(seconds=float(delay))
    if key is not None:
        key = str(key)[:200]
        existing = session.execute(select(Task).where(Task.key == key)).scalar()
        if existing is not None:
            return existing
    row = Task(name=name, plugin=definition.plugin, args=args, key=key, state="queued",
               priority=definition.priority if priority is None else priority,
               attempts=0, max_attempts=max_attempts or definition.max_attempts,
               run_at=when, created_at=utcnow(), actor_fk=actor_id)
    if key is None:
        session.add(row)
        session.flush()
    else:
        # Two transactions may enqueue the same key at once: the second one's insert fails on
        # the unique key inside a savepoint, which leaves the caller's transaction intact.
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = session.execute(select(Task).where(Task.key == key)).scalar()
            if existing is None:
                raise
            return existing
    _note_pending(session, row.id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))
    return row


def _check_json(name: str, args: dict) -> None:
    import json

    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The arguments of task {name!r} must be JSON values: {exc}") from None


class _Ready(threading.local):
    """Tasks committed on this thread that the eager runner has yet to run (TASKS_EAGER only)."""

    def __init__(self):
        self.ids: list[int] = []


_ready = _Ready()


def _note_pending(session: Session, task_id: int) -> None:
    """Remember a task written in ``session``'s open transaction, with the savepoint it was
    written in (None: the transaction itself), until that transaction commits or is undone."""
    session.info.setdefault(_PENDING, []).append((task_id, session.get_nested_transaction()))


@event.listens_for(Session, "after_commit")
def _committed(session):
    from flask import current_app, has_app_context

    if session.in_nested_transaction():
        return  # a savepoint released: its tasks commit, or not, with the transaction
    pending = session.info.pop(_PENDING, None)
    if pending and has_app_context() and current_app.config.get("TASKS_EAGER"):
        _ready.ids.extend(task_id for task_id, _savepoint in pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous_transaction.nested:
        if previous_transaction.parent is None:
            session.info.pop(_PENDING, None)  # the transaction's tasks went with it
        return
    # A savepoint rolled back takes the tasks written in it (and in savepoints inside it).
    pending[:] = [(task_id, savepoint) for task_id, savepoint in pending
                  if not _within(savepoint, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction):
    if transaction.parent is None:
        session.info.pop(_PENDING, None)  # closed without a commit: its tasks never existed


def _within(savepoint, outer) -> bool:
    while savepoint is not None:
        if savepoint is outer:
            return True
        savepoint = savepoint.parent
    return False


# -- running ---------------------------------------------------------------------------------


_current: ContextVar[int | None] = ContextVar("regulars_current_task", default=None)
_last_progress: dict[int, float] = {}


def task_progress(done: int, total: int | None = None, message: str = "") -> None:
    """Inside a task: how far it has got, for the Background tasks screen. Written at most twice
    a second, in a short transaction of its own; also keeps the worker's lease alive."""
    task_id = _current.get()
    if task_id is None:
        return
    now = time.monotonic()
    if total is None or done < total:
        if now - _last_progress.get(task_id, 0.0) < 0.5:
            return
    _last_progress[task_id] = now
    with Session(db.engine) as session, session.begin():
        session.execute(update(Task).where(Task.id == task_id).values(
            progress_done=int(done), progress_total=None if total is None else int(total),
            progress_message=(message or "")[:255]))


def _lease_seconds(app) -> int:
    return int(app.config.get("TASKS_LEASE_SECONDS", 60))


def backoff(app, attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: base × 2^(attempts-1), at most the cap, with a
    little jitter so that many tasks failing together do not all come back together."""
    base = float(app.config.get("TASKS_BACKOFF_BASE", 5))
    cap = float(app.config.get("TASKS_BACKOFF_CAP", 3600))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.9, 1.1)


def _inactive_plugins(app) -> list[str]:
    host = app.extensions["regulars.plugins"]
    return [name for name in host.plugins if name != "core" and not host.is_active(name)]


WORKER_LOST = ("WorkerLost: the worker running this task stopped before it finished, on its "
               "last attempt (the process was killed, ran out of memory or its machine was "
               "lost).")
_CLAIMED = (Task.id, Task.name, Task.plugin, Task.args, Task.attempts, Task.max_attempts,
            Task.actor_fk)


def claim(app, worker: str, session: Session | None = None) -> Task | None:
    """Take the next due task for ``worker`` (or None): a queued task whose time has come, or a
    running one whose worker's lease has expired. Never hands one task to two workers."""
    own = session is None
    session = session or Session(db.engine)
    try:
        with write_transaction(session):
            relaxed_commit(session)
            now = utcnow()
            abandoned = and_(Task.state == "running", Task.locked_until < now)
            # A task whose worker died on its last attempt (a crash, an out-of-memory kill, a task
            # that takes its worker down) ends here, instead of taking worker after worker down.
            session.execute(update(Task).where(abandoned, Task.attempts >= Task.max_attempts)
                            .values(state="failed", finished_at=now, locked_by=None,
                                    locked_until=None, last_error=WORKER_LOST)
                            .execution_options(synchronize_session=False))
            due = or_(and_(Task.state == "queued", Task.run_at <= now),
                      and_(abandoned, Task.attempts < Task.max_attempts))
            query = (select(Task.id).where(due).order_by(Task.priority, Task.run_at, Task.id)
                     .limit(1).with_for_update(skip_locked=True))
            inactive = _inactive_plugins(app)
            if inactive:
                query = query.where(Task.plugin.not_in(inactive))
            task_id = session.execute(query).scalar()
            if task_id is None:
                return None
            claimed = session.execute(
                update(Task).where(Task.id == task_id, due).values(
                    state="running", attempts=Task.attempts + 1, locked_by=worker,
                    locked_until=now + timedelta(seconds=_lease_seconds(app)),
                    started_at=now, finished_at=None)
                .returning(*_CLAIMED)
                .execution_options(synchronize_session=False)).one_or_none()
            if claimed is None:
                return None
            return Task(**claimed._mapping)  # what the worker needs, detached
    finally:
        if own:
            session.close()


def _finish(task_id: int, worker: str, **values) -> None:
    # Only the worker that holds the task records its outcome: one whose lease ran out and whose
    # task was taken by another must not overwrite what that one does.
    with Session(db.engine) as session, write_transaction(session):
        relaxed_commit(session)
        session.execute(update(Task).where(Task.id == task_id, Task.locked_by == worker,
                                           Task.state == "running")
                        .values(locked_by=None, locked_until=None, **values)
                        .execution_options(synchronize_session=False))


def _error_text(exc: BaseException) -> str:
    text_ = f"{type(exc).__name__}: {exc}".strip()
    if not isinstance(exc, PermanentFailure):
        frames = traceback.format_exception(exc)
        text_ = text_ + "\n\n" + "".join(frames[-6:])
    return text_[:8000]


class LeaseKeeper:
    """Keeps the lease of the task a worker is running alive, from one thread beside the worker,
    so a long task is not taken by another worker while this one is well. A worker that dies
    takes the thread with it, and the lease runs out."""

    def __init__(self, app, worker: str):
        self._app, self._worker = app, worker
        self._task_id: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="task-lease")
        self._thread.start()

    @contextlib.contextmanager
    def holding(self, task_id: int):
        self._task_id = task_id
        try:
            yield
        finally:
            self._task_id = None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self):
        lease = _lease_seconds(self._app)
        while not self._stop.wait(max(0.5, lease / 3)):
            task_id = self._task_id
            if task_id is None:
                continue
            try:
                with self._app.app_context(), Session(db.engine) as session, \
                        write_transaction(session):
                    relaxed_commit(session)
                    session.execute(update(Task).where(
                        Task.id == task_id, Task.locked_by == self._worker,
                        Task.state == "running").values(
                            locked_until=utcnow() + timedelta(seconds=lease)))
            except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                log.warning("Could not extend the lease of task %s", task_id, exc_info=True)


def execute(app, row: Task, worker: str, lease: LeaseKeeper | None = None) -> str:
    """Run a claimed task in a fresh app context, as the user who enqueued it, and record its
    outcome: done, queued again (with its error and the time of its next attempt) or failed.
    Returns the new state."""
    from core.actor import acting_as

    definition = _registry.get(row.name)
    token = _current.set(row.id)
    try:
        with app.app_context(), acting_as(row.actor_fk):
            try:
                if definition is None:
                    raise LookupError(f"No task named {row.name!r} in this installation (is its "
                                      "plugin installed on this worker?).")
                guard = lease.holding(row.id) if lease else contextlib.nullcontext()
                with guard:
                    definition.func(**(row.args or {}))
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the task
                db.session.rollback()
                return _record_failure(app, row, worker, exc)
            finally:
                db.session.remove()
            try:
                _finish(row.id, worker, state="done", finished_at=utcnow(), last_error=None)
            except Exception:  # noqa: BLE001 - the lease runs out and the task runs again
                log.exception("Task %s (%s) ran, but its outcome could not be recorded",
                              row.id, row.name)
            return "done"
    finally:
        _current.reset(token)
        _last_progress.pop(row.id, None)


def _record_failure(app, row: Task, worker: str, exc: Exception) -> str:
    try:
        return _record_failure_now(app, row, worker, exc)
    except Exception:  # noqa: BLE001 - the lease runs out and the task runs again
        log.exception("Task %s (%s) failed, and the failure could not be recorded", row.id,
                      row.name)
        return "queued"


def _record_failure_now(app, row: Task, worker: str, exc: Exception) -> str:
    error = _error_text(exc)
    if isinstance(exc, PermanentFailure) or row.attempts >= row.max_attempts:
        log.warning("Task %s (%s) failed for good: %s", row.id, row.name, exc)
        _finish(row.id, worker, state="failed", finished_at=utcnow(), last_error=error)
        return "failed"
    log.info("Task %s (%s) failed on attempt %s, will retry: %s", row.id, row.name,
             row.attempts, exc)
    _finish(row.id, worker, state="queued", last_error=error,
            run_at=utcnow() + timedelta(seconds=backoff(app, row.attempts)))
    return "queued"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def run_due(app, limit: int | None = None, worker: str | None = None) -> int:
    """Run every task that is due now, one after another, in this process; returns how many
    ran. For tests and one-off scripts; production work goes to ``regulars worker``."""
    worker = (worker or worker_name())[:120]
    count = 0
    while limit is None or count < limit:
        with app.app_context():
            row = claim(app, worker)
        if row is None:
            break
        execute(app, row, worker)
        count += 1
    return count


# -- tests and the embedded default: run right after the commit ------------------------------


_eager_running: ContextVar[bool] = ContextVar("regulars_eager_running", default=False)


def run_committed() -> None:
    """With ``TASKS_EAGER`` on, run the tasks that this thread's commits enqueued, now, in this
    process (each once; a failure leaves it queued for its next attempt). Called after every
    ``write_transaction`` and at the end of every request."""
    from flask import current_app, has_app_context

    if not _ready.ids or _eager_running.get() or not has_app_context():
        return  # nothing to do, or the loop below is already running them
    app = current_app._get_current_object()
    token = _eager_running.set(True)
    try:
        while _ready.ids:
            task_id = _ready.ids.pop(0)
            worker = ("eager:" + worker_name())[:120]
            row = _claim_one(app, task_id, worker)
            if row is not None:
                execute(app, row, worker)
    finally:
        _eager_running.reset(token)


def _claim_one(app, task_id: int, worker: str) -> Task | None:
    with Session(db.engine) as session, write_transaction(session):
        now = utcnow()
        claimed = session.execute(
            update(Task).where(Task.id == task_id, Task.state == "queued", Task.run_at <= now)
            .values(state="running", attempts=Task.attempts + 1, locked_by=worker,
                    locked_until=now + timedelta(seconds=_lease_seconds(app)), started_at=now)
            .returning(*_CLAIMED)
            .execution_options(synchronize_session=False)).one_or_none()
        return None if claimed is None else Task(**claimed._mapping)


# -- the worker process ----------------------------------------------------------------------


class Worker:
    """``regulars worker``: takes due tasks one at a time until stopped. Idle, it waits for a
    NOTIFY (PostgreSQL) or polls every ``TASKS_POLL_INTERVAL`` seconds."""

    def __init__(self, app, name: str | None = None):
        self.app = app
        self.name = (name or worker_name())[:120]  # as stored in Task.locked_by
        self.stopping = threading.Event()
        self.done = 0
        self._listener = None
        self._dialect = ""

    def stop(self, *_args) -> None:
        self.stopping.set()

    def run(self, max_tasks: int | None = None, until_idle: bool = False) -> int:
        from core import scheduler

        scheduler.register_job_tasks(self.app)  # the scheduled jobs' tasks, by name
        host = self.app.extensions["regulars.plugins"]
        poll = float(self.app.config.get("TASKS_POLL_INTERVAL", 0.25))
        with self.app.app_context():
            self._dialect = db.engine.dialect.name
        log.info("Worker %s started", self.name)
        lease = LeaseKeeper(self.app, self.name)
        try:
            refreshed = 0.0
            while not self.stopping.is_set():
                try:
                    with self.app.app_context():
                        if time.monotonic() - refreshed >= 1.0:
                            # Which plugins are on: a switch elsewhere is seen within a second.
                            host.refresh(db.session)
                            db.session.remove()
                            refreshed = time.monotonic()
                        row = claim(self.app, self.name)
                except Exception:  # noqa: BLE001 - a locked or lost database: wait, go on
                    log.exception("Worker %s could not take a task; trying again", self.name)
                    self._wait(max(poll, 1.0))
                    continue
                if row is None:
                    if until_idle:
                        break
                    self._wait(poll)
                    continue
                execute(self.app, row, self.name, lease)
                self.done += 1
                if max_tasks is not None and self.done >= max_tasks:
                    break
        finally:
            lease.close()
            self._close_listener()
            log.info("Worker %s stopped after %s task(s)", self.name, self.done)
        return self.done

    def _wait(self, seconds: float) -> None:
        if self._dialect != "postgresql":
            self.stopping.wait(seconds)
            return
        try:
            listener = self._listen()
            for _note in listener.notifies(timeout=seconds, stop_after=1):
                break
        except Exception:  # noqa: BLE001 - fall back to polling
            log.debug("LISTEN failed; polling", exc_info=True)
            self._close_listener()
            self.stopping.wait(seconds)

    def _listen(self):
        if self._listener is None:
            import psycopg

            with self.app.app_context():
                url = db.engine.url.set(drivername="postgresql")
            conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            conn.execute(f"LISTEN {CHANNEL}")
            self._listener = conn
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
            self._listener = None


def start_in_thread(app) -> Worker | None:
    """One worker on a thread of this process (``make run``: web, scheduler and a worker in one
    process). Production runs ``regulars worker`` processes instead."""
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    worker = Worker(app, name=worker_name() + ":in-process")
    thread = threading.Thread(target=worker.run, daemon=True, name="task-worker")
    thread.start()
    app.extensions["regulars.worker"] = worker
    return worker


# -- what the Background tasks screen shows ---------------------------------------------------


def counts() -> dict[str, int]:
    """How many tasks are in each state (every state present, 0 when none)."""
    found = dict(db.session.execute(select(Task.state, func.count()).group_by(Task.state)).all())
    return {state: int(found.get(state, 0)) for state in STATES}


NEEDS_A_LOOK = ("running", "failed", "queued")


def listed(states: tuple[str, ...] = NEEDS_A_LOOK, limit: int = 100) -> list[Task]:
    """Tasks in these states, newest first: by default what needs looking at (running, failed,
    waiting)."""
    return list(db.session.execute(
        select(Task).where(Task.state.in_(states))
        .order_by(Task.created_at.desc(), Task.id.desc()).limit(limit)).scalars())


def retry(task_id: int) -> Task:
    """Give a failed (or discarded) task a new set of attempts, due now."""
    row = _set_state(task_id, ("failed", "discarded"),
                     _l("Only a failed or discarded task can be retried."),
                     state="queued", attempts=0, run_at=utcnow(), finished_at=None)
    return row


def discard(task_id: int) -> Task:
    """Set a queued or failed task aside: it will not run, and stays listed as discarded. The
    task's ``when_discarded`` function, if it has one, then records what that means."""
    row = _set_state(task_id, ("queued", "failed"),
                     _l("Only a waiting or failed task can be discarded."),
                     state="discarded", finished_at=utcnow())
    handler = _discard_handlers.get(row.name)
    if handler is not None:
        handler(**(row.args or {}))
    return row


_discard_handlers: dict[str, Callable[..., Any]] = {}


def when_discarded(name: str):
    """Decorate the function to call, with the task's arguments and after the discard has
    committed, when a person discards a task ``name``: e.g. an email's message then says it
    will not be sent, instead of "queued" for ever."""

    def register(func):
        _discard_handlers[name] = func
        return func

    return register


def _set_state(task_id: int, allowed_from: tuple[str, ...], refusal, **values) -> Task:
    from core.errors import NotFound, ValidationError

    with write_transaction():
        row = db.session.get(Task, task_id, with_for_update=True)
        if row is None:
            raise NotFound(task_id)
        if row.state not in allowed_from:
            raise ValidationError({"state": refusal})
        for name, value in values.items():
            setattr(row, name, value)
        if values.get("state") == "queued":
            _note_pending(db.session(), row.id)  # TASKS_EAGER: run it after the commit
    return row


def purge(keep_days: int) -> int:
    """Forget done and discarded tasks finished more than ``keep_days`` ago (their keys can then
    be used again); failed ones stay until a person deals with them."""
    from sqlalchemy import delete

    cutoff = utcnow() - timedelta(days=keep_days)
    with write_transaction():
        result = db.session.execute(delete(Task).where(
            Task.state.in_(("done", "discarded")), Task.finished_at < cutoff))
    return result.rowcount or 0
