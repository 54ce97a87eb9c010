"""The customer record as /api/v1/_openapi describes it: one JSON schema for the customer's own
fields and one for each part (address, contact, phone), registered as OpenAPI components that
the endpoints' docstrings refer to (``$ref: '#/components/schemas/CustomerRecord'``).

The property lists are taken from the services' own field lists (``customers.EDITABLE``,
``record.ADDRESS_FIELDS``...), so a field added there without a description here stops the
description from being built, loudly, instead of going unpublished."""

from __future__ import annotations

from apispec import APISpec
from apispec.exceptions import DuplicateComponentNameError
from flask import current_app

from core.models import CustomerStatus, CustomerType
from core.services import customers as customer_service
from core.services import record as record_service


def _text(limit: int, description: str = "", **more) -> dict:
    schema = {"type": "string", "maxLength": limit, **more}
    if description:
        schema["description"] = description
    return schema


def _flag(description: str = "") -> dict:
    return {"type": "boolean", "description": description} if description else {"type": "boolean"}


def _decimal(limit: int) -> dict:
    # Sent as a JSON number or a string; answered as a string so no digit is lost to a float.
    return {"oneOf": [{"type": "number"}, {"type": "string"}], "nullable": True,
            "description": f"decimal degrees from -{limit} to {limit}; give both latitude and "
                           "longitude, or neither"}


def _customer_fields() -> dict:
    """Every field the customer endpoints accept, with its type and rule."""
    limits = customer_service.LIMITS
    return {
        "number": _text(limits["number"], "unique; leave out (or empty) on create to number "
                                          "automatically; cannot be emptied later"),
        "kind": {"type": "string", "enum": [t.value for t in CustomerType]},
        "first_name": _text(limits["first_name"], "an individual needs a first or last name"),
        "last_name": _text(limits["last_name"]),
        "company_name": _text(limits["company_name"], "required for a business customer"),
        "email": _text(limits["email"], "required when creating; stored normalised",
                       format="email"),
        "phone": _text(limits["phone"], "the primary phone, in any format; stored as E.164 too"),
        "status": {"type": "string", "enum": [s.value for s in CustomerStatus]},
        "date_of_birth": {"type": "string", "format": "date", "nullable": True,
                          "description": "YYYY-MM-DD, after 1900, not in the future"},
        "tax_id": _text(limits["tax_id"], "tax ID / VAT number, checked (python-stdnum) for "
                                          "tax_country"),
        "tax_country": _text(2, "ISO 3166-1 alpha-2 country that issued tax_id"),
        "registration_number": _text(limits["registration_number"]),
        "business_type": {"type": "string",
                          "enum": [""] + list(customer_service.BUSINESS_TYPES)},
        "industry": _text(limits["industry"]),
        "payment_terms": {"type": "integer", "nullable": True,
                          "enum": list(current_app.config["PAYMENT_TERMS"]) + [None],
                          "description": "days (Net N)"},
        "language": _text(20, "a language code such as fr or pt_BR"),
        "currency": _text(3, "ISO 4217 currency code"),
        "contact_email": _flag("may be contacted by email"),
        "contact_sms": _flag("may be contacted by SMS"),
        "contact_phone": _flag("may be contacted by phone"),
        "contact_post": _flag("may be contacted by post"),
        "go_green": _flag("email receipts instead of paper"),
        "segment_id": {"type": "integer", "nullable": True, "description": "a segment's id"},
        "reseller_id": {"type": "integer", "nullable": True,
                        "description": "the id of the customer who resells to this one"},
        "driver_licence": _text(limits["driver_licence"], "stored encrypted, answered masked",
                                minLength=4, writeOnly=True),
        "national_id": _text(limits["national_id"], "ID / SSN; stored encrypted, answered masked",
                             minLength=4, writeOnly=True),
    }


ADDRESS_PROPERTIES = {
    "kind": {"type": "string", "enum": list(record_service.ADDRESS_KINDS), "default": "billing"},
    "is_default": _flag("the default address of its kind (one per kind; the first of a kind "
                        "becomes it)"),
    "line1": _text(200, "street and number"),
    "line2": _text(200),
    "city": _text(100),
    "region": _text(100, "state or region"),
    "postal_code": _text(20, "checked for the country"),
    "country": _text(2, "ISO 3166-1 alpha-2"),
    "latitude": _decimal(90),
    "longitude": _decimal(180),
}
CONTACT_PROPERTIES = {
    "name": _text(200),
    "role": _text(100),
    "email": _text(254, format="email", nullable=True),
    "phone": _text(40, "any format; stored as E.164 too", nullable=True),
    "is_billing": _flag("the billing contact"),
}
PHONE_PROPERTIES = {
    "label": {"type": "string", "enum": list(record_service.PHONE_LABELS), "default": "mobile"},
    "number": _text(40, "any format; stored as E.164 too"),
}
# The parts: component name, the service's field list, their descriptions, required on create.
PARTS = {
    "Address": (record_service.ADDRESS_FIELDS, ADDRESS_PROPERTIES, ["line1", "city", "country"]),
    "Contact": (record_service.CONTACT_FIELDS, CONTACT_PROPERTIES, ["name"]),
    "Phone": (record_service.PHONE_FIELDS, PHONE_PROPERTIES, ["number"]),
}


def customer_record_schema() -> dict:
    """The customer's own fields as POST and PUT /api/v1/customers accept them."""
    described = _customer_fields()
    properties = {name: described[name] for name in customer_service.EDITABLE}
    properties["tags"] = {"type": "array", "maxItems": record_service.MAX_TAGS,
                          "items": {"type": "string", "maxLength": 60},
                          "description": "the customer's tags, exactly (\"VIP\" and \"vip\" are one)"}
    # The active plugins' fields (CustomerField), written and answered like the core's.
    from core.services import plugin_fields

    for field in plugin_fields.fields():
        properties[field.name] = plugin_fields.openapi_property(field)
    # No "additionalProperties: false": POST adds confirm_duplicate through allOf, which that
    # would forbid. The service refuses unknown fields (422) all the same.
    return {"type": "object", "properties": properties,
            "description": "On update only the fields sent change. Unknown fields are refused "
                           "(422). Fields marked \"plugin\" are kept by a plugin and are "
                           "answered by GET too (null when empty)."}


def part_schemas() -> dict[str, dict]:
    """``Address``/``Contact``/``Phone`` (adding one: the required fields) and
    ``AddressChanges``... (PUT: any of the fields; the others keep their stored value)."""
    schemas = {}
    for name, (fields, described, required) in PARTS.items():
        properties = {field: described[field] for field in fields}
        schemas[name] = {"type": "object", "properties": properties, "required": required,
                         "additionalProperties": False}
        schemas[name + "Changes"] = {"type": "object", "properties": properties,
                                     "additionalProperties": False,
                                     "description": "Only the fields sent change."}
    return schemas


def register(api_spec: APISpec) -> None:
    """Add the record's schemas to the OpenAPI description being built (once, whichever API
    class asks first)."""
    for name, schema in {"CustomerRecord": customer_record_schema(), **part_schemas()}.items():
        try:
            api_spec.components.schema(name, schema)
        except DuplicateComponentNameError:
            pass
