"""Scheduled jobs. They run in the scheduler process, inside an app context, and are skipped
while the plugin is disabled (the host does both)."""

import logging

from regulars_hello import services

log = logging.getLogger(__name__)


def count_greetings() -> int:
    """Hourly: log how many customers have a greeting."""
    total = services.count()
    log.info("hello: %d customers have a greeting", total)
    return total
