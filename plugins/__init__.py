"""Regulars' built-in plugins. Each is registered by entry point, exactly as a third party's."""
