"""Regulars configuration: defaults, testing overrides, and a production example."""
