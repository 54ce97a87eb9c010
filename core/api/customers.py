from __future__ import annotations

from flask import request, url_for
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _

from core.api import record_schemas
from core.api.base import JsonApi
from core.api.idempotency import idempotent
from core.errors import NotFound, ValidationError
from core.models import CustomerStatus, CustomerType
from core.services import contributions
from core.services import customers as customer_service
from core.services import groups as group_service
from core.services import plugin_fields
from core.services import record as record_service
from core.services.duplicates import LikelyDuplicates
from core.services.merge import final_survivor
from core.services.normalize import yes_no


def customer_json(c, parts: bool = True, fields: dict | None = None) -> dict:
    """A customer as the API answers; ``parts=False`` (lists) leaves out phones, addresses,
    contacts and tags, which would cost queries per row. The active plugins' fields
    (``CustomerField``) come last, null when empty: ``fields`` gives their values when the
    caller read them for a whole page (``plugin_fields.read_many``)."""
    if fields is None:
        fields = plugin_fields.read(c)
    return {
        "id": c.id, "number": c.number, "kind": c.kind, "first_name": c.first_name,
        "last_name": c.last_name, "company_name": c.company_name, "display_name": c.display_name,
        "email": c.email, "phone": c.phone, "phone_e164": c.phone_e164, "status": c.status,
        "groups": [{"id": g.id, "name": g.name} for g in c.groups],
        "created_at": c.created_at.isoformat() + "Z", "updated_at": c.updated_at.isoformat() + "Z",
        **record_json(c, parts),
        **{name: plugin_fields.json_value(value) for name, value in fields.items()},
    }


def record_json(c, parts: bool = True) -> dict:
    """The rest of the record; identity numbers only masked (revealing is a screen's audited act)."""
    data = {
        "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
        "tax_id": c.tax_id, "tax_country": c.tax_country,
        "registration_number": c.registration_number, "business_type": c.business_type,
        "industry": c.industry, "payment_terms": c.payment_terms,
        **record_service.masked_identity(c),
        "language": c.language, "currency": c.currency, "contact_email": c.contact_email,
        "contact_sms": c.contact_sms, "contact_phone": c.contact_phone,
        "contact_post": c.contact_post, "go_green": c.go_green,
        "segment_id": c.segment_id, "segment": segment_json(c.segment) if c.segment else None,
        "reseller_id": c.reseller_id,
    }
    if parts:
        data.update({
            "tags": [t.name for t in c.tags],
            "phones": [phone_json(p) for p in c.phones],
            "addresses": [address_json(a) for a in c.addresses],
            "contacts": [contact_json(k) for k in c.contacts],
        })
    return data


def segment_json(s) -> dict:
    # A string: money-like percentages never pass through a float.
    return {"id": s.id, "name": s.name, "discount_percent": str(s.discount_percent),
            "price_level": s.price_level}


def address_json(a) -> dict:
    return {"id": a.id, "kind": a.kind, "is_default": a.is_default, "line1": a.line1,
            "line2": a.line2, "city": a.city, "region": a.region, "postal_code": a.postal_code,
            "country": a.country,
            "latitude": None if a.latitude is None else str(a.latitude),
            "longitude": None if a.longitude is None else str(a.longitude)}


def phone_json(p) -> dict:
    return {"id": p.id, "label": p.label, "number": p.number, "e164": p.e164}


def contact_json(k) -> dict:
    return {"id": k.id, "name": k.name, "role": k.role, "email": k.email, "phone": k.phone,
            "phone_e164": k.phone_e164, "is_billing": k.is_billing}


def group_json(g, members: int | None = None) -> dict:
    data = {"id": g.id, "name": g.name, "description": g.description}
    if members is not None:
        data["member_count"] = members
    return data


class CustomerApi(JsonApi):
    resource_name = "customers"
    class_permission_name = "CustomerApi"
    openapi_spec_tag = "Customers"
    method_permission_name = {"get_list": "get", "get": "get", "post": "post", "put": "put"}

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        # CustomerRecord (and the parts' schemas), built from the services' field lists.
        record_schemas.register(api_spec)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get_list(self):
        """List customers, newest filters first.
        ---
        get:
          summary: List and search customers
          description: "Each list filter a plugin adds is one more parameter, named by its key (e.g. hello_greeted=yes)."
          parameters:
          - {in: query, name: q, schema: {type: string}, description: "search: number, email, phone (any format), names, company, tags; accents and case ignored"}
          - {in: query, name: status, schema: {type: string, enum: [active, inactive]}}
          - {in: query, name: kind, schema: {type: string, enum: [individual, business]}}
          - {in: query, name: group, schema: {type: integer}}
          - {in: query, name: sort, schema: {type: string, enum: [name, number, created]}}
          - {in: query, name: page, schema: {type: integer, minimum: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200: {description: A page of customers}
            401: {$ref: '#/components/responses/401'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            status = request.args.get("status") or None
            kind = request.args.get("kind") or None
            errors = {}
            if status and status not in {s.value for s in CustomerStatus}:
                errors["status"] = _("Choose active or inactive.")
            if kind and kind not in {t.value for t in CustomerType}:
                errors["kind"] = _("Choose individual or business.")
            sort = request.args.get("sort") or "name"
            if sort not in customer_service.SORTS:
                errors["sort"] = _("Sort by name, number or created.")
            try:  # plugins' list filters, by their keys
                chosen = contributions.chosen_filters(request.args, contributions.list_filters())
            except ValidationError as exc:
                errors.update(exc.errors)
            if errors:
                raise ValidationError(errors)
            page = customer_service.page(
                q=request.args.get("q", "")[:200], sort=sort, desc=request.args.get("dir") == "desc",
                filters=customer_service.Filters(status=status, kind=kind,
                                                 group_id=self.int_param("group"), plugin=chosen),
                page=self.int_param("page", 1, high=10**7),
                per_page=self.int_param("page_size", 20, high=100),
            )
        except ValidationError as exc:
            return self.invalid(exc.errors)
        # The plugins' fields of the whole page in one query per plugin table.
        values = plugin_fields.read_many([c.id for c in page.rows],
                                         customers={c.id: c for c in page.rows})
        return self.response(200, result=[customer_json(c, parts=False, fields=values[c.id])
                                          for c in page.rows], page=page.page,
                             page_size=page.per_page, has_next=page.has_next, count=page.total)

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self, pk):
        """Get one customer.
        ---
        get:
          summary: Get a customer
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: The customer}
            301: {description: 'The customer was merged: Location is the surviving record; body {"message", "merged_into": {id, number}}'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        if customer.merged_into_id is not None:
            # A merged record answers a permanent redirect to the one it lives on, with the
            # pointer in the body for clients that do not follow redirects.
            survivor = final_survivor(customer)
            response = self.response(
                301, message=_("%(number)s was merged into %(target)s.", number=customer.number,
                               target=survivor.number),
                merged_into={"id": survivor.id, "number": survivor.number})
            response.headers["Location"] = url_for("CustomerApi.get", pk=survivor.id)
            return response
        return self.response(200, result=customer_json(customer))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @idempotent
    def post(self):
        """Create a customer.
        ---
        post:
          summary: Create a customer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  allOf:
                  - {$ref: '#/components/schemas/CustomerRecord'}
                  - type: object
                    properties:
                      confirm_duplicate: {type: boolean, description: create even when the customer looks like one already on file (or send the header X-Confirm-Duplicate true)}
          responses:
            201: {description: Created}
            400: {$ref: '#/components/responses/400'}
            409: {description: 'Likely duplicates, nothing saved: {"message", "duplicates": [{id, number, display_name, score, reasons}]}'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            body = dict(self.json_body())
            confirmed = body.pop("confirm_duplicate", False) is True or \
                yes_no(request.headers.get("X-Confirm-Duplicate", "")) is True
            tags = body.pop("tags", None)
            customer = customer_service.create(body, actor=self.actor(),
                                               check_duplicates=not confirmed,
                                               require_fields=True,
                                               also=record_service.tag_setter(tags, self.actor()))
        except ValidationError as exc:
            return self.invalid(exc.errors)
        except LikelyDuplicates as exc:
            return self.response(
                409, message=_("This customer looks like someone already on file; nothing was "
                               "saved. Send confirm_duplicate: true to create them anyway."),
                duplicates=[m.as_json() for m in exc.matches])
        return self.response(201, id=customer.id, result=customer_json(customer))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Change a customer's fields (only those sent).
        ---
        put:
          summary: Update a customer
          description: >-
            Any of the fields of CustomerRecord; only those sent change ("tags" replaces the
            tags). Addresses, contacts and other phones change on their own endpoints
            (/api/v1/customers/{pk}/addresses/{item_id}...). An erased customer cannot be changed.
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/CustomerRecord'}
          responses:
            200: {description: 'Updated: {"result": the customer, "changed": [names of the fields that changed]}'}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            customer = customer_service.get(pk)
        except NotFound:
            return self.response_404()
        try:
            body = dict(self.json_body())
            tags = body.pop("tags", None)
            changes = customer_service.update(customer, body, actor=self.actor(),
                                              require_email=False,
                                              also=record_service.tag_setter(tags, self.actor()))
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(200, result=customer_json(customer), changed=sorted(changes))


class GroupApi(JsonApi):
    resource_name = "groups"
    class_permission_name = "GroupApi"
    openapi_spec_tag = "Groups"
    method_permission_name = {"get_list": "get", "get": "get", "post": "post", "put": "put",
                              "delete": "delete", "add_members": "members", "remove_member": "members"}

    def _group(self, pk):
        return group_service.get(pk)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get_list(self):
        """List groups.
        ---
        get:
          summary: List groups
          responses:
            200: {description: All groups with member counts}
        """
        groups = group_service.all_groups()
        return self.response(200, result=[group_json(g, group_service.member_count(g))
                                          for g in groups])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self, pk):
        """Get a group.
        ---
        get:
          summary: Get a group
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: The group}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            group = self._group(pk)
        except NotFound:
            return self.response_404()
        return self.response(200, result=group_json(group, group_service.member_count(group)))

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @idempotent
    def post(self):
        """Create a group.
        ---
        post:
          summary: Create a group
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, properties: {name: {type: string}, description: {type: string}}}
          responses:
            201: {description: Created}
            400: {$ref: '#/components/responses/400'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            group = group_service.create(self.json_body())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(201, id=group.id, result=group_json(group, 0))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Rename or describe a group.
        ---
        put:
          summary: Update a group
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, properties: {name: {type: string}, description: {type: string}}}
          responses:
            200: {description: Updated}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            group = self._group(pk)
        except NotFound:
            return self.response_404()
        try:
            group_service.update(group, self.json_body())
        except ValidationError as exc:
            return self.invalid(exc.errors)
        return self.response(200, result=group_json(group, group_service.member_count(group)))

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        """Delete a group (its members stay customers).
        ---
        delete:
          summary: Delete a group
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          responses:
            200: {description: Deleted}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            group = self._group(pk)
        except NotFound:
            return self.response_404()
        group_service.delete_group(group)
        return self.response(200, message="OK")

    @expose("/<int:pk>/members", methods=["POST"])
    @protect()
    @safe
    @permission_name("members")
    def add_members(self, pk):
        """Add customers to a group.
        ---
        post:
          summary: Add members
          parameters: [{in: path, name: pk, required: true, schema: {type: integer}}]
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, properties: {customer_ids: {type: array, items: {type: integer}}}}
          responses:
            200: {description: Added}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        try:
            group = self._group(pk)
        except NotFound:
            return self.response_404()
        try:
            body = self.json_body()
            ids = body.get("customer_ids")
            if not isinstance(ids, list) or not ids or not all(
                    isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise ValidationError({"customer_ids": _("Send a list of customer ids.")})
            customers, missing = [], []
            for cid in ids:
                try:
                    customers.append(customer_service.get(cid))
                except NotFound:
                    missing.append(cid)
            if missing:
                raise ValidationError({"customer_ids": _("No customer with id %(ids)s.",
                                                         ids=", ".join(map(str, missing)))})
        except ValidationError as exc:
            return self.invalid(exc.errors)
        added = group_service.add_members(group, customers, actor=self.actor())
        return self.response(200, added=added, member_count=group_service.member_count(group))

    @expose("/<int:pk>/members/<int:customer_id>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("members")
    def remove_member(self, pk, customer_id):
        """Remove a customer from a group.
        ---
        delete:
          summary: Remove a member
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: customer_id, required: true, schema: {type: integer}}
          responses:
            200: {description: Removed}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            group = self._group(pk)
            customer = customer_service.get(customer_id)
        except NotFound:
            return self.response_404()
        removed = group_service.remove_member(group, customer, actor=self.actor())
        return self.response(200, removed=removed)
