"""A customer's addresses, contacts and other phones over the API:
/api/v1/customers/<id>/addresses, /contacts and /phones (list, add, change, delete). Same
permissions as the customer: reading is "get", changing the record is "put"."""

from __future__ import annotations

from typing import Callable, NamedTuple

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from core.api import record_schemas
from core.api.base import JsonApi
from core.api.customers import address_json, contact_json, phone_json
from core.errors import NotFound, ValidationError
from core.services import customers as customer_service
from core.services import record as record_service


class Part(NamedTuple):
    """What the endpoints do with one kind of part of the record."""

    rows: Callable
    as_json: Callable
    add: Callable
    update: Callable
    delete: Callable


PARTS = {
    "addresses": Part(lambda c: c.addresses, address_json, record_service.add_address,
                      record_service.update_address, record_service.delete_address),
    "contacts": Part(lambda c: c.contacts, contact_json, record_service.add_contact,
                     record_service.update_contact, record_service.delete_contact),
    "phones": Part(lambda c: c.phones, phone_json, record_service.add_phone,
                   record_service.update_phone, record_service.delete_phone),
}


class CustomerRecordApi(JsonApi):
    resource_name = "customers"
    class_permission_name = "CustomerApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"list_part": "get", "add_part": "put", "update_part": "put",
                              "delete_part": "put"}

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        record_schemas.register(api_spec)

    @expose("/<int:pk>/<any(addresses, contacts, phones):part>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def list_part(self, pk, part):
        """A customer's addresses, contacts or other phones.
        ---
        get:
          summary: List a customer's addresses, contacts or other phones
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts, phones]}}
          responses:
            200: {description: 'The addresses, contacts or phones: {"result": [...]}, each with its id'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        kind = PARTS[part]
        return self.response(200, result=[kind.as_json(r) for r in kind.rows(customer)])

    @expose("/<int:pk>/<any(addresses, contacts, phones):part>", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def add_part(self, pk, part):
        """Add an address, a contact or another phone.
        ---
        post:
          summary: Add an address, a contact or another phone (the customer's own phone stays the primary one)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts, phones]}}
          requestBody:
            required: true
            description: an Address for addresses, a Contact for contacts, a Phone for phones
            content:
              application/json:
                schema:
                  oneOf:
                  - {$ref: '#/components/schemas/Address'}
                  - {$ref: '#/components/schemas/Contact'}
                  - {$ref: '#/components/schemas/Phone'}
          responses:
            201: {description: 'Created: {"id", "result"}'}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        kind = PARTS[part]
        try:
            row = kind.add(customer, self.json_body(), actor=self.actor())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(201, id=row.id, result=kind.as_json(row))

    @expose("/<int:pk>/<any(addresses, contacts, phones):part>/<int:item_id>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def update_part(self, pk, part, item_id):
        """Change an address, a contact or another phone: only the fields sent change.
        ---
        put:
          summary: Change an address, a contact or another phone (only the fields sent change)
          description: >-
            The same rules as when adding. Making an address the default of its kind (or moving
            it to another kind) keeps exactly one default address per kind. Every change is
            written to the customer's history. An erased customer cannot be changed (400).
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts, phones]}}
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          requestBody:
            required: true
            description: an AddressChanges for addresses, a ContactChanges for contacts, a PhoneChanges for phones
            content:
              application/json:
                schema:
                  oneOf:
                  - {$ref: '#/components/schemas/AddressChanges'}
                  - {$ref: '#/components/schemas/ContactChanges'}
                  - {$ref: '#/components/schemas/PhoneChanges'}
          responses:
            200: {description: 'Changed: {"result"} is the part as stored now'}
            400: {$ref: '#/components/responses/400'}
            404: {description: No such customer, or the part belongs to another customer}
            422: {$ref: '#/components/responses/422'}
        """
        kind = PARTS[part]
        try:
            customer = customer_service.get(pk)
            row = kind.update(customer, item_id, self.json_body(), actor=self.actor())
        except NotFound:
            return self.response_404()
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(200, result=kind.as_json(row))

    @expose("/<int:pk>/<any(addresses, contacts, phones):part>/<int:item_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("put")
    def delete_part(self, pk, part, item_id):
        """Delete an address, a contact or another phone.
        ---
        delete:
          summary: Delete an address, a contact or another phone
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: part, required: true, schema: {type: string, enum: [addresses, contacts, phones]}}
          - {in: path, name: item_id, required: true, schema: {type: integer}}
          responses:
            200: {description: Deleted}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            PARTS[part].delete(customer_service.get(pk), item_id, actor=self.actor())
        except NotFound:
            return self.response_404()
        return self.response(200, message="OK")
