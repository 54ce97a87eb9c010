"""The till's customer lookup: GET /api/v1/customers/lookup?q=&limit= (same ranking as the
search box, active customers only)."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from core.api.base import JsonApi
from core.errors import ValidationError
from core.services import search


def lookup_json(c) -> dict:
    segment = c.segment
    return {
        "id": c.id, "number": c.number, "display_name": c.display_name, "email": c.email,
        "phone": c.phone,
        "segment": None if segment is None else {
            "name": segment.name, "discount_percent": str(segment.discount_percent),
            "price_level": segment.price_level},
    }


class CustomerLookupApi(JsonApi):
    resource_name = "customers"
    # The same permission as reading customers: every role that serves at a till holds it.
    class_permission_name = "CustomerApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"lookup": "get"}

    @expose("/lookup", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def lookup(self):
        """Find a customer at the till.
        ---
        get:
          summary: Look up active customers by number, email, phone (any format) or name
          parameters:
          - {in: query, name: q, required: true, schema: {type: string}}
          - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 50, default: 10}}
          responses:
            200: {description: 'The best matches, best first: id, number, display_name, email, phone, segment'}
            401: {$ref: '#/components/responses/401'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            limit = self.int_param("limit", 10, high=50)
            q = request.args.get("q", "")
            if not q.strip():
                raise ValidationError({"q": _("Type a name, number, email or phone to look up.")})
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(200, result=[lookup_json(c) for c in search.lookup(q[:200], limit)])
