"""REST API under /api/v1: customers and groups. Thin: parse, call a service, answer JSON.

Every error answers JSON: 400 malformed request, 401/403 from FAB's security, 404 unknown id,
409 conflicts, 422 ``{"message": ..., "errors": {field: message}}`` for bad fields."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from core.errors import NotFound
from core.api import openapi
from core.api.customers import CustomerApi, GroupApi
from core.api.pos import PosApi
from core.api.privacy import PrivacyApi
from core.api.lookup import CustomerLookupApi
from core.api.record import CustomerRecordApi


def register_core_api(appbuilder):
    appbuilder.add_api(CustomerApi)
    appbuilder.add_api(GroupApi)
    appbuilder.add_api(PosApi)
    appbuilder.add_api(PrivacyApi)
    appbuilder.add_api(CustomerLookupApi)
    appbuilder.add_api(CustomerRecordApi)
    openapi.register(appbuilder)
    from flask import current_app

    _install_json_errors(current_app._get_current_object())


def _install_json_errors(app):
    def wants_json():
        return request.path.startswith("/api/")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not wants_json():
            return exc
        return jsonify(message=exc.description or exc.name), exc.code

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        # A view or endpoint that lets the core's NotFound through (``get_customer`` of an id
        # no one has) answers 404, as the page or the JSON the path expects.
        from werkzeug.exceptions import NotFound as HttpNotFound

        return app.handle_http_exception(HttpNotFound(str(exc) or None))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        if wants_json():
            return jsonify(message=_("Something went wrong on our side; nothing was saved.")), 500
        raise exc
