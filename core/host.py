"""Where the running app keeps its plugin host (a ``core.plugins.PluginHost``)."""

from flask import current_app


def current_host():
    """The plugin host of the running app (inside an app context): a ``PluginHost``."""
    return current_app.extensions["regulars.plugins"]
