"""Hello: the example third-party Regulars plugin (see its README.md)."""
