"""Errors the services raise. Views show them beside the field; the API answers 422 with the dict."""


class ValidationError(Exception):
    """Bad input, keyed by field name: ``ValidationError({"email": "Enter a valid email address."})``.

    A key of ``"_"`` carries a message that belongs to no single field.
    """

    def __init__(self, errors, message=None):
        if isinstance(errors, str):
            errors = {"_": errors}
        self.errors = dict(errors)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFound(Exception):
    """The record asked for does not exist (or is hidden from this user)."""


class PluginError(Exception):
    """A plugin cannot be loaded, enabled or disabled; the message says why."""


class StartupError(RuntimeError):
    """Regulars refuses to start (two plugins with one name, a cycle in requires, ...)."""
