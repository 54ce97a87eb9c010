"""Who is acting: the signed-in user of a request (browser session or API token), the user a
background task runs for, or nobody (None) for the system: a scheduled job, a CLI command.

A task remembers the user who enqueued it (``Task.actor_fk``); the worker acts as that user
while it runs the task, so whatever the task records (an activity, an audit row, a task it
enqueues in turn) names the person who asked for it."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from flask import current_app, g, has_app_context, has_request_context

_UNSET = object()
# The id of the user a task runs for (None: the system), set while a worker runs it.
_acting: ContextVar = ContextVar("regulars_actor", default=_UNSET)


@contextlib.contextmanager
def acting_as(user_id: int | None):
    """Run the block as the user ``user_id`` (None: as the system), whatever request is around."""
    token = _acting.set(user_id)
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor():
    """The user on whose behalf this code runs, or None for the system.

    In a request (a view, a ``JsonApi`` endpoint): the signed-in user, by browser session or
    by API token (None when no one is signed in). In a background task: the user who enqueued
    it, loaded afresh in the task's session (None if that user was deleted). In a scheduled
    job, a CLI command or anywhere else: None. The user has ``id``, ``username``,
    ``first_name``, ``last_name`` and ``email``; pass it as ``actor=`` where a service asks
    who did something."""
    user_id = _acting.get()
    if user_id is not _UNSET:
        return _user(user_id) if user_id is not None else None
    if has_request_context():
        return _request_user()
    return None


def current_actor_id() -> int | None:
    """The id of ``current_actor()``, without loading the user in a task."""
    user_id = _acting.get()
    if user_id is not _UNSET:
        return user_id
    user = _request_user() if has_request_context() else None
    return getattr(user, "id", None)


def _request_user():
    from flask_login import current_user

    user = current_user._get_current_object() if current_user else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    # An API call signed by a token: FAB's token check puts its user on g.user.
    user = g.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def _user(user_id: int):
    if not has_app_context():
        return None
    from core.db import db

    return db.session.get(current_app.appbuilder.sm.user_model, user_id)
