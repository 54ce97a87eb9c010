"""Small pieces every screen uses."""

from __future__ import annotations

from flask import current_app, render_template, request


def host():
    return current_app.extensions["regulars.plugins"]


def allowed(permission: str, view: str) -> bool:
    return current_app.appbuilder.sm.has_access(permission, view)


def int_arg(name: str, source=None):
    source = source if source is not None else request.args
    try:
        value = int(source.get(name, ""))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**62 else None


def render_tab(template: str, **context):
    """A tab's body: an HTML fragment for the overview to load in place."""
    return render_template(template, **context)
