"""The base of every JSON API in Regulars, the core's and the plugins' (``core.sdk.JsonApi``):
one way to read a request and one shape for every error, so a till or an integration talks to
all of them alike.

Errors: 400 ``{"message", "errors": {"_": ...}}`` for a body that is not a JSON object,
422 ``{"message", "errors": {field: message}}`` for bad fields."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import request
from flask_appbuilder.api import BaseApi
from flask_babel import gettext as _

from core.errors import ValidationError


class JsonApi(BaseApi):
    """A FAB ``BaseApi`` that also answers the signed-in browser session, reads JSON bodies with
    numbers as ``Decimal`` and answers a ``ValidationError`` as 400/422 JSON.

    Subclass it as you would ``BaseApi`` (``resource_name``, ``class_permission_name``,
    ``@expose``, ``@protect()``, ``@permission_name``); a typical endpoint reads::

        try:
            rate = services.create(self.json_body(), actor=self.actor())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(201, id=rate.id, result=rate_json(rate))
    """

    allow_browser_login = True

    def actor(self):
        """The signed-in user, by browser session or by token (flask_login knows only the
        former): ``core.sdk.current_actor()``, which works in views, tasks and jobs too."""
        from core.actor import current_actor

        return current_actor()

    def invalid(self, errors: dict, status: int | None = None):
        """The answer to a ``ValidationError``: ``{"message", "errors": {field: message}}``, with
        ``status`` 400 when only the body as a whole is wrong (key ``"_"``), else 422."""
        if status is None:
            status = 400 if set(errors) == {"_"} else 422
        return self.response(status, message=_("Some fields are not valid."), errors=errors)

    def json_body(self) -> dict:
        """The request's JSON object. Numbers with a fraction (and NaN, Infinity) are read as
        ``Decimal``, so money and rates never pass through a float. Raises ValidationError
        ``{"_": ...}`` when the body is not a JSON object."""
        if not request.is_json:
            raise ValidationError({"_": _("Send a JSON object with Content-Type: application/json.")})
        try:
            body = json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal,
                              parse_constant=Decimal)
        except (ValueError, RecursionError):
            raise ValidationError({"_": _("The request body is not valid JSON.")}) from None
        if not isinstance(body, dict):
            raise ValidationError({"_": _("The request body must be a JSON object.")})
        return body

    def int_param(self, name: str, default: int | None = None, low: int = 1, high: int = 10**9):
        """A whole number from the query string (``?page=2``), ``default`` when absent; raises
        ValidationError ``{name: ...}`` when it is not a number between ``low`` and ``high``."""
        raw = request.args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: _("Must be a whole number.")}) from None
        if not low <= value <= high:
            raise ValidationError({name: _("Must be between %(low)d and %(high)d.", low=low, high=high)})
        return value
