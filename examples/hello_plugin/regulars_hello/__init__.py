"""Hello: the worked example of a third-party Regulars plugin (see docs/plugins.md)."""
