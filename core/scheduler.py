"""APScheduler set-up: the clock. Jobs come from the ``register_jobs`` hook; exactly one process
keeps the time (``regulars scheduler`` in production, a thread of the dev server under ``make
run``), and each time a job is due it *enqueues a task* that a worker runs, so a long job never
holds up the clock, and a job whose worker dies is taken again like any other task."""

from __future__ import annotations

import functools
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)


class PluginScheduler:
    """What ``register_jobs`` receives: ``add_job`` like APScheduler's, but every job runs in
    an app context and is skipped while its plugin is disabled."""

    def __init__(self, app, scheduler, plugin_name: str):
        self._app = app
        self._scheduler = scheduler
        self.plugin_name = plugin_name

    def add_job(self, func, trigger=None, **kwargs):
        kwargs.setdefault("id", f"{self.plugin_name}.{getattr(func, '__name__', 'job')}")
        kwargs.setdefault("replace_existing", True)
        args, job_kwargs = tuple(kwargs.pop("args", None) or ()), dict(kwargs.pop("kwargs", None) or {})
        task_name = job_task_name(kwargs["id"])
        _declare_job_task(task_name, self.plugin_name, func, args, job_kwargs)
        return self._scheduler.add_job(_enqueue_in_app(self._app, self.plugin_name, func, task_name),
                                       trigger, **kwargs)

    def get_jobs(self):
        return [j for j in self._scheduler.get_jobs() if j.id.startswith(self.plugin_name + ".")]


def job_task_name(job_id: str) -> str:
    """The task a scheduled job enqueues."""
    return f"scheduled:{job_id}"


def _declare_job_task(task_name, plugin_name, func, args, kwargs):
    from core import tasks

    def run_job():
        return func(*args, **kwargs)

    run_job.__qualname__ = f"scheduled job {task_name}"
    tasks.task(task_name, plugin=plugin_name, max_attempts=3)(run_job)


def _enqueue_in_app(app, plugin_name, func, task_name):
    @functools.wraps(func)
    def enqueue_job():
        """Runs on the clock: enqueue the job's task (skipped while its plugin is off). Returns
        the task's id."""
        from core import tasks
        from core.db import db, utcnow, write_transaction

        with app.app_context():
            host = app.extensions["regulars.plugins"]
            host.refresh(db.session)
            if plugin_name != "core" and not host.is_active(plugin_name):
                log.info("Skipping job %s: plugin %s is not active", func.__name__, plugin_name)
                return None
            try:
                # The key holds the second it fell due in: a clock that fires twice in that
                # second still makes one task. (Run exactly one scheduler: two would each
                # enqueue the jobs they fire in different seconds.)
                with write_transaction():
                    row = tasks.enqueue(task_name, key=f"{task_name}@{utcnow():%Y-%m-%dT%H:%M:%S}")
                    task_id = row.id
                return task_id
            finally:
                db.session.remove()

    return enqueue_job


def build(app, blocking: bool = False):
    """A scheduler holding every active-or-enabled plugin's jobs (not started). Its triggers
    keep the shop's time (``BABEL_DEFAULT_TIMEZONE``): a job at ``hour=7`` runs at seven in
    the shop, whatever the server's own zone."""
    from core.shop_time import shop_timezone

    zone = shop_timezone(app)
    scheduler = BlockingScheduler(timezone=zone) if blocking else \
        BackgroundScheduler(daemon=True, timezone=zone)
    host = app.extensions["regulars.plugins"]
    with app.app_context():
        for impl in host.pm.hook.register_jobs.get_hookimpls():
            name = host.pm.get_name(impl.plugin)
            plugin = host.plugins.get(name)
            if plugin is not None and plugin.error:
                continue
            try:
                impl.function(scheduler=PluginScheduler(app, scheduler, name))
            except Exception:
                log.exception("Plugin %s failed in register_jobs", name)
    return scheduler


def register_job_tasks(app) -> None:
    """Declare the task of every plugin's scheduled job in this process (a worker runs them
    without keeping the clock)."""
    build(app)


def start_in_thread(app):
    import os

    # The reloader runs two processes; start jobs only in the one that serves.
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    scheduler = build(app)
    scheduler.start()
    app.extensions["regulars.scheduler"] = scheduler
    return scheduler
