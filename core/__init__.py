"""Regulars core: customers, groups, the plugin host and the hooks plugins implement."""

__version__ = "1.0.0"
