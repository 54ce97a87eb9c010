"""A customer's addresses and contacts over the API: /api/v1/customers/<id>/addresses and
/contacts (list, create, delete). Same permissions as the customer: reading is "get", changing
the record is "put"."""

from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from core.api.customers import JsonApi, address_json, contact_json
from core.errors import NotFound, ValidationError
from core.services import customers as customer_service
from core.services import record as record_service

PARTS = {
    "addresses": (lambda c: c.addresses, address_json, record_service.add_address,
                  record_service.delete_address),
    "contacts": (lambda c: c.contacts, contact_json, record_service.add_contact,
                 record_service.delete_contact),
}


class CustomerRecordApi(JsonApi):
    resource_name = "customers"
    class_permission_name = "CustomerApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"list_part": "get", "add_part": "put", "delete_part": "put"}

    @expose("/<int:pk>/<any(addresses, contacts):part>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def list_part(self, pk, part):
        """A customer's addresses or contacts.
        ---
        get:
          summary: List a customer's addresses or contacts
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts]}}
          responses:
            200: {description: The addresses or contacts}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        rows, as_json, _add, _delete = PARTS[part]
        return self.response(200, result=[as_json(r) for r in rows(customer)])

    @expose("/<int:pk>/<any(addresses, contacts):part>", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def add_part(self, pk, part):
        """Add an address or a contact.
        ---
        post:
          summary: Add an address (kind, is_default, line1, line2, city, region, postal_code, country, latitude, longitude) or a contact (name, role, email, phone, is_billing)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts]}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object}
          responses:
            201: {description: Created}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        _rows, as_json, add, _delete = PARTS[part]
        try:
            row = add(customer, self.json_body(), actor=self.actor())
        except ValidationError as exc:
            return self.invalid(exc.errors, 400 if set(exc.errors) == {"_"} else 422)
        return self.response(201, id=row.id, result=as_json(row))

    @expose("/<int:pk>/<any(addresses, contacts):part>/<int:item_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("put")
    def delete_part(self, pk, part, item_id):
        """Delete an address or a contact.
        ---
        delete:
          summary: Delete an address or a contact
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts]}}
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          responses:
            200: {description: Deleted}
            404: {$ref: '#/components/responses/404'}
        """
        _rows, _as_json, _add, delete = PARTS[part]
        try:
            delete(customer_service.get(pk), item_id, actor=self.actor())
        except NotFound:
            return self.response_404()
        return self.response(200, message="OK")
