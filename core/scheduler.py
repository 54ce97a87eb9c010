"""APScheduler set-up. Jobs come from the ``register_jobs`` hook. Exactly one process runs them:
``regulars scheduler`` in production, a thread of the dev server under ``make run``."""

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
        return self._scheduler.add_job(_in_app(self._app, self.plugin_name, func), trigger, **kwargs)

    def get_jobs(self):
        return [j for j in self._scheduler.get_jobs() if j.id.startswith(self.plugin_name + ".")]


def _in_app(app, plugin_name, func):
    @functools.wraps(func)
    def run(*args, **kwargs):
        from core.db import db

        with app.app_context():
            host = app.extensions["regulars.plugins"]
            host.refresh(db.session)
            if plugin_name != "core" and not host.is_active(plugin_name):
                log.info("Skipping job %s: plugin %s is not active", func.__name__, plugin_name)
                return None
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def build(app, blocking: bool = False):
    """A scheduler holding every active-or-enabled plugin's jobs (not started)."""
    scheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
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


def start_in_thread(app):
    import os

    # The reloader runs two processes; start jobs only in the one that serves.
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    scheduler = build(app)
    scheduler.start()
    app.extensions["regulars.scheduler"] = scheduler
    return scheduler
