"""The OpenAPI description (/api/v1/_openapi) and its Swagger UI (/swagger/v1): FAB's, less the
APIs of plugins that are switched off. A disabled plugin's URLs answer 404; its paths must not
be advertised either."""

from __future__ import annotations

from flask import current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi as FabOpenApi
from flask_appbuilder.api.manager import SwaggerView


class OpenApi(FabOpenApi):
    """Registered in place of FAB's (same name, so the same URL, endpoint and permission)."""

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        description = api_description(version)
        if description is None:
            return self.response_404()
        return self.response(200, **description)

    get.__doc__ = FabOpenApi.get.__doc__


def api_description(version: str) -> dict | None:
    """The OpenAPI description of every API of ``version`` ("v1") but those of inactive
    plugins, as a dict; None when no API has that version. Needs a request context (the
    servers listed are the request's host)."""
    apis = [view for view in current_app.appbuilder.baseviews
            if isinstance(view, BaseApi) and view.version == version]
    if not apis:
        return None
    host = current_app.extensions["regulars.plugins"]
    spec = FabOpenApi._create_api_spec(version)
    for view in apis:
        owner = host.owner_of_blueprint(view.blueprint.name)
        if owner is None or host.is_active(owner):
            view.add_api_spec(spec)
    return _with_body_checks(spec.to_dict())


def _with_body_checks(description: dict) -> dict:
    """Every endpoint that takes a body can answer what core.input_checks answers for all of
    them: 413 for a body over the size limit, 422 for text that is not Unicode."""
    responses = description.setdefault("components", {}).setdefault("responses", {})
    responses.setdefault("413", {
        "description": "The request body is larger than the server accepts",
        "content": {"application/json": {"schema": {
            "type": "object", "properties": {"message": {"type": "string"}}}}}})
    for operations in description.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                answers = operation.setdefault("responses", {})
                answers.setdefault("413", {"$ref": "#/components/responses/413"})
                if "422" in responses:
                    answers.setdefault("422", {"$ref": "#/components/responses/422"})
    return description


def register(appbuilder) -> None:
    """FAB's own OpenAPI views are switched off (FAB_ADD_OPENAPI_VIEWS, set by create_app);
    these take their place when FAB_API_SWAGGER_UI asks for them."""
    if current_app.config.get("FAB_API_SWAGGER_UI"):
        appbuilder.add_api(OpenApi)
        appbuilder.add_view_no_menu(SwaggerView)
