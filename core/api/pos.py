"""The till's quick add: POST /api/v1/customers/quick creates a customer from a name plus a phone
number or an email, after the duplicate check (409 with the likely matches unless the cashier
confirms). Sent with an Idempotency-Key, a retried request returns the first customer."""

from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from core.api.base import JsonApi
from core.api.customers import customer_json
from core.api.idempotency import idempotent
from core.errors import ValidationError
from core.services import customers as customer_service
from core.services import duplicates

QUICK_FIELDS = ("first_name", "last_name", "company_name", "kind", "email", "phone")


class PosApi(JsonApi):
    resource_name = "customers"
    # The till's permissions live on the customers API ("can_quick on CustomerApi").
    class_permission_name = "CustomerApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"quick": "quick"}

    @expose("/quick", methods=["POST"])
    @protect()
    @safe
    @permission_name("quick")
    @idempotent
    def quick(self):
        """Quick add at the till.
        ---
        post:
          summary: Create a customer from a name and a phone or an email
          parameters:
          - {in: header, name: Idempotency-Key, schema: {type: string, maxLength: 200},
             description: the same key and body return the first answer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    first_name: {type: string}
                    last_name: {type: string}
                    company_name: {type: string}
                    kind: {type: string, enum: [individual, business]}
                    email: {type: string}
                    phone: {type: string}
                    confirm_duplicate: {type: boolean, description: create even if it looks like someone on file}
          responses:
            201: {description: Created}
            400: {$ref: '#/components/responses/400'}
            409: {description: Likely duplicates (candidates) or a request in flight with the same key}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            body = self.json_body()
            confirm = body.pop("confirm_duplicate", False)
            errors = {name: _("Unknown field.") for name in body if name not in QUICK_FIELDS}
            if not isinstance(confirm, bool):
                errors["confirm_duplicate"] = _("Must be true or false.")
            if not any(isinstance(body.get(f), str) and body[f].strip() for f in ("email", "phone")):
                errors.setdefault("phone", _("Enter a phone number or an email address."))
            if errors:
                raise ValidationError(errors)
            customer = customer_service.create(body, actor=self.actor(), require_email=False,
                                               check_duplicates=not confirm)
        except ValidationError as exc:
            return self.invalid(exc.errors)
        except duplicates.LikelyDuplicates as exc:
            return self.response(409, message=_("This customer may already be on file. Pick one "
                                                "of them, or send confirm_duplicate: true."),
                                 candidates=[m.as_json() for m in exc.matches])
        return self.response(201, id=customer.id, result=customer_json(customer))
