"""Data protection over the API: a customer's full export (GET /api/v1/customers/<id>/export)
and the irreversible erasure of their personal data (POST /api/v1/customers/<id>/erase)."""

from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from core.api.base import JsonApi
from core.api.customers import customer_json
from core.api.idempotency import idempotent
from core.errors import NotFound, ValidationError
from core.security import may_reveal_identity_numbers
from core.services import customers as customer_service
from core.services import exporter, privacy


class PrivacyApi(JsonApi):
    resource_name = "customers"
    class_permission_name = "CustomerPrivacyApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"export": "export", "erase": "erase"}

    @expose("/<int:pk>/export", methods=["GET"])
    @protect()
    @safe
    @permission_name("export")
    def export(self, pk):
        """Everything held about one customer (data portability); identity numbers in clear
        only for those who may reveal them. Every export is written to the audit trail.
        ---
        get:
          summary: Export all data of a customer
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: "The record, its parts, activity, audit and each plugin's section"}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        return self.response(200, result=exporter.export_customer(
            customer, actor=self.actor(), clear_identity=may_reveal_identity_numbers()))

    @expose("/<int:pk>/erase", methods=["POST"])
    @protect()
    @safe
    @permission_name("erase")
    @idempotent
    def erase(self, pk):
        """Erase a customer's personal data for good (GDPR).
        ---
        post:
          summary: Anonymise a customer (cannot be undone)
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: Erased; the anonymous record}
            404: {$ref: '#/components/responses/404'}
            409: {description: Already erased}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        try:
            privacy.erase(customer, actor=self.actor())
        except ValidationError as exc:
            status = 409 if customer.erased_at is not None else 422
            return self.invalid(exc.errors, status)
        return self.response(200, result=customer_json(customer))
