"""Small pieces every screen uses."""

from __future__ import annotations

from flask import current_app, render_template, request

from core.db import record_id


def host():
    return current_app.extensions["regulars.plugins"]


def allowed(permission: str, view: str) -> bool:
    return current_app.appbuilder.sm.has_access(permission, view)


def int_arg(name: str, source=None):
    """A positive whole number from the query string (or ``source``), or None."""
    source = source if source is not None else request.args
    return record_id(source.get(name, ""))


def int_args(name: str, source=None) -> list[int]:
    """Every positive whole number sent under ``name``; anything else is dropped."""
    source = source if source is not None else request.form
    return [i for i in (record_id(v) for v in source.getlist(name)) if i is not None]


def render_tab(template: str, **context):
    """A tab's body: an HTML fragment for the overview to load in place."""
    return render_template(template, **context)
