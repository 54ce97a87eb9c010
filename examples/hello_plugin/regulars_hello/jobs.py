"""Scheduled jobs. When one falls due, the scheduler enqueues it as a background task and a
worker runs it, inside an app context; it is skipped while the plugin is disabled (the host
does all of that)."""

import logging

from regulars_hello import services

log = logging.getLogger(__name__)


def count_greetings() -> int:
    """Hourly: log how many customers have a greeting."""
    total = services.count()
    log.info("hello: %d customers have a greeting", total)
    return total
